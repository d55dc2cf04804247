"""End-to-end evaluation benchmark: wenze evaluate against two baselines, at two scales.

    python bench/evaluate_bench.py [--scales 1,10] [--skip-plain]

For the demo county (scale 1) and a store ten times its size, each measured in a fresh
process (peak RSS is its own; durable_rules workers are counted as children):
  - read only:   stream every stored fact out of the store — the floor;
  - wenze:       ``wenze evaluate`` (SQL prefilter, partitions, forked durable_rules workers,
                 recommendations committed) on a copy of the store;
  - reference:   the plain-Python reference evaluator (findings only);
  - plain durable_rules: every fact of the kinds the rules use asserted into one host,
                 one sid, literal conditions compiled into the ruleset too — no prefilter,
                 no partitions. Run under a memory cap and a time cap; if it does not
                 finish, how far it got is reported.
Stores are built once from the demo exports and cached in bench/out/. Prints figures and
ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AS_OF = date(2026, 11, 25)
sys.path.insert(0, str(ROOT))


def build_store(scale: float) -> Path:
    from facts.demo import write_exports
    from facts.ingest import ingest
    from facts.store import open_store

    path = OUT / f"demo-seed2026-scale{scale:g}.db"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    exports = OUT / f"exports-scale{scale:g}"
    started = time.perf_counter()
    write_exports(exports, seed=2026, scale=scale, formats=("jsonl",))
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    report = ingest(open_store(f"sqlite:///{tmp}"), sorted(exports.glob("*.jsonl")))
    assert report.committed and not report.errors
    tmp.rename(path)
    shutil.rmtree(exports)
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s")
    return path


def _peak() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def child_read(url: str) -> dict:
    from sqlalchemy import select

    from facts.store import open_store, stream
    from facts.tables import TABLES

    store = open_store(url)
    start = time.perf_counter()
    n = sum(1 for table in TABLES.values() for _ in stream(store, select(table.__table__)))
    return {"seconds": time.perf_counter() - start, "facts": n}


def child_wenze(url: str) -> dict:
    from engine.evaluate import evaluate
    from facts.store import open_store

    start = time.perf_counter()
    result = evaluate(open_store(url), AS_OF)
    return {"seconds": time.perf_counter() - start, "findings": result.counts["findings"],
            "recommendations": result.counts["recommendations"], "timings": result.timings}


def child_reference(url: str) -> dict:
    from engine.evaluate import find
    from engine.rulebook import load_rulebook
    from facts.store import open_store

    start = time.perf_counter()
    found, _ = find(open_store(url), load_rulebook(), AS_OF, "reference")
    return {"seconds": time.perf_counter() - start, "findings": len(found)}


def _literal(term, encode):  # noqa: ANN001, ANN202
    name = "f_" + term.field.replace(".", "_")
    if term.op == "exists":
        return {"$ex" if term.value else "$nex": {name: 1}}
    if term.op == "size_ge":
        return {"$gte": {"n_" + term.field: term.value}}
    if term.op == "in":
        return {"$or": [{name: encode(v)} for v in term.value]}
    if term.op == "not_in":
        return {"$and": [{"$neq": {name: encode(v)}} for v in term.value]}
    if term.op == "eq":
        return {name: encode(term.value)}
    return {{"ne": "$neq", "gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte"}[term.op]:
            {name: encode(term.value)}}


def child_plain(url: str, cap_seconds: float) -> dict:
    """Every fact into one durable_rules host and one sid, the rules unfiltered."""
    from durable.engine import Host
    from sqlalchemy import select

    from engine.compile import _durable_join, compile_rule, encode
    from engine.rulebook import load_rulebook
    from facts.store import open_store, stream
    from facts.tables import TABLES

    rules = [compile_rule(v, AS_OF) for v in load_rulebook().versions]
    matches = [0]

    class _Host(Host):
        def _run(self) -> None:
            pass

        def get_action(self, name: str):  # noqa: ANN202
            def action(c) -> None:  # noqa: ANN001
                matches[0] += 1
            return action

    host = _Host()
    definitions = {}
    for rule in rules:
        clauses = []
        for clause in rule.clauses:
            conditions = [{"k": clause.kind}] + [_literal(t, encode) for t in clause.literals if
                                                 not t.field.startswith("attrs.")]
            conditions += [_durable_join(t) for t in sorted(clause.joins, key=lambda t: t.op == "eq")]
            clauses.append({"a_" + clause.alias + ("$not" if clause.negated else ""): {"$and": conditions}})
        definitions[rule.ruleset_name] = {"m": {"all": clauses, "run": "matched"}}
    host.set_rulesets(json.loads(json.dumps(definitions)))
    kinds = sorted({c.kind for rule in rules for c in rule.clauses})
    store = open_store(url)
    start = time.perf_counter()
    asserted = 0
    lost = 0  # distinct facts durable_rules refused as "already observed"
    finished = True
    for kind in kinds:
        for row in stream(store, select(TABLES[kind].__table__)):
            message = {"sid": "0", "id": encode(f"{kind}:{row.id}"), "k": kind}
            for name, value in row._mapping.items():
                if name in ("src", "content_hash", "ingest_id"):
                    continue
                if isinstance(value, list):
                    message["n_" + name] = len(value)
                elif not isinstance(value, dict) and value is not None:
                    message["f_" + name] = encode(value)
            for rule in rules:
                if kind in {c.kind for c in rule.clauses}:
                    try:
                        host.assert_fact(rule.ruleset_name, dict(message))
                    except Exception as exc:  # noqa: BLE001
                        if type(exc).__name__ == "MessageObservedException":
                            lost += 1
                        elif type(exc).__name__ != "MessageNotHandledException":
                            raise
            asserted += 1
            if asserted % 10_000 == 0 and time.perf_counter() - start > cap_seconds:
                finished = False
                break
        if not finished:
            break
    return {"seconds": time.perf_counter() - start, "facts": asserted, "matches": matches[0],
            "finished": finished, "lost": lost}


def measure(mode: str, url: str, *extra: str, cap_gb: float = 0) -> dict:
    command = [sys.executable, __file__, "--child", mode, url, *extra]
    if cap_gb:
        command += ["--cap-gb", str(cap_gb)]
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"failed": (done.stderr.strip().splitlines() or ["killed"])[-1][:160]}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--plain-seconds", type=float, default=600)
    parser.add_argument("--plain-cap-gb", type=float, default=12)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--cap-gb", type=float, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.cap_gb:
            limit = int(args.cap_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        mode, url, *extra = args.child
        runner = {"read": child_read, "wenze": child_wenze, "reference": child_reference}
        result = child_plain(url, float(extra[0])) if mode == "plain" else runner[mode](url)
        result["peak_mb"], result["children_peak_mb"] = _peak()
        print(json.dumps(result))
        return
    rows = []
    for scale in (float(s) for s in args.scales.split(",")):
        source = build_store(scale)
        url = f"sqlite:///{source}"
        from facts.store import counts, open_store

        total = sum(counts(open_store(url)).values())
        copy = OUT / f"evaluate-scale{scale:g}.db"
        shutil.copyfile(source, copy)
        results = {"read only": measure("read", url),
                   "wenze evaluate": measure("wenze", f"sqlite:///{copy}"),
                   "reference evaluator": measure("reference", url)}
        if not args.skip_plain:
            results["plain durable_rules"] = measure("plain", url, str(args.plain_seconds),
                                                     cap_gb=args.plain_cap_gb)
        copy.unlink()
        rows.append((scale, total, results))
    print(f"\n{'scale':>5} {'facts':>10} {'variant':22} {'seconds':>8} {'facts/s':>10} "
          f"{'peak MB':>8} {'workers MB':>10}  notes")
    for scale, total, results in rows:
        for name, r in results.items():
            if "failed" in r:
                print(f"{scale:>5g} {total:>10,} {name:22} failed: {r['failed']}")
                continue
            done = r.get("facts", total) if name == "plain durable_rules" else total
            note = ""
            if "findings" in r:
                note = f"{r['findings']} findings" + (f", {r['recommendations']} recommendations"
                                                      if "recommendations" in r else "")
            if name == "plain durable_rules":
                note = f"{r['matches']} matches; {r['lost']:,} distinct facts refused as already observed" + (
                    "" if r["finished"] else f"; STOPPED after {r['facts']:,} facts (time cap)")
            print(f"{scale:>5g} {total:>10,} {name:22} {r['seconds']:>8.1f} {done / r['seconds']:>10,.0f} "
                  f"{r['peak_mb']:>8.0f} {r['children_peak_mb']:>10.0f}  {note}")
        w, ref, read = (results[k] for k in ("wenze evaluate", "reference evaluator", "read only"))
        if not any("failed" in r for r in (w, ref, read)):
            print(f"      ratios at scale {scale:g}: wenze / read-only time {w['seconds'] / read['seconds']:.1f}×; "
                  f"reference / wenze {ref['seconds'] / w['seconds']:.1f}×; same findings: "
                  f"{w['findings'] == ref['findings']}")
            plain = results.get("plain durable_rules")
            if plain and "failed" not in plain:
                rate = plain["facts"] / plain["seconds"]
                print(f"      plain durable_rules: {total / w['seconds'] / rate:.1f}× fewer facts/s than wenze"
                      + ("" if plain["finished"] else " (extrapolated from the facts it reached)"))


if __name__ == "__main__":
    main()
