"""Who is held to account for a finding, and which findings must first be checked by a person.

A person finding names its person; a unit finding maps to whoever held the unit's posts
on the date of the conduct (not today). Nothing is dropped silently: a finding or a person
that gets no recommendation is *set aside* with its reason — ``skipped`` when the rules say
so (the direct wrongdoer, an exemption, a lighter current rule), ``needs_check`` when a
person must look first (an unverified report, an ambiguous actor, no post holder, a
reminder or proposal from someone who does not lead the person).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from engine.match.findings import Finding
from engine.match.plan import FactKey, Facts
from engine.rulebook import Rulebook
from engine.rulebook.terms import parse_ref
from engine.sanction.roster import Roster


@dataclass
class Accountable:
    person: str
    responsibility: str
    degree: str
    post: dict[str, Any] | None
    own_acts: frozenset[FactKey] = frozenset()  # his own violations: not evidence of his duty


@dataclass
class SetAside:
    """A finding, or one person of it, that made no recommendation, and why."""

    rule: str
    version: int
    conduct_date: date
    subject: str  # the person or unit the finding is about
    facts: list[str]  # "kind:id" of the finding's evidence
    kind: Literal["skipped", "needs_check"]
    reason: str  # a key of wording.yaml set_aside
    detail: str  # the reason in Chinese, for the run report
    person: str | None = None  # the person it would have been about, when known
    extra: dict[str, Any] = field(default_factory=dict)
    # where it stands in a run's list: by finding, then person (``placed``); not stored
    order: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def placed(self, *order: Any) -> SetAside:
        self.order = order
        return self

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["order"]
        data["conduct_date"] = self.conduct_date.isoformat()
        return data


def set_aside(finding: Finding, rulebook: Rulebook, kind: Literal["skipped", "needs_check"],
              reason: str, person: str | None = None, **values: Any) -> SetAside:
    version = finding.rule.version
    return SetAside(version.rule_id, version.version, finding.conduct_date, finding.subject,
                    list(finding.fact_ids), kind, reason,
                    rulebook.say.text("set_aside", reason, **values), person)


def _name(roster: Roster, person: str) -> str:
    return roster.persons.get(person, {}).get("name", person)


def _unit_name(roster: Roster, unit: str) -> str:
    return roster.units.get(unit, {}).get("name", unit)


def finding_needs_check(finding: Finding, rulebook: Rulebook, roster: Roster,
                        facts: Facts) -> SetAside | None:
    """What makes a whole finding need a person's check before it can found anything."""
    for _, key in finding.evidence:
        fact = facts[key]
        # a report (信访举报) is a lead to verify, not an established fact
        if key[0] in ("violation", "disunity") and fact.get("verified") is False:
            return set_aside(finding, rulebook, "needs_check", "unverified_report",
                             ref=f"{key[0]}:{key[1]}")
        if key[0] == "violation":
            actors = roster.actors(fact)
            for actor, candidates in sorted(actors.ambiguous.items()):
                return set_aside(finding, rulebook, "needs_check", "ambiguous_actor",
                                 actor=actor, unit=_unit_name(roster, fact["unit"]),
                                 candidates="、".join(f"{_name(roster, p)}（{p}）" for p in candidates))
    return None


def proposer_needs_check(finding: Finding, person: str, rulebook: Rulebook, roster: Roster,
                         facts: Facts) -> SetAside | None:
    """A reminder or proposal founds accountability only from a leader of the person."""
    spec = finding.rule.version.spec.finding
    leader = finding.proposer_person
    if spec.proposer_person is None or leader is None:
        return None
    if leader == person:
        return set_aside(finding, rulebook, "needs_check", "self_proposer", person,
                         name=_name(roster, person))
    ref = parse_ref(spec.proposer_person)
    assert ref is not None
    key = next(k for alias, k in finding.evidence if alias == ref.alias)
    day = facts[key].get("date") or finding.conduct_date
    if not roster.leads(leader, person, day, rulebook.sanctions.leadership):
        return set_aside(finding, rulebook, "needs_check", "unauthorised_proposer", person,
                         leader=_name(roster, leader), name=_name(roster, person), date=day)
    return None


def accountable_persons(finding: Finding, rulebook: Rulebook, roster: Roster,
                        facts: Facts) -> tuple[list[Accountable], list[SetAside]]:
    """A person finding names its person; a unit finding maps to who held its posts at the time.

    The direct wrongdoer never bears leadership responsibility for his own act: he is set
    aside for a finding that rests on his acts alone, and for a count (问题多发) his own acts
    do not count towards the cluster he is held to account for.
    """
    spec = finding.rule.version.spec
    if finding.subject_kind == "person":
        post = roster.post_of(finding.subject, finding.conduct_date)
        return [Accountable(finding.subject, spec.finding.responsibility or "principal",
                            spec.finding.degree or "main", post)], []
    violations = [key for _, key in finding.evidence if key[0] == "violation"]
    acts = {key: roster.actors(facts[key]).ids for key in violations}
    chosen: list[Accountable] = []
    skipped: list[SetAside] = []
    seen: set[str] = set()
    holders = roster.holders(finding.subject, finding.conduct_date)
    for post in holders:
        duty = rulebook.sanctions.unit_roles.get(post["role"])
        person = post["person"]
        if duty is None or person in seen or (duty.team_only and not spec.finding.team):
            continue
        seen.add(person)
        own = frozenset(key for key, ids in acts.items() if person in ids)
        others = len(violations) - len(own)
        if own and (spec.count is None or others < spec.count.at_least):
            skipped.append(set_aside(finding, rulebook, "skipped", "direct_wrongdoer", person,
                                     name=_name(roster, person)))
            continue
        chosen.append(Accountable(person, duty.responsibility, duty.degree, post, own))
    if not holders:
        skipped.append(set_aside(finding, rulebook, "needs_check", "no_post",
                                 unit=_unit_name(roster, finding.subject),
                                 date=finding.conduct_date))
    return chosen, skipped
