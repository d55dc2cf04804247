"""The harness of the incremental-run tests: a demo county evaluated once, copied, given
the same day of changes (new, corrected, backdated facts), then evaluated incrementally and
in full; the two must commit the same."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from engine.rulebook import Rulebook
from engine.run.evaluate import evaluate
from engine.run.read import list_runs
from facts.contract import DATE_FIELD
from facts.demo import write_exports
from facts.ingest import ingest
from facts.recommendation_tables import RecommendationRow
from facts.store import open_store
from tests.conftest import load, pg_database, write_jsonl

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


def sqlite_pair(base: Path, folder: Path) -> tuple[Engine, Engine]:
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




def pair(tmp_path: Path, facts: list[dict[str, Any]], rulebook: Rulebook | None = None,
         as_of: date = AS_OF) -> tuple[Engine, Engine]:
    """A store holding ``facts`` evaluated once (full) on ``as_of``, and a copy."""
    first = open_store(f"sqlite:///{tmp_path}/first.db")
    load(first, facts, tmp_path, "first.jsonl")
    evaluate(first, as_of, rulebook)
    with first.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    first.dispose()
    return sqlite_pair(tmp_path / "first.db", tmp_path)


def both(stores: tuple[Engine, Engine], tmp_path: Path, facts: list[dict[str, Any]],
         replace: bool = False, name: str = "more.jsonl") -> None:
    """Load the same facts into both stores."""
    for store in stores:
        report = ingest(store, [write_jsonl(tmp_path / name, facts)], replace=replace)
        assert not report.errors, [str(e) for e in report.errors]
