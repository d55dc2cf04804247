"""From findings to recommendations: the accountable persons, their forms, and the explanation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.explanation import EvidenceFact, Explanation, LegalBasis, Person, PostAtTime
from engine.findings import Facts, Finding
from engine.roster import Roster
from engine.rulebook import Rulebook
from engine.sanctions import Priors, authority, decide_forms, read_factors
from engine.summaries import summary
from facts.responsibility import ResponsibilityList


@dataclass
class Accountable:
    person: str
    responsibility: str
    degree: str
    post: dict[str, Any] | None


@dataclass
class Skipped:
    """Someone a finding points at who gets no recommendation, and why (counted per run)."""

    person: str
    reason: str  # direct_wrongdoer | exempt | no_post


def recommendation_id(rule_id: str, person: str, key: tuple[str, ...]) -> str:
    """Stable across runs and rule versions: the same finding about the same person."""
    digest = hashlib.sha256("|".join((rule_id, person, *key)).encode()).hexdigest()
    return "R" + digest[:15].upper()


def accountable_persons(finding: Finding, rulebook: Rulebook, roster: Roster,
                        facts: Facts) -> tuple[list[Accountable], list[Skipped]]:
    """A person finding names its person; a unit finding maps to who held its posts at the time."""
    spec = finding.rule.version.spec.finding
    if finding.subject_kind == "person":
        post = roster.post_of(finding.subject, finding.conduct_date)
        return [Accountable(finding.subject, spec.responsibility or "principal",
                            spec.degree or "main", post)], []
    # a direct wrongdoer is disciplined directly: excluded when the finding is all their own
    # conduct; for a cluster where others also did wrong, they still bear leadership duty
    actor_sets = [roster.actors(facts[key]) for _, key in finding.evidence if key[0] == "violation"]
    wrongdoers = set.intersection(*actor_sets) if actor_sets else set()
    chosen: list[Accountable] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for post in roster.holders(finding.subject, finding.conduct_date):
        duty = rulebook.sanctions.unit_roles.get(post["role"])
        if duty is None or post["person"] in seen:
            continue
        if duty.get("team_only") and not spec.team:
            continue
        seen.add(post["person"])
        if post["person"] in wrongdoers:  # disciplined directly, not held accountable
            skipped.append(Skipped(post["person"], "direct_wrongdoer"))
            continue
        chosen.append(Accountable(post["person"], duty["responsibility"], duty["degree"], post))
    return chosen, skipped


def _post_at_time(post: dict[str, Any] | None, person: dict[str, Any], roster: Roster,
                  rulebook: Rulebook) -> PostAtTime:
    labels = rulebook.sanctions.labels_role
    if post is None:
        unit = roster.units.get(person["unit"], {})
        return PostAtTime(post_id="", unit=person["unit"], unit_name=unit.get("name", person["unit"]),
                          role="none", role_label="（行为发生时无任职记录）", start=date.min, end=None)
    unit = roster.units.get(post["unit"], {})
    unit_name = unit.get("name", post["unit"])
    role_label = labels.get(post["role"], post["role"])
    if post["role"] == "secretary" and unit_name.endswith(("党支部", "党总支", "党委", "党组")):
        role_label = "书记"  # 村党支部书记, not 村党支部党组织书记
    return PostAtTime(post_id=post["id"], unit=post["unit"], unit_name=unit_name,
                      role=post["role"], role_label=role_label,
                      start=post["start"], end=post["end"])


def explain(finding: Finding, who: Accountable, rulebook: Rulebook, roster: Roster, facts: Facts,
            as_of: date, approved: list[tuple[str, date, str]],
            responsibility_list: ResponsibilityList) -> Explanation | None:
    """The whole explanation of one recommendation; None when the person is exempt."""
    sanctions = rulebook.sanctions
    version = finding.rule.version
    spec = version.spec.finding
    person = roster.persons[who.person]
    evidence_facts = [(key[0], facts[key]) for _, key in finding.evidence]
    factors = read_factors(sanctions, person, evidence_facts)
    outcome = decide_forms(
        sanctions, circumstance=version.circumstance, severity=finding.severity, degree=who.degree,
        conduct_date=finding.conduct_date,
        priors=Priors(roster.accountability.get(who.person, []), approved), factors=factors,
        rule_id=version.rule_id)
    if outcome.exempt:
        return None
    proposer_label = sanctions.bodies[spec.proposer]
    if finding.proposer_person:
        leader = roster.persons.get(finding.proposer_person)
        if leader:
            proposer_label += f"（{leader['name']}）"
    may_impose, decider = authority(sanctions, spec.proposer, outcome.forms)
    case = roster.case_filed.get(who.person, [])
    route_note = None
    if case:
        ids = "、".join(f"violation:{v['id']}" for v in case)
        route_note = sanctions.case_review_note.format(cases=ids)
    category = person.get("category")
    degree_key = f"{who.responsibility}.{who.degree}"
    return Explanation(
        rule_id=version.rule_id, rule_version=version.version, rule_title=version.title,
        rule_file=version.file.rsplit("/", 1)[-1], circumstance=version.circumstance,
        circumstance_label=sanctions.labels_circumstance[version.circumstance],
        severity=finding.severity,
        basis=[LegalBasis(**b.model_dump()) for b in version.spec.basis],
        conduct_date=finding.conduct_date, as_of=as_of,
        subject=Person(id=person["id"], name=person["name"], category=category,
                       category_label=responsibility_list.category_label(category)
                       if category else None),
        post=_post_at_time(who.post, person, roster, rulebook),
        responsibility=who.responsibility,
        responsibility_label=sanctions.labels_responsibility[who.responsibility],
        degree=who.degree, degree_label=sanctions.labels_degree.get(degree_key, degree_key),
        evidence=[EvidenceFact(alias=alias, kind=key[0], id=key[1], src=facts[key].get("src", ""),
                               date=_fact_date(facts[key]),
                               summary=summary(key[0], facts[key], roster, responsibility_list.task_names),
                               fields=_jsonable(facts[key]))
                  for alias, key in finding.evidence],
        factors=outcome.factors, steps=outcome.steps, base_form=outcome.base_form,
        forms=outcome.forms, form_labels=[sanctions.labels[f] for f in outcome.forms],
        proposer=f"person:{finding.proposer_person}" if finding.proposer_person else spec.proposer,
        proposer_label=proposer_label, decider=decider, decider_label=sanctions.bodies[decider],
        proposer_may_impose=may_impose,
        route="discipline_handling" if case else "accountability", route_note=route_note,
        rulebook_hash=rulebook.hash,
    )


def _fact_date(fact: dict[str, Any]) -> date | None:
    for name in ("date", "start"):
        if isinstance(fact.get(name), date):
            return fact[name]
    return None


def _jsonable(fact: dict[str, Any]) -> dict[str, Any]:
    hidden = {"content_hash", "ingest_id", "src"}
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fact.items() if k not in hidden}
