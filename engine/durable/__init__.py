"""The only place that knows durable_rules: ruleset encoding, message feed, worker processes.

durable_rules 2.0.28 is unmaintained and has sharp edges (memory never given back, crashes,
silent loss on a 32-bit id hash, mis-evaluated join orders); each module here says which
edge it is built around. Everything else talks to ``DurableEvaluator``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from engine.durable.feed import Feed, feed
from engine.durable.ruleset import ruleset
from engine.durable.workers import (
    WORKERS,
    BatchRunner,
    batches,
    run_batches,
    run_batches_on_dask,
)
from engine.match.evaluator import Matches
from engine.match.plan import RulePlan


@dataclass
class DurableEvaluator:
    """Each plan's partitions as sids, in batches, in forked workers that exit when done."""

    workers: int = WORKERS
    run_batch: BatchRunner | None = None  # what a worker runs (default ``evaluate_batch``)
    name: str = "durable"
    executor: str = "local"  # "local": forked processes here; "dask": tasks on a Dask cluster
    scheduler: str | None = None  # the Dask scheduler's address (None: a local cluster)

    def match(self, engine: Engine, plans: list[RulePlan], as_of: date,
              only: dict[str, set[Any] | None] | None = None) -> Matches:
        """Every match; with ``only``, of the partitions given per plan (None: all of it)."""
        feeds: dict[str, Feed] = {}
        work = []
        for plan in plans:
            feeds[plan.name] = feed(engine, plan, as_of, None if only is None else only[plan.name])
            work.extend(batches(plan.name, ruleset(plan), feeds[plan.name].partitions))
        result = Matches({plan.name: [] for plan in plans}, {},
                         {"batches": len(work), "messages": 0, "matches": 0})
        for one in feeds.values():
            result.facts.update(one.facts)
            result.stats["messages"] += sum(len(m) for m in one.partitions.values())
        done = run_batches_on_dask(work, self.scheduler) if self.executor == "dask" \
            else run_batches(work, self.workers, self.run_batch)
        for batch, found in done:
            decode = feeds[batch.ruleset_name].decode
            result.by_rule[batch.ruleset_name].extend(
                {alias: decode[msg_id] for alias, msg_id in match.items()} for _, match in found)
            result.stats["matches"] += len(found)
        return result
