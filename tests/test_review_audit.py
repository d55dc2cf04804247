"""The audit log (review.audit): every act appended with who, when, what and why, chained by
SHA-256; altering, deleting or cutting rows is found and named — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import delete, select, text, update

from facts.review_tables import AuditEntry, AuditHead
from review import audit
from review.decide import amend, approve, record_step, reject
from tests.review_support import accounts, county_cases

DAY = date(2026, 11, 26)
ENTRY = AuditEntry.__table__


@pytest.fixture
def logged(store, tmp_path):
    """Accounts added (7 entries), then 3 steps, an amendment, two approvals, a rejection."""
    ids = county_cases(store, tmp_path)
    users = accounts(store)
    county = users["county"]
    record_step(store, county, ids["P-SEC"], "investigation", DAY, {"investigators": "甲、乙"})
    record_step(store, county, ids["P-SEC"], "statement", DAY, {"text": "无", "adopted": False})
    record_step(store, county, ids["P-SEC"], "collective_decision", DAY,
                {"attendees": "甲、乙、丙", "outcome": "同意"})
    amend(store, county, ids["P-SEC"], ["suspension"], "情节严重")
    approve(store, county, ids["P-SEC"], day=DAY)
    approve(store, users["county2"], ids["P-SEC"], day=DAY)
    reject(store, county, ids["P1"], "提醒人并非主管领导")
    return store, ids


def _entries(store) -> list[dict]:
    with store.connect() as connection:
        return [dict(r) for r in connection.execute(select(ENTRY).order_by(ENTRY.c.seq)).mappings()]


def test_every_act_is_logged_with_who_when_what_why_and_the_chain_holds(logged) -> None:
    store, ids = logged
    entries = _entries(store)
    assert [e["seq"] for e in entries] == list(range(1, 15))
    acts = [(e["actor"], e["action"]) for e in entries[7:]]
    assert acts == [("county", "step"), ("county", "step"), ("county", "step"),
                    ("county", "amend"), ("county", "approve"), ("county2", "approve"),
                    ("county", "reject")]
    amendment = entries[10]
    assert amendment["target"] == f"recommendation:{ids['P-SEC']}"
    assert amendment["reason"] == "情节严重" and amendment["data"]["forms"] == ["suspension"]
    assert amendment["at"].startswith(str(date.today().year))
    assert entries[0]["action"] == "user_add" and entries[0]["target"] == "user:coal"
    assert entries[0]["prev"] == audit.GENESIS
    assert all(b["prev"] == a["hash"] for a, b in zip(entries, entries[1:], strict=False))
    assert audit.verify(store) is None
    with store.connect() as connection:
        assert connection.execute(select(AuditHead.__table__.c.count)).scalar_one() == 14


def test_an_altered_entry_is_named(logged) -> None:
    store, _ = logged
    with store.begin() as connection:
        connection.execute(update(ENTRY).where(ENTRY.c.seq == 11).values(reason="情节较轻"))
    bad = audit.verify(store)
    assert bad is not None and bad.seq == 11 and "altered" in str(bad)


def test_an_altered_entry_with_its_hash_recomputed_breaks_the_next_link(logged) -> None:
    store, _ = logged
    (entry,) = [e for e in _entries(store) if e["seq"] == 12]
    forged = {**entry, "actor": "county2"}
    forged["hash"] = audit.entry_hash(forged)
    with store.begin() as connection:
        connection.execute(update(ENTRY).where(ENTRY.c.seq == 12).values(
            actor="county2", hash=forged["hash"]))
    bad = audit.verify(store)
    assert bad is not None and bad.seq == 13 and "does not follow" in bad.problem


def test_a_deleted_entry_is_named(logged) -> None:
    store, _ = logged
    with store.begin() as connection:
        connection.execute(delete(ENTRY).where(ENTRY.c.seq == 5))
    bad = audit.verify(store)
    assert bad is not None and bad.seq == 5 and "missing" in bad.problem


def test_a_cut_tail_is_found(logged) -> None:
    store, _ = logged
    with store.begin() as connection:
        connection.execute(delete(ENTRY).where(ENTRY.c.seq >= 13))
    bad = audit.verify(store)
    assert bad is not None and bad.seq == 13 and "cut after entry 12" in bad.problem


def test_the_log_exports_as_json_lines_that_verify_outside(logged) -> None:
    store, _ = logged
    out = io.StringIO()
    assert audit.export(store, out) == 14
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [entry["seq"] for entry in lines] == list(range(1, 15))
    prev = audit.GENESIS
    for entry in lines:  # an outside archive can check the chain with the entries alone
        assert entry["prev"] == prev and audit.entry_hash(entry) == entry["hash"]
        prev = entry["hash"]


def test_appends_from_two_connections_stay_one_chain(store) -> None:
    """The head is taken first: two writers never give the same number or previous hash."""
    import threading

    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with store.begin() as connection:
                    audit.append(connection, f"w{n}", "test", f"t:{i}", None, {"i": i})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [e["seq"] for e in _entries(store)] == list(range(1, 21))
    assert audit.verify(store) is None


def test_the_head_row_exists_from_the_start(store) -> None:
    with store.connect() as connection:
        assert connection.execute(text("SELECT count, last_hash FROM audit_head")).one() == (
            0, audit.GENESIS)
    assert audit.verify(store) is None
