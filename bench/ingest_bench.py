"""Ingestion benchmark: rows per second and peak memory, SQLite and PostgreSQL.

    python bench/ingest_bench.py [--rows 1000000] [--pg postgresql://postgres@127.0.0.1:5432/test]

Generates N ledger rows (and the persons they reference) as JSON Lines and as CSV, then
measures, each in a fresh process so peak RSS is its own:
  - baseline: json.loads over the JSONL file (the least any JSONL reader must do);
  - wenze ingest of the JSONL into SQLite, and into PostgreSQL;
  - wenze ingest of the CSV into SQLite.
Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(folder: Path, rows: int) -> tuple[Path, Path, Path]:
    rng = random.Random(2026)
    persons = max(1, rows // 240)
    roster = folder / "roster.jsonl"
    with roster.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"kind": "unit", "id": "U1", "name": "卢峰镇", "type": "township"},
                             ensure_ascii=False) + "\n")
        for p in range(persons):
            out.write(json.dumps({"kind": "person", "id": f"P{p}", "name": f"张{p}", "unit": "U1",
                                  "category": "branch_secretary"}, ensure_ascii=False) + "\n")
    jsonl, csv_path = folder / "ledger.jsonl", folder / "ledger.csv"
    with jsonl.open("w", encoding="utf-8") as j, csv_path.open("w", encoding="utf-8-sig") as c:
        c.write("id,person,period,task,status,verdict,date\n")
        for i in range(rows):
            month = 1 + i % 12
            row = {"id": f"L{i}", "person": f"P{i % persons}", "period": f"2025-{month:02d}",
                   "task": f"bs0{1 + i % 6}", "status": rng.choice(("done", "done", "partial", "missing")),
                   "verdict": rng.choice(("pass", "pass", "pass", "fail")),
                   "date": f"2025-{month:02d}-{1 + i % 27:02d}"}
            j.write(json.dumps({"kind": "ledger", **row}) + "\n")
            c.write(",".join(row.values()) + "\n")
    return roster, jsonl, csv_path


def child(mode: str, url: str, paths: list[str]) -> None:
    """Run one measurement in this (fresh) process and print a JSON line of figures."""
    sys.path.insert(0, str(ROOT))
    start = time.perf_counter()
    if mode == "json":
        rows = 0
        with open(paths[0], encoding="utf-8") as source:
            for line in source:
                json.loads(line)
                rows += 1
    else:
        from facts.ingest import ingest
        from facts.store import open_store

        report = ingest(open_store(url), [Path(p) for p in paths])
        assert report.committed and not report.errors, report.errors[:3]
        rows = sum(report.loaded.values())
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb}))


def measure(mode: str, url: str, paths: list[Path]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, url, *map(str, paths)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pg_database(admin_url: str) -> tuple[str, callable]:
    from sqlalchemy import create_engine, text

    url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"wenze_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return url.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2:])
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        roster, jsonl, csv_path = generate(folder, args.rows)
        print(f"generated {args.rows:,} ledger rows in {time.perf_counter() - t:.1f} s "
              f"({jsonl.stat().st_size / 1e6:.0f} MB JSONL)")
        results = {"json.loads baseline": measure("json", "", [jsonl])}
        results["ingest JSONL → SQLite"] = measure("ingest", f"sqlite:///{folder}/a.db", [roster, jsonl])
        results["ingest CSV → SQLite"] = measure("ingest", f"sqlite:///{folder}/b.db", [roster, csv_path])
        try:
            url, drop = pg_database(args.pg)
        except Exception as exc:  # noqa: BLE001
            print(f"PostgreSQL not measured: {exc}")
        else:
            try:
                results["ingest JSONL → PostgreSQL"] = measure("ingest", url, [roster, jsonl])
            finally:
                drop()
    print(f"\n{'variant':30} {'rows':>10} {'seconds':>9} {'rows/s':>10} {'peak MB':>9}")
    for name, r in results.items():
        print(f"{name:30} {r['rows']:>10,} {r['seconds']:>9.1f} {r['rows'] / r['seconds']:>10,.0f} "
              f"{r['peak_mb']:>9.0f}")
    base = results["json.loads baseline"]
    rate = {name: r["rows"] / r["seconds"] for name, r in results.items()}
    print("\nratios:")
    for name in results:
        if name != "json.loads baseline":
            print(f"  {name}: {rate['json.loads baseline'] / rate[name]:.1f}× slower than json.loads alone")
    if "ingest JSONL → PostgreSQL" in rate:
        print(f"  PostgreSQL / SQLite time: "
              f"{rate['ingest JSONL → SQLite'] / rate['ingest JSONL → PostgreSQL']:.2f}")
    print(f"  peak memory, ingest vs baseline: "
          f"{results['ingest JSONL → SQLite']['peak_mb'] / base['peak_mb']:.1f}×")


if __name__ == "__main__":
    main()
