"""A rule version planned for evaluation on one date: the neutral form both evaluators read.

Each clause's terms are split into *literals* (a field against a value known before
evaluation: resolved against ``as_of`` here) and *joins* (a field against an earlier
clause's fact). How a plan is evaluated — in durable_rules or in plain Python — is not
its business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.rulebook import RuleVersion
from engine.rulebook.terms import Ref, Term, parse_ref

FactKey = tuple[str, str]  # (kind, id)
Facts = dict[FactKey, dict[str, Any]]
Match = dict[str, FactKey]  # clause alias -> the fact it matched


def field_value(fact: dict[str, Any], name: str) -> Any:
    """A field of a fact, ``attrs.key`` reading the attrs map."""
    if name.startswith("attrs."):
        return (fact.get("attrs") or {}).get(name.removeprefix("attrs."))
    return fact.get(name)


@dataclass(frozen=True)
class ClausePlan:
    alias: str
    kinds: tuple[str, ...]  # a fact of any of these kinds may match (usually one)
    literals: tuple[Term, ...]
    joins: tuple[Term, ...]
    partition_field: str
    negated: bool
    named_by: Ref | None = None  # evidence only: a matched fact's list of "kind:id" references


@dataclass(frozen=True)
class RulePlan:
    version: RuleVersion
    name: str  # ASCII, unique per rule version: r_<rule>_v<version>
    clauses: tuple[ClausePlan, ...]  # positive clauses, then the absent one if any
    # looked up after matching (``engine.match.evidence``); no evaluator ever sees them
    evidence: tuple[ClausePlan, ...] = ()

    @property
    def positive(self) -> tuple[ClausePlan, ...]:
        return tuple(c for c in self.clauses if not c.negated)

    @property
    def absent(self) -> ClausePlan | None:
        return next((c for c in self.clauses if c.negated), None)


def plan_name(version: RuleVersion) -> str:
    """ASCII, unique per rule version: r_<rule>_v<version>."""
    return "r_" + re.sub(r"[^a-z0-9]", "_", version.rule_id) + f"_v{version.version}"


def plan_rule(version: RuleVersion, as_of: date) -> RulePlan:
    sources = [(c, t, False) for c, t in version.clauses]
    if version.absent is not None:
        sources.append((version.absent[0], version.absent[1], True))
    clauses = tuple(
        ClausePlan(
            alias=clause.alias,
            kinds=clause.kinds,
            literals=tuple(t.resolved(as_of) for t in terms if not t.is_join),
            joins=tuple(t for t in terms if t.is_join),
            partition_field=version.partitions[clause.alias],
            negated=negated,
        )
        for clause, terms, negated in sources
    )
    evidence = tuple(
        ClausePlan(alias=clause.alias, kinds=clause.kinds,
                   literals=tuple(t.resolved(as_of) for t in terms if not t.is_join),
                   joins=tuple(t for t in terms if t.is_join), partition_field="", negated=False,
                   named_by=parse_ref(clause.named_by) if clause.named_by else None)
        for clause, terms in version.evidence
    )
    return RulePlan(version=version, name=plan_name(version), clauses=clauses, evidence=evidence)
