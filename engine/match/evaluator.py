"""What an evaluator is: something that finds every match of every rule plan in the store.

Two implement it — durable_rules (``engine.durable.DurableEvaluator``, the production path)
and plain Python (``engine.match.reference.ReferenceEvaluator``, the independent check).
They share nothing but the plans, and the tests require identical matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from sqlalchemy import Engine

from engine.match.plan import Facts, Match, RulePlan


@dataclass
class Matches:
    by_rule: dict[str, list[Match]]  # plan name -> every match of it
    facts: Facts  # at least every fact a match refers to
    stats: dict[str, int] = field(default_factory=dict)  # what the evaluator counted


class Evaluator(Protocol):
    name: str

    def match(self, engine: Engine, plans: list[RulePlan], as_of: date) -> Matches:
        """Every combination of distinct facts that satisfies each plan's clauses."""
        ...
