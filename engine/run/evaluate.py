"""One evaluation of the store: rulebook → findings → recommendations, committed whole or not at all."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from engine.durable import DurableEvaluator
from engine.errors import EvaluationError
from engine.match.evaluator import Evaluator, Matches
from engine.match.evidence import with_evidence
from engine.match.findings import Finding, findings
from engine.match.plan import Facts, plan_rule
from engine.match.reference import ReferenceEvaluator
from engine.rulebook import Rulebook, load_rulebook
from engine.sanction.recommend import Chosen, recommend
from facts.recommendation_tables import EvaluationRun, RecommendationRow

# the evaluators a user may choose by name (``--evaluator``)
EVALUATORS: dict[str, type[Evaluator]] = {"durable": DurableEvaluator,
                                          "reference": ReferenceEvaluator}


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
    findings: list[Finding] = field(default_factory=list)  # what the rules found (not stored)


def find(engine: Engine, rulebook: Rulebook, as_of: date,
         evaluator: Evaluator | None = None) -> tuple[list[Finding], Facts, Matches]:
    """Every finding of every rule version, before versions are chosen by conduct date."""
    evaluator = evaluator or DurableEvaluator()
    plans = [plan_rule(v, as_of) for v in rulebook.versions]
    matches = evaluator.match(engine, plans, as_of)
    result = []
    for plan in plans:
        found = findings(plan, matches.by_rule[plan.name], matches.facts, as_of)
        # evidence: looked up once, after either evaluator matched (not a matching step)
        result.extend(with_evidence(engine, plan, found, matches.facts, as_of))
    return result, matches.facts, matches


def _comparable(explanation: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in explanation.items() if k != "as_of"}, sort_keys=True,
                      ensure_ascii=False, default=str)


def evaluate(engine: Engine, as_of: date | None = None, rulebook: Rulebook | None = None,
             evaluator: Evaluator | None = None) -> RunResult:
    """Evaluate the store and commit the recommendations in one transaction.

    Running again with the same facts and rules changes nothing: ids are derived from the
    finding, an unchanged explanation is left as it is, and reviewed ones are never touched.
    A failed run is recorded as failed and leaves every recommendation as it was.
    """
    as_of = as_of or date.today()
    rulebook = rulebook or load_rulebook()
    started = datetime.now(UTC)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    try:
        found, facts, matches = find(engine, rulebook, as_of, evaluator)
        timings["match_s"] = round(time.perf_counter() - clock, 3)
        counts: Counter = Counter(findings=len(found), facts_matched=len(facts), **matches.stats)
        chosen = recommend(engine, rulebook, found, facts, as_of, counts)
        timings["recommend_s"] = round(time.perf_counter() - clock - timings["match_s"], 3)
        result = _commit(engine, chosen, rulebook, as_of, started, counts, timings, clock)
        result.findings = found
        return result
    except Exception as exc:
        with contextlib.suppress(Exception):  # the store may be what failed; keep the first error
            _record_failure(engine, as_of, rulebook.hash, started, exc)
        if isinstance(exc, EvaluationError):
            raise
        raise EvaluationError(f"{type(exc).__name__}: {exc}") from exc


def _commit(engine: Engine, chosen: Chosen, rulebook: Rulebook,
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

