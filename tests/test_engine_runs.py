"""Runs: evaluating twice changes nothing; a crashed worker is retried once, then the run fails
whole; a killed evaluation leaves the store as it was."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import cli
from engine.durable import workers as durable_runner
from engine.errors import EvaluationError
from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate, find
from engine.run.read import list_recommendations, list_runs
from facts.recommendation_tables import RecommendationRow
from facts.store import open_store
from tests.conftest import load
from tests.engine_support import AS_OF, c2, coal, disunity, signature, table_rows


def _county() -> list[dict]:
    """The coal bureau, a township's disunity and its secretary's ineffective re-check."""
    facts: dict[tuple[str, str], dict] = {}
    for fact in coal() + disunity() + c2():
        facts.setdefault((fact["kind"], fact["id"]), fact)
    return list(facts.values())


def test_evaluating_twice_gives_the_same_recommendations_and_changes_nothing(
    store, tmp_path
) -> None:
    load(store, _county(), tmp_path)
    first = evaluate(store, AS_OF)
    rows = table_rows(store)
    assert len(first.new) == len(rows) >= 6
    second = evaluate(store, AS_OF)
    assert second.new == [] and second.changed == [] and second.counts["new"] == 0
    assert sorted(second.unchanged) == sorted(first.new)
    assert table_rows(store) == rows  # same ids, same run ids, same content
    assert [r["status"] for r in list_runs(store)] == ["committed", "committed"]


def test_re_ingesting_the_same_facts_then_evaluating_adds_nothing(sqlite_store, tmp_path) -> None:
    load(sqlite_store, _county(), tmp_path)
    evaluate(sqlite_store, AS_OF)
    rows = table_rows(sqlite_store)
    load(sqlite_store, _county(), tmp_path, "again.jsonl")
    assert evaluate(sqlite_store, AS_OF).new == []
    assert [r["id"] for r in table_rows(sqlite_store)] == [r["id"] for r in rows]


def _crash_hard(batch):
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_every_time_fails_the_run_and_leaves_the_store_as_it_was(
    sqlite_store, tmp_path, monkeypatch
) -> None:
    load(sqlite_store, _county(), tmp_path)
    evaluate(sqlite_store, AS_OF)
    before = table_rows(sqlite_store)
    # a new finding is waiting: a failed run must not half-commit it
    load(
        sqlite_store,
        [
            {
                "kind": "proposal",
                "id": "PR1",
                "person": "P-DIS",
                "proposer": "P-SEC",  # the bureau's secretary leads its discipline secretary
                "date": "2026-11-20",
                "reason": "履职不力",
            }
        ],
        tmp_path,
        "new.jsonl",
    )
    monkeypatch.setattr(durable_runner, "evaluate_batch", _crash_hard)
    with pytest.raises(EvaluationError, match="failed twice"):
        evaluate(sqlite_store, AS_OF)
    assert table_rows(sqlite_store) == before
    runs = list_runs(sqlite_store)
    assert runs[0]["status"] == "failed" and "EvaluationError" in runs[0]["counts"]["error"]
    assert "failed twice" in runs[0]["counts"]["error"]
    assert [r["status"] for r in runs[1:]] == ["committed"]
    monkeypatch.undo()  # the next run finishes the work
    assert len(evaluate(sqlite_store, AS_OF).new) == 1


def test_a_run_gives_the_garbage_collector_back_as_it_found_it(sqlite_store, tmp_path,
                                                            monkeypatch) -> None:
    """A run collects rarely (``facts.collector``); a program that evaluates, or whose
    evaluation fails, keeps its own settings afterwards."""
    load(sqlite_store, c2(), tmp_path)
    before = gc.get_threshold()
    gc.set_threshold(321, 7, 5)
    try:
        evaluate(sqlite_store, AS_OF)
        assert gc.get_threshold() == (321, 7, 5)
        monkeypatch.setattr(durable_runner, "evaluate_batch", lambda batch: os._exit(9))
        with pytest.raises(EvaluationError):
            evaluate(sqlite_store, AS_OF, full=True)
        assert gc.get_threshold() == (321, 7, 5)
    finally:
        gc.set_threshold(*before)


def test_a_worker_that_exits_abruptly_every_time_fails_the_run(
    sqlite_store, tmp_path, monkeypatch
) -> None:
    load(sqlite_store, c2(), tmp_path)
    monkeypatch.setattr(durable_runner, "evaluate_batch", lambda batch: os._exit(9))
    with pytest.raises(EvaluationError, match="exit code 9"):
        evaluate(sqlite_store, AS_OF)
    assert table_rows(sqlite_store) == []
    assert list_runs(sqlite_store)[0]["status"] == "failed"


@pytest.mark.parametrize("how", ["exit", "sigkill"])
def test_a_worker_that_crashes_only_on_its_first_attempt_is_retried(
    sqlite_store, tmp_path, monkeypatch, how
) -> None:
    load(sqlite_store, _county(), tmp_path)
    rulebook = load_rulebook()
    clean = signature(find(sqlite_store, rulebook, AS_OF)[0])
    real = durable_runner.evaluate_batch
    attempts = tmp_path / "attempts"
    attempts.mkdir()

    def crash_first(batch):
        marker = attempts / f"{batch.ruleset_name}-{batch.number}"
        if not marker.exists():  # forked workers share nothing but the file system
            marker.write_text("crashed")
            if how == "exit":
                os._exit(9)
            os.kill(os.getpid(), signal.SIGKILL)
        return real(batch)

    monkeypatch.setattr(durable_runner, "evaluate_batch", crash_first)
    assert signature(find(sqlite_store, rulebook, AS_OF)[0]) == clean
    crashed = {m.name.rsplit("-", 1)[0] for m in attempts.iterdir()}
    assert {name for name, *_ in clean} <= crashed  # every batch that found something crashed once
    result = evaluate(sqlite_store, AS_OF)
    monkeypatch.undo()
    rows = table_rows(sqlite_store)
    other = tmp_path / "clean"
    other.mkdir()
    reference_store = open_store(f"sqlite:///{other}/w.db")
    load(reference_store, _county(), other)
    evaluate(reference_store, AS_OF)
    assert len(result.new) == len(rows)
    strip = ("run_id", "created", "explanation")
    assert [{k: v for k, v in r.items() if k not in strip} for r in rows] == [
        {k: v for k, v in r.items() if k not in strip} for r in table_rows(reference_store)
    ]


def test_a_run_as_of_another_day_records_its_date(sqlite_store, tmp_path) -> None:
    load(sqlite_store, c2(), tmp_path)
    evaluate(sqlite_store, date(2026, 5, 1))  # before the re-check: nothing yet
    assert table_rows(sqlite_store) == []
    evaluate(sqlite_store, AS_OF)
    assert [r["as_of"] for r in list_runs(sqlite_store)] == ["2026-11-25", "2026-05-01"]
    assert len(table_rows(sqlite_store)) == 1


def test_the_demo_county_evaluation_is_complete_and_idempotent(demo_store) -> None:
    assert {i["circumstance"] for i in list_recommendations(demo_store)} == {1, 2, 3, 4}
    before = len(table_rows(demo_store))
    again = evaluate(demo_store, AS_OF)
    assert again.new == [] and len(again.unchanged) == before


def test_killing_the_evaluation_at_any_moment_leaves_the_store_consistent(demo_store, tmp_path) -> None:
    """SIGKILL ``wenze evaluate`` at several moments: each time the store holds either the
    previous recommendations or the new run whole, never part of one, and the next run finishes."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(Path(str(demo_store.url.database)), copy)
    store = open_store(f"sqlite:///{copy}")
    with store.begin() as connection:  # start from an empty recommendation table
        connection.execute(RecommendationRow.__table__.delete())
    complete = None
    for delay in (0.3, 0.8, 1.5, 3.0):
        process = subprocess.Popen([sys.executable, "-m", "cli", "evaluate", "--as-of", "2026-11-25",
                                    "--db", f"sqlite:///{copy}"], cwd=Path(cli.__file__).parent,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.kill()
        process.wait()
        rows = len(table_rows(store))
        assert "running" not in {r["status"] for r in list_runs(store)}
        assert rows == 0 or rows == (complete or rows)
        complete = complete or rows or None
    final = evaluate(store, AS_OF)
    assert len(table_rows(store)) == final.counts["recommendations"]
    assert complete in (None, final.counts["recommendations"])


def _echo_large(batch):
    """A batch's every message back as a match: an answer as large as the batch."""
    return [(sid, {"a": message["id"]}) for sid, messages in batch.partitions for message in messages]


def test_large_batches_and_large_answers_cross_without_waiting_on_each_other() -> None:
    """The run sends a batch while the workers' process sends an answer: both far larger than
    a pipe holds, neither may wait for the other to be read."""
    def batch(number: int) -> durable_runner.Batch:
        partitions = [(f"s{n}", [{"id": f"m{number}-{n}-{i}" + "x" * 200} for i in range(20)])
                      for n in range(300)]
        return durable_runner.Batch("r", {"r": {}}, partitions, number)

    done: list[int] = []

    def run() -> None:
        for finished, found in durable_runner.run_batches((batch(n) for n in range(12)), 2,
                                                          _echo_large):
            assert len(found) == 300 * 20
            done.append(finished.number)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=120)
    assert sorted(done) == list(range(12)), "the run and its workers waited on each other"


def _small_batches(count: int) -> Iterator[durable_runner.Batch]:
    """``count`` batches of one message, numbered from 0."""
    return (durable_runner.Batch("r", {"r": {}}, [("s", [{"id": "m"}])], n) for n in range(count))


def _fail_one_hold_the_rest(batch):
    """Batch 0 fails at once; every other batch notes its worker's pid and sleeps a minute."""
    if batch.number == 0:
        raise RuntimeError("this batch always fails")
    noted = Path(os.environ["WENZE_TEST_PIDS"], str(os.getpid()))
    noted.touch()
    time.sleep(30)
    noted.with_suffix(".done").touch()
    return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_failed_run_leaves_no_worker_behind(tmp_path, monkeypatch) -> None:
    """When a batch fails twice, the batches still running are stopped with the run, not
    waited for (nor left to run on)."""
    monkeypatch.setenv("WENZE_TEST_PIDS", str(tmp_path))
    batches = _small_batches(4)
    with pytest.raises(EvaluationError, match="failed twice"):
        for _ in durable_runner.run_batches(batches, 2, _fail_one_hold_the_rest):
            pass
    assert not list(tmp_path.glob("*.done")), "the run waited for the batches it gave up"
    pids = [int(p.name) for p in tmp_path.iterdir()]
    assert pids, "a sleeping batch was running when the other failed"
    deadline = time.monotonic() + 10  # SIGKILL is asynchronous; the reaper is init
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def test_a_run_abandoned_by_an_error_does_not_hold_up_the_exit(tmp_path) -> None:
    """An error raised while the batches' results are read, never caught: the process ends
    with it, whatever still runs (the workers' process is a daemon)."""
    script = tmp_path / "abandon.py"
    script.write_text(
        "import time\n"
        "from engine.durable import workers\n"
        "def slow(batch):\n"
        "    time.sleep(0 if batch.number == 0 else 60)\n"
        "    return []\n"
        "def main():\n"
        "    batches = (workers.Batch('r', {'r': {}}, [('s', [{'id': 'm'}])], n) for n in range(3))\n"
        "    for _ in workers.run_batches(batches, 2, slow):\n"
        "        raise KeyError('consumer')\n"
        "main()\n")
    done = subprocess.run([sys.executable, str(script)], cwd=Path(cli.__file__).parent,
                          capture_output=True, text=True, timeout=50)
    assert done.returncode == 1 and "KeyError: 'consumer'" in done.stderr


def _die_while_answering_once(batch):
    """Batch 1, on its first attempt, writes the start of a large answer and dies."""
    marker = Path(os.environ["WENZE_TEST_PIDS"], f"{batch.number}")
    if batch.number == 1 and not marker.exists():
        marker.touch()
        answer = sys._getframe(1).f_locals["conn"]  # the worker's pipe to the spawner
        os.write(answer.fileno(), struct.pack("!i", 1_000_000) + b"x" * 1000)
        os._exit(137)
    return [("s", {"a": f"m{batch.number}"})]


def test_a_worker_that_dies_while_answering_is_retried(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WENZE_TEST_PIDS", str(tmp_path))
    batches = _small_batches(4)
    done = {b.number: found for b, found in durable_runner.run_batches(
        batches, 2, _die_while_answering_once)}
    assert done == {n: [("s", {"a": f"m{n}"})] for n in range(4)}
    assert (tmp_path / "1").exists()  # it did die once
