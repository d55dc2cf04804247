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
from typing import Any

from sqlalchemy import Engine, select

from engine.match.findings import Finding
from engine.match.plan import plan_rule
from engine.match.why import Path, Step, TermCheck, VersionWhy, subject_ref, why
from engine.rulebook import Rulebook
from engine.run.replay import Replayed, replay
from facts.recommendation_tables import EvaluationRun, RecommendationRow
from facts.tables import PersonRow, PostRow
from usecases.terminal import literal


class UnknownPerson(LookupError):
    """No stored person has that id."""


@dataclass
class RuleWhy:
    rule_id: str
    title: str
    circumstance: int
    fired: bool
    # fired | set_aside | not_recommended | no_finding | blocked | not_matched | no_unit
    verdict: str
    recommendations: list[str]  # replayed recommendation ids citing the rule for the person
    reasons: list[str]  # set-aside reasons, or what the run did with the findings (Chinese)
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


def _not_recommended(finding: Finding, replayed: Replayed) -> str:
    """Why a finding about the person or their unit made no recommendation for them."""
    version = finding.rule.version
    said = f"第{version.version}版认定{finding.subject}于{finding.conduct_date}的事实"
    current = {v.rule_id: v.version for v in replayed.rulebook.versions
               if v.in_force(replayed.as_of)}
    if not version.in_force(finding.conduct_date) and current.get(version.rule_id) != version.version:
        return f"{said}，但该版本在行为发生时未生效"
    if finding.subject_kind == "unit":
        return f"{said}，但行为发生时本人未在该单位担任承担此项责任的职务"
    return f"{said}，但未对本人提出问责建议"


def _no_finding(walk: VersionWhy, replayed: Replayed) -> str:
    """What a version asks beyond its conditions: a count, and how far back it looks."""
    version = next(v for v in replayed.rulebook.versions
                   if (v.rule_id, v.version) == (walk.rule_id, walk.version))
    spec = version.spec
    said = [f"第{version.version}版条件成立 {walk.matched} 次"]
    if spec.count is not None:
        within = spec.count.within or f"{spec.count.within_days}d"
        said.append(f"但须按 {spec.count.per} 计、{within} 内至少 {spec.count.at_least} 次"
                    + ("（同一问题只计一次）" if spec.count.same_problem else ""))
    if spec.finding.since:
        said.append(f"且只认定行为日期在 {spec.finding.since} 以后的")
    return "，".join(said)


def _verdict(rule_id: str, person: str, units: list[str], replayed: Replayed,
             versions: list[VersionWhy]) -> tuple[str, list[str], list[str]]:
    recommended = replayed.recommended
    recs = sorted(rec_id for rec_id, (e, _) in recommended.chosen.items()
                  if e.subject.id == person
                  and (e.rule_id == rule_id or any(g.rule_id == rule_id for g in e.grounds)))
    if recs:
        return "fired", recs, []
    mine = {person, *units}
    aside = [item.detail for item in recommended.set_aside
             if item.rule == rule_id and (item.person == person
                                          or (item.person is None and item.subject in mine))]
    if aside:
        return "set_aside", [], sorted(set(aside))
    found = [f for f in replayed.found.findings
             if f.rule.version.rule_id == rule_id and f.subject in mine]
    if found:
        return "not_recommended", [], [_not_recommended(f, replayed) for f in found]
    if any(v.matched for v in versions):
        return "no_finding", [], [_no_finding(v, replayed) for v in versions if v.matched]
    if not any(v.scope for v in versions):
        return "no_unit", [], []
    if any(p.steps[-1].status == "blocked" for v in versions for p in v.paths):
        return "blocked", [], []
    return "not_matched", [], []


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
            verdict, recs, reasons = _verdict(rule_id, person, units, self.replayed, walks)
            first = plans[0].version
            result.rules.append(RuleWhy(rule_id, first.title, first.circumstance,
                                        verdict == "fired", verdict, recs, reasons, walks))
        return result


# ---- what the terminal prints (Chinese, for discipline and policy staff) ----

_OPS = {"eq": "＝", "ne": "≠", "gt": "＞", "ge": "≥", "lt": "＜", "le": "≤", "in": "属于",
        "not_in": "不属于", "size_ge": "个数≥"}
_RESULT = {"held": "成立", "false": "不成立", "missing": "缺少该项"}
_STATUS = {"matched": "满足", "missing": "缺少事实", "false": "条件不成立",
           "blocked": "被排除（存在下列事实）", "clear": "不存在排除事实"}
_VERDICT = {"fired": "已触发", "set_aside": "认定了事实，但未提出问责建议",
            "not_recommended": "认定了事实，但不适用于本人（见下）",
            "no_finding": "条件成立，但未达到认定要求（次数、期间）",
            "blocked": "未触发：存在排除事实", "not_matched": "未触发：条件不成立", "no_unit": "未触发：本人未在任何单位任职"}


def _value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value))
    return "（空）" if value is None else str(value)


def _check(check: TermCheck) -> str:
    if check.op == "exists":
        wanted = "有值" if check.expected else "无值"
        return f"{check.field} 应{wanted}，实际 {_value(check.actual)}：{_RESULT[check.result]}"
    expected = _value(check.expected) + (f"（{check.ref}）" if check.ref else "")
    return (f"{check.field} {_OPS[check.op]} {expected}，实际 {_value(check.actual)}："
            f"{_RESULT[check.result]}")


def _step(step: Step, indent: str) -> list[str]:
    head = "排除条件" if step.negated else "条件"
    narrowed = f"（查找范围：{'；'.join(step.narrowed_by)}）" if step.narrowed_by else ""
    lines = [f"{indent}{head} {step.alias}（{'/'.join(step.kinds)}）：{_STATUS[step.status]}{narrowed}"]
    for fact in step.looked_at:
        lines.append(f"{indent}  [{fact.kind}:{fact.id}] {fact.date or ''} 来源 {fact.src}")
        lines += [f"{indent}    {_check(c)}" for c in fact.checks]
    if step.more:
        lines.append(f"{indent}  ……另有 {step.more} 项")
    return lines


def _path(path: Path, indent: str) -> list[str]:
    return [line for step in path.steps for line in _step(step, indent)]


def format_explained(result: Explained, paths: int = 5) -> str:
    """The explanation as plain Chinese text."""
    p = result.person
    run = f"，即第{result.last_run}次评估" if result.last_run else ""
    out = [f"{p['name']}（{p['id']}）　评估日期 {result.as_of}{run}　规则库 {result.rulebook_hash[:12]}",
           f"任职单位：{'、'.join(result.units) or '无'}"]
    for rule in result.rules:
        out.append("")
        out.append(f"■ {rule.rule_id}　{rule.title}（情形{rule.circumstance}）：{_VERDICT[rule.verdict]}")
        if rule.recommendations:
            out.append(f"  问责建议：{'、'.join(rule.recommendations)}")
        stored = result.stored.get(rule.rule_id)
        if stored:
            out.append(f"  已存问责建议：{'、'.join(stored)}")
        out += [f"  {reason}" for reason in rule.reasons]
        for version in rule.versions:
            until = version.effective_to or "今"
            out.append(f"  第{version.version}版（{version.effective_from}至{until}）："
                       f"成立 {version.matched} 次；查找范围 {'；'.join(version.scope) or '无'}")
            shown = [x for x in version.paths if x.matched == rule.fired or not rule.fired]
            for n, path in enumerate(shown[:paths], 1):
                out.append(f"    路径{n}：{'成立' if path.matched else '不成立'}")
                out += _path(path, "      ")
            hidden = len(shown) - paths + version.more_paths
            if hidden > 0:
                out.append(f"    ……另有 {hidden} 条路径（--json 查看全部）")
    return literal("\n".join(out))
