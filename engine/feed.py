"""Reading the facts a compiled rule needs, with every literal term pushed into SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Engine, Select, func, select

from engine.compile import (
    CompiledClause,
    CompiledRule,
    durable_hash,
    encode,
    field_value,
    message,
    message_key,
)
from engine.predicates import holds
from engine.terms import Term
from facts.contract import DATE_FIELD
from facts.store import stream
from facts.tables import TABLES

FactKey = tuple[str, str]  # (kind, id)


def _sql(table: Any, term: Term) -> Any:
    column = table.__table__.c[term.field]
    if term.op == "exists":
        return column.is_not(None) if term.value else column.is_(None)
    if term.op == "size_ge":
        return func.json_array_length(column) >= term.value
    if term.op == "in":
        return column.in_(term.value)
    if term.op == "not_in":
        return column.not_in(term.value)
    return {"eq": column.__eq__, "ne": column.__ne__, "gt": column.__gt__,
            "ge": column.__ge__, "lt": column.__lt__, "le": column.__le__}[term.op](term.value)


def kind_query(kind: str, as_of: date) -> Select:
    """All facts of a kind known on ``as_of``: nothing dated later is evaluated."""
    table = TABLES[kind]
    query = select(table.__table__)
    date_field = DATE_FIELD[kind]
    if date_field is not None:
        query = query.where(table.__table__.c[date_field] <= as_of)
    return query


def clause_query(clause: CompiledClause, as_of: date) -> Select:
    """The clause's facts with every literal term on a stored column evaluated by the database."""
    query = kind_query(clause.kind, as_of)
    table = TABLES[clause.kind]
    for term in clause.literals:
        if not term.field.startswith("attrs."):
            query = query.where(_sql(table, term))
    return query


def clause_facts(engine: Engine, clause: CompiledClause, as_of: date) -> Iterator[dict[str, Any]]:
    """Facts that satisfy the clause's literal terms; ``attrs`` terms are checked here in Python."""
    attrs_terms = [t for t in clause.literals if t.field.startswith("attrs.")]
    for row in stream(engine, clause_query(clause, as_of)):
        fact = dict(row._mapping)
        if all(holds(t, fact) for t in attrs_terms):
            yield fact


def _compared_fields(rule: CompiledRule) -> dict[str, set[str]]:
    """Per clause, the fields its facts need to take part in a match at all.

    A fact lacking a field that its own clause compares, or that a later *positive* clause
    compares with, can be in no match (a missing value satisfies no comparison). It is not
    sent for that clause: durable_rules fails the whole session (error 311) when a join's
    other side lacks the property. The absent clause's references are left out — a fact
    they cannot compare with is simply not blocked (the rulebook check keeps ordered
    comparisons there on fields that are always present).
    """
    needed: dict[str, set[str]] = {c.alias: set() for c in rule.clauses}
    for clause in rule.clauses:
        for term in clause.joins:
            assert term.ref is not None
            needed[clause.alias].add(term.field)
            if not clause.negated:
                needed[term.ref.alias].add(term.ref.field)
    return needed


def partitions(engine: Engine, rule: CompiledRule, as_of: date, facts: dict[FactKey, dict[str, Any]],
               decode: dict[str, FactKey]) -> dict[str, list[dict[str, Any]]]:
    """Messages per partition (sid), the facts of absent clauses first in each.

    ``facts`` is filled with every fact read and ``decode`` with message id → fact, so
    matches can be turned back into facts. Within a sid no two message ids share a
    durable_rules hash (see ``durable_hash``): a clash gets a ``#n`` suffix.
    """
    qualified: dict[str, dict[FactKey, set[str]]] = {}
    compared = _compared_fields(rule)
    for clause in rule.clauses:
        for fact in clause_facts(engine, clause, as_of):
            value = field_value(fact, clause.partition_field)
            if value is None:
                continue
            if any(field_value(fact, name) is None for name in compared[clause.alias]):
                continue  # a missing value satisfies no comparison (durable_rules would fail)
            key = (clause.kind, fact["id"])
            facts.setdefault(key, fact)
            sid = str(encode(value))
            qualified.setdefault(sid, {}).setdefault(key, set()).add(clause.alias)
    absent = rule.absent.alias if rule.absent else None
    result = {}
    for sid, members in qualified.items():
        ordered = sorted(members.items(), key=lambda item: (absent not in item[1], item[0]))
        hashes: set[int] = set()
        messages = []
        for key, aliases in ordered:
            base = message_key(f"{key[0]}:{key[1]}")
            message_id, n = base, 0
            while durable_hash(message_id) in hashes:
                n += 1
                message_id = f"{base}#{n}"
            hashes.add(durable_hash(message_id))
            decode[message_id] = key
            messages.append(message(rule, facts[key], sid, aliases, message_id))
        result[sid] = messages
    return result
