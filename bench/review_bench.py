"""Review queue benchmark: how long a page of the queue and a recommendation's detail take
with tens of thousands of recommendations, SQLite and PostgreSQL.

    python bench/review_bench.py [--recommendations 30000] [--pg postgresql://postgres@127.0.0.1:5432/test]

Builds the demo county's roster (scale 1), then stores N recommendations spread over its
units (copies of one explanation with their own ids, dates and forms), and times, for a
user who sees the whole county and one who sees a township: the first and the last page,
a filtered page (unit subtree, form, status), and one detail. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.match.reference import ReferenceEvaluator  # noqa: E402
from engine.run.evaluate import evaluate  # noqa: E402
from facts.demo import write_exports  # noqa: E402
from facts.ingest import ingest  # noqa: E402
from facts.recommendation_tables import RecommendationRow  # noqa: E402
from facts.store import open_store  # noqa: E402
from facts.tables import UnitRow  # noqa: E402
from review.detail import recommendation_detail  # noqa: E402
from review.queue import QueueFilter, list_queue  # noqa: E402
from review.users import add_user  # noqa: E402

FORMS = ["admonition", "circulated_criticism", "suspension", "removal"]


def build(url: str, count: int, folder: Path):  # noqa: ANN201
    write_exports(folder / "exports", seed=2026, scale=1.0, formats=("jsonl",))
    store = open_store(url)
    report = ingest(store, sorted((folder / "exports").glob("*.jsonl")))
    assert not report.errors
    evaluate(store, date(2026, 11, 25), evaluator=ReferenceEvaluator())
    table = RecommendationRow.__table__
    with store.begin() as connection:
        template = dict(connection.execute(select(table).limit(1)).mappings().one())
        units = list(connection.execute(select(UnitRow.__table__.c.id)).scalars())
        rng = random.Random(7)
        rows = []
        for n in range(count):
            rows.append({**template, "id": f"RB{n:014d}", "unit": rng.choice(units),
                         "form": rng.choice(FORMS), "status": rng.choice(["pending"] * 4 + [
                             "approved", "rejected"]),
                         "conduct_date": date(2024, 1, 1) + timedelta(days=rng.randrange(1000)),
                         "person_name": f"张{n}", "created": datetime.now(UTC)})
            if len(rows) == 5000:
                connection.execute(insert(table), rows)
                rows = []
        if rows:
            connection.execute(insert(table), rows)
    return store


def timed(call, repeat: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(name: str, store, count: int) -> None:  # noqa: ANN001
    county = add_user(store, f"bench-{uuid.uuid4().hex[:6]}", "approver", ["U-COUNTY"],
                      "bench password")
    town = add_user(store, f"bench-{uuid.uuid4().hex[:6]}", "approver", ["U-T01"], "bench password")
    last = list_queue(store, county).pages
    rec = list_queue(store, county).items[0].id
    print(f"\n{name}: {count} recommendations (+ the demo's own)")
    for label, user, flt in (
            ("county, first page", county, QueueFilter()),
            ("county, last page", county, QueueFilter(page=last)),
            ("county, sort by person", county, QueueFilter(sort="person")),
            ("county, unit subtree U-T01 + form + status", county,
             QueueFilter(unit="U-T01", form="suspension", status="pending")),
            ("township user, first page", town, QueueFilter())):
        page = list_queue(store, user, flt)
        print(f"  {label:45} {timed(lambda u=user, f=flt: list_queue(store, u, f)):8.1f} ms  "
              f"({page.total} in scope, {page.pages} pages)")
    print(f"  {'detail of one recommendation':45} "
          f"{timed(lambda: recommendation_detail(store, county, rec)):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recommendations", type=int, default=30000)
    parser.add_argument("--pg", default=None, help="also measure on this PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measure("SQLite", build(f"sqlite:///{folder}/bench.db", args.recommendations, folder),
                args.recommendations)
        if args.pg:
            name = f"wenze_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://"),
                                  isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = args.pg.rsplit("/", 1)[0] + f"/{name}"
                store = build(url, args.recommendations, folder / "pg")
                measure("PostgreSQL", store, args.recommendations)
                store.dispose()
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
