"""How long ``wenze rules impact`` takes on the demo county.

    python bench/impact_bench.py [--seed 2026] [--scale 1] [--months 12]

On a copy of the demo store (built once and cached by ``evaluate_bench.build_store``) and
evaluated once on its as-of date, the look-back window is moved from 24 to 36 months
(``sanctions.yaml``) and both rulebooks are replayed over ``--months`` monthly as-of dates
ending there — the issue's worked example. Prints the time per date and in all, the cases
found, and checks that every row of every table is unchanged. Asserts nothing on time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

AS_OF = date(2026, 11, 25)


def _digest(path: Path) -> str:
    """Of every row of every table (the file's own bytes change when SQLite switches to WAL)."""
    digest = hashlib.sha256()
    connection = sqlite3.connect(path)
    for line in connection.iterdump():
        digest.update(line.encode())
    connection.close()
    return digest.hexdigest()


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the forked durable workers):
    what the work costs, whatever else the machine is doing."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    from evaluate_bench import _checkpoint, build_store

    from engine.rulebook import load_rulebook
    from engine.rulebook.terms import Period
    from engine.run.evaluate import evaluate
    from facts.store import open_store
    from usecases.impact import as_of_dates, impact

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    cached, meta = build_store(args.seed, args.scale)
    with tempfile.TemporaryDirectory(prefix="wenze-impact-bench-") as tmp:
        db = Path(tmp) / "demo.db"
        shutil.copy(cached, db)
        store = open_store(f"sqlite:///{db}")
        evaluate(store, AS_OF)
        store.dispose()
        _checkpoint(db)  # the WAL folded into the file, so the file says everything
        rules = Path(tmp) / "rules"
        shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        sanctions = rules / "sanctions.yaml"
        sanctions.write_text(sanctions.read_text(encoding="utf-8").replace(
            "\nlookback: 24m\n", "\nlookback: 36m\n"), encoding="utf-8")
        before_digest = _digest(db)
        store = open_store(f"sqlite:///{db}")
        dates = as_of_dates(Period(-(args.months - 1), "m").add_to(AS_OF), AS_OF)
        clock, cpu = time.perf_counter(), _cpu()
        result = impact(store, load_rulebook(), load_rulebook(rules), dates)
        total, cpu = time.perf_counter() - clock, _cpu() - cpu
        store.dispose()
        unchanged = _digest(db) == before_digest
    facts = sum(meta["counts"].values())
    kinds = {k: sum(c.kind == k for c in result.cases) for k in ("added", "removed", "changed")}
    print(f"demo county seed {args.seed} scale {args.scale:g}: {facts:,} facts")
    print(f"rules impact, look-back 24 -> 36 months, {len(dates)} monthly as-of dates "
          f"{dates[0]}..{dates[-1]}: {total:.1f} s in all, {total / len(dates):.2f} s per date "
          f"(two rulebooks, matched once); {cpu:.1f} CPU s; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"  cases: {len(result.cases)} ({', '.join(f'{k} {n}' for k, n in kinds.items())}); "
          f"recommendations on {dates[-1]}: {result.dates[-1].before} -> {result.dates[-1].after}")
    print(f"  store unchanged (sha256 of every row of every table): {unchanged}")


if __name__ == "__main__":
    main()
