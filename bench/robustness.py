"""The robustness campaign: kill -9 trials, concurrent writers and the bad-input corpus.

    python bench/robustness.py [--trials 20] [--stores sqlite,postgresql] [--parts kill,concurrency,corpus]
                               [--seed 2026] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Every process is a real ``python -m cli`` (``wenze``) run against a real store:

- **kill**: ``ingest`` (the demo county's JSON Lines), ``evaluate`` (that county) and
  ``nightly`` (the rule-test cases, documents included) are started and killed with SIGKILL
  after a random delay within their measured duration; then the store is checked
  (*all-or-nothing*: every kind's count is the one before or the one after, one ingest batch
  or none, every recommendation row complete, no run left ``running``), the same command is
  run again and must exit 0 with the full result, and for ``nightly`` every committed
  recommendation must have every document format and be listed in the day's ``index.html``
  (*documents complete*).
- **concurrency**: two ingests, two evaluates, ingest beside nightly (both ways): the second
  writer is refused cleanly (exit 7, one line) while the first holds the store, or waits and
  succeeds when its ``--wait`` is long enough (``scenario`` below; ``tests/test_concurrency.py``
  runs the same scenarios in CI).
- **corpus**: every file under ``tests/bad_input/`` is ingested into a fresh store; a clean
  refusal is a documented exit code with no traceback.

Prints counts (tried, all-or-nothing, documents complete, clean refusals, tracebacks) per
part, command and store; asserts nothing. ``make bench`` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("WENZE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AS_OF = date(2026, 11, 25)
FORMATS = ("html", "pdf", "docx")
EXIT_BUSY = 7
DOCUMENTED = {0, 1, 2, 3, 4, 5, 6, 7, 64}
BAD_SIGNS = ("Traceback", "database is locked", "UniqueViolation", "duplicate key")


# --- processes ---------------------------------------------------------------------------

def wenze(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("WENZE_DB", None)
    env.pop("WENZE_LOCK_WAIT", None)
    return env


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=cwd, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


def bad_signs(stderr: str) -> list[str]:
    """What must never reach a user: a traceback, ``database is locked``, a duplicate key."""
    return [sign for sign in BAD_SIGNS if sign in stderr]


# --- stores ------------------------------------------------------------------------------

@contextmanager
def fresh_store(kind: str, folder: Path, template: str | None = None) -> Iterator[str]:
    """A new empty store's URL (a copy of ``template`` if given), dropped afterwards."""
    from sqlalchemy import create_engine, text

    if kind == "sqlite":
        path = folder / f"store-{uuid.uuid4().hex[:8]}.db"
        if template:
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"wenze_rb_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        source = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{source}'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def snapshot(url: str) -> dict[str, Any]:
    """What the all-or-nothing check compares: counts per table, incomplete rows."""
    from sqlalchemy import func, select

    from facts.recommendation_tables import EvaluationRun, RecommendationRow
    from facts.store import open_store
    from facts.tables import TABLES, IngestBatch

    engine = open_store(url)
    try:
        with engine.connect() as connection:
            counts = {kind: connection.execute(select(func.count()).select_from(table)).scalar()
                      for kind, table in TABLES.items()}
            counts["ingest_batch"] = connection.execute(
                select(func.count()).select_from(IngestBatch)).scalar()
            rec = RecommendationRow.__table__
            counts["recommendation"] = connection.execute(
                select(func.count()).select_from(rec)).scalar()
            incomplete = connection.execute(select(func.count()).select_from(rec).where(
                rec.c.explanation.is_(None) | rec.c.person.is_(None) | rec.c.rule.is_(None)
                | rec.c.evidence.is_(None))).scalar()
            runs = EvaluationRun.__table__
            running = connection.execute(select(func.count()).select_from(runs).where(
                runs.c.status == "running")).scalar()
            ids = connection.execute(select(rec.c.id).where(rec.c.status != "withdrawn")
                                     ).scalars().all()
    finally:
        engine.dispose()
    return {"counts": counts, "incomplete": incomplete, "running": running, "ids": sorted(ids)}


def holds_lock(url: str) -> bool:
    """Whether another process holds the store's writer lock now (tried without waiting)."""
    from facts.errors import StoreBusy
    from facts.lock import store_lock
    from facts.store import connect

    engine = connect(url)
    try:
        with store_lock(engine, wait=0):
            return False
    except StoreBusy:
        return True
    finally:
        engine.dispose()


# --- data --------------------------------------------------------------------------------

def demo_exports(folder: Path, seed: int, scale: float) -> list[Path]:
    """The demo county as JSON Lines (cached under ``folder``)."""
    from facts.demo import write_exports

    out = folder / f"demo-{seed}-{scale}"
    if not (out / ".done").exists():
        write_exports(out, seed=seed, scale=scale, formats=("jsonl",))
        (out / ".done").touch()
    return sorted(out.glob("*.jsonl"))


def case_file(folder: Path) -> Path:
    """The rule-test cases of ``tests/engine_support`` (a handful of recommendations)."""
    from tests.conftest import write_jsonl
    from tests.engine_support import coal

    return write_jsonl(folder / "cases.jsonl", coal())


# --- concurrency -------------------------------------------------------------------------

@dataclass
class Outcome:
    first: int
    second: int
    first_err: str
    second_err: str
    second_waited: bool = False  # still running while the first was stopped holding the lock
    overlapped: bool = True  # the first held the lock when the second started

    def clean_refusal(self) -> bool:
        lines = [line for line in self.second_err.strip().splitlines() if line.strip()]
        return self.second == EXIT_BUSY and len(lines) == 1 and not bad_signs(self.second_err)

    def tracebacks(self) -> int:
        return sum("Traceback" in err for err in (self.first_err, self.second_err))


def scenario(url: str, first: list[str], second: list[str], cwd: Path, *,
             second_wait: float, timeout: float = 300) -> Outcome:
    """``first`` runs; once it holds the store's lock it is stopped (SIGSTOP), and ``second``
    is started with ``--wait second_wait``. With a short wait the second is refused while
    the first stays stopped; with a long one the first is let go (SIGCONT) after the second
    has been seen waiting, and both finish."""
    a = start(wenze(*first, "--db", url, "--wait", "120"), cwd)
    deadline = time.monotonic() + timeout
    while not holds_lock(url):
        if a.poll() is not None or time.monotonic() > deadline:
            out, err = a.communicate()
            return Outcome(a.returncode, -1, err, "", overlapped=False)
        time.sleep(0.02)
    os.kill(a.pid, signal.SIGSTOP)
    try:
        b = start(wenze(*second, "--db", url, "--wait", f"{second_wait:g}"), cwd)
        waited = False
        if second_wait >= 5:
            time.sleep(3)
            waited = b.poll() is None
            os.kill(a.pid, signal.SIGCONT)
        _, b_err = b.communicate(timeout=timeout)
    finally:
        os.kill(a.pid, signal.SIGCONT)
    _, a_err = a.communicate(timeout=timeout)
    return Outcome(a.returncode, b.returncode, a_err, b_err, second_waited=waited)


def long_file(data: Path, units: int = 40_000) -> Path:
    """``data`` and as many more units: an ingest (or an evaluation of the store it loads)
    that holds the store's lock long enough to be seen holding it (the case file alone is
    loaded, or evaluated, in a few milliseconds)."""
    path = data.with_name(data.stem + "-long.jsonl")
    with path.open("w", encoding="utf-8") as out:
        out.write(data.read_text(encoding="utf-8"))
        for n in range(units):
            out.write(json.dumps({"kind": "unit", "id": f"U-PAD-{n}", "name": f"单位{n}",
                                  "type": "branch"}, ensure_ascii=False) + "\n")
    return path


def concurrency_pairs(data: Path, out: Path) -> dict[str, tuple[list[str], list[str]]]:
    """The pairs of writers of the campaign and of ``tests/test_concurrency.py``; an ingest
    that goes first loads a long file (``long_file``)."""
    ingest = ["ingest", str(data)]
    ingest_first = ["ingest", str(long_file(data))]
    evaluate = ["evaluate", "--as-of", AS_OF.isoformat(), "--evaluator", "reference"]
    nightly = ["nightly", "--as-of", AS_OF.isoformat(), "--out", str(out)]
    return {"ingest+ingest": (ingest_first, ingest), "evaluate+evaluate": (evaluate, evaluate),
            "nightly+ingest": (nightly, ingest), "ingest+nightly": (ingest_first, nightly)}


def campaign_concurrency(stores: list[str], work: Path, tally: Counter) -> None:
    for kind in stores:
        for name, (first, second) in concurrency_pairs(case_file(work), work / "docs").items():
            for wait in (0, 120):
                with fresh_store(kind, work) as url:
                    if first[0] != "ingest":
                        run(wenze("ingest", str(long_file(case_file(work))), "--db", url), work)
                    outcome = scenario(url, first, second, work, second_wait=wait)
                key = f"concurrency {name} wait={wait} {kind}"
                tally[f"{key}: tried"] += 1
                tally[f"{key}: first ok"] += outcome.first == 0
                if wait:
                    tally[f"{key}: waited then ok"] += outcome.second_waited and outcome.second == 0
                else:
                    tally[f"{key}: clean refusals"] += outcome.clean_refusal()
                tally[f"{key}: tracebacks"] += outcome.tracebacks()
                if outcome.tracebacks() or (wait == 0 and not outcome.clean_refusal()):
                    print(f"  {key}: first {outcome.first} second {outcome.second}\n"
                          f"{outcome.first_err[-800:]}\n{outcome.second_err[-800:]}")


# --- kill -9 -----------------------------------------------------------------------------

@dataclass
class KillCase:
    name: str
    args: list[str]  # without --db
    base: str | None  # template store (None: empty)
    duration: float = 0.0  # seconds the command takes, measured
    after: dict[str, Any] = field(default_factory=dict)  # the snapshot of a complete run


def _documents_complete(out: Path, ids: list[str]) -> bool:
    day = out / AS_OF.isoformat()
    index = (day / "index.html").read_text(encoding="utf-8") if (day / "index.html").exists() else ""
    have = {p.name for p in out.glob("*/R*.*")}
    return all(f"{i}.{fmt}" in have for i in ids for fmt in FORMATS) and all(i in index for i in ids)


def _prepare(kind: str, work: Path, exports: list[Path], cases: Path,
             keep: list[str]) -> dict[str, KillCase]:
    """Template stores and the measured duration and final state of each command."""
    from contextlib import ExitStack

    stack = ExitStack()
    demo = stack.enter_context(fresh_store(kind, work))
    run(wenze("ingest", *map(str, exports), "--db", demo), work)
    small = stack.enter_context(fresh_store(kind, work))
    run(wenze("ingest", str(cases), "--db", small), work)
    keep.append(stack)  # dropped at the end of the campaign
    for url in (demo, small):
        if kind == "sqlite":  # a copy must not need its WAL
            import sqlite3
            with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    evaluate = ["evaluate", "--as-of", AS_OF.isoformat()]
    cases_ = {
        "ingest": KillCase("ingest", ["ingest", *map(str, exports)], None),
        "evaluate": KillCase("evaluate", evaluate, demo),
        "nightly": KillCase("nightly", ["nightly", "--as-of", AS_OF.isoformat()], small),
    }
    for case in cases_.values():
        with fresh_store(kind, work, case.base) as url:
            out = Path(tempfile.mkdtemp(dir=work))
            extra = ["--out", str(out)] if case.name == "nightly" else []
            began = time.monotonic()
            done = run(wenze(*case.args, *extra, "--db", url), work)
            case.duration = time.monotonic() - began
            case.after = snapshot(url)
            shutil.rmtree(out, ignore_errors=True)
            if done.returncode != 0:
                print(f"  {kind} {case.name}: the reference run exited {done.returncode}:\n"
                      f"{done.stderr[-1500:]}")
    return cases_


def kill_trial(kind: str, case: KillCase, work: Path, rng: random.Random, tally: Counter) -> None:
    key = f"kill {case.name} {kind}"
    with fresh_store(kind, work, case.base) as url:
        before = snapshot(url)
        out = Path(tempfile.mkdtemp(dir=work))
        extra = ["--out", str(out)] if case.name == "nightly" else []
        process = start(wenze(*case.args, *extra, "--db", url), work)
        time.sleep(rng.uniform(0.3, case.duration * 1.05))
        finished = process.poll() is not None
        if not finished:
            os.kill(process.pid, signal.SIGKILL)
        _, err = process.communicate()
        tally[f"{key}: tried"] += 1
        tally[f"{key}: finished before the kill"] += finished
        tally[f"{key}: tracebacks"] += "Traceback" in err and not finished
        killed = snapshot(url)
        whole = {k: v for k, v in case.after["counts"].items()}
        consistent = (killed["incomplete"] == 0 and killed["running"] == 0
                      and killed["counts"] in (before["counts"], whole))
        tally[f"{key}: all-or-nothing"] += consistent
        if not consistent:
            print(f"  {key}: not all-or-nothing: {killed['counts']} (before {before['counts']}, "
                  f"after {whole}), incomplete {killed['incomplete']}, running {killed['running']}")
        again = run(wenze(*case.args, *extra, "--db", url), work)
        tally[f"{key}: tracebacks"] += "Traceback" in again.stderr
        final = snapshot(url)
        rerun_ok = again.returncode == 0 and final["ids"] == case.after["ids"] and all(
            final["counts"][k] == v for k, v in whole.items() if k not in ("ingest_batch",))
        tally[f"{key}: rerun complete"] += rerun_ok
        if not rerun_ok:
            print(f"  {key}: rerun exited {again.returncode}: {again.stderr[-600:]}")
        if case.name == "nightly":
            complete = _documents_complete(out, final["ids"])
            tally[f"{key}: documents complete"] += complete
        shutil.rmtree(out, ignore_errors=True)


def campaign_kill(stores: list[str], work: Path, trials: int, rng: random.Random,
                  tally: Counter, seed: int, scale: float) -> None:
    exports = demo_exports(ROOT / "bench" / "out", seed, scale)
    cases = case_file(work)
    keep: list[Any] = []
    try:
        for kind in stores:
            for case in _prepare(kind, work, exports, cases, keep).values():
                print(f"kill {case.name} {kind}: a whole run takes {case.duration:.1f} s")
                for _ in range(trials):
                    kill_trial(kind, case, work, rng, tally)
    finally:
        for stack in keep:
            stack.close()


# --- bad-input corpus --------------------------------------------------------------------

def campaign_corpus(work: Path, tally: Counter) -> None:
    corpus = ROOT / "tests" / "bad_input"
    files = sorted(p for p in corpus.rglob("*") if p.is_file()
                   and p.suffix not in (".py", ".md", ".pyc") and "__pycache__" not in p.parts)
    if not files:
        print(f"corpus: no files under {corpus.relative_to(ROOT)}")
        return
    for path in files:
        with fresh_store("sqlite", work) as url:
            done = run(wenze("ingest", str(path), "--db", url), work, timeout=300)
        tally["corpus: tried"] += 1
        clean = done.returncode in DOCUMENTED and not bad_signs(done.stderr)
        tally["corpus: clean refusals"] += clean and done.returncode != 0
        tally["corpus: accepted"] += done.returncode == 0
        tally["corpus: tracebacks"] += "Traceback" in done.stderr
        if not clean:
            print(f"  corpus {path.relative_to(corpus)}: exit {done.returncode}: "
                  f"{done.stderr.strip()[-400:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="kill trials per command and store")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--parts", default="kill,concurrency,corpus")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--scale", type=float, default=0.05,
                        help="demo county scale (ingest, evaluate); at 0.05 its ledger file "
                             "(~10 MB) is read by two forked processes, as a county's is")
    options = parser.parse_args()
    stores, parts = options.stores.split(","), options.parts.split(",")
    rng = random.Random(options.seed)
    tally: Counter = Counter()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wenze-robustness-") as tmp:
        work = Path(tmp)
        if "corpus" in parts:
            campaign_corpus(work, tally)
        if "concurrency" in parts:
            campaign_concurrency(stores, work, tally)
        if "kill" in parts:
            campaign_kill(stores, work, options.trials, rng, tally, options.seed, options.scale)
    print(f"\nrobustness campaign, {time.monotonic() - began:.0f} s")
    groups: dict[str, dict[str, int]] = {}
    for key, n in tally.items():
        group, measure = key.split(": ", 1)
        groups.setdefault(group, {})[measure] = n
    for group in sorted(groups):
        print(f"{group:48} " + ", ".join(f"{m} {n}" for m, n in groups[group].items()))
    totals = Counter()
    for key, n in tally.items():
        totals[key.split(": ", 1)[1]] += n
    print("total: " + json.dumps(dict(totals), ensure_ascii=False))


if __name__ == "__main__":
    main()
