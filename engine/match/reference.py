"""A second, independent evaluator of the same rule plans, in plain Python.

It shares nothing with the durable_rules path but the plans: it reads every fact of each
kind without SQL filters, checks literal terms itself, and matches clauses by
backtracking with hash indexes. Tests require both evaluators to give identical matches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from engine.match import coverage
from engine.match.evaluator import Matches
from engine.match.plan import ClausePlan, Match, RulePlan, field_value
from engine.match.predicates import all_hold
from facts.store import as_dicts, known_on, stream


@dataclass
class ReferenceEvaluator:
    """Reads every fact once per kind; slower and hungrier than durable, but obviously right."""

    name: str = "reference"

    def match(self, engine: Engine, plans: list[RulePlan], as_of: date) -> Matches:
        cache: dict[str, list[dict[str, Any]]] = {}
        for plan in plans:
            for clause in plan.clauses:
                for kind in clause.kinds:
                    if kind not in cache:
                        cache[kind] = list(as_dicts(stream(engine, known_on(kind, as_of))))
        by_rule = {plan.name: match_plan(plan, cache) for plan in plans}
        facts = {(kind, f["id"]): f for kind, rows in cache.items() for f in rows}
        return Matches(by_rule, facts, {"matches": sum(len(m) for m in by_rule.values())})


def _join_value(term: Any, bound: dict[str, dict[str, Any]]) -> Any:
    value = field_value(bound[term.ref.alias], term.ref.field)
    if value is not None and term.ref.offset_days:
        value = value + timedelta(days=term.ref.offset_days)
    return value


_KIND = "\0kind"  # the kind a candidate was read as (a clause may be on several kinds)


def _candidates(rule: RulePlan, clause: ClausePlan, cache: dict[str, list[dict[str, Any]]]
                ) -> list[dict[str, Any]]:
    where = (rule.name, clause.alias, "literal")
    return [{**f, _KIND: kind} for kind in clause.kinds for f in cache[kind]
            if all_hold(where, clause.literals, f)]


def match_plan(rule: RulePlan, cache: dict[str, list[dict[str, Any]]]) -> list[Match]:
    """Every combination of distinct facts that satisfies the plan's clauses."""
    candidates = {c.alias: _candidates(rule, c, cache) for c in rule.clauses}
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

    def options(clause: ClausePlan, bound: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        # while coverage is recorded, every candidate meets every join (not only those the
        # index offers), so that each join is seen to fail as well as to hold
        if clause.alias in indexes and not coverage.active():
            eq, index = indexes[clause.alias]
            pool = index.get(_join_value(eq, bound), [])
        else:
            pool = candidates[clause.alias]
        used = {(bound[c.alias][_KIND], bound[c.alias]["id"]) for c in rule.positive
                if c.alias in bound}
        values = [_join_value(t, bound) for t in clause.joins]
        where = (rule.name, clause.alias, "join")
        return [f for f in pool
                if (f[_KIND], f["id"]) not in used and all_hold(where, clause.joins, f, values)]

    positive = rule.positive
    absent = rule.absent
    results: list[Match] = []

    def extend(i: int, bound: dict[str, dict[str, Any]]) -> None:
        if i == len(positive):
            if absent is not None:
                blocked = bool(options(absent, bound))
                coverage.condition((rule.name, absent.alias, "absent", 0), not blocked)
                if blocked:
                    return
            results.append({c.alias: (bound[c.alias][_KIND], bound[c.alias]["id"])
                            for c in positive})
            return
        clause = positive[i]
        for fact in options(clause, bound):
            bound[clause.alias] = fact
            extend(i + 1, bound)
            del bound[clause.alias]

    extend(0, {})
    return results
