"""One evaluation of the store: rulebook → findings → recommendations, committed whole or not at all."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, insert, select, update

from engine.compile import compile_rule
from engine.durable_runner import WORKERS, batches, run_batches
from engine.explanation import EscalationStep, Explanation
from engine.feed import FactKey, partitions
from engine.findings import Facts, Finding, findings
from engine.recommend import accountable_persons, explain, recommendation_id
from engine.records import EvaluationRun, RecommendationRow
from engine.reference import evaluate_reference
from engine.roster import Roster
from engine.rulebook import Rulebook, load_rulebook
from facts.responsibility import load_responsibility_list

Evaluator = Literal["durable", "reference"]


@dataclass
class RunResult:
    run_id: int
    as_of: date
    rulebook_hash: str
    counts: dict[str, Any]
    timings: dict[str, float]
    new: list[str] = field(default_factory=list)  # recommendations this run created
    changed: list[str] = field(default_factory=list)  # pending ones whose explanation changed
    unchanged: list[str] = field(default_factory=list)


def find(engine: Engine, rulebook: Rulebook, as_of: date, evaluator: Evaluator = "durable",
         workers: int = WORKERS) -> tuple[list[Finding], Facts]:
    """Every finding of every rule version, before versions are chosen by conduct date."""
    compiled = [compile_rule(v, as_of) for v in rulebook.versions]
    facts: Facts = {}
    matches: dict[str, list[dict[str, FactKey]]] = {rule.ruleset_name: [] for rule in compiled}
    if evaluator == "durable":
        work = []
        decode: dict[str, FactKey] = {}
        for rule in compiled:
            work.extend(batches(rule.ruleset_name, rule.definition,
                                partitions(engine, rule, as_of, facts, decode)))
        for batch, found in run_batches(work, workers):
            matches[batch.ruleset_name].extend(
                {alias: decode[msg_id] for alias, msg_id in match.items()} for _, match in found)
    else:
        cache: dict[str, list[dict[str, Any]]] = {}
        for rule in compiled:
            matches[rule.ruleset_name] = evaluate_reference(engine, rule, as_of, cache)
        facts = {(kind, f["id"]): f for kind, rows in cache.items() for f in rows}
    result = []
    for rule in compiled:
        result.extend(findings(rule, matches[rule.ruleset_name], facts, as_of))
    return result, facts


def _ladder_weight(rulebook: Rulebook, explanation: Explanation) -> tuple[int, int]:
    ladder = rulebook.sanctions.ladder
    return (ladder.index(explanation.forms[0]), len(explanation.forms))


def recommendations(engine: Engine, rulebook: Rulebook, found: list[Finding], facts: Facts,
                    as_of: date, counts: Counter) -> dict[str, tuple[Explanation, Finding]]:
    """Explanations by recommendation id, after 从旧兼从轻 between rule versions."""
    roster = Roster.load(engine, as_of)
    approved = _approved(engine)
    responsibility = load_responsibility_list()
    current = {v.rule_id: v.version for v in rulebook.versions if v.in_force(as_of)}
    chosen: dict[str, tuple[Explanation, Finding]] = {}
    alternatives: dict[str, list[tuple[Explanation, Finding]]] = {}
    for finding in found:
        version = finding.rule.version
        in_force_then = version.in_force(finding.conduct_date)
        is_current = current.get(version.rule_id) == version.version
        if not in_force_then and not is_current:
            continue
        persons, skipped = accountable_persons(finding, rulebook, roster, facts)
        if in_force_then:
            for skip in skipped:
                counts[f"skipped_{skip.reason}"] += 1
        for who in persons:
            rec_id = recommendation_id(version.rule_id, who.person, finding.key)
            explanation = explain(finding, who, rulebook, roster, facts, as_of,
                                  [a for a in approved.get(who.person, []) if a[0] != rec_id], responsibility)
            if explanation is None:
                if in_force_then:
                    counts["skipped_exempt"] += 1
                continue
            if in_force_then:
                chosen[rec_id] = (explanation, finding)
            else:
                alternatives.setdefault(rec_id, []).append((explanation, finding))
    for rec_id, options in alternatives.items():
        if rec_id not in chosen:
            continue  # the version in force at the time of the conduct did not find it
        old, _ = chosen[rec_id]
        for new, finding in options:
            if _ladder_weight(rulebook, new) < _ladder_weight(rulebook, old):
                new.steps.append(EscalationStep(
                    step="mitigating", before=old.forms[0], after=new.forms[0],
                    reason=f"从旧兼从轻：行为发生时适用第{old.rule_version}版，现行第{new.rule_version}版"
                           f"处理较轻，适用现行版本"))
                chosen[rec_id] = (new, finding)
    return chosen


def _approved(engine: Engine) -> dict[str, list[tuple[str, date, str]]]:
    table = RecommendationRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.id, table.c.person, table.c.conduct_date,
                                         table.c.form).where(table.c.status == "approved"))
        result: dict[str, list[tuple[str, date, str]]] = {}
        for row in rows:
            result.setdefault(row.person, []).append((row.id, row.conduct_date, row.form))
    return result


def _comparable(explanation: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in explanation.items() if k != "as_of"}, sort_keys=True,
                      ensure_ascii=False, default=str)


def evaluate(engine: Engine, as_of: date | None = None, rules_dir: Path | None = None,
             evaluator: Evaluator = "durable", workers: int = WORKERS) -> RunResult:
    """Evaluate the store and commit the recommendations in one transaction.

    Running again with the same facts and rules changes nothing: ids are derived from the
    finding, an unchanged explanation is left as it is, and reviewed ones are never touched.
    A failed run is recorded as failed and leaves every recommendation as it was.
    """
    as_of = as_of or date.today()
    started = datetime.now(UTC)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    rulebook = load_rulebook(rules_dir)
    try:
        found, facts = find(engine, rulebook, as_of, evaluator, workers)
        timings["match_s"] = round(time.perf_counter() - clock, 3)
        counts: Counter = Counter(findings=len(found), facts_matched=len(facts))
        chosen = recommendations(engine, rulebook, found, facts, as_of, counts)
        timings["recommend_s"] = round(time.perf_counter() - clock - timings["match_s"], 3)
        return _commit(engine, chosen, rulebook, as_of, started, counts, timings, clock)
    except Exception as exc:
        _record_failure(engine, as_of, rulebook.hash, started, exc)
        raise


def _commit(engine: Engine, chosen: dict[str, tuple[Explanation, Finding]], rulebook: Rulebook,
            as_of: date, started: datetime, counts: Counter, timings: dict[str, float],
            clock: float) -> RunResult:
    table = RecommendationRow.__table__
    with engine.begin() as connection:
        run_id = connection.execute(insert(EvaluationRun.__table__).values(
            as_of=as_of, rulebook_hash=rulebook.hash, started=started, status="running",
            counts={}, timings={})).inserted_primary_key[0]
        result = RunResult(run_id, as_of, rulebook.hash, {}, timings)
        stored = {r.id: r for r in connection.execute(
            select(table.c.id, table.c.status, table.c.explanation))}
        for rec_id in sorted(chosen):
            explanation, finding = chosen[rec_id]
            data = explanation.model_dump(mode="json")
            values = dict(
                person=explanation.subject.id, person_name=explanation.subject.name,
                unit=explanation.post.unit, circumstance=explanation.circumstance,
                responsibility=explanation.responsibility, degree=explanation.degree,
                form=explanation.forms[0], proposer=explanation.proposer,
                rule=explanation.rule_id, rule_version=explanation.rule_version,
                conduct_date=explanation.conduct_date,
                evidence=[f"{e.kind}:{e.id}" for e in explanation.evidence],
                explanation=data, rulebook_hash=rulebook.hash)
            previous = stored.get(rec_id)
            if previous is None:
                connection.execute(insert(table).values(id=rec_id, run_id=run_id, status="pending",
                                                        created=datetime.now(UTC), **values))
                result.new.append(rec_id)
            elif previous.status == "pending" and \
                    _comparable(previous.explanation) != _comparable(data):
                connection.execute(update(table).where(table.c.id == rec_id).values(**values))
                result.changed.append(rec_id)
            else:
                result.unchanged.append(rec_id)
        counts.update(recommendations=len(chosen), new=len(result.new),
                      changed=len(result.changed), unchanged=len(result.unchanged))
        by_circumstance = Counter(e.circumstance for e, _ in chosen.values())
        result.counts = {**dict(counts), "by_circumstance": {str(k): v for k, v in sorted(by_circumstance.items())}}
        timings["total_s"] = round(time.perf_counter() - clock, 3)
        connection.execute(update(EvaluationRun.__table__).where(
            EvaluationRun.__table__.c.id == run_id).values(
            status="committed", finished=datetime.now(UTC), counts=result.counts, timings=timings))
    return result


def _record_failure(engine: Engine, as_of: date, rulebook_hash: str, started: datetime,
                    exc: Exception) -> None:
    with engine.begin() as connection:
        connection.execute(insert(EvaluationRun.__table__).values(
            as_of=as_of, rulebook_hash=rulebook_hash, started=started, finished=datetime.now(UTC),
            status="failed", counts={"error": f"{type(exc).__name__}: {exc}"[:2000]}, timings={}))

