"""Who held which post when, and who is under case review: read once per evaluation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from facts.store import stream
from facts.tables import AccountabilityRow, PersonRow, PostRow, UnitRow, ViolationRow

ROLE_ORDER = ("secretary", "deputy_secretary", "discipline_secretary", "member")


@dataclass
class Roster:
    persons: dict[str, dict[str, Any]]
    units: dict[str, dict[str, Any]]
    posts_by_unit: dict[str, list[dict[str, Any]]]
    posts_by_person: dict[str, list[dict[str, Any]]]
    accountability: dict[str, list[dict[str, Any]]]  # person -> past accountability facts
    case_filed: dict[str, list[dict[str, Any]]]  # person -> violations under case review
    by_name: dict[str, list[str]]  # person name -> ids (actors may be given by name)

    @staticmethod
    def load(engine: Engine, as_of: date) -> Roster:
        def rows(table: Any, *where: Any) -> list[dict[str, Any]]:
            query = select(table.__table__).where(*where).order_by(table.__table__.c.id)
            return [dict(r._mapping) for r in stream(engine, query)]

        persons = {p["id"]: p for p in rows(PersonRow)}
        by_name = defaultdict(list)
        for person in persons.values():
            by_name[person["name"]].append(person["id"])
        posts_by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
        posts_by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for post in rows(PostRow, PostRow.__table__.c.start <= as_of):
            posts_by_unit[post["unit"]].append(post)
            posts_by_person[post["person"]].append(post)
        accountability: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for fact in rows(AccountabilityRow, AccountabilityRow.__table__.c.date <= as_of):
            accountability[fact["person"]].append(fact)
        case_filed: dict[str, list[dict[str, Any]]] = defaultdict(list)
        violations = ViolationRow.__table__.c
        for fact in rows(ViolationRow, violations.case_filed.is_(True), violations.date <= as_of):
            for actor in fact["actors"]:
                # actors may be person ids or, from some exports, names (unique names only)
                ids = [actor] if actor in persons else by_name.get(actor, [])
                if len(ids) == 1:
                    case_filed[ids[0]].append(fact)
        return Roster(persons, {u["id"]: u for u in rows(UnitRow)}, posts_by_unit,
                      posts_by_person, accountability, case_filed, dict(by_name))

    def holders(self, unit: str, day: date) -> list[dict[str, Any]]:
        """Posts in ``unit`` held on ``day``, most senior role first."""
        held = [p for p in self.posts_by_unit.get(unit, []) if _active(p, day)]
        return sorted(held, key=lambda p: (ROLE_ORDER.index(p["role"]), p["person"]))

    def post_of(self, person: str, day: date) -> dict[str, Any] | None:
        """The post ``person`` held on ``day``, the most senior if several."""
        held = [p for p in self.posts_by_person.get(person, []) if _active(p, day)]
        held.sort(key=lambda p: (ROLE_ORDER.index(p["role"]), p["start"]))
        return held[0] if held else None

    def actors(self, fact: dict[str, Any]) -> set[str]:
        """Person ids among a violation's actors (names resolved when unique)."""
        found = set()
        for actor in fact.get("actors") or []:
            ids = [actor] if actor in self.persons else self.by_name.get(actor, [])
            if len(ids) == 1:
                found.add(ids[0])
        return found


def _active(post: dict[str, Any], day: date) -> bool:
    return post["start"] <= day and (post["end"] is None or day <= post["end"])
