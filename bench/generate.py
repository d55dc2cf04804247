"""Deterministic benchmark stores: 1, 10 or 100 demo counties written straight into a store.

    python bench/generate.py --size county|city|province --db URL [--seed 2026]

County n (from 0) is the demo county of ``facts/demo.py`` drawn with seed ``seed + n``,
every fact id and every reference to a fact (unit, person, reminder, ``actors`` that are
person ids, ``basis`` entries) suffixed with ``-cNNN``, so counties never share an id. A
county is ≈ 300,000 facts (96% ledger filings), a city ≈ 3 million, a province ≈ 30 million.

Facts are validated by the contract and hashed exactly as ``wenze ingest`` does (loading
a demo export into such a store is a no-op), then written in chunks with the store's bulk
path (COPY on PostgreSQL, one executemany on SQLite), one transaction and one ingest batch
per county: memory stays that of one chunk whatever the size. Reference checks are left
out — the demo county is consistent by construction.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert  # noqa: E402

from facts.contract import KINDS, REFERENCES  # noqa: E402
from facts.demo import generate  # noqa: E402
from facts.ingest import content_hash  # noqa: E402
from facts.store import bulk_insert, open_store, row_encoder  # noqa: E402
from facts.tables import TABLES, IngestBatch  # noqa: E402

SIZES = {"county": 1, "city": 10, "province": 100}
CHUNK = 20_000


def county_facts(seed: int, n: int) -> Iterator[dict[str, Any]]:
    """County ``n``: the demo county of seed ``seed + n`` with its ids suffixed ``-cNNN``."""
    suffix = f"-c{n:03d}"
    persons: set[str] = set()
    for fact in generate(seed + n, 1.0):
        kind = fact["kind"]
        fact = {**fact, "id": fact["id"] + suffix}
        for name in REFERENCES[kind]:
            if fact.get(name) is not None:
                fact[name] += suffix
        if kind == "person":
            persons.add(fact["id"])
        elif kind == "violation":  # an actor is a person's id, or a name (村会计李某) kept as it is
            fact["actors"] = [a + suffix if a + suffix in persons else a for a in fact["actors"]]
        elif kind == "reminder" and fact.get("basis"):
            fact["basis"] = [entry + suffix for entry in fact["basis"]]
        yield fact


def write_county(engine: Engine, seed: int, n: int) -> int:
    """Write county ``n`` into the store in one transaction; the number of facts written."""
    columns = {kind: row_encoder(TABLES[kind].__table__, engine.dialect) for kind in KINDS}
    pending: dict[str, list[tuple]] = {kind: [] for kind in KINDS}
    written = 0
    with engine.begin() as connection:
        batch = connection.execute(insert(IngestBatch.__table__).values(
            started=datetime.now(UTC), files=[f"bench/generate.py seed {seed} county {n}"],
            loaded={})).inserted_primary_key[0]

        def flush(kind: str) -> None:
            bulk_insert(connection, TABLES[kind].__table__, columns[kind][0], pending[kind])
            pending[kind] = []

        for raw in county_facts(seed, n):
            kind = raw.pop("kind")
            fact = KINDS[kind].model_validate(raw)
            values = {**fact.__dict__, "src": f"generated:county {n}", "content_hash": content_hash(fact),
                      "ingest_id": batch}
            pending[kind].append(columns[kind][1](values))
            written += 1
            if len(pending[kind]) >= CHUNK:
                flush(kind)
        for kind in KINDS:
            flush(kind)
    return written


def write_store(url: str, counties: int, seed: int = 2026, log: Any = print) -> int:
    """A store of ``counties`` counties at ``url`` (created; it should be empty)."""
    engine = open_store(url)
    total = 0
    started = time.perf_counter()
    try:
        for n in range(counties):
            total += write_county(engine, seed, n)
            elapsed = time.perf_counter() - started
            log(f"  county {n + 1}/{counties}: {total:,} facts in {elapsed:.0f} s "
                f"({total / elapsed:,.0f} facts/s)")
    finally:
        engine.dispose()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=SIZES, default="county")
    parser.add_argument("--db", required=True, help="store URL (an empty SQLite file or PostgreSQL database)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    write_store(args.db, SIZES[args.size], args.seed)


if __name__ == "__main__":
    main()
