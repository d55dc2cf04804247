"""From findings to explained recommendations: one per person and matter, after choosing
between rule versions by the date of the conduct (从旧兼从轻), with every finding that made
no recommendation set aside with its reason."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from engine.match.findings import Finding
from engine.match.plan import Facts
from engine.rulebook import Rulebook
from engine.sanction.accountable import (
    Accountable,
    SetAside,
    accountable_persons,
    finding_needs_check,
    proposer_needs_check,
    set_aside,
)
from engine.sanction.carry import Carry
from engine.sanction.counties import Counties
from engine.sanction.explain import explain, recommendation_id, record_window
from engine.sanction.explanation import EscalationStep, Explanation, Ground
from engine.sanction.ladder import read_factors
from engine.sanction.record import Records
from engine.sanction.roster import Roster
from facts.store import stream_among
from facts.tables import PersonRow

Chosen = dict[str, tuple[Explanation, Finding]]  # recommendation id -> explanation, finding


PERSONS_PER_PART = 500  # persons whose recommendations are made, and committed, together


@dataclass
class Recommended:
    chosen: Chosen = field(default_factory=dict)
    set_aside: list[SetAside] = field(default_factory=list)
    persons: set[str] = field(default_factory=set)  # whom ``chosen`` is complete for
    # persons taken over from the last run (``engine.sanction.carry``): [[id, circumstance]]
    carried: dict[str, list[list[Any]]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # of the persons explained here


def _weight(rulebook: Rulebook, explanation: Explanation) -> tuple[int, int]:
    return rulebook.sanctions.at(explanation.as_of).weight(explanation.forms)


def _other_matters(accountability: list[dict[str, Any]], matter: set[str]) -> list[dict[str, Any]]:
    """Accountability facts that may count as priors: not those decided on this very matter
    (a decision written by review names its matter's facts in ``attrs.evidence``)."""
    return [fact for fact in accountability
            if not matter & set((fact.get("attrs") or {}).get("evidence") or ())]


def _evidence(explanation: Explanation) -> set[str]:
    return {f"{e.kind}:{e.id}" for e in explanation.evidence}


def recommend(engine: Engine, rulebook: Rulebook, found: list[Finding], facts: Facts,
              as_of: date, counts: Counter) -> Recommended:
    """Every recommendation and set-aside finding at once (``recommend_in_parts`` joined)."""
    whole = Recommended()
    for part in recommend_in_parts(engine, rulebook, found, facts, as_of, counts):
        whole.chosen.update(part.chosen)
        whole.set_aside.extend(part.set_aside)
        whole.persons |= part.persons
    whole.set_aside.sort(key=lambda item: item.order)
    return whole


def recommend_in_parts(engine: Engine, rulebook: Rulebook, found: list[Finding], facts: Facts,
                       as_of: date, counts: Counter,
                       persons_per_part: int = PERSONS_PER_PART,
                       carry: Carry | None = None) -> Iterator[Recommended]:
    """Explanations by recommendation id, and what was set aside, a few hundred persons at a
    time, so that a province's explanations are never all in memory together.

    Everything about one person is in one part. County by county
    (``engine.sanction.counties``), whom a finding holds to account is decided first (the
    persons are few and cheap to find), then each part explains its persons' findings. The
    first part of a county holds only the findings set aside before any person is considered;
    the set-aside findings of all parts, in ``SetAside.order``, are what ``recommend`` gives
    at once. With ``carry``, each person's inputs are digested, and those whose outcome the
    last run stored for the same inputs are taken over in one part instead of explained.

    The version in force at the conduct decides; if the current version treats the same
    matter more lightly, the current one applies — and if it does not hold the conduct
    accountable at all, there is no recommendation (从旧兼从轻, both ways).
    """
    current = {v.rule_id: v.version for v in rulebook.versions if v.in_force(as_of)}
    records = Records(engine, as_of)
    counties = Counties.load(engine)
    by_county = _by_county(engine, found, counties)
    for county in sorted(by_county, key=str):
        # one county's roster at a time; a store of one county is read whole, as it is
        units = None if len(counties.units) <= 1 else counties.units.get(county, [])
        proposers = {p for n in by_county[county] if (p := found[n].proposer_person)}
        roster = Roster.load(engine, as_of, units, named=proposers)
        first = Recommended()
        held: dict[str, list[tuple[int, Accountable]]] = {}  # person -> (finding, as whom)
        for n in by_county[county]:
            finding = found[n]
            version = finding.rule.version
            in_force_then = version.in_force(finding.conduct_date)
            if not in_force_then and current.get(version.rule_id) != version.version:
                continue
            issue = finding_needs_check(finding, rulebook, roster, facts)
            persons, skipped = ([], [issue]) if issue else accountable_persons(
                finding, rulebook, roster, facts)
            if in_force_then:
                first.set_aside.extend(item.placed(0, n, 0, i) for i, item in enumerate(skipped))
            for who in persons:
                held.setdefault(who.person, []).append((n, who))
        _count(first, counts)
        yield first
        digests = {} if carry is None else carry.digests(held, facts, roster)
        recommendations, asides = ({}, []) if carry is None else carry.take(roster, digests)
        if recommendations:
            taken = Recommended(set_aside=asides, persons=set(recommendations),
                                carried=recommendations)
            _count(taken, counts)
            counts["persons_carried"] += len(recommendations)
            yield taken
        everyone = sorted(held.keys() - recommendations.keys())
        for start in range(0, len(everyone), persons_per_part):
            part = everyone[start:start + persons_per_part]
            starts = [w[0] for p in part for n, _ in held[p] if (w := record_window(found[n]))]
            if starts:  # the earliest day of the part's records: none is read before it
                records.prefetch(set(part), since=min(starts))
            result = _recommend_part(part, held, found, rulebook, roster, records, facts, as_of,
                                     current)
            result.digests = {person: digests[person] for person in part if person in digests}
            counts["persons_explained"] += len(part)
            _count(result, counts)
            yield result
            records.forget(part)


def _by_county(engine: Engine, found: list[Finding], counties: Counties
               ) -> dict[str | None, list[int]]:
    """The findings of each county, by their place in ``found`` (None: an unknown unit)."""
    if len(counties.units) <= 1:  # one county: everything is in it
        return {"": list(range(len(found)))}
    table = PersonRow.__table__
    home = {row.id: row.unit for row in stream_among(
        engine, select(table.c.id, table.c.unit), table.c.id,
        (f.subject for f in found if f.subject_kind == "person"))}
    grouped: dict[str | None, list[int]] = defaultdict(list)
    for n, finding in enumerate(found):
        unit = home.get(finding.subject) if finding.subject_kind == "person" else finding.subject
        grouped[counties.county_of.get(unit or "")].append(n)
    return grouped


def _recommend_part(part: list[str], held: dict[str, list[tuple[int, Accountable]]],
                    found: list[Finding], rulebook: Rulebook, roster: Roster, records: Records,
                    facts: Facts, as_of: date, current: dict[str, int]) -> Recommended:
    result = Recommended(persons=set(part))
    alternatives: dict[str, list[tuple[Explanation, Finding]]] = {}
    seen_by_current: set[str] = set()  # matters the current version found, for any reason
    for person in part:
        for n, who in held[person]:
            finding = found[n]
            version = finding.rule.version
            in_force_then = version.in_force(finding.conduct_date)
            rec_id = recommendation_id(version.rule_id, who.person, finding.key)
            if current.get(version.rule_id) == version.version:
                seen_by_current.add(rec_id)
            issue = proposer_needs_check(finding, who.person, rulebook, roster, facts)
            if issue:
                if in_force_then:
                    result.set_aside.append(issue.placed(0, n, 1, person))
                continue
            matter = set(finding.fact_ids)
            priors = _other_matters(roster.accountability.get(who.person, []), matter)
            explanation = explain(finding, who, rulebook, roster, facts, as_of, priors, records)
            if explanation is None:
                if in_force_then:
                    result.set_aside.append(_exempt(finding, who, rulebook, roster, facts, as_of)
                                            .placed(0, n, 1, person))
            elif in_force_then:
                result.chosen[rec_id] = (explanation, finding)
            else:
                alternatives.setdefault(rec_id, []).append((explanation, finding))
    _lighter_of_two_versions(result, alternatives, seen_by_current, current, rulebook)
    result.chosen = _one_per_matter(result.chosen, rulebook)
    return result


def _exempt(finding: Finding, who: Accountable, rulebook: Rulebook, roster: Roster,
            facts: Facts, as_of: date) -> SetAside:
    exempt = list(dict.fromkeys(
        f.label for day in (finding.conduct_date, as_of)
        for f in read_factors(rulebook.sanctions, rulebook.sanctions.at(day), rulebook.say,
                              roster.persons[who.person],
                              [(k[0], facts[k]) for _, k in finding.evidence])
        if f.type == "exempt"))
    return set_aside(finding, rulebook, "skipped", "exempt", who.person,
                     name=roster.persons[who.person]["name"], factors="；".join(exempt))


def _count(part: Recommended, counts: Counter) -> None:
    for item in part.set_aside:
        counts[f"{item.kind}_{item.reason}"] += 1


def _lighter_of_two_versions(result: Recommended, alternatives: dict[str, list],
                             seen_by_current: set[str], current: dict[str, int],
                             rulebook: Rulebook) -> None:
    for rec_id, (old, finding) in list(result.chosen.items()):
        version = finding.rule.version
        now = current.get(version.rule_id)
        if now is None or now == version.version:
            continue
        if rec_id not in seen_by_current:
            del result.chosen[rec_id]  # the current version holds the conduct not accountable
            result.set_aside.append(set_aside(finding, rulebook, "skipped",
                                              "lighter_current_version", old.subject.id,
                                              old=version.version, new=now)
                                    .placed(1, old.subject.id, rec_id))
            continue
        for new, new_finding in alternatives.get(rec_id, []):
            if _weight(rulebook, new) < _weight(rulebook, result.chosen[rec_id][0]):
                new.steps.append(EscalationStep(
                    step="mitigating", before=old.forms[0], after=new.forms[0],
                    reason=rulebook.say.step("lighter_current_version", old=old.rule_version,
                                             new=new.rule_version)))
                result.chosen[rec_id] = (new, new_finding)


def _one_per_matter(chosen: Chosen, rulebook: Rulebook) -> Chosen:
    """Recommendations about one person whose evidence overlaps are one matter: one
    recommendation citing each ground, with the heaviest ground's form, under the
    smallest of their ids (stable whichever ground weighs most)."""
    by_person: dict[str, list[str]] = {}
    for rec_id, (explanation, _) in chosen.items():
        by_person.setdefault(explanation.subject.id, []).append(rec_id)
    merged: Chosen = {}
    for ids in by_person.values():
        groups: list[tuple[set[str], list[str]]] = []
        for rec_id in sorted(ids):
            evidence = _evidence(chosen[rec_id][0])
            touching = [g for g in groups if g[0] & evidence]
            for group in touching:
                groups.remove(group)
                evidence |= group[0]
            groups.append((evidence, sorted([rec_id, *(i for g in touching for i in g[1])])))
        for _, members in groups:
            ranked = sorted(members, key=lambda i: (
                [-w for w in _weight(rulebook, chosen[i][0])], chosen[i][0].rule_id))
            primary, finding = chosen[ranked[0]]
            if len(members) > 1:
                primary = _with_grounds(primary, [chosen[i][0] for i in ranked[1:]])
            merged[members[0]] = (primary, finding)
    return merged


def _with_grounds(primary: Explanation, others: list[Explanation]) -> Explanation:
    """The primary ground's explanation with the others' evidence, record and sentences added
    (each fact once); his duties and failure as the primary ground states them."""
    seen = _evidence(primary) | {f"{f.kind}:{f.id}" for f in primary.record}
    evidence, record = list(primary.evidence), list(primary.record)
    said = [s for s in primary.statement if s.part == "evidence"]
    own = [s for s in primary.statement if s.part in ("duties", "record")]
    failure = [s for s in primary.statement if s.part == "failure"]
    for other in others:
        for fact in other.evidence:
            if f"{fact.kind}:{fact.id}" not in seen:
                seen.add(f"{fact.kind}:{fact.id}")
                evidence.append(fact)
                said += [s for s in other.statement if s.refs == [f"{fact.kind}:{fact.id}"]]
        for fact in other.record:
            if f"{fact.kind}:{fact.id}" not in seen:
                seen.add(f"{fact.kind}:{fact.id}")
                record.append(fact)
                own += [s for s in other.statement if s.refs == [f"{fact.kind}:{fact.id}"]]
    dated = {f"{f.kind}:{f.id}": f.date or date.max for f in evidence}
    said.sort(key=lambda s: min((dated[r] for r in s.refs if r in dated), default=date.max))
    grounds = [Ground(rule_id=o.rule_id, rule_version=o.rule_version, rule_title=o.rule_title,
                      rule_file=o.rule_file, circumstance=o.circumstance,
                      circumstance_label=o.circumstance_label, branch=o.branch, basis=o.basis,
                      forms=o.forms)
               for o in others]
    return primary.model_copy(update={"evidence": evidence, "record": record,
                                      "statement": said + own + failure, "grounds": grounds})
