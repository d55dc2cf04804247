"""An incremental run commits exactly what a full run commits, on the demo county.

Two copies of one evaluated demo county get the same day of changes — new facts, facts
corrected with ``--replace``, backdated facts, the evaluation date moved on, reviewers'
decisions, a late record, a case filed elsewhere — then one is evaluated incrementally and
the other with ``full=True``; their recommendations (every column, withdrawals included),
the runs' set-aside findings and counts must be identical (``tests.incremental_support``).
The cases an incremental run could get wrong by taking a person over are in
``test_incremental_persons.py``.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from engine.run.read import list_runs
from review.decide import reject, return_for_evidence
from review.users import add_user
from tests.conftest import copy_county
from tests.incremental_support import (
    AS_OF,
    KINDS,
    apply,
    assert_same_as_full,
    day_of_changes,
    recommendations,
    sqlite_pair,
)


def _late_rectification(store: Engine, facts: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A rectification, reported late, that was effective within a pending recommendation's
    reminder's period: the recommendation is no longer found and must be withdrawn."""
    reminders = {f["id"]: f for f in facts["reminder"]}
    rec = next(r for r in recommendations(store) if r["status"] == "pending"
               and r["rule"] == "c2-reminder-ineffective")
    reminder = reminders[next(e.split(":", 1)[1] for e in rec["evidence"]
                              if e.startswith("reminder:"))]
    return {"kind": "rectification", "id": "RC-LATE-1", "reminder": reminder["id"],
            "person": reminder["person"], "date": reminder["due"], "effective": True}


def _a_day(facts: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, int, int]]:
    return [("new", "reminder", 3, 0), ("new", "inspection", 5, 0), ("new", "violation", 1, 0),
            ("new", "ledger", 40, 0), ("backdated", "violation", 2, 200),
            ("backdated", "inspection", 7, 300), ("backdated", "rectification", 4, 1),
            ("corrected", "rectification", 10, 0), ("corrected", "inspection", 12, 0),
            ("corrected", "reminder", 20, 0), ("corrected", "violation", 0, 0),
            ("corrected", "ledger", 1, 0)]


def test_a_day_of_changes_on_sqlite(base_sqlite: Path, facts_by_kind: dict, tmp_path: Path) -> None:
    incremental, full = sqlite_pair(base_sqlite, tmp_path)
    today = AS_OF + timedelta(days=1)
    new, corrected = day_of_changes(facts_by_kind, _a_day(facts_by_kind), today)
    new.append(_late_rectification(full, facts_by_kind))
    before = {r["id"]: r["status"] for r in recommendations(full)}
    for store in (incremental, full):
        apply(store, tmp_path, new, corrected)
    state = assert_same_as_full(incremental, full, today)
    assert state["full"] is None and state["partitions"] > 0  # it was incremental
    assert state["carried"] > state["explained"] > 0  # most persons' inputs did not change
    after = {r["id"]: r["status"] for r in recommendations(full)}
    assert any(status == "withdrawn" and before.get(rec) == "pending"
               for rec, status in after.items()), "the day withdraws a recommendation"
    assert set(after) - set(before), "the day adds a recommendation"
    # nothing changed since: the next run re-matches nothing and changes nothing
    again = evaluate(incremental, today)
    assert list_runs(incremental, 1)[0]["state"]["partitions"] == 0
    assert again.counts["unchanged"] == again.counts["recommendations"]
    assert "persons_explained" not in again.counts  # every person taken over


@pytest.mark.postgres
def test_a_day_of_changes_on_postgresql(pg_pair: tuple[Engine, Engine], facts_by_kind: dict,
                                        tmp_path: Path) -> None:
    incremental, full = pg_pair
    today = AS_OF + timedelta(days=1)
    new, corrected = day_of_changes(facts_by_kind, _a_day(facts_by_kind), today)
    for store in pg_pair:
        apply(store, tmp_path, new, corrected)
    state = assert_same_as_full(incremental, full, today)
    assert state["full"] is None


def test_a_year_later_windows_move(base_sqlite: Path, tmp_path: Path) -> None:
    """No new fact, but a year on: windows (``due before as_of``, ``since: as_of - 2y``) move."""
    incremental, full = sqlite_pair(base_sqlite, tmp_path)
    state = assert_same_as_full(incremental, full, AS_OF + timedelta(days=400))
    assert state["full"] is None and state["partitions"] > 0


def test_full_when_the_rulebook_changed_or_asked(base_sqlite: Path, tmp_path: Path) -> None:
    incremental, _ = sqlite_pair(base_sqlite, tmp_path)
    evaluate(incremental, AS_OF, full=True)
    assert list_runs(incremental, 1)[0]["state"]["full"] == "asked for a full run"
    folder = copy_county(tmp_path / "county")
    rule = folder / "circumstances" / "c2_reminder_ineffective.yaml"
    rule.write_text(rule.read_text(encoding="utf-8") + "# 复核\n", encoding="utf-8")
    evaluate(incremental, AS_OF, load_rulebook(folder))
    assert list_runs(incremental, 1)[0]["state"]["full"] == "the rulebook changed"


def test_full_when_the_engine_changed(base_sqlite: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Matches and outcomes stored by other code are not taken over (an upgraded wenze)."""
    from engine.run import incremental as module

    incremental, _ = sqlite_pair(base_sqlite, tmp_path)
    monkeypatch.setattr(module, "code_hash", lambda: "another version")
    evaluate(incremental, AS_OF)
    assert list_runs(incremental, 1)[0]["state"]["full"] == "the engine's code changed"


def test_decisions_between_runs(base_sqlite: Path, facts_by_kind: dict, tmp_path: Path) -> None:
    """Reviewers reject one recommendation and return another for evidence, then a day of
    changes comes in: the run that takes most persons over commits what a full run does."""
    incremental, full = sqlite_pair(base_sqlite, tmp_path)
    pending = [r for r in recommendations(full) if r["status"] == "pending"]
    for store in (incremental, full):
        user = add_user(store, "approver", "approver", sorted({r["unit"] for r in pending}),
                        "correct horse battery")
        reject(store, user, pending[0]["id"], "证据不足以认定", day=AS_OF)
        return_for_evidence(store, user, pending[1]["id"], "补充谈话记录", day=AS_OF)
    today = AS_OF + timedelta(days=1)
    new, corrected = day_of_changes(facts_by_kind, _a_day(facts_by_kind), today, "R")
    for store in (incremental, full):
        apply(store, tmp_path, new, corrected)
    state = assert_same_as_full(incremental, full, today)
    assert state["full"] is None and state["carried"] > 0


def test_a_late_record_reaches_his_explanation(base_sqlite: Path, tmp_path: Path) -> None:
    """A failed ledger check of his, filed late and dated a day before one his recommendation
    states as his record: the same findings, but his record grew, so he is explained again."""
    incremental, full = sqlite_pair(base_sqlite, tmp_path)
    rec = next(r for r in recommendations(full) if r["status"] == "pending"
               and any(x["kind"] == "ledger" for x in r["explanation"]["record"]))
    stated = next(x for x in rec["explanation"]["record"] if x["kind"] == "ledger")
    day = date.fromisoformat(stated["date"]) - timedelta(days=1)
    late = {**{k: v for k, v in stated["fields"].items() if k != "attrs"}, "kind": "ledger",
            "id": f"{stated['id']}-LATE", "date": day.isoformat()}
    for store in (incremental, full):
        apply(store, tmp_path, [late], [])
    state = assert_same_as_full(incremental, full, AS_OF)
    assert state["full"] is None and state["carried"] > 0
    after = next(r for r in recommendations(incremental) if r["id"] == rec["id"])
    assert late["id"] in [x["id"] for x in after["explanation"]["record"]]


def test_a_case_filed_against_him_elsewhere_routes_his_recommendation(
        base_sqlite: Path, facts_by_kind: dict, tmp_path: Path) -> None:
    """A case is filed against him for misconduct in another unit (a violation naming him,
    filed late): his own findings did not change, but while the case is open his
    recommendation goes to discipline handling, so he is explained again."""
    incremental, full = sqlite_pair(base_sqlite, tmp_path)
    rec = next(r for r in recommendations(full) if r["status"] == "pending"
               and r["explanation"]["route"] == "accountability")
    elsewhere = next(v["unit"] for v in facts_by_kind["violation"] if v["unit"] != rec["unit"])
    case = {"kind": "violation", "id": "V-CASE-LATE", "unit": elsewhere, "actors": [rec["person"]],
            "date": (AS_OF - timedelta(days=30)).isoformat(), "category": "work_discipline",
            "severity": "minor", "case_filed": True, "description": "违规收受礼品",
            "verified": True}
    for store in (incremental, full):
        apply(store, tmp_path, [case], [])
    state = assert_same_as_full(incremental, full, AS_OF)
    assert state["full"] is None and state["carried"] > 0
    after = next(r for r in recommendations(incremental) if r["id"] == rec["id"])
    assert after["explanation"]["route"] == "discipline_handling"


def _reminded(store: Engine, facts: dict[str, list[dict[str, Any]]]
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A pending recommendation that a reminder was ineffective, and its reminder."""
    reminders = {f["id"]: f for f in facts["reminder"]}
    rec = next(r for r in recommendations(store) if r["status"] == "pending"
               and r["rule"] == "c2-reminder-ineffective")
    return rec, reminders[next(e.split(":", 1)[1] for e in rec["evidence"]
                               if e.startswith("reminder:"))]


def _failed_check(facts: dict[str, list[dict[str, Any]]], person: str, day: date,
                  fact_id: str) -> dict[str, Any]:
    """A failed ledger check of ``person``, dated ``day`` (a filing of the demo's tasks)."""
    task = facts["ledger"][0]["task"]
    return {"kind": "ledger", "id": fact_id, "person": person, "period": day.strftime("%Y-%m"),
            "task": task, "status": "missing", "verdict": "fail", "date": day.isoformat()}


@pytest.mark.parametrize(("days_before", "is_evidence"), [(10, True), (60, True), (61, False)])
def test_a_late_failed_check_before_a_reminder(base_sqlite: Path, facts_by_kind: dict,
                                               tmp_path: Path, days_before: int,
                                               is_evidence: bool) -> None:
    """The rule lists as evidence of an ineffective reminder the reminded person's failed
    checks in the 60 days before it (its last day included). A check filed late within them
    joins the recommendation's evidence, one a day earlier does not; every other reminder's
    evidence is taken over from the last run instead of looked up again."""
    incremental, full = sqlite_pair(base_sqlite, tmp_path)
    rec, reminder = _reminded(full, facts_by_kind)
    day = date.fromisoformat(reminder["date"]) - timedelta(days=days_before)
    late = _failed_check(facts_by_kind, reminder["person"], day, "L-LATE-SHORTFALL")
    for store in (incremental, full):
        apply(store, tmp_path, [late], [])
    assert_same_as_full(incremental, full, AS_OF)
    after = next(r for r in recommendations(incremental) if r["id"] == rec["id"])
    assert ("ledger:L-LATE-SHORTFALL" in after["evidence"]) is is_evidence
    assert list_runs(incremental, 1)[0]["counts"]["evidence_kept"] > 0


def test_a_reminder_corrected_to_an_earlier_date_reaches_an_older_shortfall(
        base_sqlite: Path, facts_by_kind: dict, tmp_path: Path) -> None:
    """A failed check 70 days before the reminder is outside the 60 days the rule looks back;
    when a later export corrects the reminder's date to 20 days earlier, the check is inside
    them and becomes evidence (the same finding, the same matches, another window)."""
    incremental, full = sqlite_pair(base_sqlite, tmp_path)
    rec, reminder = _reminded(full, facts_by_kind)
    issued = date.fromisoformat(reminder["date"])
    old = _failed_check(facts_by_kind, reminder["person"], issued - timedelta(days=70),
                        "L-OLD-SHORTFALL")
    for store in (incremental, full):
        apply(store, tmp_path, [old], [])
    assert_same_as_full(incremental, full, AS_OF)
    assert "ledger:L-OLD-SHORTFALL" not in next(
        r for r in recommendations(incremental) if r["id"] == rec["id"])["evidence"]
    earlier = {"kind": "reminder", **reminder,
               "date": (issued - timedelta(days=20)).isoformat()}
    for store in (incremental, full):
        apply(store, tmp_path, [], [earlier])
    assert_same_as_full(incremental, full, AS_OF)
    assert "ledger:L-OLD-SHORTFALL" in next(
        r for r in recommendations(incremental) if r["id"] == rec["id"])["evidence"]


def test_a_shortfall_corrected_to_a_pass_leaves_the_evidence(base_sqlite: Path,
                                                             facts_by_kind: dict,
                                                             tmp_path: Path) -> None:
    """A failed check that is evidence of an ineffective reminder, corrected by a later export
    to a pass, is no shortfall: the recommendation no longer cites it."""
    incremental, full = sqlite_pair(base_sqlite, tmp_path)
    ledgers = {f["id"]: f for f in facts_by_kind["ledger"]}
    rec = next(r for r in recommendations(full) if r["status"] == "pending"
               and r["rule"] == "c2-reminder-ineffective"
               and any(e.startswith("ledger:") for e in r["evidence"]))
    shortfall = ledgers[next(e.split(":", 1)[1] for e in rec["evidence"] if e.startswith("ledger:"))]
    for store in (incremental, full):
        apply(store, tmp_path, [], [{"kind": "ledger", **shortfall, "verdict": "pass"}])
    assert_same_as_full(incremental, full, AS_OF)
    after = next(r for r in recommendations(incremental) if r["id"] == rec["id"])
    assert f"ledger:{shortfall['id']}" not in after["evidence"]


def test_a_late_ineffective_recheck_joins_the_evidence(base_sqlite: Path, facts_by_kind: dict,
                                                       tmp_path: Path) -> None:
    """A re-check on the deadline that found the rectification ineffective, reported late, is
    evidence of the ineffective reminder (the rule lists such re-checks on or after the
    deadline)."""
    incremental, full = sqlite_pair(base_sqlite, tmp_path)
    rec, reminder = _reminded(full, facts_by_kind)
    recheck = {"kind": "rectification", "id": "RC-LATE-INEFFECTIVE", "reminder": reminder["id"],
               "person": reminder["person"], "date": reminder["due"], "effective": False}
    for store in (incremental, full):
        apply(store, tmp_path, [recheck], [])
    assert_same_as_full(incremental, full, AS_OF)
    after = next(r for r in recommendations(incremental) if r["id"] == rec["id"])
    assert "rectification:RC-LATE-INEFFECTIVE" in after["evidence"]


CHANGE = st.tuples(st.sampled_from(["new", "backdated", "corrected"]), st.sampled_from(KINDS),
                   st.integers(0, 10_000), st.integers(1, 500))


@settings(max_examples=6, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(days=st.lists(st.tuples(st.lists(CHANGE, max_size=6), st.sampled_from([0, 1, 1, 7, 90])),
                     min_size=1, max_size=3))
def test_random_days_of_changes(base_sqlite: Path, facts_by_kind: dict, tmp_path: Path,
                                days: list[tuple[list[tuple[str, str, int, int]], int]]) -> None:
    folder = tmp_path / uuid.uuid4().hex[:8]
    folder.mkdir()
    incremental, full = sqlite_pair(base_sqlite, folder)
    today = AS_OF
    try:
        for n, (changes, step) in enumerate(days):
            today += timedelta(days=step)
            new, corrected = day_of_changes(facts_by_kind, changes, today, f"D{n}-")
            for store in (incremental, full):
                apply(store, folder, new, corrected)
            assert_same_as_full(incremental, full, today)
    finally:
        incremental.dispose()
        full.dispose()
