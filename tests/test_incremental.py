"""An incremental run commits exactly what a full run commits.

Two copies of one evaluated demo county get the same day of changes — new facts, facts
corrected with ``--replace``, backdated facts, the evaluation date moved on, reviewers'
decisions — then one is evaluated incrementally and the other with ``full=True``; their
recommendations (every column, withdrawals included) and the runs' set-aside findings must
be identical. An incremental run explains again only the persons whose inputs changed: the
cases below that it could get wrong by taking a person over (a name corrected that another
person's explanation states, an explanation that states the evaluation date) are tested
on a small county of their own.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from engine.rulebook import Rulebook, load_rulebook
from engine.run.evaluate import evaluate
from engine.run.read import list_runs
from facts.contract import DATE_FIELD
from facts.demo import write_exports
from facts.ingest import ingest
from facts.recommendation_tables import RecommendationRow
from facts.store import open_store
from review.decide import reject, return_for_evidence
from review.users import add_user
from tests.conftest import copy_county, load, pg_database, write_jsonl
from tests.engine_support import person, post, unit

AS_OF = date(2026, 11, 25)
KINDS = ("reminder", "rectification", "inspection", "violation", "ledger", "disunity",
         "proposal", "accountability")
# dated fields moved along with a fact's own date when it is cloned to another day
SHIFTED = {"reminder": ("due",), "violation": ("case_closed",)}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county") / "exports"
    write_exports(folder, seed=11, scale=0.05, formats=("jsonl",))
    return folder


@pytest.fixture(scope="module")
def facts_by_kind(exports: Path) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        path = exports / f"{kind}.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        found[kind] = sorted(rows, key=lambda f: f["id"])
    return found


@pytest.fixture(scope="module")
def base_sqlite(exports: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county ingested and evaluated once, as a SQLite file to copy."""
    path = tmp_path_factory.mktemp("base") / "base.db"
    store = open_store(f"sqlite:///{path}")
    assert not ingest(store, sorted(exports.glob("*.jsonl"))).errors
    evaluate(store, AS_OF)
    with store.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    return path


def _sqlite_pair(base: Path, folder: Path) -> tuple[Engine, Engine]:
    pair = []
    for name in ("incremental", "full"):
        shutil.copy(base, folder / f"{name}.db")
        pair.append(open_store(f"sqlite:///{folder}/{name}.db"))
    return pair[0], pair[1]


@pytest.fixture
def pg_pair(exports: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two PostgreSQL databases holding the evaluated demo county (the second a copy)."""
    with pg_database() as first:
        assert not ingest(first, sorted(exports.glob("*.jsonl"))).errors
        evaluate(first, AS_OF)
        first.dispose()  # a template database must have no connection
        with pg_database(first.url.render_as_string(hide_password=False)) as second:
            yield first, second


def _shifted(fact: dict[str, Any], kind: str, day: date) -> dict[str, Any]:
    """The fact with its date set to ``day``, its other dates moved by as much."""
    field = DATE_FIELD[kind]
    assert field is not None
    delta = day - date.fromisoformat(fact[field])
    moved = {**fact, field: day.isoformat()}
    for name in SHIFTED.get(kind, ()):
        if fact.get(name):
            moved[name] = (date.fromisoformat(fact[name]) + delta).isoformat()
    if kind == "ledger":
        moved["period"] = day.strftime("%Y-%m")
    return moved


def _corrected(fact: dict[str, Any], kind: str, others: list[dict[str, Any]]) -> dict[str, Any]:
    """The fact as a later export corrects it: the field a rule reads, changed."""
    cycle = {"minor": "serious", "serious": "grave", "grave": "minor"}
    fixed = dict(fact)
    if kind == "ledger":
        fixed["verdict"] = "pass" if fact["verdict"] == "fail" else "fail"
    elif kind == "rectification":
        fixed["effective"] = not fact["effective"]
    elif kind in ("inspection", "violation"):
        fixed["severity"] = cycle[fact["severity"]]
        fixed["unit"] = others[len(fact["id"]) % len(others)]["unit"]  # another unit's problem
    elif kind == "reminder":
        fixed["due"] = (date.fromisoformat(fact["date"]) + timedelta(days=3)).isoformat()
    elif kind == "disunity":
        fixed["affects_work"] = not fact["affects_work"]
    else:  # proposal, accountability: a date typed wrongly
        fixed["date"] = (date.fromisoformat(fact["date"]) - timedelta(days=40)).isoformat()
    return fixed


def day_of_changes(facts: dict[str, list[dict[str, Any]]], changes: list[tuple[str, str, int, int]],
                   today: date, tag: str = "X") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(new facts, corrected facts) for changes of (what, kind, which fact, days back)."""
    new: list[dict[str, Any]] = []
    corrected: dict[tuple[str, str], dict[str, Any]] = {}
    for n, (what, kind, which, back) in enumerate(changes):
        pool = facts[kind]
        fact = pool[which % len(pool)]
        if what == "corrected":
            corrected[(kind, fact["id"])] = {"kind": kind, **_corrected(fact, kind, pool)}
            continue
        day = today if what == "new" else date.fromisoformat(fact[DATE_FIELD[kind]]) - \
            timedelta(days=back)
        new.append({"kind": kind, **_shifted(fact, kind, day), "id": f"{fact['id']}-{tag}{n}"})
    return new, list(corrected.values())


def apply(store: Engine, folder: Path, new: list[dict[str, Any]],
          corrected: list[dict[str, Any]]) -> None:
    for name, facts, replace in (("new.jsonl", new, False), ("fixed.jsonl", corrected, True)):
        if facts:
            report = ingest(store, [write_jsonl(folder / name, facts)], replace=replace)
            assert not report.errors, [str(e) for e in report.errors]


def recommendations(store: Engine) -> list[dict[str, Any]]:
    table = RecommendationRow.__table__
    with store.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.id)).mappings()
        return [{k: v for k, v in row.items() if k != "created"} for row in rows]


def assert_same_as_full(incremental: Engine, full: Engine, as_of: date,
                        rulebook: Rulebook | None = None) -> dict[str, Any]:
    """Evaluate both; the incremental run must commit what the full one commits. The
    incremental run's state, with how many persons it explained and took over."""
    one = evaluate(incremental, as_of, rulebook)
    other = evaluate(full, as_of, rulebook, full=True)
    assert recommendations(incremental) == recommendations(full)
    assert one.set_aside == other.set_aside
    same = ("recommendations", "new", "changed", "unchanged", "reinstated", "withdrawn",
            "facts_changed", "set_aside", "findings", "by_circumstance")
    assert {k: one.counts.get(k) for k in same} == {k: other.counts.get(k) for k in same}
    assert one.counts.get("persons_carried", 0) + one.counts.get("persons_explained", 0) == \
        other.counts.get("persons_explained", 0)  # every person held, one way or the other
    return {**list_runs(incremental, 1)[0]["state"],
            "carried": one.counts.get("persons_carried", 0),
            "explained": one.counts.get("persons_explained", 0)}


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
    incremental, full = _sqlite_pair(base_sqlite, tmp_path)
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
    incremental, full = _sqlite_pair(base_sqlite, tmp_path)
    state = assert_same_as_full(incremental, full, AS_OF + timedelta(days=400))
    assert state["full"] is None and state["partitions"] > 0


def test_full_when_the_rulebook_changed_or_asked(base_sqlite: Path, tmp_path: Path) -> None:
    incremental, _ = _sqlite_pair(base_sqlite, tmp_path)
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

    incremental, _ = _sqlite_pair(base_sqlite, tmp_path)
    monkeypatch.setattr(module, "code_hash", lambda: "another version")
    evaluate(incremental, AS_OF)
    assert list_runs(incremental, 1)[0]["state"]["full"] == "the engine's code changed"


def test_decisions_between_runs(base_sqlite: Path, facts_by_kind: dict, tmp_path: Path) -> None:
    """Reviewers reject one recommendation and return another for evidence, then a day of
    changes comes in: the run that takes most persons over commits what a full run does."""
    incremental, full = _sqlite_pair(base_sqlite, tmp_path)
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
    incremental, full = _sqlite_pair(base_sqlite, tmp_path)
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
    incremental, full = _sqlite_pair(base_sqlite, tmp_path)
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


# A county leader (L1) proposes accountability for P1, who was admonished 23 months before
# the proposal: within the 24-month look-back of sanctions.yaml, so a prior counts.
SMALL = [unit("U1", "县教育局"),
         person("P1", "彭局长", "U1", category="organ_secretary"),
         person("L1", "向副书记", "U1", category="county_deputy_secretary"),
         post("P1", "U1", "secretary"),
         {"kind": "accountability", "id": "A1", "person": "P1", "date": "2024-07-01",
          "form": "admonition"},
         {"kind": "proposal", "id": "PR1", "person": "P1", "proposer": "L1",
          "date": "2026-06-01", "reason": "党建工作纪实评价连续两年排名末位"}]


def _small_pair(tmp_path: Path, rulebook: Rulebook) -> tuple[Engine, Engine]:
    """The small county evaluated once on AS_OF, and a copy."""
    first = open_store(f"sqlite:///{tmp_path}/first.db")
    load(first, SMALL, tmp_path)
    evaluate(first, AS_OF, rulebook)
    with first.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    first.dispose()
    return _sqlite_pair(tmp_path / "first.db", tmp_path)


def test_a_corrected_name_reaches_the_explanations_that_name_him(tmp_path: Path) -> None:
    """L1's name is corrected: P1's recommendation names him as its proposer, so P1 is
    explained again though nothing about P1 changed."""
    incremental, full = _small_pair(tmp_path, load_rulebook())
    (before,) = recommendations(full)
    assert "向副书记" in before["explanation"]["proposer_label"]
    fixed = [{**SMALL[2], "name": "向明德"}]
    for store in (incremental, full):
        report = ingest(store, [write_jsonl(tmp_path / "fixed.jsonl", fixed)], replace=True)
        assert not report.errors
    state = assert_same_as_full(incremental, full, AS_OF)
    assert state["everyone_explained"] == "person facts changed"
    (after,) = recommendations(incremental)
    assert "向明德" in after["explanation"]["proposer_label"]


def test_an_explanation_stating_both_sanction_values_is_restated_each_day(tmp_path: Path) -> None:
    """The look-back was shortened to 12 months after the conduct: P1's explanation states the
    values of both times as of the evaluation date, so the next day's run restates it (and
    finds the prior outside the new look-back, the lighter outcome, again)."""
    folder = copy_county(tmp_path / "rules")
    path = folder / "sanctions.yaml"
    text = path.read_text(encoding="utf-8")
    assert "lookback: 24m\n" in text
    path.write_text(text.replace("lookback: 24m\n", (
        "lookback:\n"
        "  - effective: {from: 2016-03-01, to: 2026-06-30}\n    value: 24m\n"
        "  - effective: {from: 2026-07-01}\n    value: 12m\n")), encoding="utf-8")
    rulebook = load_rulebook(folder)
    incremental, full = _small_pair(tmp_path, rulebook)
    (before,) = recommendations(full)
    assert before["explanation"]["sanctions"]["as_of"] == AS_OF.isoformat()
    today = AS_OF + timedelta(days=1)
    state = assert_same_as_full(incremental, full, today, rulebook)
    assert state["full"] is None and state["explained"] == 1
    (after,) = recommendations(incremental)
    assert after["explanation"]["sanctions"]["as_of"] == today.isoformat()


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
    incremental, full = _sqlite_pair(base_sqlite, folder)
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
