"""Running compiled rulesets in durable_rules, in worker processes that exit after their batch.

durable_rules never gives memory back and can crash the process, so each batch of
partitions (at most ``MAX_SIDS`` sids, well under its limit of 1024) runs in a forked
worker that exits when done. A worker that dies is retried once; a second failure fails
the whole evaluation (never a silently partial run).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from engine.errors import EvaluationError

MAX_SIDS = 500
MAX_MESSAGES = 20_000
WORKERS = max(1, min(2, os.cpu_count() or 1))

MessageMatch = dict[str, str]  # alias -> message id ("kind:id", encoded)


@dataclass
class Batch:
    ruleset_name: str
    definition: dict[str, Any]
    partitions: list[tuple[str, list[dict[str, Any]]]]
    number: int


def batches(ruleset_name: str, definition: dict[str, Any],
            partitions: dict[str, list[dict[str, Any]]]) -> Iterator[Batch]:
    """Partitions grouped into batches small enough for one worker."""
    current: list[tuple[str, list[dict[str, Any]]]] = []
    size = 0
    number = 0
    for sid in sorted(partitions):
        messages = partitions[sid]
        if current and (len(current) >= MAX_SIDS or size + len(messages) > MAX_MESSAGES):
            yield Batch(ruleset_name, definition, current, number)
            number += 1
            current, size = [], 0
        current.append((sid, messages))
        size += len(messages)
    if current:
        yield Batch(ruleset_name, definition, current, number)


def evaluate_batch(batch: Batch) -> list[tuple[str, MessageMatch]]:
    """Evaluate one batch in this process: every partition as its own sid. Returns matches."""
    from durable.engine import Host, MessageNotHandledException

    matches: list[tuple[str, MessageMatch]] = []
    errors: list[str] = []

    class _Host(Host):
        def _run(self) -> None:  # the stock Host starts timer threads that never stop
            pass

        def get_action(self, action_name: str) -> Any:
            def matched(c: Any) -> None:
                try:
                    record = {alias.removeprefix("a_"): m["id"] for alias, m in c._m.items()}
                    matches.append((c.s.sid, record))
                except Exception:  # durable_rules would swallow it into the state
                    errors.append(traceback.format_exc())
            return matched

    host = _Host()
    # set_rulesets mutates its argument (it deletes 'run'): give it a copy
    host.set_rulesets(json.loads(json.dumps(batch.definition)))
    negated = {"q_" + name.removeprefix("a_").removesuffix("$not")
               for rule in batch.definition[batch.ruleset_name].values()
               for clause in rule["all"] for name in clause if name.endswith("$not")}
    for sid, messages in batch.partitions:
        for msg in messages:
            try:
                host.assert_fact(batch.ruleset_name, msg)
            except MessageNotHandledException:
                # only a fact that qualified for an absent clause alone may go unhandled
                if {k for k in msg if k.startswith("q_")} - negated:
                    raise
            # MessageObservedException (a repeated id) propagates: it would be a lost fact
        state = host.get_state(batch.ruleset_name, sid)
        if state and state.get("exception"):
            errors.append(f"sid {sid}: {state['exception']}")
    if errors:
        raise EvaluationError("actions failed: " + "; ".join(errors[:3]))
    return matches


BatchRunner = Callable[[Batch], list[tuple[str, MessageMatch]]]


def _worker(batch: Batch, conn: Connection, run_batch: BatchRunner | None) -> None:
    try:
        conn.send(("ok", (run_batch or evaluate_batch)(batch)))
    except BaseException as exc:  # report, then exit non-zero
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        conn.close()
        os._exit(1)
    conn.close()
    os._exit(0)  # skip interpreter teardown: durable_rules' memory goes with the process


def _spawner(orders: Connection, answers: Connection, run_batch: BatchRunner | None,
             parents_ends: tuple[Connection, ...]) -> None:
    """Fork a worker for each batch ordered, answer (order number, status, payload, exit
    code) when it is done; return when the orders end and every worker is done. SIGTERM
    kills the running workers first (the run gave up on them).

    This process is forked before the evaluation reads anything, so a worker forked from it
    starts from that small heap, not from the parent's, which grows with the matched facts
    and the plan being fed (a forked worker's memory counts every page it inherits). It is
    a daemon (the run's exit ends it), so its workers are forked with ``os.fork``."""
    for end in parents_ends:  # inherited by the fork; held here, the orders would never end
        end.close()
    running: dict[Connection, tuple[int, int]] = {}  # answer pipe -> (order number, pid)

    def stop(*_: Any) -> None:
        for _, pid in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os._exit(1)

    signal.signal(signal.SIGTERM, stop)
    open_orders = True
    while open_orders or running:
        for ready in wait([orders, *running] if open_orders else list(running)):
            if ready is orders:
                try:
                    number, batch = orders.recv()
                except EOFError:  # the parent is done, or gone
                    open_orders = False
                    continue
                receiver, sender = multiprocessing.Pipe(duplex=False)
                pid = os.fork()
                if pid == 0:  # the worker: only its own pipe's sending end stays open
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    for end in (orders, answers, receiver, *running):
                        end.close()
                    _worker(batch, sender, run_batch)
                sender.close()
                running[receiver] = (number, pid)
                continue
            number, pid = running.pop(ready)  # type: ignore[index]
            try:
                status, payload = ready.recv()  # type: ignore[union-attr]
            except (EOFError, OSError):  # died before answering, or while answering
                status, payload = "crash", "the worker died without an answer"
            ready.close()  # type: ignore[union-attr]
            exitcode = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            with contextlib.suppress(BrokenPipeError):  # the parent gave up: nobody listens
                answers.send((number, status, payload, exitcode))


def run_batches(work: Iterable[Batch], workers: int = WORKERS, run_batch: BatchRunner | None = None
                ) -> Iterator[tuple[Batch, list[tuple[str, MessageMatch]]]]:
    """Run every batch in its own forked process, ``workers`` at a time, retrying a failure
    once; each batch's matches as soon as it is done.

    ``work`` is drawn lazily, one batch whenever a worker is free, so that the facts of
    batches not yet started need not be read (``engine.durable.DurableEvaluator`` feeds one
    rule plan at a time). The workers are forked by a spawner forked first (``_spawner``).
    ``run_batch`` replaces ``evaluate_batch`` in the workers (a profiler wraps it, say).
    """
    context = multiprocessing.get_context("fork")
    orders, their_orders = context.Pipe(duplex=False)
    their_answers, answers = context.Pipe(duplex=False)
    spawner = context.Process(target=_spawner, daemon=True,
                              args=(orders, answers, run_batch, (their_orders, their_answers)))
    spawner.start()
    orders.close()
    answers.close()
    # Batches are sent by a thread: a batch and an answer each larger than a pipe holds,
    # sent at once both ways, would otherwise wait for each other to be read, for ever.
    outbox: queue.SimpleQueue[tuple[int, Batch] | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_post, args=(outbox, their_orders), daemon=True)
    sender.start()
    upcoming = iter(work)
    retry: list[tuple[Batch, int]] = []
    running: dict[int, tuple[Batch, int]] = {}
    numbers = itertools.count()
    try:
        while True:
            while len(running) < workers:
                if retry:
                    batch, attempt = retry.pop()
                else:
                    batch = next(upcoming, None)  # type: ignore[arg-type]
                    if batch is None:
                        break
                    attempt = 1
                number = next(numbers)
                outbox.put((number, batch))
                running[number] = (batch, attempt)
            if not running:
                return
            try:
                number, status, payload, exitcode = their_answers.recv()
            except EOFError:
                raise EvaluationError("the process that starts the workers died") from None
            batch, attempt = running.pop(number)
            if status == "ok" and exitcode == 0:
                yield batch, payload
                continue
            reason = f"{payload} (exit code {exitcode})"
            if attempt >= 2:
                raise EvaluationError(
                    f"{batch.ruleset_name} batch {batch.number} failed twice: {reason}")
            retry.append((batch, attempt + 1))
    except BaseException:  # failed, or stopped early: the batches still running are not wanted
        spawner.terminate()
        raise
    finally:
        their_answers.close()  # first: a spawner sending an answer nobody reads goes on
        outbox.put(None)
        sender.join()
        their_orders.close()  # the spawner ends when its workers are done (or were killed)
        spawner.join()


def _post(outbox: queue.SimpleQueue, orders: Connection) -> None:
    """Send the batches put in ``outbox`` until None; stop if the spawner is gone."""
    while (order := outbox.get()) is not None:
        try:
            orders.send(order)
        except OSError:  # the spawner died: the run learns it from its answers
            return


def _isolated(batch: Batch) -> list[tuple[str, MessageMatch]]:
    """A Dask task: one batch in a forked child of the Dask worker, so that durable_rules'
    memory goes back when it exits and a crash loses the child, not the worker. (A Dask
    worker is a daemonic process, which ``multiprocessing`` forbids to have children: the
    child is forked with ``os.fork`` and answers through a pipe.)"""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        code = 0
        try:
            answer = pickle.dumps(("ok", evaluate_batch(batch)))
        except BaseException as exc:  # report, then exit non-zero
            answer, code = pickle.dumps(("error", f"{type(exc).__name__}: {exc}")), 1
        with os.fdopen(writer, "wb") as out:
            out.write(answer)
        os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        answer = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not answer:
        raise EvaluationError(f"{batch.ruleset_name} batch {batch.number}: the worker died "
                              f"without an answer (wait status {status})")
    kind, payload = pickle.loads(answer)
    if kind != "ok":
        raise EvaluationError(f"{batch.ruleset_name} batch {batch.number}: {payload}")
    return payload


def run_batches_on_dask(work: Iterable[Batch], scheduler: str | None
                        ) -> list[tuple[Batch, list[tuple[str, MessageMatch]]]]:
    """Run every batch as a task on a Dask cluster (``scheduler``: its address; None: a local
    cluster of ``WORKERS`` processes). Each task is a pure function of its batch; the
    cluster retries a failed task once, and a second failure fails the evaluation."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # an optional extra
        raise EvaluationError("--executor dask needs Dask: pip install 'wenze[dask]'") from exc
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(
                n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None))
            scheduler = cluster.scheduler_address
        client = stack.enter_context(Client(scheduler))
        run = uuid.uuid4().hex[:8]
        work = list(work)
        futures = client.map(_isolated, work, retries=1, pure=False,
                             key=[f"wenze-{run}-{b.ruleset_name}-{b.number}" for b in work])
        try:
            found = client.gather(futures)
        except Exception as exc:
            raise EvaluationError(f"a Dask task failed twice: {type(exc).__name__}: {exc}") \
                from exc
    return list(zip(work, found, strict=True))
