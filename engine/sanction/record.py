"""A person's own record before the conduct: what shows that he, not only his unit, failed.

A recommendation states the conduct of the people he was responsible for and then his own
failure: his tasks in the responsibility list and the facts about him in the period before
the conduct that the rule file names (``duties.record``) — failed ledger checks of those
tasks, reminders to him, inspections that named him. Read from the store once per person
and run; never a condition of a finding.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from facts.store import as_dicts, stream_among, unindexed
from facts.tables import InspectionRow, LedgerRow, ReminderRow

FactKey = tuple[str, str]


class Records:
    """The facts about each person, known on the evaluation date, read a few hundred persons
    at a time (``prefetch``) and dropped when done with (``forget``)."""

    def __init__(self, engine: Engine, as_of: date):
        self._engine, self._as_of = engine, as_of
        self._facts: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def prefetch(self, persons: set[str], since: date | None = None) -> None:
        """Read these persons' failed ledger checks, reminders to them and inspections naming
        them in a few queries, not one each; with ``since``, only those dated from it on (no
        record asked of these persons starts earlier)."""
        wanted = sorted(persons - self._facts.keys())
        for person in wanted:
            self._facts[person] = []
        for kind, row in (("ledger", LedgerRow), ("reminder", ReminderRow),
                          ("inspection", InspectionRow)):
            table = row.__table__
            query = select(table).where(table.c.date <= self._as_of)
            if since is not None:
                query = query.where(unindexed(table.c.date) >= since)
            if kind == "ledger":  # failed checks only, read through the person's index
                query = query.where(unindexed(table.c.verdict) == "fail")
            for fact in as_dicts(stream_among(self._engine, query, table.c.person, wanted)):
                self._facts[fact["person"]].append((kind, fact))

    def forget(self, persons: list[str]) -> None:
        for person in persons:
            self._facts.pop(person, None)

    def of(self, person: str, tasks: set[str], start: date, end: date,
           skip: set[FactKey]) -> list[tuple[str, dict[str, Any]]]:
        """(kind, fact) about ``person`` dated ``start``..``end``: failed checks of ``tasks``,
        reminders to him, inspections naming him; by date, kind and id, without ``skip``."""
        if person not in self._facts:
            self.prefetch({person})
        return sorted(((k, f) for k, f in self._facts[person]
                       if start <= f["date"] <= end and (k, f["id"]) not in skip
                       and (k != "ledger" or f["task"] in tasks)),
                      key=lambda item: (item[1]["date"], item[0], item[1]["id"]))
