"""The SQL prefilter: each clause's facts with every literal term evaluated by the database.

Most facts (ledger rows that passed, say) can never take part in a match; pushing literal
terms into SQL means they are never read. ``attrs`` terms cannot be indexed, so they are
checked in Python on the rows SQL returns.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date
from typing import Any

from sqlalchemy import Engine, Select, func

from engine.match.plan import ClausePlan, field_value
from engine.match.predicates import holds
from engine.rulebook.terms import Term
from facts.store import as_dicts, known_on, stream, unindexed
from facts.tables import TABLES

_CHUNK = 500  # values per IN (...) list


def _sql(table: Any, term: Term, lead: bool = True) -> Any:
    column = table.__table__.c[term.field]
    if not lead:
        column = unindexed(column)
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


def clause_query(clause: ClausePlan, kind: str, as_of: date, lead: bool = True) -> Select:
    """The clause's facts of one of its kinds, with every literal term on a stored column
    evaluated by the database; without ``lead``, none of these terms may pick the index the
    query is read through (``facts.store.unindexed``): the caller narrows it by another."""
    query = known_on(kind, as_of)
    table = TABLES[kind]
    for term in clause.literals:
        if not term.field.startswith("attrs."):
            query = query.where(_sql(table, term, lead))
    return query


def clause_facts(engine: Engine, clause: ClausePlan, as_of: date,
                 partitions: Collection[Any] | None = None
                 ) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, fact) of every fact that satisfies the clause's literal terms, kind by kind;
    ``attrs`` terms are checked here in Python. With ``partitions``, only the facts whose
    partition field has one of these values (an incremental run's changed partitions)."""
    attrs_terms = [t for t in clause.literals if t.field.startswith("attrs.")]
    wanted = None if partitions is None else set(partitions)
    for kind in clause.kinds:
        for query in _narrowed(clause_query(clause, kind, as_of), kind, clause.partition_field,
                               wanted):
            for fact in as_dicts(stream(engine, query)):
                if all(holds(t, fact) for t in attrs_terms) and (
                        wanted is None or field_value(fact, clause.partition_field) in wanted):
                    yield kind, fact


def _narrowed(query: Select, kind: str, partition_field: str,
              wanted: set[Any] | None) -> list[Select]:
    """The query, or one per chunk of partition values when the partition field is a column."""
    if wanted is None or partition_field.startswith("attrs."):
        return [query] if wanted != set() else []
    column = TABLES[kind].__table__.c[partition_field]
    values = sorted(wanted, key=str)
    return [query.where(column.in_(values[i:i + _CHUNK])) for i in range(0, len(values), _CHUNK)]
