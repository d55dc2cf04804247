"""An incremental run commits exactly what a full run commits.

Two copies of one evaluated demo county get the same day of changes — new facts, facts
corrected with ``--replace``, backdated facts, the evaluation date moved on — then one is
evaluated incrementally and the other with ``full=True``; their recommendations (every
column, withdrawals included) and the runs' set-aside findings must be identical.
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

from engine.run.evaluate import evaluate
from engine.run.read import list_runs
from facts.contract import DATE_FIELD
from facts.demo import write_exports
from facts.ingest import ingest
from facts.recommendation_tables import RecommendationRow
from facts.store import open_store
from tests.conftest import copy_county, pg_database, write_jsonl

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


def assert_same_as_full(incremental: Engine, full: Engine, as_of: date) -> dict[str, Any]:
    """Evaluate both; the incremental run must commit what the full one commits."""
    one = evaluate(incremental, as_of)
    other = evaluate(full, as_of, full=True)
    assert recommendations(incremental) == recommendations(full)
    assert one.set_aside == other.set_aside
    same = ("recommendations", "new", "changed", "unchanged", "reinstated", "withdrawn",
            "facts_changed", "set_aside", "findings", "by_circumstance")
    assert {k: one.counts.get(k) for k in same} == {k: other.counts.get(k) for k in same}
    return list_runs(incremental, 1)[0]["state"]


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
    after = {r["id"]: r["status"] for r in recommendations(full)}
    assert any(status == "withdrawn" and before.get(rec) == "pending"
               for rec, status in after.items()), "the day withdraws a recommendation"
    assert set(after) - set(before), "the day adds a recommendation"
    # nothing changed since: the next run re-matches nothing and changes nothing
    again = evaluate(incremental, today)
    assert list_runs(incremental, 1)[0]["state"]["partitions"] == 0
    assert again.counts["unchanged"] == again.counts["recommendations"]


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
    from engine.rulebook import load_rulebook

    incremental, _ = _sqlite_pair(base_sqlite, tmp_path)
    evaluate(incremental, AS_OF, full=True)
    assert list_runs(incremental, 1)[0]["state"]["full"] == "asked for a full run"
    folder = copy_county(tmp_path / "county")
    rule = folder / "circumstances" / "c2_reminder_ineffective.yaml"
    rule.write_text(rule.read_text(encoding="utf-8") + "# 复核\n", encoding="utf-8")
    evaluate(incremental, AS_OF, load_rulebook(folder))
    assert list_runs(incremental, 1)[0]["state"]["full"] == "the rulebook changed"


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
