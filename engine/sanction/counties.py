"""The counties of a store, so a province is recommended county by county.

A county is the tree of units under a county committee (``type: county_committee``). Its
findings hold to account only people posted in its units, and its people are led only by
its own leaders, so its recommendations need its roster alone (``Roster.load(units=...)``):
memory stays that of one county whatever the number of counties in the store.

- A store with one county committee (or none) is one county, whatever its units' parents
  say: an export that forgot a unit's parent changes nothing.
- With several, the trees under no county committee are one more group (their leaders are
  not any county's).
- Two groups are one for this purpose when someone holds a post in one and belongs to the
  other (a cadre on secondment): everything about one person is recommended together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, select

from facts.store import stream
from facts.tables import PersonRow, PostRow, UnitRow


@dataclass
class Counties:
    county_of: dict[str, str]  # unit id -> its county (the id that names its tree)
    units: dict[str, list[str]]  # county -> its units

    @staticmethod
    def load(engine: Engine) -> Counties:
        table = UnitRow.__table__
        parent, committees = {}, set()
        for row in stream(engine, select(table.c.id, table.c.parent, table.c.type)):
            parent[row.id] = row.parent
            if row.type == "county_committee":
                committees.add(row.id)
        top: dict[str, str] = {}
        for unit in parent:
            path: list[str] = []
            current = unit
            while current not in top and current not in path:
                path.append(current)
                above = parent.get(current)
                if above is None or above not in parent:
                    break
                current = above
            root = top.get(current) or (min(path[path.index(current):]) if current in path
                                        else current)
            top.update((u, root) for u in path)
        if len(committees & set(top.values())) <= 1:
            return Counties({unit: "" for unit in parent}, {"": sorted(parent)})
        top = {unit: root if root in committees else "" for unit, root in top.items()}
        joined = _Joined()
        posts, persons = PostRow.__table__.c, PersonRow.__table__.c
        for row in stream(engine, select(posts.unit, persons.unit.label("home")).join(
                PersonRow.__table__, persons.id == posts.person).where(
                posts.unit != persons.unit).distinct()):
            if row.unit in top and row.home in top:
                joined.union(top[row.unit], top[row.home])
        county_of = {unit: joined.find(root) for unit, root in top.items()}
        units: dict[str, list[str]] = defaultdict(list)
        for unit, county in sorted(county_of.items()):
            units[county].append(unit)
        return Counties(county_of, dict(units))


class _Joined:
    """Union-find over tree roots; a set is named by its smallest county committee (the rest,
    "", joined to a county is that county)."""

    def __init__(self) -> None:
        self._up: dict[str, str] = {}

    def find(self, item: str) -> str:
        while self._up.get(item, item) != item:
            item = self._up[item]
        return item

    def union(self, one: str, other: str) -> None:
        one, other = self.find(one), self.find(other)
        if one != other:
            low, high = sorted((one, other), key=lambda root: (root == "", root))
            self._up[high] = low
