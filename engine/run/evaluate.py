"""One evaluation of the store: rulebook → findings → recommendations, committed whole or not at all."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert

from engine.durable import DurableEvaluator
from engine.errors import EvaluationError
from engine.match.evaluator import Evaluator
from engine.match.findings import Finding
from engine.match.plan import Facts, plan_rule
from engine.match.reference import ReferenceEvaluator
from engine.rulebook import Rulebook, load_rulebook
from engine.run import incremental
from engine.run.commit import RunResult, commit, record
from engine.run.replay import find_all, findings_of
from engine.run.rulebooks import keep_copy
from engine.sanction.carry import Carry
from engine.sanction.recommend import Recommended, recommend_in_parts
from facts.collector import collected_rarely
from facts.lock import store_lock
from facts.recommendation_tables import EvaluationRun

# the evaluators a user may choose by name (``--evaluator``)
EVALUATORS: dict[str, type[Evaluator]] = {"durable": DurableEvaluator,
                                          "reference": ReferenceEvaluator}


def find(engine: Engine, rulebook: Rulebook, as_of: date,
         evaluator: Evaluator | None = None) -> tuple[list[Finding], Facts, dict[str, int]]:
    """Every finding of every rule version, before versions are chosen by conduct date."""
    (found,) = find_all(engine, [rulebook], as_of, evaluator)
    return found.findings, found.facts, found.stats


def evaluate(engine: Engine, as_of: date | None = None, rulebook: Rulebook | None = None,
             evaluator: Evaluator | None = None, *, wait: float | None = None,
             full: bool = False) -> RunResult:
    """Evaluate the store and commit the recommendations in one transaction.

    Running again with the same facts and rules changes nothing: ids are derived from the
    matter, an unchanged explanation is left as it is, and decided ones are never changed
    (only flagged when their facts change). A failed run is recorded as failed and leaves
    every recommendation as it was.

    The whole run holds the store's writer lock (``facts.lock``): another writer waits up
    to ``wait`` seconds, then ``StoreBusy`` is raised and no run is recorded.

    Only the partitions whose facts or windows changed since the last committed run are
    matched again, and only the persons whose inputs changed are explained again, unless
    ``full`` (``engine.run.incremental``, ``engine.sanction.carry``); the result is the same.
    """
    with store_lock(engine, wait), collected_rarely():
        return _evaluate(engine, as_of, rulebook, evaluator, full)


def _evaluate(engine: Engine, as_of: date | None, rulebook: Rulebook | None,
              evaluator: Evaluator | None, full: bool) -> RunResult:
    as_of = as_of or date.today()
    rulebook = rulebook or load_rulebook()
    evaluator = evaluator or DurableEvaluator()
    started = datetime.now(UTC)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    try:
        plans = [plan_rule(v, as_of) for v in rulebook.versions]
        chosen = incremental.scope(engine, plans, rulebook.hash, as_of, full=full,
                                   partial=isinstance(evaluator, DurableEvaluator))
        timings["scope_s"] = round(time.perf_counter() - clock, 3)
        if chosen.partitions is None:
            matches = evaluator.match(engine, plans, as_of)
        else:
            assert isinstance(evaluator, DurableEvaluator)
            matches = evaluator.match(engine, plans, as_of, only=chosen.partitions)
        fresh = {name: list(found) for name, found in matches.by_rule.items()}
        kept = None
        if chosen.partitions is not None:
            incremental.add_kept(engine, plans, matches, chosen)
            kept = incremental.KeptEvidence(engine, chosen, matches.facts)
        found = findings_of(engine, plans, matches.by_rule, matches.facts, as_of, kept)
        facts = matches.facts
        timings["match_s"] = round(time.perf_counter() - clock - timings["scope_s"], 3)
        counts: Counter = Counter(findings=len(found), facts_matched=len(facts), **matches.stats)
        if kept is not None:
            counts["evidence_kept"] = len(kept.carried)  # findings not looked up again
        carry = Carry(engine, rulebook, as_of, found, chosen.touched)
        parts = recommend_in_parts(engine, rulebook, found, facts, as_of, counts, carry=carry)
        result = _commit(engine, parts, rulebook, as_of, started, counts, timings, clock,
                         lambda connection: incremental.save(connection, plans, fresh, facts,
                                                             chosen, found, kept),
                         chosen.summary(), carry)
        result.findings = found
        return result
    except Exception as exc:
        with contextlib.suppress(Exception):  # the store may be what failed; keep the first error
            _record_failure(engine, as_of, rulebook.hash, started, exc)
        if isinstance(exc, EvaluationError):
            raise
        raise EvaluationError(f"{type(exc).__name__}: {exc}") from exc


def _commit(engine: Engine, parts: Iterable[Recommended], rulebook: Rulebook, as_of: date,
            started: datetime, counts: Counter, timings: dict[str, float], clock: float,
            save_matches: Callable[[Connection], None], state: dict[str, Any],
            carry: Carry) -> RunResult:
    with engine.begin() as connection:
        run_id = connection.execute(insert(EvaluationRun.__table__).values(
            as_of=as_of, rulebook_hash=rulebook.hash, started=started, status="running",
            counts={}, timings={}, set_aside=[], state=state)).inserted_primary_key[0]
        result = RunResult(run_id, as_of, rulebook.hash, {}, timings)
        by_circumstance = commit(connection, run_id, parts, rulebook, result, carry)
        # recommending and committing go together, a part of the persons at a time
        timings["recommend_commit_s"] = round(
            time.perf_counter() - clock - timings["match_s"] - timings["scope_s"], 3)
        keep_copy(connection, rulebook)  # what this rulebook said, kept with what it made
        save_matches(connection)
        timings["total_s"] = round(time.perf_counter() - clock, 3)
        record(connection, result, counts, by_circumstance)
    return result


def _record_failure(engine: Engine, as_of: date, rulebook_hash: str, started: datetime,
                    exc: Exception) -> None:
    with engine.begin() as connection:
        connection.execute(insert(EvaluationRun.__table__).values(
            as_of=as_of, rulebook_hash=rulebook_hash, started=started, finished=datetime.now(UTC),
            status="failed", counts={"error": f"{type(exc).__name__}: {exc}"[:2000]}, timings={}))

