"""The explanation of one recommendation, built from what the evaluation matched and the
ladder applied (never written separately): rule, basis, evidence, post at the time, steps."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from engine.match.findings import Finding
from engine.match.plan import Facts
from engine.rulebook import Rulebook
from engine.rulebook.terms import Period, parse_period
from engine.sanction.accountable import Accountable
from engine.sanction.explanation import (
    Duty,
    EvidenceFact,
    Explanation,
    LegalBasis,
    PostAtTime,
    Statement,
    SubjectPerson,
)
from engine.sanction.ladder import authority, judge
from engine.sanction.record import Records
from engine.sanction.roster import Roster
from facts.store import fact_content


def recommendation_id(rule_id: str, person: str, key: tuple[str, ...]) -> str:
    """Stable across runs and rule versions: the same finding about the same person."""
    digest = hashlib.sha256("|".join((rule_id, person, *key)).encode()).hexdigest()
    return "R" + digest[:15].upper()


def post_title(unit: dict[str, Any], role: str, rulebook: Rulebook) -> str:
    """The title of a role as a unit of its kind names it (党委书记 in a township, 党组书记 in
    an organ with a 党组, 书记 of a branch named 某村党支部): county.yaml party_organisations."""
    organisations = rulebook.county.party_organisations
    kind = (unit.get("attrs") or {}).get("party_organisation") \
        or organisations.by_unit_type.get(unit.get("type", ""))
    titles = organisations.titles.get(kind or "")
    return titles[role] if titles and role in titles else rulebook.labels.role[role]


def _post_at_time(post: dict[str, Any] | None, person: dict[str, Any], roster: Roster,
                  rulebook: Rulebook) -> PostAtTime:
    if post is None:
        unit = roster.units.get(person["unit"], {})
        return PostAtTime(post_id="", unit=person["unit"], unit_name=unit.get("name", person["unit"]),
                          role="none", role_label=rulebook.say.post("none"), start=date.min, end=None)
    unit = roster.units.get(post["unit"], {})
    return PostAtTime(post_id=post["id"], unit=post["unit"], unit_name=unit.get("name", post["unit"]),
                      role=post["role"], role_label=post_title(unit, post["role"], rulebook),
                      start=post["start"], end=post["end"])


def _summary(kind: str, fact: dict[str, Any], roster: Roster, rulebook: Rulebook) -> str:
    said = roster.summaries.get((kind, fact["id"]))
    if said is None:
        said = roster.summaries[(kind, fact["id"])] = _say(kind, fact, roster, rulebook)
    return said


def _say(kind: str, fact: dict[str, Any], roster: Roster, rulebook: Rulebook) -> str:
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


def _exhibit(alias: str, kind: str, fact: dict[str, Any], roster: Roster,
             rulebook: Rulebook) -> EvidenceFact:
    return EvidenceFact(alias=alias, kind=kind, id=fact["id"], src=fact.get("src", ""),
                        date=_fact_date(fact), summary=_summary(kind, fact, roster, rulebook),
                        fields=fact_content(fact))


def _duties(finding: Finding, subject: str, category: str | None, evidence: list[EvidenceFact],
            rulebook: Rulebook) -> list[Duty]:
    """His tasks this finding is about: the rule's tasks of his category, then the tasks of his
    own ledgers among the evidence (the shortfall a reminder was about)."""
    spec = finding.rule.version.spec.duties
    names = rulebook.responsibility.task_names
    own = {t.code for t in rulebook.responsibility.tasks_for(category)} if category else set()
    codes = [c for c in (spec.tasks if spec else []) if c in own]
    codes += [e.fields["task"] for e in evidence
              if e.kind == "ledger" and e.fields.get("person") == subject]
    return [Duty(code=c, name=names.get(c, c)) for c in dict.fromkeys(codes)]


def _unverified(fact: EvidenceFact) -> bool:
    """A petition or tip (信访举报) not verified: a lead to check, never a fact to state."""
    return fact.fields.get("source") == "petition" and not fact.fields.get("verified")


def _statement(evidence: list[EvidenceFact], record: list[EvidenceFact], duties: list[Duty],
               post: PostAtTime, name: str, failure: str | None, degree_label: str,
               rulebook: Rulebook) -> list[Statement]:
    """主要事实: the evidence in the order of its dates (on one day in the rule's order: what was
    done, then what found it), then his own duty, record and failure."""
    say = rulebook.say
    in_time = sorted(evidence, key=lambda fact: fact.date or date.max)  # same day: rule order
    sentences = [Statement(part="evidence", refs=[f"{fact.kind}:{fact.id}"],
                           text=say.text("statement", "unverified", summary=fact.summary)
                           if _unverified(fact) else fact.summary)
                 for fact in in_time]
    if duties:
        sentences.append(Statement(part="duties", text=say.text(
            "statement", "duties", name=name, unit_name=post.unit_name,
            title=post.role_label if post.post_id else "", tasks=[d.name for d in duties])))
    sentences += [Statement(part="record", text=f.summary, refs=[f"{f.kind}:{f.id}"])
                  for f in record]
    if failure:
        sentences.append(Statement(part="failure", text=say.text(
            "statement", "failure", name=name, failure=failure, degree=degree_label)))
    return sentences


def record_window(finding: Finding) -> tuple[date, date] | None:
    """The days of the person's own record an explanation of this finding states (the rule's
    ``duties.record`` period before the conduct, the conduct's day included), or None."""
    spec = finding.rule.version.spec.duties
    if not spec or not spec.record:
        return None
    period = parse_period(spec.record)
    return Period(-period.amount, period.unit).add_to(finding.conduct_date), finding.conduct_date


def _failure(finding: Finding, responsibility: str, degree: str) -> str | None:
    spec = finding.rule.version.spec.duties
    if spec is None:
        return None
    return spec.failure.get(f"{responsibility}.{degree}") or spec.failure.get(responsibility)


def explain(finding: Finding, who: Accountable, rulebook: Rulebook, roster: Roster, facts: Facts,
            as_of: date, priors: list[dict[str, Any]], records: Records) -> Explanation | None:
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
    degree_label = labels.responsibility_degree.get(degree_key, degree_key)
    post = _post_at_time(who.post, person, roster, rulebook)
    exhibits = [_exhibit(alias, key[0], facts[key], roster, rulebook) for alias, key in evidence]
    duties = _duties(finding, who.person, category, exhibits, rulebook)
    window = record_window(finding)
    record = [] if window is None else [
        _exhibit("record", kind, fact, roster, rulebook)
        for kind, fact in records.of(who.person, {d.code for d in duties}, *window,
                                     {key for _, key in finding.evidence})]
    return Explanation(
        rule_id=version.rule_id, rule_version=version.version, rule_title=version.title,
        rule_file=version.file.rsplit("/", 1)[-1], circumstance=version.circumstance,
        circumstance_label=labels.circumstance[version.circumstance],
        branch=version.spec.branch,
        severity=finding.severity,
        basis=[LegalBasis(document=b.document, article=b.article, text=b.text)
               for b in version.spec.basis if b.applies(finding.severity, who.responsibility)],
        conduct_date=finding.conduct_date, as_of=as_of,
        subject=SubjectPerson(id=person["id"], name=person["name"], category=category,
                              category_label=rulebook.responsibility.category_label(category)
                              if category else None),
        post=post,
        responsibility=who.responsibility,
        responsibility_label=labels.responsibility[who.responsibility],
        degree=who.degree, degree_label=degree_label,
        evidence=exhibits, duties=duties, record=record,
        statement=_statement(exhibits, record, duties, post, person["name"],
                             _failure(finding, who.responsibility, who.degree), degree_label,
                             rulebook),
        factors=outcome.factors, steps=outcome.steps, base_form=outcome.base_form,
        forms=outcome.forms, form_labels=[labels.forms[f] for f in outcome.forms],
        proposer=f"person:{finding.proposer_person}" if finding.proposer_person else spec.proposer,
        proposer_label=proposer_label, decider=decider, decider_label=bodies[decider].name,
        proposer_may_impose=may_impose,
        route="discipline_handling" if case else "accountability", route_note=route_note,
        rulebook_hash=rulebook.hash, case_review=outcome.case_review, sanctions=outcome.choice,
    )
