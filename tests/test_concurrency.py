"""One writer at a time, and the others told: real ``wenze`` processes on real stores.

Each scenario (``bench/robustness.py``, which the campaign runs too) starts the first writer,
stops it (SIGSTOP) once it holds the store's lock, and starts the second: with ``--wait 0``
the second must exit 7 with one line (no traceback, no ``database is locked``, no duplicate
key) while the first, let go, succeeds; with a long wait the second waits and then succeeds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bench.robustness import (
    EXIT_BUSY,
    case_file,
    concurrency_pairs,
    long_file,
    run,
    scenario,
    wenze,
)
from facts.errors import StoreBusy
from facts.lock import store_lock

PAIRS = ["ingest+ingest", "evaluate+evaluate", "ingest+nightly", "nightly+ingest"]


def _url(store: Engine) -> str:
    return store.url.render_as_string(hide_password=False)


def _scenario(store: Engine, tmp_path: Path, pair: str, wait: float):  # noqa: ANN202
    url = _url(store)
    data = case_file(tmp_path)
    first, second = concurrency_pairs(data, tmp_path / "docs")[pair]
    if first[0] != "ingest":  # a store large enough that the first is seen holding the lock
        loaded = run(wenze("ingest", str(long_file(data)), "--db", url), tmp_path)
        assert loaded.returncode == 0, loaded.stderr
    outcome = scenario(url, first, second, tmp_path, second_wait=wait)
    assert outcome.overlapped, "the first writer finished before it was seen holding the lock"
    assert outcome.first == 0, outcome.first_err
    return outcome


@pytest.mark.parametrize("pair", PAIRS)
def test_a_second_writer_is_refused_in_one_line_with_exit_7(store, tmp_path, pair) -> None:
    outcome = _scenario(store, tmp_path, pair, wait=0)
    assert outcome.second == EXIT_BUSY, outcome.second_err
    assert outcome.clean_refusal(), outcome.second_err
    assert "busy" in outcome.second_err and "--wait" in outcome.second_err
    assert not outcome.tracebacks()


@pytest.mark.parametrize("pair", ["evaluate+evaluate", "nightly+ingest"])
def test_a_second_writer_with_a_long_enough_wait_waits_and_succeeds(store, tmp_path, pair) -> None:
    outcome = _scenario(store, tmp_path, pair, wait=120)
    assert outcome.second_waited
    assert outcome.second == 0, outcome.second_err
    assert not outcome.tracebacks()


def test_the_lock_is_reentrant_in_one_thread_and_exclusive_between_stores_users(store) -> None:
    from facts.store import connect

    with store_lock(store, wait=0), store_lock(store, wait=0):  # nightly holds it, evaluate again
        other = connect(_url(store))
        try:
            import threading

            refused: list[BaseException] = []

            def second() -> None:
                try:
                    with store_lock(other, wait=0.3):
                        pass
                except StoreBusy as exc:
                    refused.append(exc)

            thread = threading.Thread(target=second)
            thread.start()
            thread.join()
            assert refused and "busy" in str(refused[0])
        finally:
            other.dispose()
    with store_lock(store, wait=0):  # released on exit: free again
        pass


def test_a_killed_writer_leaves_no_lock_behind(store, tmp_path) -> None:
    import os
    import signal
    import time

    from bench.robustness import holds_lock, start

    url = _url(store)
    # over 4 MB: read by two processes, which must both go when the writer is killed
    holder = start(wenze("ingest", str(long_file(case_file(tmp_path), units=60_000)), "--db", url),
                   tmp_path)
    deadline = time.monotonic() + 60
    while not holds_lock(url) and holder.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert holder.poll() is None, "the writer finished before it was seen holding the lock"
    time.sleep(0.3)  # its readers are reading
    assert holder.poll() is None, "the writer finished before it was killed"
    os.kill(holder.pid, signal.SIGSTOP)
    os.kill(holder.pid, signal.SIGKILL)
    _, said = holder.communicate(timeout=60)  # its readers must go with it: they hold its stdout
    assert "Traceback" not in said, said  # nor cry over the pipe it left them
    again = run(wenze("ingest", str(case_file(tmp_path)), "--db", url, "--wait", "5"), tmp_path)
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("folders", ["same --out", "two --out folders"])
def test_two_nightly_runs_started_together_give_one_run_and_one_refusal(store, tmp_path,
                                                                         folders) -> None:
    """No stopping: two nightly runs started at the same moment race for the locks. One
    runs; the other exits at once, in one line, with 5 (the same folder's nightly lock) or
    7 (the store's writer lock)."""
    from bench.robustness import bad_signs, start

    url = _url(store)
    loaded = run(wenze("ingest", str(case_file(tmp_path)), "--db", url), tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    outs = ["docs", "docs"] if folders == "same --out" else ["docs-a", "docs-b"]
    both = [start(wenze("nightly", "--as-of", "2026-11-25", "--out", str(tmp_path / out),
                        "--db", url, "--wait", "0"), tmp_path) for out in outs]
    results = [(p.communicate(timeout=300)[1], p.returncode)[::-1] for p in both]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0 and codes[1] in (5, 7), results
    refusal = next(err for code, err in results if code != 0)
    assert len(refusal.strip().splitlines()) == 1 and not bad_signs(refusal), refusal
    if folders == "same --out":
        assert codes[1] == 5, results
