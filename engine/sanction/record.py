"""A person's own record before the conduct: what shows that he, not only his unit, failed.

A recommendation states the conduct of the people he was responsible for and then his own
failure: his tasks in the responsibility list and the facts about him in the period before
the conduct that the rule file names (``duties.record``) — failed ledger checks of those
tasks, reminders to him, inspections that named him. Read from the store once per person
and run; never a condition of a finding.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from facts.store import stream
from facts.tables import InspectionRow, LedgerRow, ReminderRow

FactKey = tuple[str, str]
_CHUNK = 500  # persons per IN (...) list


class Records:
    """The facts about each person, known on the evaluation date, read when first asked for."""

    def __init__(self, engine: Engine, as_of: date):
        self._engine, self._as_of = engine, as_of
        self._named: dict[str, list[tuple[str, dict[str, Any]]]] | None = None
        self._ledgers: dict[str, list[dict[str, Any]]] = {}

    def _by_person(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """Reminders to a person and inspections that name one (small kinds: read whole)."""
        if self._named is None:
            self._named = defaultdict(list)
            for kind, row in (("reminder", ReminderRow), ("inspection", InspectionRow)):
                table = row.__table__
                query = select(table).where(table.c.person.is_not(None), table.c.date <= self._as_of)
                for fact in stream(self._engine, query):
                    self._named[fact.person].append((kind, dict(fact._mapping)))
        return self._named

    def prefetch(self, persons: set[str]) -> None:
        """Read the failed ledger checks of these persons in a few queries, not one each."""
        wanted = sorted(persons - self._ledgers.keys())
        table = LedgerRow.__table__
        for person in wanted:
            self._ledgers[person] = []
        for i in range(0, len(wanted), _CHUNK):
            query = select(table).where(table.c.person.in_(wanted[i:i + _CHUNK]),
                                        table.c.verdict == "fail", table.c.date <= self._as_of)
            for row in stream(self._engine, query):
                self._ledgers[row.person].append(dict(row._mapping))

    def _failed_ledgers(self, person: str) -> list[dict[str, Any]]:
        if person not in self._ledgers:
            self.prefetch({person})
        return self._ledgers[person]

    def of(self, person: str, tasks: set[str], start: date, end: date,
           skip: set[FactKey]) -> list[tuple[str, dict[str, Any]]]:
        """(kind, fact) about ``person`` dated ``start``..``end``: failed checks of ``tasks``,
        reminders to him, inspections naming him; by date, kind and id, without ``skip``."""
        found = [("ledger", f) for f in self._failed_ledgers(person) if f["task"] in tasks]
        found += self._by_person().get(person, [])
        return sorted(((k, f) for k, f in found
                       if start <= f["date"] <= end and (k, f["id"]) not in skip),
                      key=lambda item: (item[1]["date"], item[0], item[1]["id"]))
