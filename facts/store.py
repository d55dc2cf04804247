"""Opening the store (SQLite by default, PostgreSQL by URL) and the queries that stream facts."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Engine, Select, event, func, select
from sqlmodel import Session, SQLModel, create_engine

from facts import contract, recommendation_tables  # noqa: F401  (registers every table)
from facts.tables import TABLES

DEFAULT_URL = "sqlite:///wenze.db"


def database_url(url: str | None = None) -> str:
    """The store's URL: the one given, else ``WENZE_DB``, else ``wenze.db`` in the working folder."""
    url = url or os.environ.get("WENZE_DB") or DEFAULT_URL
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_store(url: str | None = None) -> Engine:
    """Connect and create any missing tables. Every table of the product shares one metadata."""
    url = database_url(url)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    SQLModel.metadata.create_all(engine)
    return engine


def counts(engine: Engine) -> dict[str, int]:
    """Number of stored facts per kind."""
    with Session(engine) as session:
        return {
            kind: session.exec(select(func.count()).select_from(table)).one()[0]
            for kind, table in TABLES.items()
        }


def fact_query(
    kind: str,
    *,
    unit: str | None = None,
    person: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Select:
    """A query for facts of one kind, narrowed by unit, person and date range where the kind has them."""
    columns = TABLES[kind].__table__.c
    query = select(TABLES[kind].__table__)
    if unit is not None:
        query = query.where(columns.unit == unit)
    if person is not None:
        query = query.where(columns.person == person)
    date_field = contract.DATE_FIELD[kind]
    if date_field is not None:
        if since is not None:
            query = query.where(columns[date_field] >= since)
        if until is not None:
            query = query.where(columns[date_field] <= until)
        return query.order_by(columns[date_field], columns.id)
    return query.order_by(columns.id)


PROVENANCE = ("src", "content_hash", "ingest_id")


def fact_content(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored fact as JSON-ready content: its own fields, dates as ISO text, no provenance."""
    return {k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in row.items() if k not in PROVENANCE}


def known_on(kind: str, as_of: date) -> Select:
    """All facts of a kind known on ``as_of``: nothing dated later is evaluated."""
    table = TABLES[kind].__table__
    query = select(table)
    date_field = contract.DATE_FIELD[kind]
    if date_field is not None:
        query = query.where(table.c[date_field] <= as_of)
    return query


def stream(engine: Engine, query: Select, batch: int = 5000) -> Iterator[Any]:
    """Rows of a query, fetched in batches so a large kind never sits in memory whole."""
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=batch).execute(query)
        yield from result
