"""A second, independent evaluator of the same compiled rules, in plain Python.

It shares nothing with the durable_rules path but the compiled terms: it reads every fact
of each kind without SQL filters, checks literal terms itself, and matches clauses by
backtracking with hash indexes. Tests require both evaluators to give identical matches.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Engine

from engine.compile import CompiledClause, CompiledRule, field_value
from engine.feed import FactKey, kind_query
from engine.predicates import holds
from facts.store import stream

ReferenceMatch = dict[str, FactKey]  # alias -> (kind, id)


def _join_value(term: Any, bound: dict[str, dict[str, Any]]) -> Any:
    value = field_value(bound[term.ref.alias], term.ref.field)
    if value is not None and term.ref.offset_days:
        from datetime import timedelta

        value = value + timedelta(days=term.ref.offset_days)
    return value


def _candidates(clause: CompiledClause, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in facts if all(holds(t, f) for t in clause.literals)]


def evaluate_reference(engine: Engine, rule: CompiledRule, as_of: date,
                       cache: dict[str, list[dict[str, Any]]] | None = None) -> list[ReferenceMatch]:
    """Every combination of distinct facts that satisfies the rule's clauses."""
    cache = {} if cache is None else cache
    for clause in rule.clauses:
        if clause.kind not in cache:
            cache[clause.kind] = [dict(r._mapping) for r in stream(engine, kind_query(clause.kind, as_of))]
    candidates = {c.alias: _candidates(c, cache[c.kind]) for c in rule.clauses}
    # index each clause's candidates on the field of its first plain equality join
    indexes: dict[str, tuple[Any, dict[Any, list[dict[str, Any]]]]] = {}
    for clause in rule.clauses:
        eq = next((t for t in clause.joins if t.op == "eq" and not t.ref.offset_days), None)
        if eq is not None:
            index: dict[Any, list[dict[str, Any]]] = defaultdict(list)
            for fact in candidates[clause.alias]:
                value = field_value(fact, eq.field)
                if value is not None:
                    index[value].append(fact)
            indexes[clause.alias] = (eq, index)

    def options(clause: CompiledClause, bound: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        if clause.alias in indexes:
            eq, index = indexes[clause.alias]
            pool = index.get(_join_value(eq, bound), [])
        else:
            pool = candidates[clause.alias]
        used = {(c.kind, bound[c.alias]["id"]) for c in rule.positive if c.alias in bound}
        return [f for f in pool
                if (clause.kind, f["id"]) not in used
                and all(holds(t, f, _join_value(t, bound)) for t in clause.joins)]

    positive = rule.positive
    absent = rule.absent
    results: list[ReferenceMatch] = []

    def extend(i: int, bound: dict[str, dict[str, Any]]) -> None:
        if i == len(positive):
            if absent is not None and options(absent, bound):
                return
            results.append({c.alias: (c.kind, bound[c.alias]["id"]) for c in positive})
            return
        clause = positive[i]
        for fact in options(clause, bound):
            bound[clause.alias] = fact
            extend(i + 1, bound)
            del bound[clause.alias]

    extend(0, {})
    return results
