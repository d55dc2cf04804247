"""How SQLite reads the ledger, the store's largest table, when it plans without statistics.

A person's failed checks go through the person's index, never through the verdict's: taking
``verdict = 'fail'`` as the way in, SQLite read every failed check of the store for each 500
persons — a province's millions each time — so the evidence lookup and a person's record ask
for the verdict in a form no index serves. An incremental run's questions about what was
loaded since the last run go through the load's index: asked for the distinct persons of the
new filings, SQLite scanned the person index whole (a city's 2.4M filings for 240 new ones).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, event, select

from bench.generate import county_facts
from documents.quarterly import quarterly_data
from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from facts.ingest import ingest
from facts.store import open_store
from facts.tables import LedgerRow
from tests.conftest import load, write_jsonl

AS_OF = date(2026, 11, 25)


def _copy(demo_store: Engine, tmp_path: Path) -> Engine:
    with sqlite3.connect(demo_store.url.database) as source, \
            sqlite3.connect(tmp_path / "copy.db") as copy:
        source.backup(copy)
    return open_store(f"sqlite:///{tmp_path}/copy.db")


def _ledger_plans(store: Engine, run: Callable[[], object]) -> list[tuple[str, list[str]]]:
    """Each SELECT ``run()`` asks of the ledger, with SQLite's plan for its ledger steps."""
    asked: list[tuple[str, tuple]] = []

    @event.listens_for(store, "before_cursor_execute")
    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and "FROM ledger" in statement:
            asked.append((statement, parameters))

    run()
    store.dispose()
    with sqlite3.connect(store.url.database) as raw:
        return [(statement, [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement,
                                                             parameters)
                             if " ledger " in f" {row[3]} "])
                for statement, parameters in asked]


def test_failed_checks_are_read_through_the_persons_index(demo_store, tmp_path) -> None:
    store = _copy(demo_store, tmp_path)
    plans = _ledger_plans(store, lambda: evaluate(store, AS_OF, full=True))
    by_verdict = [(s, p) for s, p in plans if "verdict" in s.split("WHERE", 1)[-1]]
    assert by_verdict, "the run asks for failed checks (a person's record, evidence)"
    for statement, plan in by_verdict:
        assert plan and all("USING INDEX ix_ledger_person_period (person=?)" in step
                            for step in plan), (statement, plan)


def test_an_incremental_run_reads_what_was_loaded_through_the_loads_index(demo_store,
                                                                          tmp_path) -> None:
    store = _copy(demo_store, tmp_path)
    with store.connect() as connection:
        filings = connection.execute(select(LedgerRow.__table__).limit(20)).mappings().all()
    load(store, [{"kind": "ledger", **{k: v for k, v in f.items()
                                       if k not in ("src", "content_hash", "ingest_id")},
                  "id": f"{f['id']}-late"} for f in filings], tmp_path)
    plans = _ledger_plans(store, lambda: evaluate(store, AS_OF))
    since = [(s, p) for s, p in plans if "ingest_id >" in s.split("WHERE", 1)[-1]]
    assert since, "an incremental run asks what was loaded since the last run"
    for statement, plan in since:
        assert plan and all("INDEX ix_ledger_ingest_id (ingest_id>?)" in step
                            for step in plan), (statement, plan)


def test_a_countys_circulation_reads_its_own_persons_filings(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/two.db")
    files = [write_jsonl(tmp_path / f"county-{n}.jsonl", list(county_facts(11, n, 0.02)))
             for n in (0, 1)]
    assert not ingest(store, files).errors
    plans = _ledger_plans(store, lambda: quarterly_data(store, "2026Q3", load_rulebook(),
                                                        county="U-COUNTY-c001"))
    assert len(plans) == 3, "by unit, by person, and the year's trend by month"
    for statement, plan in plans:
        assert plan and all("USING INDEX ix_ledger_person_period (person=?" in step
                            for step in plan), (statement, plan)
