"""The audit log: every decision, step and account change appended, never updated or deleted.

Each entry is hashed (SHA-256) over its canonical JSON (RFC 8785), which includes the previous
entry's hash; the head row (count, last hash) is written in the same transaction as the
entry. So a changed row breaks its own hash, a removed one breaks the chain, and a cut tail
no longer reaches the head. ``verify`` names the first entry that is wrong.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import rfc8785
from sqlalchemy import Connection, Engine, insert, select, update

from facts.review_tables import AuditEntry, AuditHead

GENESIS = "0" * 64  # the "previous hash" of the first entry
FIELDS = ("seq", "at", "actor", "action", "target", "reason", "data", "prev")


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps({k: entry[k] for k in FIELDS})).hexdigest()


def append(connection: Connection, actor: str, action: str, target: str, reason: str | None,
           data: dict[str, Any]) -> int:
    """Add one entry inside the caller's transaction (the act and its entry commit together)."""
    head = AuditHead.__table__
    # take the head first: on PostgreSQL a row lock, on SQLite the write lock, so concurrent
    # appenders queue here and each sees the count and hash the one before it left
    connection.execute(update(head).where(head.c.id == 1).values(count=head.c.count + 1))
    seq, prev = connection.execute(select(head.c.count, head.c.last_hash)
                                   .where(head.c.id == 1)).one()
    entry = {"seq": seq, "at": datetime.now(UTC).isoformat(timespec="microseconds"),
             "actor": actor, "action": action, "target": target, "reason": reason,
             "data": json.loads(json.dumps(data, default=str)), "prev": prev}
    entry["hash"] = entry_hash(entry)
    connection.execute(insert(AuditEntry.__table__).values(**entry))
    connection.execute(update(head).where(head.c.id == 1).values(last_hash=entry["hash"]))
    return seq


@dataclass(frozen=True)
class BadEntry:
    seq: int  # the first entry that is wrong (or missing)
    problem: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.problem}"


def _entries(connection: Connection) -> Any:
    table = AuditEntry.__table__
    return connection.execution_options(stream_results=True, yield_per=2000).execute(
        select(table).order_by(table.c.seq)).mappings()


def verify(store: Engine) -> BadEntry | None:
    """The first entry that was altered, removed or cut off, or None when the chain holds."""
    with store.connect() as connection:
        expected, prev = 1, GENESIS
        for row in _entries(connection):
            if row["seq"] != expected:
                return BadEntry(expected, f"missing (the next entry stored is {row['seq']})")
            if row["prev"] != prev:
                return BadEntry(expected, "does not follow the entry before it (its previous "
                                          "hash differs: an entry before it was changed or removed)")
            if entry_hash(dict(row)) != row["hash"]:
                return BadEntry(expected, "was altered (its hash does not match its content)")
            prev, expected = row["hash"], expected + 1
        head = AuditHead.__table__
        count, last = connection.execute(select(head.c.count, head.c.last_hash)).one()
    stored = expected - 1
    if count > stored:
        return BadEntry(stored + 1, f"missing: the log was cut after entry {stored}, "
                                    f"the head counts {count}")
    if count < stored or last != prev:
        return BadEntry(min(count + 1, stored), "does not match the chain's head (count "
                                                f"{count}, last hash {last[:12]}…)")
    return None


def export(store: Engine, out: IO[str]) -> int:
    """The whole log as JSON Lines (for an outside archive); the number of entries."""
    count = 0
    with store.connect() as connection:
        for row in _entries(connection):
            out.write(json.dumps(dict(row), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count
