"""The only place that knows durable_rules: ruleset encoding, message feed, worker processes.

durable_rules 2.0.28 is unmaintained and has sharp edges (memory never given back, crashes,
silent loss on a 32-bit id hash, mis-evaluated join orders); each module here says which
edge it is built around. Everything else talks to ``DurableEvaluator``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from engine.durable.feed import Feed, feed
from engine.durable.ruleset import ruleset
from engine.durable.workers import (
    WORKERS,
    Batch,
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
        """Every match; with ``only``, of the partitions given per plan (None: all of it).

        Plans are fed one at a time, as workers ask for batches, and a plan's facts are
        let go once its batches are done: only the facts of matches are kept.
        """
        result = Matches({plan.name: [] for plan in plans}, {},
                         {"batches": 0, "messages": 0, "matches": 0})
        feeds: dict[str, Feed] = {}
        pending: Counter[str] = Counter()  # plan -> batches not yet done
        fed: set[str] = set()  # plans whose every batch was handed out

        def work() -> Iterator[Batch]:
            for plan in plans:
                one = feed(engine, plan, as_of, None if only is None else only[plan.name])
                feeds[plan.name] = one
                result.stats["messages"] += sum(len(m) for m in one.partitions.values())
                for batch in batches(plan.name, ruleset(plan), one.partitions):
                    result.stats["batches"] += 1
                    pending[plan.name] += 1
                    yield batch
                one.partitions.clear()  # the batches hold the messages now
                fed.add(plan.name)
                if not pending[plan.name]:
                    del feeds[plan.name]

        done = run_batches_on_dask(work(), self.scheduler) if self.executor == "dask" \
            else run_batches(work(), self.workers, self.run_batch)
        for batch, found in done:
            one = feeds[batch.ruleset_name]
            for _, match in found:
                keys = {alias: one.decode[msg_id] for alias, msg_id in match.items()}
                result.by_rule[batch.ruleset_name].append(keys)
                for key in keys.values():
                    result.facts.setdefault(key, one.facts[key])
            result.stats["matches"] += len(found)
            pending[batch.ruleset_name] -= 1
            if not pending[batch.ruleset_name] and batch.ruleset_name in fed:
                del feeds[batch.ruleset_name]  # every batch of the plan is done
        return result
