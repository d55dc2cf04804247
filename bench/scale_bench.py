"""The nightly run at county, city and province size, with its two baselines (``make bench``).

    python bench/scale_bench.py [--province] [--province-store PATH] [--sizes county,city]
                                [--pg URL] [--skip-plain] [--plain-seconds 300]
                                [--plain-cap-gb 6] [--docs 10]

For each size, a store is generated once (``bench/generate.py``; cached in bench/out/ by
size, seed and the generator's source, ~110 MB a county; ``--province-store`` takes a
province generated beforehand) into SQLite and, for ingest, PostgreSQL (at most
``PG_COUNTIES`` counties: the province's PostgreSQL figure is of a store of its first 10
counties, and says so). Then, each measurement in a fresh process
(``bench/evaluate_bench.py --child``) so its peak memory is its own:
  - ingest: 1% new ledger filings (a new month for 1% of the filers, as JSON Lines) through
    ``wenze ingest`` into a copy of the SQLite store: rows/s; then 300,000 filings of another
    month (a county's year of filings) into the copy and into the PostgreSQL store;
  - read floor: every fact of every kind streamed out of the store once;
  - full: the nightly evaluation (``evaluate``, durable_rules, 2 workers) before the 1% new facts;
  - incremental: the evaluation after them — when the engine has an incremental mode
    (``evaluate(..., full=False)``); until then 'n/a';
  - next day: as a nightly run goes, another 1% of filings dated the next day, then the
    incremental evaluation on that day (the as-of date moved by one);
  - an appointment: one new post in the first county, the same day's incremental evaluation
    again (a county's roster changed: its persons are explained again, the others' taken over);
  - documents: HTML, PDF and DOCX of the first ``--docs`` recommendations: documents/s;
  - plain durable_rules: every fact of the store posted into one durable_rules host (those of
    kinds no rule reads are refused by it), under a time and a memory cap (how far it got is
    reported).
Peak memory is the measured process's ru_maxrss plus its largest descendant's (the
forked durable_rules workers).
Every figure is printed as a JSON line (and appended to bench/out/scale.jsonl), then a table.
Timing is of a shared machine: compare figures of one run, not across runs.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import random
import resource
import shutil
import sqlite3
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import evaluate_bench  # noqa: E402
import generate  # noqa: E402

AS_OF = evaluate_bench.AS_OF
NEW_PERIOD = "2026-11"  # the 1% new filings, dated 2026-11-20: on or before AS_OF
NEXT_DAY = 1  # the next nightly run: its as-of date, AS_OF + NEXT_DAY, is its filings' date
BULK_PERIOD, BULK_ROWS = "2026-10", 300_000  # the ingest figure: a county's year of filings
PG_COUNTIES = 10  # at most, in the PostgreSQL store of the ingest figure


def _source_hash() -> str:
    digest = hashlib.sha256()
    for name in ("bench/generate.py", "facts/demo.py", "facts/demo_data.py", "facts/contract.py",
                 "facts/tables.py"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


def sqlite_store(size: str, seed: int) -> tuple[Path, float | None]:
    """The cached SQLite store of a size, and how long generating it took now (None: cached)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"scale-{size}-seed{seed}-{_source_hash()}.db"
    if path.exists():
        return path, None
    for stale in OUT.glob(f"scale-{size}-seed{seed}-*.db*"):
        stale.unlink()
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    started = time.perf_counter()
    generate.write_store(f"sqlite:///{building}", generate.SIZES[size], seed)
    connection = sqlite3.connect(building)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    building.rename(path)
    return path, time.perf_counter() - started


def new_filings(store: Path, path: Path, count: int, period: str, counties: int | None = None,
                day: str | None = None) -> Path:
    """``count`` new ledger filings for ``period`` (the filers and tasks of the store's first
    filings — of its first ``counties`` counties if given — new ids), dated ``day`` (by
    default the period's 20th), as a JSON Lines export."""
    connection = sqlite3.connect(store)
    rng = random.Random(f"2026:{day or period}")
    sources = [generate.county_src(n) for n in range(counties or 0)]
    where = f"WHERE src IN ({', '.join('?' * len(sources))})" if sources else ""
    with path.open("w", encoding="utf-8") as out:
        rows = connection.execute(f"SELECT id, person, task FROM ledger {where} ORDER BY id LIMIT ?",  # noqa: S608
                                  (*sources, count))
        for fact_id, person, task in rows:
            out.write(json.dumps({
                "kind": "ledger", "id": f"{fact_id}-{day or period}", "person": person,
                "period": period, "task": task,
                "status": rng.choice(("done", "done", "partial", "missing")),
                "verdict": rng.choice(("pass", "pass", "pass", "fail")),
                "date": day or f"{period}-20"}) + "\n")
    connection.close()
    return path


def appointment(store: Path, path: Path, day: str) -> Path:
    """One new post from ``day``: the store's first post's person made a member of its unit
    (the first county's), as a JSON Lines export."""
    connection = sqlite3.connect(store)
    post_id, person, unit = connection.execute(
        "SELECT id, person, unit FROM post ORDER BY id LIMIT 1").fetchone()
    connection.close()
    path.write_text(json.dumps({"kind": "post", "id": f"{post_id}-{day}", "person": person,
                                "unit": unit, "role": "member", "start": day}) + "\n",
                    encoding="utf-8")
    return path


def _pg(admin_url: str) -> tuple[str, Any] | None:
    from sqlalchemy import create_engine, text

    url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"wenze_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL not measured: {exc}")
        return None

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return url.rsplit("/", 1)[0] + f"/{name}", drop


# ---------------------------------------------------------------- measured children


def child_ingest(url: str, path: str) -> dict[str, Any]:
    from facts.ingest import ingest
    from facts.store import open_store

    def cpu() -> tuple[float, float]:
        own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime

    store = open_store(url)
    start, (own, children) = time.perf_counter(), cpu()
    report = ingest(store, [Path(path)])
    seconds = time.perf_counter() - start
    if not report.committed or report.errors:
        raise SystemExit(f"ingest failed: {[str(e) for e in report.errors[:3]]}")
    own_after, children_after = cpu()
    # CPU seconds of the writer (this process) and the readers (its children): on a shared machine
    # wall time says how busy the machine was; their sum over two cores, how fast it could be
    return {"seconds": seconds, "rows": sum(report.loaded.values()),
            "writer_cpu_s": own_after - own, "reader_cpu_s": children_after - children}


def child_evaluate(url: str, full: str, days: str = "0") -> dict[str, Any]:
    from engine.rulebook import load_rulebook
    from engine.run.evaluate import EVALUATORS, evaluate
    from facts.store import open_store

    store = open_store(url)
    evaluator = EVALUATORS["durable"]()
    evaluator.workers = evaluate_bench.WORKERS
    rulebook = load_rulebook()
    options = {"full": full == "full"} if incremental_available() else {}
    start = time.perf_counter()
    result = evaluate(store, AS_OF + timedelta(days=int(days)), rulebook, evaluator, **options)
    return {"seconds": time.perf_counter() - start, "recommendations": result.counts["recommendations"],
            "facts_read": result.counts["facts_matched"],
            **{key: result.counts.get(key, 0) for key in ("persons_explained", "persons_carried",
                                                           "evidence_kept")}}


def child_documents(url: str, limit: str) -> dict[str, Any]:
    from sqlalchemy import select

    from documents.formats import FORMATS
    from documents.recommendation import render_recommendation
    from engine.rulebook import load_rulebook
    from facts.recommendation_tables import RecommendationRow
    from facts.store import open_store

    store = open_store(url)
    rulebook = load_rulebook()
    table = RecommendationRow.__table__
    with store.connect() as connection:
        ids = list(connection.execute(select(table.c.id).order_by(table.c.id).limit(int(limit))).scalars())
    start = time.perf_counter()
    for rec_id in ids:
        for fmt in FORMATS:
            render_recommendation(store, rec_id, fmt, rulebook)
    return {"seconds": time.perf_counter() - start, "documents": len(ids)}


def incremental_available() -> bool:
    from engine.run.evaluate import evaluate

    return "full" in inspect.signature(evaluate).parameters


CHILDREN = {"ingest": child_ingest, "evaluate": child_evaluate, "documents": child_documents}


def _measure(mode: str, *args: str) -> dict[str, Any]:
    """One of this script's children in a fresh interpreter (``evaluate_bench.measure``)."""
    return evaluate_bench.measure(mode, *args, script=Path(__file__).resolve())


# ---------------------------------------------------------------- parent


def emit(record: dict[str, Any]) -> None:
    line = json.dumps(record, ensure_ascii=False)
    print(line, flush=True)
    with (OUT / "scale.jsonl").open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def bench_size(size: str, args: argparse.Namespace, run: str) -> list[dict[str, Any]]:
    print(f"\n== {size}: {generate.SIZES[size]} counties", flush=True)
    if size == "province" and args.province_store:
        source, built = Path(args.province_store), None
    else:
        source, built = sqlite_store(size, args.seed)
    connection = sqlite3.connect(source)
    facts = sum(connection.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]  # noqa: S608
                for kind in generate.KINDS)
    connection.close()
    base = {"run": run, "size": size, "facts": facts}
    records = []

    def record(measure: str, result: dict[str, Any], **extra: Any) -> None:
        entry = {**base, "measure": measure, **extra}
        if "failed" in result:
            entry["failed"] = result["failed"]
        for key in ("seconds", "rows", "documents", "recommendations", "facts_read", "finished",
                    "stop", "facts_asserted", "writer_cpu_s", "reader_cpu_s", "persons_explained",
                    "persons_carried", "evidence_kept"):
            if key in result:
                entry[key] = round(result[key], 3) if isinstance(result[key], float) else result[key]
        if "facts" in result and measure.startswith("plain"):
            entry["facts_asserted"] = result["facts"]
        peak = result.get("peak_mb", result.get("rss_mb", 0)) + result.get("children_peak_mb", 0)
        if peak:
            entry["peak_mb"] = round(peak)
        emit(entry)
        records.append(entry)

    if built is not None:
        record("generate (SQLite)", {"seconds": built, "rows": facts})
    work = OUT / f"work-{size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        copy = work / "store.db"
        shutil.copyfile(source, copy)
        url = f"sqlite:///{copy}"
        record("read floor", evaluate_bench.measure("read", url))
        record("full evaluation", _measure("evaluate", url, "full"))
        new = new_filings(source, work / "ledger-new.jsonl", facts // 100, NEW_PERIOD)
        record("ingest 1% (SQLite)", _measure("ingest", url, str(new)))
        if incremental_available():
            record("incremental evaluation", _measure("evaluate", url, "incremental"))
            day = (AS_OF + timedelta(days=NEXT_DAY)).isoformat()
            more = new_filings(source, work / "ledger-next.jsonl", facts // 100, NEW_PERIOD, day=day)
            record("ingest 1% next day (SQLite)", _measure("ingest", url, str(more)))
            record("incremental, next day", _measure("evaluate", url, "incremental", str(NEXT_DAY)))
            record("ingest an appointment (SQLite)",
                   _measure("ingest", url, str(appointment(source, work / "post.jsonl", day))))
            record("incremental, an appointment",
                   _measure("evaluate", url, "incremental", str(NEXT_DAY)))
        else:
            record("incremental evaluation", {"failed": "n/a: the engine has no incremental mode yet"})
        if args.docs:
            record("documents", _measure("documents", url, str(args.docs)))
        bulk = new_filings(source, work / "ledger-bulk.jsonl", BULK_ROWS, BULK_PERIOD)
        record("ingest (SQLite)", _measure("ingest", url, str(bulk)))
        if not args.skip_plain:
            record("plain durable_rules", evaluate_bench.measure(
                "plain", f"sqlite:///{source}", str(args.plain_seconds), "every", cap_gb=args.plain_cap_gb))
        if args.pg:
            pg = _pg(args.pg)
            if pg:
                pg_url, drop = pg
                counties = min(generate.SIZES[size], PG_COUNTIES)
                # a province in PostgreSQL would take most of an hour and ~20 GB to generate
                # for one ingest figure: that one is measured into a store of PG_COUNTIES
                of = "" if counties == generate.SIZES[size] else f", {counties} counties"
                if of:
                    print(f"PostgreSQL ingest: into a store of the first {counties} counties only", flush=True)
                    bulk = new_filings(source, work / "ledger-bulk-pg.jsonl", BULK_ROWS, BULK_PERIOD, counties)
                try:
                    started = time.perf_counter()
                    rows = generate.write_store(pg_url, counties, args.seed, log=lambda _: None)
                    record(f"generate (PostgreSQL{of})", {"seconds": time.perf_counter() - started, "rows": rows})
                    record(f"ingest (PostgreSQL{of})", _measure("ingest", pg_url, str(bulk)))
                finally:
                    drop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return records


def table(records: list[dict[str, Any]]) -> None:
    print(f"\n{'size':9} {'facts':>11} {'measure':35} {'seconds':>9} {'per second':>14} {'peak MB':>8}  notes")
    for r in records:
        rate, note = "", r.get("failed", "")
        if "rows" in r and r.get("seconds"):
            rate = f"{r['rows'] / r['seconds']:,.0f} rows"
        elif "documents" in r and r.get("seconds"):
            rate = f"{r['documents'] / r['seconds']:.2f} docs"
        elif r["measure"] in ("read floor", "full evaluation", "incremental evaluation",
                              "incremental, next day", "incremental, an appointment") \
                and r.get("seconds"):
            rate = f"{r['facts'] / r['seconds']:,.0f} facts"
        if r["measure"].startswith("plain") and "facts_asserted" in r:
            rate = f"{r['facts_asserted'] / max(r.get('seconds', 1), 1e-9):,.0f} facts"
            note = (f"{r['facts_asserted']:,} facts asserted" +
                    ("" if r.get("finished") else f"; STOPPED: {r.get('stop', '')}"))[:90]
        elif "writer_cpu_s" in r and r["rows"] > 10_000:
            # the readers (one or two processes) and the writer share the machine's two cores:
            # at best they overlap perfectly (PostgreSQL's own work, on the same cores, not counted)
            both = (r["writer_cpu_s"] + r["reader_cpu_s"]) / 2
            note = (f"CPU s: writer {r['writer_cpu_s']:.1f}, readers {r['reader_cpu_s']:.1f} → "
                    f"at most {r['rows'] / both:,.0f} rows/s on two cores")
        elif "recommendations" in r:
            note = f"{r['recommendations']} recommendations, {r.get('facts_read', 0):,} facts read"
            if r["measure"].startswith("incremental"):
                note += (f"; persons explained {r['persons_explained']:,}, "
                         f"taken over {r['persons_carried']:,}; "
                         f"evidence taken over {r.get('evidence_kept', 0):,}")
        seconds = f"{r['seconds']:.1f}" if "seconds" in r else "n/a"
        print(f"{r['size']:9} {r['facts']:>11,} {r['measure']:35} {seconds:>9} {rate:>14} "
              f"{r.get('peak_mb', ''):>8}  {note}")
    print("\nratios (one run, same facts):")
    by_size: dict[str, dict[str, dict[str, Any]]] = {}
    for r in records:
        by_size.setdefault(r["size"], {})[r["measure"]] = r
    for size, m in by_size.items():
        full, read, plain = m.get("full evaluation", {}), m.get("read floor", {}), m.get("plain durable_rules", {})
        parts = []
        if full.get("seconds") and read.get("seconds"):
            parts.append(f"full / read floor time {full['seconds'] / read['seconds']:.2f}")
        for name, label in (("incremental evaluation", "incremental"),
                            ("incremental, next day", "next day"),
                            ("incremental, an appointment", "an appointment")):
            incremental = m.get(name, {})
            if full.get("seconds") and incremental.get("seconds"):
                parts.append(f"{label} / full {incremental['seconds'] / full['seconds']:.0%}")
        if full.get("seconds") and plain.get("seconds") and plain.get("finished"):
            parts.append(f"plain durable_rules / full run: time {plain['seconds'] / full['seconds']:.2f}×, "
                         f"peak memory {plain.get('peak_mb', 0) / max(full.get('peak_mb', 1), 1):.2f}×")
        elif plain.get("facts_asserted"):
            parts.append(f"plain durable_rules stopped ({plain.get('stop') or plain.get('failed')}) after "
                         f"{plain['facts_asserted']:,} facts in {plain.get('seconds', 0):.0f} s at "
                         f"{plain.get('peak_mb', 0)} MB; the full run took {full.get('seconds', 0):.1f} s "
                         f"at {full.get('peak_mb', 0)} MB")
        print(f"  {size}: " + "; ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="county,city")
    parser.add_argument("--province", action="store_true", help="add the province (100 counties)")
    parser.add_argument("--province-store", help="the province's SQLite store, generated beforehand by "
                        "bench/generate.py (used as it is, not regenerated; copied for the measures)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="PostgreSQL server for the ingest figures ('' to skip)")
    parser.add_argument("--skip-plain", action="store_true", help="do not run plain durable_rules")
    parser.add_argument("--plain-seconds", type=float, default=300, help="time cap of plain durable_rules")
    parser.add_argument("--plain-cap-gb", type=float, default=6, help="memory cap of plain durable_rules")
    parser.add_argument("--docs", type=int, default=10, help="documents to render (0: skip)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        result = CHILDREN[mode](*rest)
        result["peak_mb"], result["children_peak_mb"] = evaluate_bench._peak()
        print(json.dumps(result), flush=True)
        return
    sizes = args.sizes.split(",") + (["province"] if args.province else [])
    run = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(f"scale bench {run}: as of {AS_OF}, seed {args.seed}, sizes {sizes}; "
          f"incremental mode {'present' if incremental_available() else 'not there yet'}")
    records = []
    for size in sizes:
        records += bench_size(size, args, run)
    table(records)


if __name__ == "__main__":
    main()
