"""End-to-end evaluation benchmark: wenze evaluate against its reference and two baselines.

    python bench/evaluate_bench.py [--scales 1,10] [--seed 2026] [--repeat 1] [--skip-baseline-b] [--profile]

For the demo county (scale 1) and stores N times its size, each variant is measured in a
fresh process, so its peak RSS is its own; forked durable_rules workers are its
descendants (their figure is the largest worker's peak, the pages it shares with the small
process that forks them included):
  - wenze evaluate: ``engine.run.evaluate.evaluate`` with durable_rules (SQL prefilter,
    partitions, forked workers, recommendations committed) on a copy of the store;
  - reference:      the same ``evaluate`` with the ``ReferenceEvaluator`` (plain Python);
  - A read only:    stream every fact of every kind out of the store — the floor;
  - B plain durable_rules: every fact of the kinds the rules use asserted into one host,
    one sid per ruleset, every condition compiled into the ruleset (no SQL prefilter, no
    partitions). Run under a memory cap (RLIMIT_AS) and a time cap; if it does not finish,
    how far it got is reported and the full run is extrapolated (and marked so).
Durable and reference must give the same findings and recommendations: checked, printed.
``--profile`` adds a cProfile breakdown of wenze evaluate at the largest scale (parent and
workers). Stores are built once from the demo exports and cached in bench/out/ (keyed by
seed, scale and the generator's source). Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AS_OF = date(2026, 11, 25)
WORKERS = 2  # the machine's two cores
sys.path.insert(0, str(ROOT))

# ---------------------------------------------------------------- stores (cached)


def _generator_hash() -> str:
    sources = ["facts/demo.py", "facts/demo_data.py", "facts/contract.py", "facts/tables.py"]
    digest = hashlib.sha256()
    for name in sources:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the database file, so the file alone is the whole store."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()


def build_store(seed: int, scale: float) -> tuple[Path, dict[str, Any]]:
    """The store for (seed, scale), built now or taken from the cache; and its build record."""
    from facts.demo import write_exports
    from facts.ingest import ingest
    from facts.store import counts, open_store

    stem = f"demo-seed{seed}-scale{scale:g}"
    path, meta_path = OUT / f"{stem}.db", OUT / f"{stem}.json"
    generator = _generator_hash()
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("generator") == generator:
            return path, {**meta, "cached": True}
        print(f"{stem}: the demo generator changed since it was built; rebuilding")
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob(f"{stem}.*"):
        stale.unlink()
    exports = OUT / f"exports-{stem}"
    started = time.perf_counter()
    write_exports(exports, seed=seed, scale=scale, formats=("jsonl",))
    generated = time.perf_counter() - started
    tmp = OUT / f"{stem}.building"
    store = open_store(f"sqlite:///{tmp}")
    report = ingest(store, sorted(exports.glob("*.jsonl")))
    if not report.committed or report.errors:
        raise SystemExit(f"building {stem} failed: {report.errors[:3]}")
    per_kind = counts(store)
    store.dispose()
    _checkpoint(tmp)
    tmp.rename(path)
    shutil.rmtree(exports)
    meta = {"seed": seed, "scale": scale, "generator": generator, "counts": per_kind,
            "generate_s": round(generated, 1), "build_s": round(time.perf_counter() - started, 1)}
    meta_path.write_text(json.dumps(meta, indent=1))
    return path, {**meta, "cached": False}


# ---------------------------------------------------------------- measured children


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def child_read(url: str) -> dict[str, Any]:
    """Baseline A: every fact of every kind out of the store, as rows."""
    from sqlalchemy import select

    from facts.store import open_store, stream
    from facts.tables import TABLES

    store = open_store(url)
    start = time.perf_counter()
    n = 0
    for table in TABLES.values():
        for _ in stream(store, select(table.__table__)):
            n += 1
    return {"seconds": time.perf_counter() - start, "facts": n}


def _write_outcome(out: str, found: list[Any], recommendations: list[dict[str, Any]]) -> dict[str, Any]:
    """Findings and recommendations in a comparable form, written to ``out``."""
    findings = sorted(
        [f.rule.version.rule_id, f.rule.version.version, list(f.key), f.subject_kind, f.subject,
         f.conduct_date.isoformat(), f.severity, f.proposer_person, list(f.fact_ids)]
        for f in found)
    chosen = sorted([r["id"], r["person"], r["forms"], r["rule"], r["rule_version"]]
                    for r in recommendations)
    text = json.dumps({"findings": findings, "recommendations": chosen}, sort_keys=True)
    Path(out).write_text(text)
    return {"outcome_sha": hashlib.sha256(text.encode()).hexdigest()[:16]}


def child_evaluate(url: str, evaluator: str, out: str) -> dict[str, Any]:
    """wenze evaluate (durable) or the reference evaluator: the real ``evaluate``, committed.

    What it found comes back on the result; what it recommended is read from the store
    after the clock, and both are compared between the evaluators.
    """
    from engine.rulebook import load_rulebook
    from engine.run.evaluate import EVALUATORS, evaluate
    from engine.run.read import list_recommendations
    from facts.store import open_store

    store = open_store(url)
    chosen = EVALUATORS[evaluator]()
    if evaluator == "durable":
        chosen.workers = WORKERS
    rulebook = load_rulebook()
    start = time.perf_counter()
    result = evaluate(store, AS_OF, rulebook, chosen)
    seconds = time.perf_counter() - start
    counts = result.counts
    return {"seconds": seconds, "findings": counts["findings"],
            "recommendations": counts["recommendations"], "matches": counts["matches"],
            "facts_read": counts["facts_matched"], "batches": counts.get("batches", 0),
            "timings": result.timings,
            **_write_outcome(out, result.findings,
                             list_recommendations(store, with_explanation=True))}


def _plain_ruleset(rules: list[Any]) -> tuple[dict[str, Any], list[str]]:
    """The rules as one durable_rules ruleset each, with *every* condition inside it.

    Literal terms become conditions on the message (strings through ``encode``, dates as
    day numbers, lists as ``$or``); the as-of cut (nothing dated later is evaluated) too;
    a field a join compares must exist (durable_rules fails the sid otherwise, error 311).
    """
    from engine.durable.encoding import encode, message_field
    from engine.durable.ruleset import join_condition, joined_fields, ordered_joins
    from facts.contract import DATE_FIELD

    ops = {"ne": "$neq", "gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte"}

    def literal(term: Any) -> dict[str, Any]:
        name = message_field(term.field)
        if term.op == "exists":
            return {"$ex" if term.value else "$nex": {name: 1}}
        if term.op == "size_ge":
            return {"$gte": {"n" + name: term.value}}
        if term.op == "in":
            return {"$or": [{name: encode(v)} for v in term.value]}
        if term.op == "not_in":
            return {"$and": [{"$neq": {name: encode(v)}} for v in term.value]}
        if term.op == "eq":
            return {name: encode(term.value)}
        return {ops[term.op]: {name: encode(term.value)}}

    definitions: dict[str, Any] = {}
    for rule in rules:
        compared = joined_fields(rule, include_absent_refs=False)
        clauses = []
        for clause in rule.clauses:
            kind_of = [{"k": kind} for kind in clause.kinds]
            conditions: list[Any] = [kind_of[0] if len(kind_of) == 1 else {"$or": kind_of}]
            dated = {DATE_FIELD[kind] for kind in clause.kinds} - {None}
            for date_field in sorted(dated):  # a clause on several kinds: they share the field
                conditions.append({"$lte": {"f_" + date_field: encode(AS_OF)}})
            conditions += [literal(t) for t in clause.literals]
            conditions += [{"$ex": {message_field(f): 1}} for f in sorted(compared[clause.alias])]
            conditions += [join_condition(t) for t in ordered_joins(clause)]
            name = "a_" + clause.alias + ("$not" if clause.negated else "")
            clauses.append({name: {"$and": conditions}})
        definitions[rule.name] = {"m": {"all": clauses, "run": "matched"}}
    # kinds of absent clauses first, so that a blocking fact is there before what it blocks
    negated = {k for rule in rules for c in rule.clauses if c.negated for k in c.kinds}
    kinds = sorted({k for rule in rules for c in rule.clauses for k in c.kinds},
                   key=lambda k: (k not in negated, k))
    return definitions, kinds


def child_plain(url: str, cap_seconds: float, every: bool = False) -> dict[str, Any]:
    """Baseline B: every fact of the kinds the rules read into one durable_rules host, one
    sid, the rules unfiltered; with ``every``, the facts of the other kinds too (each posted
    to one ruleset, which refuses it: what a host fed the whole store does with them)."""
    from durable.engine import Host
    from sqlalchemy import select

    from engine.durable.encoding import MessageIds, encode, message_field
    from engine.match.plan import plan_rule
    from engine.rulebook import load_rulebook
    from facts.store import PROVENANCE, open_store, stream
    from facts.tables import TABLES

    rules = [plan_rule(v, AS_OF) for v in load_rulebook().versions]
    matches = [0]

    class _Host(Host):
        def _run(self) -> None:  # no timer threads
            pass

        def get_action(self, action_name: str) -> Any:
            def matched(c: Any) -> None:
                matches[0] += 1
            return matched

    definitions, kinds = _plain_ruleset(rules)
    host = _Host()
    host.set_rulesets(json.loads(json.dumps(definitions)))
    targets = {kind: [r.name for r in rules if kind in {k for c in r.clauses for k in c.kinds}]
               for kind in kinds}
    if every:
        kinds += [kind for kind in TABLES if kind not in targets]
        targets.update({kind: [rules[0].name] for kind in TABLES if kind not in targets})
    store = open_store(url)
    start = time.perf_counter()
    asserted = messages = lost = 0
    ids = MessageIds()
    finished, stop = True, ""

    def progress() -> None:
        print(json.dumps({"progress": True, "facts": asserted, "messages": messages,
                          "seconds": time.perf_counter() - start, "rss_mb": _rss_mb(),
                          "matches": matches[0]}), flush=True)

    try:
        for kind in kinds:
            for row in stream(store, select(TABLES[kind].__table__)):
                # a unique explicit id; one whose 32-bit durable hash clashes gets a suffix
                message: dict[str, Any] = {"sid": "0", "id": ids.assign(f"{kind}:{row.id}"), "k": kind}
                for name, value in row._mapping.items():
                    if name in PROVENANCE:
                        continue
                    values = value.items() if name == "attrs" and isinstance(value, dict) else [(name, value)]
                    for key, item in values:
                        field = message_field(f"attrs.{key}" if name == "attrs" else key)
                        if isinstance(item, list):
                            message["n" + field] = len(item)
                        elif item is not None and not isinstance(item, dict):
                            message[field] = encode(item)
                for ruleset in targets[kind]:
                    messages += 1
                    try:
                        host.assert_fact(ruleset, dict(message))
                    except Exception as exc:  # noqa: BLE001
                        if type(exc).__name__ == "MessageObservedException":
                            lost += 1
                        elif type(exc).__name__ != "MessageNotHandledException":
                            raise
                asserted += 1
                if asserted % 5000 == 0:
                    progress()
                    if time.perf_counter() - start > cap_seconds:
                        finished, stop = False, "time cap"
                        break
            if not finished:
                break
    except MemoryError:
        finished, stop = False, "memory cap"
    seconds = time.perf_counter() - start
    progress()
    for name in definitions:
        try:
            state = host.get_state(name, "0")
        except Exception:  # noqa: BLE001  (no such sid: the ruleset got no fact before a cap)
            continue
        if state and state.get("exception"):
            stop = (stop + "; " if stop else "") + f"{name}: {state['exception']}"[:200]
    return {"seconds": seconds, "facts": asserted, "messages": messages, "matches": matches[0],
            "finished": finished, "stop": stop, "lost": lost, "renamed": ids.renamed, "rss_mb": _rss_mb()}


def child_profile(url: str, out: str) -> dict[str, Any]:
    """wenze evaluate under cProfile: the parent, and each forked worker into its own file."""
    import cProfile
    import pstats

    from engine.durable import DurableEvaluator
    from engine.durable.workers import evaluate_batch
    from engine.run.evaluate import evaluate
    from facts.store import open_store

    def profiled_batch(batch: Any) -> Any:  # runs in the forked worker
        profile = cProfile.Profile()  # replaces the parent's profiler inherited by fork
        try:
            return profile.runcall(evaluate_batch, batch)
        finally:
            profile.dump_stats(f"{out}.worker-{os.getpid()}")

    store = open_store(url)
    evaluator = DurableEvaluator(workers=WORKERS, run_batch=profiled_batch)
    profile = cProfile.Profile()
    start = time.perf_counter()
    result = profile.runcall(evaluate, store, AS_OF, None, evaluator)
    seconds = time.perf_counter() - start
    profile.dump_stats(f"{out}.parent")
    parent = pstats.Stats(f"{out}.parent")
    workers = [p for p in Path(out).parent.glob(Path(out).name + ".worker-*")]
    worker_stats = pstats.Stats(str(workers[0]))
    for extra in workers[1:]:
        worker_stats.add(str(extra))
    for path in workers:
        path.unlink()

    def cum(stats: Any, module: str, function: str, caller: str | None = None) -> float:
        total = 0.0
        for (file, _, name), (_, _, _tt, ct, callers) in stats.stats.items():
            if name == function and file.endswith(module):
                if caller is None:
                    total += ct
                else:
                    total += sum(v[3] for (f, _, n), v in callers.items() if n == caller)
        return total

    def builtin(stats: Any, prefix: str) -> float:
        return sum(v[2] for (file, _, name), v in stats.stats.items() if file == "~" and prefix in name)

    evaluate_s = cum(parent, "engine/run/evaluate.py", "evaluate")
    partitions = cum(parent, "engine/durable/feed.py", "feed")
    clause_facts = cum(parent, "engine/match/prefilter.py", "clause_facts")
    sql = cum(parent, "facts/store.py", "stream", caller="clause_facts")
    messages = cum(parent, "engine/durable/feed.py", "_message")
    breakdown = {
        "evaluate (profiled)": evaluate_s,
        "  load + plan rulebook": cum(parent, "engine/rulebook/load.py", "load_rulebook")
        + cum(parent, "engine/match/plan.py", "plan_rule"),
        "  read facts: SQL + rows (stream)": sql,
        "  read facts: row -> dict, attrs terms": clause_facts - sql,
        "  messages: build (feed._message)": messages,
        "  messages: sids, ids, hash clashes": partitions - clause_facts - messages,
        "  durable: batches in 2 workers (wall)": cum(parent, "engine/durable/workers.py", "run_batches"),
        "  findings from matches": cum(parent, "engine/match/findings.py", "findings"),
        "  recommendations (roster, sanctions, explain)": cum(parent, "engine/sanction/recommend.py", "recommend"),
        "  commit (insert recommendations)": cum(parent, "engine/run/evaluate.py", "_commit"),
    }
    batch_total = cum(worker_stats, "engine/durable/workers.py", "evaluate_batch")
    engine_c = builtin(worker_stats, "durable_rules_engine.")
    action = cum(worker_stats, "engine/durable/workers.py", "matched")
    dumps = cum(worker_stats, "json/__init__.py", "dumps") + cum(worker_stats, "json/__init__.py", "loads")
    worker = {
        "worker CPU, all batches (profiled)": batch_total,
        "  durable_rules C engine (assert, actions)": engine_c,
        "  json dumps/loads around it": dumps,
        "  our action (record a match)": action,
        "  durable_rules Python glue (Host, closures)": batch_total - engine_c - dumps - action,
    }
    return {"seconds": seconds, "profiled_timings": result.timings, "parent": breakdown,
            "workers": worker, "n_workers": len(workers)}


# ---------------------------------------------------------------- parent


def measure(mode: str, *args: str, cap_gb: float = 0, script: Path | None = None) -> dict[str, Any]:
    """One measurement in a fresh interpreter (a child of this script, or of ``script``);
    its last JSON line is the result."""
    command = [sys.executable, str(script or Path(__file__).resolve()), "--child", mode, *args]
    if cap_gb:
        command += ["--cap-gb", str(cap_gb)]
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    results = [r for r in lines if not r.get("progress")]
    progress = [r for r in lines if r.get("progress")]
    if done.returncode != 0 or not results:
        error = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1][:200]
        if done.returncode < 0:
            error = f"killed by signal {-done.returncode}; " + error
        failed: dict[str, Any] = {"failed": error}
        if progress:  # how far it got before it died
            failed.update(progress[-1], progress_points=progress, finished=False, stop=error)
        return failed
    return {**results[-1], "progress_points": progress}


def measure_median(repeat: int, mode: str, *args: str) -> dict[str, Any]:
    """The run of median wall time among ``repeat`` fresh runs (all of them if one failed)."""
    runs = [measure(mode, *args) for _ in range(repeat)]
    if any("failed" in r for r in runs):
        return next(r for r in runs if "failed" in r)
    runs.sort(key=lambda r: r["seconds"])
    return {**runs[len(runs) // 2], "all_seconds": [round(r["seconds"], 2) for r in runs]}


def _extrapolate(plain: dict[str, Any], total: int) -> tuple[float, float, float] | None:
    """Seconds for all ``total`` facts: linear (a lower bound: cost grows faster than
    linearly in one sid) and a power law fitted to the later half of the progress points;
    and RSS in MB, linear."""
    points = [(p["facts"], p["seconds"]) for p in plain.get("progress_points", []) if p["facts"]]
    if not points:
        return None
    n, t = points[-1]
    linear = t * total / n
    later = points[len(points) // 2:]
    power = linear
    if len(later) >= 3:
        xs, ys = [math.log(a) for a, _ in later], [math.log(b) for _, b in later]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / \
            sum((x - mx) ** 2 for x in xs)
        power = max(linear, t * (total / n) ** slope)
    rss = plain.get("rss_mb", 0) * total / n
    return linear, power, rss


def _compare(scale: float, w: dict[str, Any], ref: dict[str, Any]) -> str:
    a = json.loads(Path(w["outcome"]).read_text())
    b = json.loads(Path(ref["outcome"]).read_text())
    parts = []
    for name in ("findings", "recommendations"):
        left = {json.dumps(x) for x in a[name]}
        right = {json.dumps(x) for x in b[name]}
        if left == right:
            parts.append(f"same {name}: yes ({len(left)})")
        else:
            parts.append(f"same {name}: NO ({len(left - right)} only durable, "
                         f"{len(right - left)} only reference; see {w['outcome']})")
    return f"scale {scale:g}: " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10", help="comma-separated multiples of the demo county")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-baseline-b", "--skip-plain", dest="skip_plain", action="store_true",
                        help="do not run baseline B (plain durable_rules)")
    parser.add_argument("--plain-seconds", type=float, default=600, help="time cap of baseline B")
    parser.add_argument("--plain-cap-gb", type=float, default=12, help="memory cap (RLIMIT_AS) of baseline B")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of A, wenze and reference per scale; the median is reported")
    parser.add_argument("--profile", action="store_true",
                        help="also profile wenze evaluate at the largest scale")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--cap-gb", type=float, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.cap_gb:
            limit = int(args.cap_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        mode, *rest = args.child
        if mode == "plain":
            result = child_plain(rest[0], float(rest[1]), every=rest[2:] == ["every"])
        elif mode == "profile":
            result = child_profile(rest[0], rest[1])
        elif mode == "read":
            result = child_read(rest[0])
        else:
            result = child_evaluate(rest[0], mode, rest[1])
        result["peak_mb"], result["children_peak_mb"] = _peak()
        print(json.dumps(result), flush=True)
        return

    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))[:WORKERS]
        os.sched_setaffinity(0, cores)  # inherited by every measured child
    print(f"evaluate bench: as of {AS_OF}, seed {args.seed}, {WORKERS} workers on cores "
          f"{sorted(os.sched_getaffinity(0))}, python {sys.version.split()[0]}")
    scales = [float(s) for s in args.scales.split(",")]
    rows = []
    for scale in scales:
        source, meta = build_store(args.seed, scale)
        total = sum(meta["counts"].values())
        how = "cached; it took" if meta["cached"] else "built in"
        print(f"\nscale {scale:g}: {total:,} facts, {source.stat().st_size / 2**20:,.0f} MB "
              f"({how} {meta['build_s']:.0f} s: generate {meta['generate_s']:.0f} s + ingest "
              f"{meta['build_s'] - meta['generate_s']:.0f} s)", flush=True)
        url = f"sqlite:///{source}"
        results: dict[str, dict[str, Any]] = {}
        results["A read only"] = measure_median(args.repeat, "read", url)
        print(f"  A read only          {results['A read only'].get('seconds', 0):8.1f} s", flush=True)
        for name, evaluator in (("wenze evaluate", "durable"), ("reference evaluator", "reference")):
            copy = OUT / f"evaluate-{evaluator}-scale{scale:g}.db"
            outcome = OUT / f"outcome-{evaluator}-scale{scale:g}.json"
            runs = []
            for _ in range(args.repeat):  # each on a fresh copy: every run commits all recommendations
                shutil.copyfile(source, copy)
                runs.append(measure(evaluator, f"sqlite:///{copy}", str(outcome)))
                copy.unlink()
            ok = sorted((r for r in runs if "failed" not in r), key=lambda r: r["seconds"])
            best = ok[len(ok) // 2] if len(ok) == len(runs) else next(r for r in runs if "failed" in r)
            results[name] = {**best, "outcome": str(outcome), "all_seconds": [round(r["seconds"], 2) for r in ok]}
            print(f"  {name:20} {results[name].get('seconds', 0):8.1f} s", flush=True)
        if not args.skip_plain:
            results["B plain durable_rules"] = measure("plain", url, str(args.plain_seconds),
                                                      cap_gb=args.plain_cap_gb)
            print(f"  B plain durable_rules {results['B plain durable_rules'].get('seconds', 0):7.1f} s",
                  flush=True)
        used = sum(meta["counts"][k] for k in ("ledger", "reminder", "rectification", "violation",
                                                "disunity", "proposal"))
        rows.append((scale, total, used, results))
    report(rows, args)
    if args.profile:
        largest = max(rows, key=lambda row: row[0])
        profile(args.seed, largest[0], largest[3]["wenze evaluate"].get("timings"))


def report(rows: list[tuple[float, int, int, dict[str, dict[str, Any]]]], args: argparse.Namespace) -> None:
    print(f"\n{'scale':>5} {'variant':22} {'seconds':>8} {'facts/s':>10} {'peak MB':>8} "
          f"{'worker MB':>9}  notes")
    for scale, total, _, results in rows:
        for name, r in results.items():
            if "seconds" not in r:
                print(f"{scale:>5g} {name:22} failed: {r['failed']}")
                continue
            facts = r["facts"] if name.startswith("B ") else total
            note = ""
            if "findings" in r:
                note = f"{r['findings']} findings, {r['recommendations']} recommendations, {r['matches']} matches"
                if r.get("batches"):
                    note += f", {r['batches']} batches; {r['facts_read']:,} facts read after the SQL prefilter"
            elif name.startswith("A "):
                note = f"{r['facts']:,} facts"
            else:
                note = f"{r['facts']:,} facts ({r['messages']:,} messages), {r['matches']} matches"
                if "lost" in r:
                    note += f", {r['lost']} refused as already observed, {r['renamed']} ids suffixed"
                if not r.get("finished", True):
                    note += f"; STOPPED ({r['stop']}) at {r['rss_mb']:,.0f} MB RSS"
                elif r.get("stop"):
                    note += f"; {r['stop']}"
            children = f"{r['children_peak_mb']:>9.0f}" if r.get("children_peak_mb") else f"{'-':>9}"
            print(f"{scale:>5g} {name:22} {r['seconds']:>8.1f} {facts / r['seconds']:>10,.0f} "
                  f"{r.get('peak_mb', r.get('rss_mb', 0)):>8.0f} {children}  {note}")
    if args.repeat > 1:
        print(f"\nmedian of {args.repeat} runs; all runs (s): " + "; ".join(
            f"{name} @{scale:g}: {r['all_seconds']}" for scale, _, _, results in rows
            for name, r in results.items() if "all_seconds" in r))
    print("\nfacts/s: facts in the store / wall seconds (B: facts it asserted / seconds).")
    print("peak MB: the measured process's ru_maxrss; worker MB: the largest forked worker's.")
    print("wenze reads only the facts its SQL prefilter selects, so it can beat reading every fact (A).")
    print("\nratios")
    for scale, total, used, results in rows:
        w = results["wenze evaluate"]
        read = results["A read only"]
        ref = results["reference evaluator"]
        if "seconds" not in w:
            continue
        line = [f"scale {scale:g}:"]
        if "seconds" in read:
            line.append(f"wenze takes {w['seconds'] / read['seconds']:.1f}× the time of reading the store "
                        f"({total / w['seconds'] / (total / read['seconds']):.0%} of read-only facts/s)")
        if "seconds" in ref:
            line.append(f"reference / wenze time {ref['seconds'] / w['seconds']:.1f}×, "
                        f"peak memory {ref['peak_mb'] / max(w['peak_mb'], w.get('children_peak_mb', 0)):.1f}×")
        plain = results.get("B plain durable_rules")
        if plain and "facts" in plain:
            if plain.get("finished"):
                line.append(f"plain durable_rules / wenze time {plain['seconds'] / w['seconds']:.1f}× "
                            f"(same matches as reference: {plain['matches'] == ref.get('matches')}: "
                            f"{plain['matches']} vs {ref.get('matches')})")
            else:
                guess = _extrapolate(plain, used)
                if guess:
                    linear, power, rss = guess
                    line.append(
                        f"plain durable_rules did NOT finish ({plain['stop']}): {plain['facts']:,} of {used:,} "
                        f"facts in {plain['seconds']:.0f} s; EXTRAPOLATED, not measured: ≥ {linear:,.0f} s "
                        f"(linear), ≈ {power:,.0f} s (power law fitted to its progress), ≈ {rss:,.0f} MB; "
                        f"so ≥ {linear / w['seconds']:.0f}× (≈ {power / w['seconds']:.0f}×) wenze's time")
        print("  " + "\n    ".join(line))
    if len(rows) > 1:
        (s0, t0, _, r0), (s1, t1, _, r1) = rows[0], rows[-1]
        print(f"\nscaling from {s0:g} to {s1:g} ({t1 / t0:.1f}× the facts in the store)")
        for name in r0:
            a, b = r0[name], r1.get(name, {})
            if "seconds" in a and "seconds" in b and b.get("finished", True):
                print(f"  {name:22} time ×{b['seconds'] / a['seconds']:.1f}, "
                      f"peak memory ×{b.get('peak_mb', 0) / max(a.get('peak_mb', 1), 1):.1f}")
    print("\ndurable vs reference")
    for scale, _, _, results in rows:
        w, ref = results["wenze evaluate"], results["reference evaluator"]
        if "outcome_sha" in w and "outcome_sha" in ref:
            print(f"  {_compare(scale, w, ref)}; matches {w['matches']} vs {ref['matches']}")
        else:
            print(f"  scale {scale:g}: cannot compare, a run failed")


def profile(seed: int, scale: float, timings: dict[str, float] | None) -> None:
    source, _ = build_store(seed, scale)
    copy = OUT / f"profile-scale{scale:g}.db"
    shutil.copyfile(source, copy)
    r = measure("profile", f"sqlite:///{copy}", str(OUT / f"profile-scale{scale:g}"))
    copy.unlink()
    if "failed" in r:
        print(f"\nprofile failed: {r['failed']}")
        return
    print(f"\nwhere the time goes in wenze evaluate at scale {scale:g} (cProfile; profiling slows "
          f"Python-heavy parts more than C, so read proportions)\n"
          f"  unprofiled run above: {timings}; this profiled run: {r['profiled_timings']}")
    total = r["parent"]["evaluate (profiled)"]
    for name, seconds in r["parent"].items():
        print(f"  {name:48} {seconds:7.2f} s {seconds / total:6.0%}")
    total = r["workers"]["worker CPU, all batches (profiled)"]
    print(f"  in the {r['n_workers']} worker processes (CPU, summed over workers):")
    for name, seconds in r["workers"].items():
        print(f"  {name:48} {seconds:7.2f} s {seconds / total:6.0%}")


if __name__ == "__main__":
    main()
