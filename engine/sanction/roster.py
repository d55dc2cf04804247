"""Who held which post when, who leads whom, and who is under case review: read once per run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from engine.rulebook.spec import Leadership
from facts.store import as_dicts, stream, stream_among
from facts.tables import AccountabilityRow, PersonRow, PostRow, UnitRow, ViolationRow

_BOOKKEEPING = ("src", "content_hash", "ingest_id")  # columns of a fact no rule reads
ROLE_ORDER = ("secretary", "deputy_secretary", "discipline_secretary", "member")


@dataclass
class Actors:
    """A violation's actors as persons: ids found, and names that fit several persons."""

    ids: set[str]
    ambiguous: dict[str, list[str]]  # name -> the person ids it could be


@dataclass
class Roster:
    persons: dict[str, dict[str, Any]]
    units: dict[str, dict[str, Any]]
    posts_by_unit: dict[str, list[dict[str, Any]]]
    posts_by_person: dict[str, list[dict[str, Any]]]
    accountability: dict[str, list[dict[str, Any]]]  # person -> past accountability facts
    cases: dict[str, list[dict[str, Any]]]  # person -> violations with a case filed against them
    by_name: dict[str, list[str]]  # person name -> ids (actors may be given by name)
    outside: frozenset[str] = frozenset()  # persons of another county, named here (proposers)
    # (kind, id) -> the line an explanation states the fact in, with this roster's names:
    # a fact is stated for each person it holds to account, made once (``explain._summary``)
    summaries: dict[tuple[str, str], str] = field(default_factory=dict)

    @staticmethod
    def load(engine: Engine, as_of: date, units: Collection[str] | None = None,
             named: Collection[str] = ()) -> Roster:
        """Who held which post on or before ``as_of``; only the people of ``units`` if given
        (one county of a store that holds a province: ``engine.sanction.counties``), and the
        persons ``named`` from elsewhere (proposers), without their posts."""

        def rows(table: Any, *where: Any, whole: bool = False,
                 among: tuple[Any, Collection[str]] | None = None) -> list[dict[str, Any]]:
            # a province has hundreds of thousands of persons, units and posts: of those, only
            # what the rules and the explanations read (not where each came from)
            columns = [c for c in table.__table__.c if whole or c.name not in _BOOKKEEPING]
            query = select(*columns).where(*where)
            if among is None:
                return list(as_dicts(stream(engine, query.order_by(columns[0]))))
            found = list(as_dicts(stream_among(engine, query, *among)))
            return sorted(found, key=lambda row: row["id"])

        def of(table: Any, column: str) -> tuple[Any, Collection[str]] | None:
            return None if units is None else (table.__table__.c[column], units)

        post_rows = rows(PostRow, PostRow.__table__.c.start <= as_of, among=of(PostRow, "unit"))
        persons = {p["id"]: p for p in rows(PersonRow, among=of(PersonRow, "unit"))}
        outside: set[str] = set()
        if units is not None:  # those posted here from elsewhere, and the proposers named
            posted = {post["person"] for post in post_rows}
            persons.update((p["id"], p) for p in rows(PersonRow, among=(
                PersonRow.__table__.c.id, (posted | set(named)) - persons.keys())))
            here = set(units)
            outside = {p for p in set(named) - posted if persons.get(p, {}).get("unit") not in here}
        by_name = defaultdict(list)
        for person in sorted(persons.keys() - outside):
            by_name[persons[person]["name"]].append(person)
        posts_by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
        posts_by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for post in post_rows:
            posts_by_unit[post["unit"]].append(post)
            posts_by_person[post["person"]].append(post)
        accountability: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for fact in rows(AccountabilityRow, AccountabilityRow.__table__.c.date <= as_of,
                         whole=True, among=None if units is None else (
                             AccountabilityRow.__table__.c.person, persons.keys())):
            accountability[fact["person"]].append(fact)
        roster = Roster(persons, {u["id"]: u for u in rows(UnitRow, among=of(UnitRow, "id"))},
                        posts_by_unit, posts_by_person, accountability, defaultdict(list),
                        dict(by_name), frozenset(outside))
        violations = ViolationRow.__table__.c
        for fact in rows(ViolationRow, violations.case_filed.is_(True), violations.date <= as_of,
                         whole=True, among=of(ViolationRow, "unit")):
            for person in roster.actors(fact).ids:
                roster.cases[person].append(fact)
        return roster

    def holders(self, unit: str, day: date) -> list[dict[str, Any]]:
        """Posts in ``unit`` held on ``day``, most senior role first."""
        held = [p for p in self.posts_by_unit.get(unit, []) if _active(p, day)]
        return sorted(held, key=lambda p: (ROLE_ORDER.index(p["role"]), p["person"]))

    def post_of(self, person: str, day: date) -> dict[str, Any] | None:
        """The post ``person`` held on ``day``, the most senior if several."""
        held = [p for p in self.posts_by_person.get(person, []) if _active(p, day)]
        held.sort(key=lambda p: (ROLE_ORDER.index(p["role"]), p["start"]))
        return held[0] if held else None

    def actors(self, fact: dict[str, Any]) -> Actors:
        """A violation's actors: ids as given; a name only when exactly one person of that
        name was in the violation's unit on its date (held a post there, or belongs to it)."""
        found = Actors(set(), {})
        for actor in fact.get("actors") or []:
            if actor in self.persons:
                found.ids.add(actor)
                continue
            named = self.by_name.get(actor, [])
            here = [p for p in named if self._in_unit(p, fact["unit"], fact["date"])]
            if len(here) == 1:
                found.ids.add(here[0])
            elif len(here) > 1:
                found.ambiguous[actor] = here
        return found

    def _in_unit(self, person: str, unit: str, day: date) -> bool:
        return self.persons[person]["unit"] == unit or any(
            p["unit"] == unit and _active(p, day) for p in self.posts_by_person.get(person, []))

    def ancestors(self, unit: str) -> list[str]:
        """The units above ``unit``, nearest first (the unit tree, by ``parent``)."""
        found: list[str] = []
        current = self.units.get(unit, {}).get("parent")
        while current and current not in found and current != unit:
            found.append(current)
            current = self.units.get(current, {}).get("parent")
        return found

    def leads(self, leader: str, person: str, day: date, rule: Leadership) -> bool:
        """Whether ``leader`` held a leading post over ``person`` on ``day`` (主管领导).

        Read from posts and the unit tree: a leading role in the person's own unit that
        outranks the person's role there, a leading role in a unit above it, or a county
        leader over anyone who is not one (the county secretary over everyone) — of his own
        county: a leader of another county leads no one here.
        """
        if leader == person or leader in self.outside or leader not in self.persons \
                or person not in self.persons:
            return False
        category = self.persons[leader].get("category")
        if category == rule.top:
            return True
        if category in rule.county_leaders and \
                self.persons[person].get("category") not in rule.county_leaders:
            return True
        post = self.post_of(person, day)
        unit = post["unit"] if post else self.persons[person]["unit"]
        rank = ROLE_ORDER.index(post["role"]) if post else len(ROLE_ORDER)
        for held in self.posts_by_person.get(leader, []):
            if not _active(held, day) or held["role"] not in rule.roles:
                continue
            if held["unit"] == unit and ROLE_ORDER.index(held["role"]) < rank:
                return True
            if held["unit"] in self.ancestors(unit):
                return True
        return False


def _active(post: dict[str, Any], day: date) -> bool:
    return post["start"] <= day and (post["end"] is None or day <= post["end"])
