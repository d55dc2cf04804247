"""A rule plan as a durable_rules ruleset: only the joins, on flags and encoded fields.

Every literal term was evaluated before durable_rules sees a fact; each fact sent carries a
flag ``q_<alias>`` per clause it qualified for, and the fields that joins compare.
"""

from __future__ import annotations

from typing import Any

from engine.durable.encoding import message_field
from engine.match.plan import ClausePlan, RulePlan
from engine.rulebook.terms import Term

_DURABLE_OP = {"ne": "$neq", "gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte"}


def join_condition(term: Term) -> dict[str, Any]:
    """One join term as a durable_rules condition (offsets in days on day numbers)."""
    assert term.ref is not None
    rhs: Any = {"a_" + term.ref.alias: message_field(term.ref.field)}
    if term.ref.offset_days:
        op = "$add" if term.ref.offset_days > 0 else "$sub"
        rhs = {op: {"$l": rhs, "$r": abs(term.ref.offset_days)}}
    lhs = message_field(term.field)
    if term.op == "eq":
        return {lhs: rhs}
    return {_DURABLE_OP[term.op]: {lhs: rhs}}


def ordered_joins(clause: ClausePlan) -> list[Term]:
    """The equality joins last in ``$and``: durable_rules mis-evaluates them elsewhere."""
    return sorted(clause.joins, key=lambda t: t.op == "eq")


def _clause(clause: ClausePlan) -> dict[str, Any]:
    conditions = [{"q_" + clause.alias: 1}] + [join_condition(t) for t in ordered_joins(clause)]
    name = "a_" + clause.alias + ("$not" if clause.negated else "")
    return {name: {"$and": conditions} if len(conditions) > 1 else conditions[0]}


def ruleset(plan: RulePlan) -> dict[str, Any]:
    """The JSON ruleset, ASCII only; the absent clause (``$not``) comes last in ``all``."""
    return {plan.name: {"m": {"all": [_clause(c) for c in plan.clauses], "run": "matched"}}}


def joined_fields(plan: RulePlan, *, include_absent_refs: bool = True) -> dict[str, set[str]]:
    """Per clause, the fields its joins compare (its own, and those later clauses read from it).

    Without the absent clause's references (``include_absent_refs=False``) this is what a
    fact needs to take part in a match at all: a fact lacking such a field can be in no
    match, and durable_rules fails the whole session (error 311) when a join's other side
    lacks the property. A fact the absent clause cannot compare with is simply not blocked
    (the rulebook check keeps ordered comparisons there on fields that are always present).
    """
    needed: dict[str, set[str]] = {c.alias: set() for c in plan.clauses}
    for clause in plan.clauses:
        for term in clause.joins:
            assert term.ref is not None
            needed[clause.alias].add(term.field)
            if include_absent_refs or not clause.negated:
                needed[term.ref.alias].add(term.ref.field)
    return needed
