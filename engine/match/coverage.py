"""What a rule test exercised: each condition held and failed, each sanctions entry used.

The reference evaluator, the findings, the evidence lookup and the sanctions ladder report
here what they evaluate — the same compiled plans a run evaluates, not a copy of them — but
only inside ``recording()``; otherwise every call is a no-op. ``wenze rules test`` records
while the reference evaluator runs its cases and turns the outcomes into coverage.

Keys: a condition is ``(plan name, clause alias, part, index)`` where part is ``literal``,
``join`` (the index-th such term of the clause), ``absent`` (no such fact), ``count``,
``same_problem`` or ``since``; a sanctions entry is a string such as ``base:0:2:serious``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

Condition = tuple[str, str, str, int]


@dataclass
class Record:
    conditions: dict[Condition, set[bool]] = field(default_factory=lambda: defaultdict(set))
    sanctions: set[str] = field(default_factory=set)

    def update(self, other: Record) -> None:
        for key, outcomes in other.conditions.items():
            self.conditions[key] |= outcomes
        self.sanctions |= other.sanctions


_ACTIVE: ContextVar[Record | None] = ContextVar("coverage", default=None)


@contextmanager
def recording(record: Record) -> Iterator[Record]:
    token = _ACTIVE.set(record)
    try:
        yield record
    finally:
        _ACTIVE.reset(token)


def active() -> bool:
    return _ACTIVE.get() is not None


def condition(key: Condition, held: bool) -> None:
    record = _ACTIVE.get()
    if record is not None:
        record.conditions[key].add(held)


def sanction(key: str) -> None:
    record = _ACTIVE.get()
    if record is not None:
        record.sanctions.add(key)
