"""Scope: a user sees only recommendations about units in their units' subtree (the unit
tree is the ``unit`` facts' ``parent`` field)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, select

from facts.recommendation_tables import RecommendationRow
from facts.tables import UnitRow
from review.users import User


def subtree(connection: Connection, roots: Iterable[str]) -> set[str]:
    """The units and everything under them (a cycle in bad data ends, it does not loop)."""
    table = UnitRow.__table__
    children: dict[str, list[str]] = defaultdict(list)
    for unit, parent in connection.execute(select(table.c.id, table.c.parent)):
        if parent is not None:
            children[parent].append(unit)
    found: set[str] = set()
    todo = list(roots)
    while todo:
        unit = todo.pop()
        if unit not in found:
            found.add(unit)
            todo.extend(children.get(unit, ()))
    return found


def units_in_scope(store: Engine, user: User) -> set[str]:
    with store.connect() as connection:
        return subtree(connection, user.units)


def can_see(store: Engine, user: User, rec_id: str) -> bool:
    """Whether the recommendation exists and is in the user's scope."""
    table = RecommendationRow.__table__
    with store.connect() as connection:
        unit = connection.execute(select(table.c.unit).where(table.c.id == rec_id)).scalar()
        return unit is not None and unit in subtree(connection, user.units)
