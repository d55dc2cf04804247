"""A deterministic demo county shaped like Xupu County (溆浦县) in the source article.

``generate(seed, scale)`` yields fact dicts of the contract (``kind`` + fields, dates as ISO
strings) in dependency order: units, persons, posts, then the rest. ``write_exports`` writes
the same stream as JSON Lines, CSV and XLSX, the three formats ``wenze ingest`` reads.

Same seed and scale, same county: every draw comes from a ``random.Random`` seeded per
section (so changing one section leaves the others alone), never from the clock, the global
generator or set ordering. The article's coal-bureau case (``U-COAL``) is fixed for every
seed and scale, and the bureau is otherwise kept clean, so that only the rule for a serious
work-discipline violation by several staff (circumstance 3) catches it.

``scale`` multiplies the grass-roots (village and organ branches, staff, inspections,
violations); the county's skeleton (43 townships, 54 organs, 45 county leaders) is fixed.
Ledger filings, the bulk of the data, are streamed, never held in memory.
"""

from __future__ import annotations

import calendar
import csv
import json
import random
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from facts import demo_data as data
from facts.contract import KINDS
from facts.responsibility import ResponsibilityList, Task, load_responsibility_list

Fact = dict[str, Any]
Sink = Callable[[Fact, list[Any]], Any]  # writes one fact, given its values in column order

COUNTY = "U-COUNTY"
COAL = "U-COAL"
PERIODS: tuple[tuple[int, int], ...] = tuple(
    (2024 + (10 + i) // 12, (10 + i) % 12 + 1) for i in range(24)
)  # 2024-11 ... 2026-10
WINDOW_START = date(2024, 11, 1)
WINDOW_END = date(2026, 10, 31)
SPECIAL_START = date(2026, 2, 24)
SPECIAL_END = date(2026, 3, 6)
COAL_CASE_DATE = date(2026, 2, 26)

POST_CHANGE_RATE = 0.08  # posts that change holder within the 24 months
REMINDER_RATE = 0.03  # failed filings that draw a leader's reminder
NO_RECTIFICATION_RATE = 0.05
INEFFECTIVE_RATE = 0.25
PAST_ACCOUNTABILITY_RATE = 0.03
SEVERITIES = ("minor", "serious", "grave")
VIOLATION_WEIGHTS = {
    "work_discipline": 30,
    "conduct": 25,
    "integrity": 20,
    "corruption": 10,
    "other": 15,
}
FORM_WEIGHTS = {
    "admonition": 55,
    "circulated_criticism": 30,
    "suspension": 7,
    "warning": 5,
    "serious_warning": 3,
}
# CSV files written in GB18030, as Chinese office software exports them; the rest UTF-8 + BOM.
GB18030_KINDS = ("unit", "person")
XLSX_MAX_ROWS = 1_048_576
FORMATS = ("jsonl", "csv", "xlsx")


# ---------------------------------------------------------------- small helpers


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _workday(day: date) -> date:
    """The day itself, or the Monday after when it falls on a weekend."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _scaled(rng: random.Random, low: int, high: int, scale: float) -> int:
    return max(1, round(rng.randint(low, high) * scale))


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _name(rng: random.Random) -> str:
    given = rng.choice(data.GIVEN_CHARS)
    if rng.random() < 0.7:
        given += rng.choice(data.GIVEN_CHARS)
    return rng.choice(data.SURNAMES) + given


def _ordinal(n: int) -> str:
    return data.ORDINALS[n - 1] if n <= len(data.ORDINALS) else str(n)


def _unit(uid: str, name: str, kind: str, parent: str | None, **attrs: Any) -> Fact:
    fact: Fact = {"kind": "unit", "id": uid, "name": name, "type": kind}
    if parent:
        fact["parent"] = parent
    if attrs:
        fact["attrs"] = attrs
    return fact


# ---------------------------------------------------------------- the county's people


@dataclass
class _Post:
    id: str
    person: str
    unit: str
    role: str
    start: date
    end: date | None = None

    def holds(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def fact(self) -> Fact:
        fact: Fact = {
            "kind": "post",
            "id": self.id,
            "person": self.person,
            "unit": self.unit,
            "role": self.role,
            "start": self.start.isoformat(),
        }
        if self.end:
            fact["end"] = self.end.isoformat()
        return fact


@dataclass
class _Person:
    id: str
    name: str
    unit: str
    root: str  # the township, organ or county committee the person answers under
    category: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def fact(self) -> Fact:
        fact: Fact = {"kind": "person", "id": self.id, "name": self.name, "unit": self.unit}
        if self.category:
            fact["category"] = self.category
        if self.attrs:
            fact["attrs"] = self.attrs
        return fact


@dataclass
class _County:
    units: list[Fact] = field(default_factory=list)
    persons: list[_Person] = field(default_factory=list)
    posts: list[_Post] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)  # townships and organs, in order
    organs: list[str] = field(default_factory=list)
    direct_units: list[str] = field(default_factory=list)
    branches: dict[str, list[str]] = field(default_factory=dict)  # root -> units under it
    staff: dict[str, list[str]] = field(default_factory=dict)  # unit -> staff ids
    posts_at: dict[str, list[_Post]] = field(default_factory=dict)  # unit -> posts
    post_of: dict[str, _Post] = field(default_factory=dict)  # person -> post
    leader_of: dict[str, str] = field(default_factory=dict)  # root -> supervising leader
    root_of: dict[str, str] = field(default_factory=dict)  # unit -> root
    person: dict[str, _Person] = field(default_factory=dict)  # id -> person
    next_number: dict[str, int] = field(default_factory=dict)  # unit -> next person number

    def holder(self, unit: str, role: str, day: date) -> str | None:
        for post in self.posts_at.get(unit, ()):
            if post.role == role and post.holds(day):
                return post.person
        return None

    def members(self, unit: str, day: date) -> list[str]:
        """Who sat on the unit's party team on ``day``, besides its secretary."""
        posts = self.posts_at.get(unit, ())
        return [p.person for p in posts if p.role != "secretary" and p.holds(day)]

    def cadres(self) -> Iterator[_Person]:
        return (p for p in self.persons if p.category is not None)

    def add_unit(self, fact: Fact, root: str) -> None:
        self.units.append(fact)
        self.root_of[fact["id"]] = root
        if fact["id"] != root:
            self.branches.setdefault(root, []).append(fact["id"])

    def add_person(self, person: _Person) -> _Person:
        """Add a person; one without an id gets the next number of its unit (P-T01-07)."""
        if not person.id:
            n = self.next_number.get(person.unit, 1)
            self.next_number[person.unit] = n + 1
            person.id = f"P-{person.unit[2:]}-{n:02d}"
        self.persons.append(person)
        self.person[person.id] = person
        return person

    def add_post(self, person: _Person, role: str, start: date, end: date | None = None) -> _Post:
        post = _Post(f"PO-{person.id[2:]}", person.id, person.unit, role, start, end)
        self.posts.append(post)
        self.posts_at.setdefault(post.unit, []).append(post)
        self.post_of[person.id] = post
        return post


class _Builder:
    """Builds units, persons and posts; the only place that knows the county's shape."""

    def __init__(self, seed: int, scale: float) -> None:
        self.rng = random.Random(f"{seed}:county")
        self.scale = scale
        self.county = _County()

    def build(self) -> _County:
        self.county.add_unit(_unit(COUNTY, "中共溆浦县委员会", "county_committee", None), COUNTY)
        self._county_leaders()
        for i, name in enumerate(data.TOWNSHIPS, 1):
            self._township(f"U-T{i:02d}", name)
        work_committee = ""
        for i, name in enumerate(data.ORGANS, 1):
            uid = COAL if name == data.COAL_BUREAU else f"U-O{i:02d}"
            if name == data.ORGAN_WORK_COMMITTEE:
                work_committee = uid
            self._coal_bureau() if uid == COAL else self._organ(uid, name)
        for i, name in enumerate(data.DIRECT_UNITS, 1):
            self._direct_unit(f"U-D{i:02d}", name, work_committee)
        self._change_holders()
        self._link_leaders()
        return self.county

    # -- people

    def _person(self, unit: str, root: str, category: str | None = None) -> _Person:
        return self.county.add_person(_Person("", _name(self.rng), unit, root, category))

    def _since(self) -> date:
        return _day_between(self.rng, date(2016, 1, 1), date(2024, 10, 31))

    def _cadre(self, unit: str, root: str, category: str, role: str) -> None:
        self.county.add_post(self._person(unit, root, category), role, self._since())

    def _staff(self, unit: str, count: int) -> None:
        ids = self.county.staff.setdefault(unit, [])
        for n in range(1, count + 1):
            person = _Person(f"P-{unit[2:]}-S{n:02d}", _name(self.rng), unit, unit)
            ids.append(self.county.add_person(person).id)

    # -- units

    def _county_leaders(self) -> None:
        named = (
            ("county_secretary", "secretary"),
            ("county_deputy_secretary", "deputy_secretary"),
            ("county_deputy_secretary", "deputy_secretary"),
            ("organization_head", "member"),
            ("office_director", "member"),
            ("county_discipline_secretary", "discipline_secretary"),
            ("publicity_head", "member"),
            ("political_legal_secretary", "member"),
        )
        roles = named + (("county_leader", "member"),) * (45 - len(named))
        for category, role in roles:
            self._cadre(COUNTY, COUNTY, category, role)

    def _township(self, uid: str, name: str) -> None:
        self.county.add_unit(_unit(uid, name, "township", COUNTY), uid)
        self.county.roots.append(uid)
        self._cadre(uid, uid, "township_secretary", "secretary")
        for role in ("deputy_secretary", "deputy_secretary", "discipline_secretary"):
            self._cadre(uid, uid, "grassroots_committee_member", role)
        for _ in range(self.rng.randint(4, 6)):
            self._cadre(uid, uid, "grassroots_committee_member", "member")
        self._staff(uid, _scaled(self.rng, 3, 6, self.scale))
        for n, where in enumerate(self.rng.sample(data.COMMUNITIES, self.rng.randint(1, 2)), 1):
            self._branch(f"{uid}-C{n}", f"{name}{where}社区党总支", "grassroots_committee", uid)
        villages = [h + t for h in data.VILLAGE_HEADS for t in data.VILLAGE_TAILS]
        self.rng.shuffle(villages)
        for n in range(_scaled(self.rng, 20, 34, self.scale)):
            # past the 600 distinct names (scale > 17) a number tells villages apart
            village = villages[n % len(villages)] + (
                str(n // len(villages) + 1) if n >= len(villages) else ""
            )
            self._branch(f"{uid}-V{n + 1:03d}", f"{name}{village}村党支部", "branch", uid)

    def _organ(self, uid: str, name: str) -> None:
        self.county.add_unit(_unit(uid, name, "county_organ", COUNTY), uid)
        self.county.roots.append(uid)
        self.county.organs.append(uid)
        self._cadre(uid, uid, "organ_secretary", "secretary")
        self._cadre(uid, uid, "grassroots_committee_member", "discipline_secretary")
        if self.rng.random() < 0.5:
            self._cadre(uid, uid, "grassroots_committee_member", "deputy_secretary")
        for _ in range(self.rng.randint(2, 4)):
            self._cadre(uid, uid, "grassroots_committee_member", "member")
        self._staff(uid, _scaled(self.rng, 3, 8, self.scale))
        count = _scaled(self.rng, 1, 4, self.scale)
        for n in range(1, count + 1):
            label = "机关党支部" if count == 1 else f"机关第{_ordinal(n)}党支部"
            self._branch(f"{uid}-B{n}", f"{name}{label}", "branch", uid)

    def _branch(self, uid: str, name: str, kind: str, root: str, **attrs: Any) -> None:
        self.county.add_unit(_unit(uid, name, kind, root, **attrs), root)
        self._cadre(uid, root, "branch_secretary", "secretary")

    def _direct_unit(self, uid: str, name: str, work_committee: str) -> None:
        """A small county unit whose party organisation is one branch under 县直机关工委."""
        self._branch(uid, f"{name}党支部", "branch", work_committee, county_direct=True)
        self.county.direct_units.append(uid)

    def _coal_bureau(self) -> None:
        """The article's bureau: fixed people, a deputy-secretary post that changed in 2025."""
        county = self.county
        # the bureau has a party committee (党委) and a discipline commission, as the article says
        county.add_unit(_unit(COAL, data.COAL_BUREAU, "county_organ", COUNTY,
                              party_organisation="party_committee"), COAL)
        county.roots.append(COAL)
        county.organs.append(COAL)
        for suffix, name, role, start, end in data.COAL_PEOPLE:
            if role is None:
                county.staff.setdefault(COAL, []).append(f"P-COAL-{suffix}")
                county.add_person(_Person(f"P-COAL-{suffix}", name, COAL, COAL))
                continue
            category = "organ_secretary" if role == "secretary" else "grassroots_committee_member"
            person = county.add_person(_Person(f"P-COAL-{suffix}", name, COAL, COAL, category))
            end_day = date.fromisoformat(end) if end else None
            county.add_post(person, role, date.fromisoformat(start), end_day)
        branch = f"{COAL}-B1"
        county.add_unit(_unit(branch, f"{data.COAL_BUREAU}机关党支部", "branch", COAL), COAL)
        name, start = data.COAL_BRANCH_SECRETARY
        person = county.add_person(_Person("P-COAL-B1-01", name, branch, COAL, "branch_secretary"))
        county.add_post(person, "secretary", date.fromisoformat(start))

    # -- changes and links

    def _change_holders(self) -> None:
        """End ~8% of posts within the window and start a successor's post the next day."""
        county = self.county
        for post in list(county.posts):
            root = county.root_of[post.unit]
            if root in (COUNTY, COAL) or self.rng.random() >= POST_CHANGE_RATE:
                continue
            changed = _day_between(self.rng, date(2024, 12, 1), date(2026, 9, 30))
            post.end = changed
            successor = self._person(post.unit, root, county.person[post.person].category)
            county.add_post(successor, post.role, changed + timedelta(days=1))

    def _link_leaders(self) -> None:
        """Give every township and organ a supervising county leader (主管领导), round robin."""
        supervising = (
            "county_deputy_secretary",
            "organization_head",
            "office_director",
            "publicity_head",
            "political_legal_secretary",
            "county_leader",
        )
        leaders = [p for p in self.county.persons if p.unit == COUNTY and p.category in supervising]
        for i, root in enumerate(self.county.roots):
            leader = leaders[i % len(leaders)]
            self.county.leader_of[root] = leader.id
            leader.attrs.setdefault("links", []).append(root)


# ---------------------------------------------------------------- ledger, reminders, re-checks


def _issuer(county: _County, person: _Person) -> str | None:
    """The supervising leader who reminds ``person``: the county secretary for county leaders."""
    if person.category == "county_secretary":
        return None  # nobody in the county reminds its secretary
    if person.root == COUNTY:
        return county.holder(COUNTY, "secretary", WINDOW_END)
    return county.leader_of[person.root]


def _filing(rng: random.Random, person: _Person, year: int, month: int, task: Task) -> Fact:
    clean = person.root == COAL
    roll = 1.0 if clean else rng.random()
    status, verdict = (
        ("missing", "fail") if roll < 0.01 else
        ("partial", "fail") if roll < 0.03 else
        ("done", "fail") if roll < 0.06 else
        ("done", "pass")
    )  # fmt: skip
    if (year, month) == PERIODS[-1] and status == "done" and rng.random() < 0.4:
        verdict = "pending"  # the latest month is not fully checked yet
    first = date(year, month, 1)
    days = calendar.monthrange(year, month)[1]
    offset = days + rng.randint(2, 9) if status == "missing" else rng.randint(14, days + 6)
    return {
        "kind": "ledger",
        "id": f"L-{person.id[2:]}-{year}{month:02d}-{task.code}",
        "person": person.id,
        "period": f"{year}-{month:02d}",
        "task": task.code,
        "status": status,
        "verdict": verdict,
        "date": (first + timedelta(days=offset)).isoformat(),
    }


def _reminder(rng: random.Random, filing: Fact, task: Task, issuer: str) -> Fact:
    issued = date.fromisoformat(filing["date"]) + timedelta(days=rng.randint(3, 12))
    reason = data.LEDGER_REASONS[filing["status"]]
    year, month = (int(part) for part in filing["period"].split("-"))
    return {
        "kind": "reminder",
        "id": f"RM-{filing['id'][2:]}",
        "person": filing["person"],
        "issuer": issuer,
        "date": issued.isoformat(),
        "matter": f"{year}年{month}月工作台账\u201c{task.name}\u201d核查未通过：{reason}，请限期整改",
        "due": (issued + timedelta(days=30)).isoformat(),
    }


def _rectification(rng: random.Random, reminder: Fact) -> Fact | None:
    """The re-check after a reminder: mostly on time and effective; sometimes never done."""
    if rng.random() < NO_RECTIFICATION_RATE:
        return None
    checked = date.fromisoformat(reminder["date"]) + timedelta(days=rng.randint(10, 40))
    return {
        "kind": "rectification",
        "id": f"RC-{reminder['id'][3:]}",
        "reminder": reminder["id"],
        "person": reminder["person"],
        "date": checked.isoformat(),
        "effective": rng.random() >= INEFFECTIVE_RATE,
    }


def _ledger_facts(county: _County, rl: ResponsibilityList, seed: int) -> Iterator[Fact]:
    """Each cadre's filings for the periods they held their post at month end, with the
    reminders a failed filing draws (at most one open at a time) and their re-checks."""
    rng = random.Random(f"{seed}:ledger")
    for person in county.cadres():
        post = county.post_of[person.id]
        tasks = rl.tasks_for(person.category or "")
        issuer = _issuer(county, person)
        open_until = date.min
        for year, month in PERIODS:
            if not post.holds(_last_day(year, month)):
                continue
            for task in tasks:  # every task is reported in every month's filing
                filing = _filing(rng, person, year, month, task)
                yield filing
                if filing["verdict"] != "fail" or issuer is None or rng.random() >= REMINDER_RATE:
                    continue
                if date.fromisoformat(filing["date"]) <= open_until:
                    continue
                reminder = _reminder(rng, filing, task, issuer)
                open_until = date.fromisoformat(reminder["due"])
                yield reminder
                rectification = _rectification(rng, reminder)
                if rectification:
                    yield rectification


# ---------------------------------------------------------------- inspections


def _inspection(
    uid: str,
    unit: str,
    day: date,
    group: str,
    mode: str,
    problem: tuple[str, str],
    person: str | None = None,
    **attrs: Any,
) -> Fact:
    fact: Fact = {
        "kind": "inspection",
        "id": uid,
        "unit": unit,
        "date": day.isoformat(),
        "group": group,
        "mode": mode,
        "problem": problem[0],
        "severity": problem[1],
    }
    if person:
        fact["person"] = person
    if attrs:
        fact["attrs"] = attrs
    return fact


def _routine_inspections(county: _County, rng: random.Random, scale: float) -> Iterator[Fact]:
    """The 9 supervision groups, each covering a ninth of the townships and organs."""
    targets = [root for root in county.roots if root != COAL]
    weights = [{"minor": 12, "serious": 4, "grave": 1}[sev] for _, sev in data.ROUTINE_PROBLEMS]
    modes = {"immediate": 30, "periodic": 45, "unannounced": 25}
    per_month = max(1, round(3 * scale))
    for year, month in PERIODS:
        first, last = date(year, month, 1), _last_day(year, month)
        for g, group in enumerate(data.GROUPS):
            covered = targets[g :: len(data.GROUPS)]
            for k in range(per_month):
                root = rng.choice(covered)
                under = county.branches.get(root, [])
                unit = rng.choice(under) if under and rng.random() < 0.5 else root
                day = _workday(_day_between(rng, first, last))
                person = county.holder(unit, "secretary", day) if rng.random() < 0.6 else None
                problem = rng.choices(data.ROUTINE_PROBLEMS, weights=weights)[0]
                theme = {"theme": rng.choice(data.ROUTINE_THEMES)} if rng.random() < 0.3 else {}
                yield _inspection(
                    f"IN-{year}{month:02d}-G{g + 1}-{k + 1:02d}",
                    unit,
                    day,
                    group,
                    _weighted(rng, modes),
                    problem,
                    person,
                    **theme,
                )


def _special_inspection(county: _County, rng: random.Random) -> Iterator[Fact]:
    """After Spring Festival 2026: 79 county units (54 organs, 25 small units), one finding each."""
    days = [
        d
        for n in range((SPECIAL_END - SPECIAL_START).days + 1)
        if (d := SPECIAL_START + timedelta(days=n)).weekday() < 5
    ]
    weights = [8 if sev == "minor" else 1 for _, sev in data.SPECIAL_PROBLEMS]
    for unit in county.organs + county.direct_units:
        if unit == COAL:
            problem = (f"{len(data.COAL_GAMBLERS)}名工作人员上班时间在办公室打牌赌博", "serious")
            yield _inspection(
                "IN-SP-COAL",
                COAL,
                COAL_CASE_DATE,
                data.SPECIAL_GROUP,
                "special",
                problem,
                theme=data.SPECIAL_THEME,
            )
            continue
        problem = rng.choices(data.SPECIAL_PROBLEMS, weights=weights)[0]
        yield _inspection(
            f"IN-SP-{unit[2:]}",
            unit,
            rng.choice(days),
            data.SPECIAL_GROUP,
            "special",
            problem,
            theme=data.SPECIAL_THEME,
        )


# ---------------------------------------------------------------- violations and disunity


def _coal_violation() -> Fact:
    return {
        "kind": "violation",
        "id": "V-COAL-20260226",
        "unit": COAL,
        "actors": list(data.COAL_GAMBLERS),
        "date": COAL_CASE_DATE.isoformat(),
        "category": "work_discipline",
        "severity": "serious",
        "case_filed": False,
        "description": "工作时间在办公室打牌赌博",
        "attrs": {"inspection": "IN-SP-COAL"},
    }


def _actors(rng: random.Random, county: _County, unit: str, day: date) -> list[str]:
    """Direct wrongdoers: staff of a township or organ, or a branch's secretary or an
    outsider known only by name (村会计李某)."""
    staff = county.staff.get(unit)
    if staff:
        return sorted(rng.sample(staff, min(len(staff), rng.choice((1, 1, 1, 2, 3)))))
    secretary = county.holder(unit, "secretary", day)
    if secretary and rng.random() < 0.5:
        return [secretary]
    return [f"{rng.choice(data.OUTSIDE_ACTORS)}{rng.choice(data.SURNAMES)}某"]


def _dissent(rng: random.Random, county: _County, unit: str, day: date) -> dict[str, Any]:
    """Now and then a team member (not the secretary) whose dissent is on record."""
    members = county.members(unit, day)
    if members and rng.random() < 0.15:
        return {"dissent": [rng.choice(members)]}
    return {}


def _violation(
    rng: random.Random,
    county: _County,
    vid: str,
    unit: str,
    day: date,
    category: str,
    severity: str,
) -> Fact:
    attrs = _dissent(rng, county, unit, day)
    if category in ("integrity", "corruption") and rng.random() < 0.25:
        attrs["losses_recovered"] = True
    if rng.random() < 0.05:
        attrs["obstruction"] = True
    case_rate = 0.5 if category == "corruption" else 0.3 if severity == "grave" else 0.0
    fact: Fact = {
        "kind": "violation",
        "id": vid,
        "unit": unit,
        "actors": _actors(rng, county, unit, day),
        "date": day.isoformat(),
        "category": category,
        "severity": severity,
        "case_filed": rng.random() < case_rate,
        "description": rng.choice(data.VIOLATIONS[category]),
    }
    if attrs:
        fact["attrs"] = attrs
    return fact


def _severity(rng: random.Random, category: str) -> str:
    weights = (2, 3, 3) if category == "corruption" else (10, 6, 1)
    return rng.choices(SEVERITIES, weights=weights)[0]


def _violations(county: _County, seed: int, scale: float) -> Iterator[Fact]:
    rng = random.Random(f"{seed}:violation")
    yield _coal_violation()
    pool = [u["id"] for u in county.units if county.root_of[u["id"]] not in (COUNTY, COAL)]
    every = [(c, s) for c in VIOLATION_WEIGHTS for s in SEVERITIES]  # each pair at least once
    for n in range(max(len(every), round(72 * scale))):
        if n < len(every):
            category, severity = every[n]
        else:
            category = _weighted(rng, VIOLATION_WEIGHTS)
            severity = _severity(rng, category)
        unit, day = rng.choice(pool), _day_between(rng, WINDOW_START, WINDOW_END)
        yield _violation(rng, county, f"V-{n + 1:04d}", unit, day, category, severity)
    roots = [r for r in county.roots if r != COAL]
    yield from _frequent_problems(rng, county, rng.sample(roots, 3))
    yield from _secretary_cases(rng, county, rng.sample(roots, 3))


def _frequent_problems(rng: random.Random, county: _County, units: list[str]) -> Iterator[Fact]:
    """问题多发: units with 3 or 4 violations inside ten months."""
    for unit in units:
        start = _day_between(rng, WINDOW_START, WINDOW_END - timedelta(days=300))
        for n in range(rng.randint(3, 4)):
            category = _weighted(rng, VIOLATION_WEIGHTS)
            day = _day_between(rng, start, start + timedelta(days=300))
            yield _violation(
                rng, county, f"V-{unit[2:]}-M{n + 1}", unit, day, category, _severity(rng, category)
            )


def _secretary_cases(rng: random.Random, county: _County, units: list[str]) -> Iterator[Fact]:
    """Serious corruption with the unit's secretary among the actors and a case filed (立案)."""
    for unit in units:
        day = _day_between(rng, WINDOW_START, WINDOW_END)
        secretary = county.holder(unit, "secretary", day)
        assert secretary is not None  # every township and organ always has a secretary
        fact = _violation(rng, county, f"V-{unit[2:]}-CASE", unit, day, "corruption", "grave")
        fact["actors"] = [secretary, *fact["actors"]]
        fact["case_filed"] = True
        yield fact


def _disunities(county: _County, seed: int, scale: float) -> Iterator[Fact]:
    """班子不团结: the first three cover both conditions, work only, public reaction only."""
    rng = random.Random(f"{seed}:disunity")
    shapes = ((True, True), (True, False), (False, True))
    roots = [r for r in county.roots if r != COAL]
    for n in range(max(6, round(12 * scale))):
        affects, public = shapes[n] if n < len(shapes) else rng.choice(shapes[:1] * 2 + shapes[1:])
        unit, day = rng.choice(roots), _day_between(rng, WINDOW_START, WINDOW_END)
        fact: Fact = {
            "kind": "disunity",
            "id": f"DU-{n + 1:03d}",
            "unit": unit,
            "date": day.isoformat(),
            "affects_work": affects,
            "public_reaction": public,
            "source": rng.choice(data.DISUNITY_SOURCES),
        }
        attrs = _dissent(rng, county, unit, day)
        if attrs:
            fact["attrs"] = attrs
        yield fact


# ---------------------------------------------------------------- evaluations, proposals, past outcomes


# grade: (share of cadres, approval range) of the democratic evaluation (民主测评)
GRADES = {
    "excellent": (22, 0.88, 0.99),
    "competent": (75.5, 0.70, 0.95),
    "basically_competent": (2, 0.60, 0.75),
    "incompetent": (0.5, 0.55, 0.65),
}


def _evaluation(rng: random.Random, person: _Person) -> tuple[float, str]:
    grade = (
        "competent"
        if person.root == COAL
        else _weighted(rng, {g: w for g, (w, _, _) in GRADES.items()})
    )
    _, low, high = GRADES[grade]
    return round(rng.uniform(low, high), 3), grade


def _ranks(rows: list[tuple[_Person, float, str]]) -> dict[str, int]:
    """Rank within category (分类排位): highest approval first, ties by id."""
    ranks: dict[str, int] = {}
    ordered = sorted(rows, key=lambda row: (row[0].category or "", -row[1], row[0].id))
    for _, group in groupby(ordered, key=lambda row: row[0].category):
        for rank, (person, _, _) in enumerate(group, 1):
            ranks[person.id] = rank
    return ranks


def _evaluations(county: _County, seed: int) -> Iterator[Fact]:
    """Year-end democratic evaluation of everyone in post on 31 December."""
    rng = random.Random(f"{seed}:evaluation")
    for year in (2024, 2025):
        year_end = date(year, 12, 31)
        rows = [
            (person, *_evaluation(rng, person))
            for person in county.cadres()
            if county.post_of[person.id].holds(year_end)
        ]
        ranks = _ranks(rows)
        for person, approval, grade in rows:
            yield {
                "kind": "evaluation",
                "id": f"EV-{year}-{person.id[2:]}",
                "person": person.id,
                "year": year,
                "approval": approval,
                "rank": ranks[person.id],
                "grade": grade,
            }


def _proposals(county: _County, seed: int, scale: float) -> Iterator[Fact]:
    """Circumstance 4: a county leader proposes accountability of a cadre, with a reason."""
    rng = random.Random(f"{seed}:proposal")
    cadres = [p for p in county.cadres() if p.root not in (COUNTY, COAL)]
    proposers = [
        county.holder(COUNTY, role, WINDOW_START) for role in ("secretary", "discipline_secretary")
    ]
    n = 0
    while n < max(4, round(8 * scale)):
        person = rng.choice(cadres)
        day = _day_between(rng, WINDOW_START, WINDOW_END)
        if not county.post_of[person.id].holds(day):
            continue
        n += 1
        proposer = rng.choice([*proposers, county.leader_of[person.root]])
        yield {
            "kind": "proposal",
            "id": f"PR-{n:03d}",
            "person": person.id,
            "proposer": proposer,
            "date": day.isoformat(),
            "reason": rng.choice(data.PROPOSAL_REASONS),
        }


def _accountabilities(county: _County, seed: int) -> Iterator[Fact]:
    """Past outcomes (2023-2026) for some cadres, a quarter of them twice, for escalation."""
    rng = random.Random(f"{seed}:accountability")
    n = 0
    for person in county.cadres():
        if person.root == COAL or rng.random() >= PAST_ACCOUNTABILITY_RATE:
            continue
        day = _day_between(rng, date(2023, 1, 1), WINDOW_END - timedelta(days=120))
        dates = [day]
        if rng.random() < 0.25:
            dates.append(_day_between(rng, day + timedelta(days=60), WINDOW_END))
        for when in dates:
            n += 1
            yield {
                "kind": "accountability",
                "id": f"AC-{n:04d}",
                "person": person.id,
                "date": when.isoformat(),
                "form": _weighted(rng, FORM_WEIGHTS),
            }


# ---------------------------------------------------------------- the stream


def generate(seed: int = 2026, scale: float = 1.0) -> Iterator[Fact]:
    """Every fact of the demo county, in dependency order; ledger filings are streamed."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    county = _Builder(seed, scale).build()
    yield from county.units
    yield from (person.fact() for person in county.persons)
    yield from (post.fact() for post in county.posts)
    yield from _ledger_facts(county, load_responsibility_list(), seed)
    rng = random.Random(f"{seed}:inspection")
    yield from _routine_inspections(county, rng, scale)
    yield from _special_inspection(county, rng)
    yield from _violations(county, seed, scale)
    yield from _disunities(county, seed, scale)
    yield from _evaluations(county, seed)
    yield from _proposals(county, seed, scale)
    yield from _accountabilities(county, seed)


# ---------------------------------------------------------------- exports


def columns(kind: str) -> list[str]:
    """CSV/XLSX header of a kind: the contract's fields in order, ``attrs`` last."""
    return [name for name in KINDS[kind].model_fields if name != "attrs"] + ["attrs"]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return _text(value) or None
    return value


class _Workbook:
    """One write-only sheet per kind; past Excel's row limit a kind goes on in ``ledger-2``."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)
        self.rows = dict.fromkeys(KINDS, 0)
        self.sheets = {kind: self._sheet(kind, kind) for kind in KINDS}

    def _sheet(self, title: str, kind: str) -> Any:
        sheet = self.book.create_sheet(title)
        sheet.append(columns(kind))
        return sheet

    def append(self, fact: Fact, values: list[Any]) -> None:
        kind = fact["kind"]
        per_sheet = XLSX_MAX_ROWS - 1  # under the header row
        self.rows[kind] += 1
        if self.rows[kind] > per_sheet and (self.rows[kind] - 1) % per_sheet == 0:
            number = (self.rows[kind] - 1) // per_sheet + 1
            self.sheets[kind] = self._sheet(f"{kind}-{number}", kind)
        self.sheets[kind].append([_cell(v) for v in values])

    def save(self, path: Path) -> None:
        self.book.save(path)


def _jsonl_writer(out_dir: Path, stack: ExitStack) -> Sink:
    files = {
        kind: stack.enter_context((out_dir / f"{kind}.jsonl").open("w", encoding="utf-8"))
        for kind in KINDS
    }
    return lambda fact, values: files[fact["kind"]].write(
        json.dumps(fact, ensure_ascii=False) + "\n"
    )


def _csv_writer(out_dir: Path, stack: ExitStack) -> Sink:
    (out_dir / "csv").mkdir(exist_ok=True)
    tables = {}
    for kind in KINDS:
        encoding = "gb18030" if kind in GB18030_KINDS else "utf-8-sig"
        handle = (out_dir / "csv" / f"{kind}.csv").open("w", encoding=encoding, newline="")
        tables[kind] = csv.writer(stack.enter_context(handle))
        tables[kind].writerow(columns(kind))
    return lambda fact, values: tables[fact["kind"]].writerow([_text(v) for v in values])


def write_exports(
    out_dir: Path, seed: int = 2026, scale: float = 1.0, formats: Collection[str] = FORMATS
) -> dict[str, int]:
    """Write the demo county as ``<kind>.jsonl``, ``csv/<kind>.csv`` and ``county.xlsx``
    in one pass over the stream; return the number of facts per kind.

    The workbook takes three quarters of the time (openpyxl, ~7 µs a cell): a benchmark
    that needs only JSON Lines passes ``formats=("jsonl",)``.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown export formats {unknown}; choose from {list(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    header = {kind: columns(kind) for kind in KINDS}
    counts = dict.fromkeys(KINDS, 0)
    workbook = _Workbook() if "xlsx" in formats else None
    with ExitStack() as stack:
        sinks = [
            *([_jsonl_writer(out_dir, stack)] if "jsonl" in formats else []),
            *([_csv_writer(out_dir, stack)] if "csv" in formats else []),
            *([workbook.append] if workbook else []),
        ]
        for fact in generate(seed, scale):
            counts[fact["kind"]] += 1
            values = [fact.get(name) for name in header[fact["kind"]]]
            for sink in sinks:
                sink(fact, values)
    if workbook:
        workbook.save(out_dir / "county.xlsx")
    return counts
