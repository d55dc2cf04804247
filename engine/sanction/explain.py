"""The explanation of one recommendation, built from what the evaluation matched and the
ladder applied (never written separately): rule, basis, evidence, post at the time, steps."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from engine.match.findings import Finding
from engine.match.plan import Facts
from engine.rulebook import Rulebook
from engine.sanction.accountable import Accountable
from engine.sanction.explanation import (
    EvidenceFact,
    Explanation,
    LegalBasis,
    PostAtTime,
    SubjectPerson,
)
from engine.sanction.ladder import authority, judge
from engine.sanction.roster import Roster
from facts.store import fact_content


def recommendation_id(rule_id: str, person: str, key: tuple[str, ...]) -> str:
    """Stable across runs and rule versions: the same finding about the same person."""
    digest = hashlib.sha256("|".join((rule_id, person, *key)).encode()).hexdigest()
    return "R" + digest[:15].upper()


def _post_at_time(post: dict[str, Any] | None, person: dict[str, Any], roster: Roster,
                  rulebook: Rulebook) -> PostAtTime:
    if post is None:
        unit = roster.units.get(person["unit"], {})
        return PostAtTime(post_id="", unit=person["unit"], unit_name=unit.get("name", person["unit"]),
                          role="none", role_label=rulebook.say.post("none"), start=date.min, end=None)
    unit_name = roster.units.get(post["unit"], {}).get("name", post["unit"])
    return PostAtTime(post_id=post["id"], unit=post["unit"], unit_name=unit_name,
                      role=post["role"],
                      role_label=rulebook.say.post("role", role=post["role"], unit_name=unit_name),
                      start=post["start"], end=post["end"])


def _summary(kind: str, fact: dict[str, Any], roster: Roster, rulebook: Rulebook) -> str:
    def name(person_id: str | None) -> str:
        person = roster.persons.get(person_id or "")
        return person["name"] if person else (person_id or "")

    def unit(unit_id: str | None) -> str:
        found = roster.units.get(unit_id or "")
        return found["name"] if found else (unit_id or "")

    tasks = rulebook.responsibility.task_names
    return rulebook.say.evidence(kind, fact, name, unit, lambda code: tasks.get(code, code))


def _fact_date(fact: dict[str, Any]) -> date | None:
    for name in ("date", "start"):
        if isinstance(fact.get(name), date):
            return fact[name]
    return None


def explain(finding: Finding, who: Accountable, rulebook: Rulebook, roster: Roster, facts: Facts,
            as_of: date, priors: list[dict[str, Any]]) -> Explanation | None:
    """The whole explanation of one recommendation; None when the person is exempt.
    ``priors``: the person's accountability facts that may count (none of this matter)."""
    sanctions, labels, say = rulebook.sanctions, rulebook.labels, rulebook.say
    version = finding.rule.version
    spec = version.spec.finding
    person = roster.persons[who.person]
    evidence = [(alias, key) for alias, key in finding.evidence if key not in who.own_acts]
    evidence_facts = [(key[0], facts[key]) for _, key in evidence]
    outcome = judge(
        sanctions, say, person=person, evidence=evidence_facts, conduct_date=finding.conduct_date,
        as_of=as_of, circumstance=version.circumstance, severity=finding.severity,
        responsibility=who.responsibility, degree=who.degree,
        priors=priors,
        rule_id=version.rule_id)
    if outcome.exempt:
        return None
    bodies = rulebook.county.bodies
    proposer_label = bodies[spec.proposer].name
    if finding.proposer_person:
        leader = roster.persons.get(finding.proposer_person)
        if leader:
            proposer_label = say.proposer_with_leader(proposer_label, leader["name"])
    may_impose, decider = authority(sanctions, sanctions.at(as_of).ladder, spec.proposer,
                                    outcome.forms)
    # routed to discipline handling while a case against him is open, or when the case is
    # about this very conduct; a case closed before the evaluation date routes nothing else
    keys = {key for _, key in finding.evidence}
    case = [v for v in roster.cases.get(who.person, [])
            if v.get("case_closed") is None or v["case_closed"] >= as_of
            or ("violation", v["id"]) in keys]
    route_note = None
    if case:
        route_note = say.case_review("、".join(f"violation:{v['id']}" for v in case))
    category = person.get("category")
    degree_key = f"{who.responsibility}.{who.degree}"
    return Explanation(
        rule_id=version.rule_id, rule_version=version.version, rule_title=version.title,
        rule_file=version.file.rsplit("/", 1)[-1], circumstance=version.circumstance,
        circumstance_label=labels.circumstance[version.circumstance],
        severity=finding.severity,
        basis=[LegalBasis(**b.model_dump()) for b in version.spec.basis],
        conduct_date=finding.conduct_date, as_of=as_of,
        subject=SubjectPerson(id=person["id"], name=person["name"], category=category,
                              category_label=rulebook.responsibility.category_label(category)
                              if category else None),
        post=_post_at_time(who.post, person, roster, rulebook),
        responsibility=who.responsibility,
        responsibility_label=labels.responsibility[who.responsibility],
        degree=who.degree, degree_label=labels.responsibility_degree.get(degree_key, degree_key),
        evidence=[EvidenceFact(alias=alias, kind=key[0], id=key[1], src=facts[key].get("src", ""),
                               date=_fact_date(facts[key]),
                               summary=_summary(key[0], facts[key], roster, rulebook),
                               fields=fact_content(facts[key]))
                  for alias, key in evidence],
        factors=outcome.factors, steps=outcome.steps, base_form=outcome.base_form,
        forms=outcome.forms, form_labels=[labels.forms[f] for f in outcome.forms],
        proposer=f"person:{finding.proposer_person}" if finding.proposer_person else spec.proposer,
        proposer_label=proposer_label, decider=decider, decider_label=bodies[decider].name,
        proposer_may_impose=may_impose,
        route="discipline_handling" if case else "accountability", route_note=route_note,
        rulebook_hash=rulebook.hash, case_review=outcome.case_review, sanctions=outcome.choice,
    )
