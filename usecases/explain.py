"""``wenze explain PERSON``: for every rule, whether it fired for the person and, where
not, why — the clause that failed with the values compared, or what the run did with what
the rule found — and the facts looked at with their ``src``.

Whether a rule fired is read from a replay of the run on the as-of date (by default the
last committed run's), made by the same code as the run and writing nothing; why a rule
did not match is the person's walk through the rule's compiled plan (``engine.match.why``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from documents.environment import environment
from engine.match.findings import Finding
from engine.match.plan import plan_rule
from engine.match.why import VersionWhy, subject_ref, why
from engine.rulebook import Rulebook
from engine.run.replay import Replayed, replay
from facts.recommendation_tables import EvaluationRun, RecommendationRow
from facts.tables import PersonRow, PostRow
from usecases.terminal import literal


class UnknownPerson(LookupError):
    """No stored person has that id."""


@dataclass
class FindingNote:
    version: int
    subject: str
    conduct_date: date
    why: str  # not_in_force (at the conduct date) | not_holder (of a post bearing the duty) | other


@dataclass
class Shortfall:
    version: int
    matched: int
    count: dict[str, Any] | None  # per, within, at_least, same_problem
    since: str | None  # finding.since: conduct before it is not found


@dataclass
class RuleWhy:
    rule_id: str
    title: str
    circumstance: int
    fired: bool
    # fired | set_aside | not_recommended | no_finding | blocked | not_matched | no_unit
    verdict: str
    recommendations: list[str]  # replayed recommendation ids citing the rule for the person
    set_aside: list[str]  # why the run set its findings aside (wording.yaml set_aside)
    findings: list[FindingNote]  # findings about the person's unit that were not for them
    shortfalls: list[Shortfall]  # what matched but asked for more (a count, a look-back)
    versions: list[VersionWhy]


@dataclass
class Explained:
    person: dict[str, Any]  # id, name, unit
    units: list[str]  # units the person held a post in, up to the as-of date
    as_of: date
    rulebook_hash: str
    last_run: int | None  # the last committed run, when the as-of date is its
    stored: dict[str, list[str]]  # rule -> stored recommendations (not withdrawn) of the person
    rules: list[RuleWhy] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, default=str)


def last_run(engine: Engine) -> tuple[int, date] | None:
    """The last committed run: its id and as-of date."""
    table = EvaluationRun.__table__
    with engine.connect() as connection:
        row = connection.execute(select(table.c.id, table.c.as_of)
                                 .where(table.c.status == "committed")
                                 .order_by(table.c.id.desc()).limit(1)).first()
    return (row.id, row.as_of) if row else None


def _person(engine: Engine, person: str, as_of: date, roles: list[str]
            ) -> tuple[dict[str, Any], list[str]]:
    """The person, and the units where a post of theirs (up to ``as_of``) bears a duty for
    the unit (``sanctions.yaml`` ``unit_roles``): a unit rule's findings may be theirs."""
    people, posts = PersonRow.__table__, PostRow.__table__
    with engine.connect() as connection:
        row = connection.execute(select(people).where(people.c.id == person)).mappings().first()
        if row is None:
            raise UnknownPerson(person)
        units = connection.execute(select(posts.c.unit).distinct().where(
            posts.c.person == person, posts.c.start <= as_of, posts.c.role.in_(roles))
            .order_by(posts.c.unit)).scalars()
        return {"id": row["id"], "name": row["name"], "unit": row["unit"]}, list(units)


def _stored(engine: Engine, person: str) -> dict[str, list[str]]:
    table = RecommendationRow.__table__
    found: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for row in connection.execute(select(table.c.id, table.c.rule, table.c.explanation)
                                      .where(table.c.person == person,
                                             table.c.status != "withdrawn")):
            rules = [row.rule, *(g["rule_id"] for g in row.explanation.get("grounds", []))]
            for rule in rules:
                found.setdefault(rule, []).append(row.id)
    return found


def _note(finding: Finding, replayed: Replayed) -> FindingNote:
    """Why a finding about the person's unit made no recommendation for them."""
    version = finding.rule.version
    current = {v.rule_id: v.version for v in replayed.rulebook.versions
               if v.in_force(replayed.as_of)}
    if not version.in_force(finding.conduct_date) and current.get(version.rule_id) != version.version:
        why = "not_in_force"
    else:
        why = "not_holder" if finding.subject_kind == "unit" else "other"
    return FindingNote(version.version, finding.subject, finding.conduct_date, why)


def _shortfall(walk: VersionWhy, replayed: Replayed) -> Shortfall:
    """What a version asks beyond its conditions: a count, and how far back it looks."""
    spec = next(v.spec for v in replayed.rulebook.versions
                if (v.rule_id, v.version) == (walk.rule_id, walk.version))
    count = None
    if spec.count is not None:
        count = {"per": spec.count.per, "within": spec.count.within or f"{spec.count.within_days}d",
                 "at_least": spec.count.at_least, "same_problem": bool(spec.count.same_problem)}
    return Shortfall(walk.version, walk.matched, count, spec.finding.since)


def _verdict(rule_id: str, person: str, units: list[str], replayed: Replayed,
             versions: list[VersionWhy]) -> RuleWhy:
    """The rule's verdict for the person, from the replay; its walks are attached."""
    first = next(v for v in replayed.rulebook.versions if v.rule_id == rule_id)
    result = RuleWhy(rule_id, first.title, first.circumstance, False, "not_matched", [], [], [],
                     [], versions)
    recommended = replayed.recommended
    result.recommendations = sorted(
        rec_id for rec_id, (e, _) in recommended.chosen.items() if e.subject.id == person
        and (e.rule_id == rule_id or any(g.rule_id == rule_id for g in e.grounds)))
    mine = {person, *units}
    result.set_aside = sorted({item.detail for item in recommended.set_aside
                               if item.rule == rule_id and (item.person == person or (
                                   item.person is None and item.subject in mine))})
    result.findings = [_note(f, replayed) for f in replayed.found.findings
                       if f.rule.version.rule_id == rule_id and f.subject in mine]
    if result.recommendations:
        result.verdict, result.fired = "fired", True
    elif result.set_aside:
        result.verdict = "set_aside"
    elif result.findings:
        result.verdict = "not_recommended"
    elif any(v.matched for v in versions):
        result.verdict = "no_finding"
        result.shortfalls = [_shortfall(v, replayed) for v in versions if v.matched]
    elif not any(v.scope for v in versions):
        result.verdict = "no_unit"
    elif any(p.steps[-1].status == "blocked" for v in versions for p in v.paths):
        result.verdict = "blocked"
    return result


class Explainer:
    """Replays the run once on the as-of date (default: the last committed run's), then
    explains any number of persons against it."""

    def __init__(self, engine: Engine, rulebook: Rulebook, as_of: date | None = None):
        run = last_run(engine)
        self.engine, self.rulebook = engine, rulebook
        self.as_of = as_of or (run[1] if run else date.today())
        self.run_id = run[0] if run and run[1] == self.as_of else None
        (self.replayed,) = replay(engine, [rulebook], self.as_of)
        self.plans = [plan_rule(v, self.as_of) for v in rulebook.versions]

    def explain(self, person: str, rule: str | None = None) -> Explained:
        """Every rule (or the one named) for one person."""
        details, units = _person(self.engine, person, self.as_of,
                                 sorted(self.rulebook.sanctions.unit_roles))
        result = Explained(details, units, self.as_of, self.rulebook.hash, self.run_id,
                           _stored(self.engine, person))
        by_rule: dict[str, list[Any]] = {}
        for plan in self.plans:
            if rule is None or plan.version.rule_id == rule:
                by_rule.setdefault(plan.version.rule_id, []).append(plan)
        for rule_id, plans in by_rule.items():
            walks = [why(self.engine, plan, self.as_of, person,
                         [] if subject_ref(plan)[0] == "person" else units) for plan in plans]
            result.rules.append(_verdict(rule_id, person, units, self.replayed, walks))
        return result


def format_explained(result: Explained, paths: int = 5,
                     templates_dir: Path | None = None) -> str:
    """The explanation as plain Chinese text (``templates/explain.txt``): per rule, at most
    ``paths`` paths per version."""
    text = environment(templates_dir).get_template("explain.txt").render(r=result, paths=paths)
    return literal(text)
