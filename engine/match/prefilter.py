"""The SQL prefilter: each clause's facts with every literal term evaluated by the database.

Most facts (ledger rows that passed, say) can never take part in a match; pushing literal
terms into SQL means they are never read. ``attrs`` terms cannot be indexed, so they are
checked in Python on the rows SQL returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Engine, Select, func

from engine.match.plan import ClausePlan
from engine.match.predicates import holds
from engine.rulebook.terms import Term
from facts.store import known_on, stream
from facts.tables import TABLES


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


def clause_query(clause: ClausePlan, kind: str, as_of: date) -> Select:
    """The clause's facts of one of its kinds, with every literal term on a stored column
    evaluated by the database."""
    query = known_on(kind, as_of)
    table = TABLES[kind]
    for term in clause.literals:
        if not term.field.startswith("attrs."):
            query = query.where(_sql(table, term))
    return query


def clause_facts(engine: Engine, clause: ClausePlan, as_of: date
                 ) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, fact) of every fact that satisfies the clause's literal terms, kind by kind;
    ``attrs`` terms are checked here in Python."""
    attrs_terms = [t for t in clause.literals if t.field.startswith("attrs.")]
    for kind in clause.kinds:
        for row in stream(engine, clause_query(clause, kind, as_of)):
            fact = dict(row._mapping)
            if all(holds(t, fact) for t in attrs_terms):
                yield kind, fact
