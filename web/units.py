"""The units a user may filter the queue by: their scope, as a tree (names from the facts)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from facts.store import fact_query, stream
from review.scope import units_in_scope
from review.users import User


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    depth: int  # 0 for the user's own units; the page indents by it


def unit_choices(store: Engine, user: User) -> list[Unit]:
    """The units in the user's scope, each followed by its children, by name."""
    scope = units_in_scope(store, user)
    names: dict[str, str] = {}
    children: dict[str | None, list[str]] = {}
    for row in stream(store, fact_query("unit")):
        if row.id in scope:
            names[row.id] = row.name
            parent = row.parent if row.parent in scope else None
            children.setdefault(parent, []).append(row.id)
    out: list[Unit] = []
    todo = [(u, 0) for u in sorted(children.get(None, []), key=names.get, reverse=True)]
    while todo:
        unit, depth = todo.pop()
        out.append(Unit(unit, names[unit], depth))
        todo.extend((c, depth + 1) for c in sorted(children.get(unit, []), key=names.get,
                                                   reverse=True))
    return out


def own_unit_names(store: Engine, user: User) -> tuple[str, ...]:
    """The names of the units on the user's account, for the page header."""
    names = {row.id: row.name for row in stream(store, fact_query("unit")) if row.id in user.units}
    return tuple(names.get(u, u) for u in user.units)
