"""Which rulebook is in force, and every rulebook the store's recommendations were made under.

Each committed run keeps a copy of its county folder in the store, keyed by the rulebook
hash every recommendation records (table ``rulebook_copy``). So ``wenze rules show HASH``
prints what a past rulebook said, ``wenze rules history`` lists the rulebooks behind the
stored recommendations, and a long-running job (the nightly run, a server) never takes a
broken edit: ``load_in_force`` loads the county folder only if it checks clean, and
otherwise keeps the last good rulebook — the copy of the last committed run's — in force,
with the errors that refused the edit.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from engine.errors import RulebookError
from engine.rulebook import Rulebook, load_rulebook
from engine.rulebook.load import county_snapshot, snapshot_hash
from facts.recommendation_tables import EvaluationRun, RecommendationRow, RulebookCopy


def keep_copy(connection: Connection, rulebook: Rulebook) -> None:
    """Keep the county folder a run evaluated with (once per hash), in the run's transaction.

    The folder is read again here; if it was edited since it was loaded, its bytes no longer
    hash to ``rulebook.hash`` and nothing is kept (the next run that loads it keeps it)."""
    table = RulebookCopy.__table__
    if connection.execute(select(table.c.hash).where(table.c.hash == rulebook.hash)).first():
        return
    files = county_snapshot(rulebook.folder)
    if snapshot_hash(files) != rulebook.hash:
        return
    connection.execute(insert(table).values(
        hash=rulebook.hash, files={name: data.decode("utf-8") for name, data in files.items()},
        stored=datetime.now(UTC)))


def stored_copy(engine: Engine, prefix: str) -> tuple[str, dict[str, str]] | None:
    """The stored county folder whose hash starts with ``prefix`` (hash, files), or None.
    Raises ``LookupError`` when the prefix fits several."""
    table = RulebookCopy.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.hash, table.c.files)
                                  .where(table.c.hash.startswith(prefix.lower(), autoescape=True))
                                  .limit(2)).all()
    if len(rows) > 1:
        raise LookupError(f"{prefix} fits several stored rulebooks; give more of the hash")
    return (rows[0].hash, rows[0].files) if rows else None


def _write(files: dict[str, str], into: Path) -> Path:
    for name, text in files.items():
        path = into / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return into


def last_good(engine: Engine) -> Rulebook | None:
    """The rulebook of the last committed run that has a stored copy, loaded from that copy
    (in a folder of its own, removed when the process exits)."""
    runs, copies = EvaluationRun.__table__, RulebookCopy.__table__
    with engine.connect() as connection:
        row = connection.execute(
            select(copies.c.hash, copies.c.files)
            .join(runs, runs.c.rulebook_hash == copies.c.hash)
            .where(runs.c.status == "committed").order_by(runs.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix=f"wenze-rulebook-{row.hash[:12]}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return load_rulebook(_write(row.files, folder))


@dataclass
class InForce:
    rulebook: Rulebook  # the rulebook to evaluate with
    refused: RulebookError | None = None  # why the county folder's edit was refused, if it was


def load_in_force(engine: Engine, directory: Path | None = None) -> InForce:
    """The county folder if it checks clean; else the last good rulebook, with the errors.
    Raises ``RulebookError`` when the folder has errors and no good rulebook was ever used."""
    try:
        return InForce(load_rulebook(directory))
    except RulebookError as exc:
        good = last_good(engine)
        if good is None:
            raise
        return InForce(good, exc)


def history(engine: Engine) -> list[dict[str, Any]]:
    """Every rulebook that made stored recommendations or committed runs, the one of the
    latest run first:
    its runs (count, first and last as-of date), its recommendations by status, and whether
    its copy is stored."""
    runs, recs, copies = (EvaluationRun.__table__, RecommendationRow.__table__,
                          RulebookCopy.__table__)
    found: dict[str, dict[str, Any]] = {}

    def entry(rulebook_hash: str) -> dict[str, Any]:
        return found.setdefault(rulebook_hash, {
            "hash": rulebook_hash, "runs": 0, "first_as_of": None, "last_as_of": None,
            "first_run": None, "last_run": None, "last_run_id": 0, "recommendations": 0,
            "by_status": {}, "stored_copy": False})

    with engine.connect() as connection:
        for row in connection.execute(
                select(runs.c.rulebook_hash, func.count(), func.min(runs.c.as_of),
                       func.max(runs.c.as_of), func.min(runs.c.started), func.max(runs.c.started),
                       func.max(runs.c.id))
                .where(runs.c.status == "committed").group_by(runs.c.rulebook_hash)):
            item = entry(row[0])
            item.update(runs=row[1], first_as_of=row[2].isoformat(), last_as_of=row[3].isoformat(),
                        first_run=row[4].isoformat(timespec="seconds"),
                        last_run=row[5].isoformat(timespec="seconds"), last_run_id=row[6])
        for row in connection.execute(select(recs.c.rulebook_hash, recs.c.status, func.count())
                                      .group_by(recs.c.rulebook_hash, recs.c.status)):
            item = entry(row[0])
            item["by_status"][row[1]] = row[2]
            item["recommendations"] += row[2]
        for rulebook_hash in connection.execute(select(copies.c.hash)).scalars():
            if rulebook_hash in found:
                found[rulebook_hash]["stored_copy"] = True
    return sorted(found.values(), key=lambda i: (i["last_run_id"], i["hash"]), reverse=True)
