"""How SQLite reads a person's failed checks: through the person's index, never through the
verdict's. Without statistics SQLite took ``verdict = 'fail'`` as the way in and read every
failed check of the store for each 500 persons — a province's millions each time — so the
evidence lookup and a person's record ask for the verdict in a form no index serves."""

from __future__ import annotations

import sqlite3
from datetime import date

from sqlalchemy import event

from engine.run.evaluate import evaluate
from facts.store import open_store


def test_failed_checks_are_read_through_the_persons_index(demo_store, tmp_path) -> None:
    with sqlite3.connect(demo_store.url.database) as source, \
            sqlite3.connect(tmp_path / "copy.db") as copy:
        source.backup(copy)
    store = open_store(f"sqlite:///{tmp_path}/copy.db")
    asked: list[tuple[str, tuple]] = []

    @event.listens_for(store, "before_cursor_execute")
    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and "FROM ledger" in statement:
            asked.append((statement, parameters))

    evaluate(store, date(2026, 11, 25), full=True)
    store.dispose()
    by_verdict = [(s, p) for s, p in asked if "verdict" in s.split("WHERE", 1)[-1]]
    assert by_verdict, "the run asks for failed checks (a person's record, evidence)"
    with sqlite3.connect(tmp_path / "copy.db") as raw:
        for statement, parameters in by_verdict:
            plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
            ledger = [step for step in plan if " ledger " in f" {step} "]
            assert ledger and all("USING INDEX ix_ledger_person_period (person=?)" in step
                                  for step in ledger), (statement, plan)
