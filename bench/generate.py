"""Deterministic benchmark stores: 1, 10 or 100 demo counties written straight into a store.

    python bench/generate.py --size county|city|province --db URL [--seed 2026]

County n (from 0) is the demo county of ``facts/demo.py`` drawn with seed ``seed + n``,
every fact id and every reference to a fact (unit, person, reminder, ``actors`` that are
person ids, ``basis`` entries) suffixed with ``-cNNN``, so counties never share an id. A
county is ≈ 300,000 facts (96% ledger filings), a city ≈ 3 million, a province ≈ 30 million.

This process generates the facts, county after county, in slices of ``SLICE``; a pool of
forked workers, one per core, validates them by the contract and hashes them exactly as
``wenze ingest`` does (loading a demo export into such a store is a no-op) and encodes
them as table rows; this process writes them back in order in chunks with the store's bulk
path (COPY on PostgreSQL, one executemany on SQLite), one transaction and one ingest batch
per county. The store is the same as one process alone would write, and memory stays that
of a few slices and chunks whatever the size. The fact tables' secondary indexes are
dropped first and made once at the end: a county's ids (``-cNNN`` last) fall all over the
id order, so an index on a fact id (person, unit, …) kept up county by county would have
most of its pages rewritten each time. Reference checks are left out — the demo county is
consistent by construction.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from itertools import groupby, islice
from multiprocessing.pool import AsyncResult, Pool
from operator import itemgetter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Dialect, Engine, insert  # noqa: E402

from facts.contract import KINDS, REFERENCES  # noqa: E402
from facts.demo import generate  # noqa: E402
from facts.ingest import content_hash  # noqa: E402
from facts.store import bulk_insert, open_store, row_encoder  # noqa: E402
from facts.tables import TABLES, IngestBatch  # noqa: E402

SIZES = {"county": 1, "city": 10, "province": 100}
CHUNK = 20_000  # rows per bulk insert
SLICE = 5_000  # facts a worker validates, hashes and encodes at a time
AHEAD = 4  # slices in flight per worker: what memory holds beyond the chunk being written


def county_facts(seed: int, n: int, scale: float = 1.0) -> Iterator[dict[str, Any]]:
    """County ``n``: the demo county of seed ``seed + n`` (at ``scale``) with its ids
    suffixed ``-cNNN``."""
    suffix = f"-c{n:03d}"
    persons: set[str] = set()
    for fact in generate(seed + n, scale):
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


def county_src(n: int) -> str:
    """The ``src`` of every fact of county ``n``."""
    return f"generated:county {n}"


_encoders: dict[str, Callable[[Mapping[str, Any]], tuple]] = {}


def _start_worker(dialect: Dialect) -> None:
    _encoders.update({kind: row_encoder(TABLES[kind].__table__, dialect)[1] for kind in KINDS})


def _encode(n: int, raws: list[dict[str, Any]]) -> list[tuple[str, tuple]]:
    """A worker's share: facts of county ``n`` validated, hashed and encoded as table rows,
    in order; their ``ingest_id`` is left ``None`` for the writer (the batch is its to make)."""
    rows = []
    for raw in raws:
        kind = raw.pop("kind")
        fact = KINDS[kind].model_validate(raw)
        values = {**fact.__dict__, "src": county_src(n), "content_hash": content_hash(fact),
                  "ingest_id": None}
        rows.append((kind, _encoders[kind](values)))
    return rows


def _slices(pool: Pool, workers: int, seed: int, counties: int) -> Iterator[tuple[int, list[tuple[str, tuple]]]]:
    """``(county, encoded rows)`` slice after slice, in order, the pool working ``AHEAD``
    slices per worker in advance (also across a county's end)."""
    pending: deque[tuple[int, AsyncResult]] = deque()
    for n in range(counties):
        facts = county_facts(seed, n)
        while raws := list(islice(facts, SLICE)):
            pending.append((n, pool.apply_async(_encode, (n, raws))))
            if len(pending) >= AHEAD * workers:
                county, result = pending.popleft()
                yield county, result.get()
    while pending:
        county, result = pending.popleft()
        yield county, result.get()


def _write_county(engine: Engine, seed: int, n: int, slices: Iterator[list[tuple[str, tuple]]]) -> int:
    """Write the rows of county ``n`` into the store in one transaction and one ingest
    batch; the number of facts written."""
    names = {kind: row_encoder(TABLES[kind].__table__, engine.dialect)[0] for kind in KINDS}
    at = {kind: names[kind].index("ingest_id") for kind in KINDS}
    pending: dict[str, list[tuple]] = {kind: [] for kind in KINDS}
    written = 0
    with engine.begin() as connection:
        batch = connection.execute(insert(IngestBatch.__table__).values(
            started=datetime.now(UTC), files=[f"bench/generate.py seed {seed} county {n}"],
            loaded={})).inserted_primary_key[0]

        def flush(kind: str) -> None:
            bulk_insert(connection, TABLES[kind].__table__, names[kind], pending[kind])
            pending[kind] = []

        for rows in slices:
            for kind, row in rows:
                i = at[kind]
                pending[kind].append((*row[:i], batch, *row[i + 1:]))
                if len(pending[kind]) >= CHUNK:
                    flush(kind)
            written += len(rows)
        for kind in KINDS:
            flush(kind)
    return written


def write_store(url: str, counties: int, seed: int = 2026, log: Any = print) -> int:
    """A store of ``counties`` counties at ``url`` (created; it should be empty)."""
    engine = open_store(url)
    total = 0
    started = time.perf_counter()
    try:
        indexes = [index for kind in KINDS for index in TABLES[kind].__table__.indexes]
        with engine.begin() as connection:
            for index in indexes:
                index.drop(connection)
        workers = os.cpu_count() or 1
        with multiprocessing.get_context("fork").Pool(workers, _start_worker, (engine.dialect,)) as pool:
            for n, slices in groupby(_slices(pool, workers, seed, counties), key=itemgetter(0)):
                total += _write_county(engine, seed, n, (rows for _, rows in slices))
                elapsed = time.perf_counter() - started
                log(f"  county {n + 1}/{counties}: {total:,} facts in {elapsed:.0f} s "
                    f"({total / elapsed:,.0f} facts/s)")
        with engine.begin() as connection:
            for index in indexes:
                index.create(connection)
        elapsed = time.perf_counter() - started
        log(f"  indexes: {total:,} facts in {elapsed:.0f} s ({total / elapsed:,.0f} facts/s)")
    finally:
        engine.dispose()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=SIZES, default="county")
    parser.add_argument("--db", required=True, help="store URL (an empty SQLite file or PostgreSQL database)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    write_store(args.db, SIZES[args.size], args.seed, log=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
