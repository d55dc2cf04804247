"""Opening the store (SQLite by default, PostgreSQL by URL) and the queries that stream facts."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import cache
from operator import itemgetter
from typing import Any, Protocol

import orjson
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    Dialect,
    Engine,
    Select,
    String,
    Table,
    event,
    func,
    select,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import Session, create_engine

from facts import (  # noqa: F401  (registers every table)
    contract,
    migrate,
    recommendation_tables,
    review_tables,
)
from facts.errors import StoreUnavailable
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


def _json_dumps(value: Any) -> str:
    """JSON columns as orjson writes them (explanations, attrs: several times faster), or as
    the standard library does what orjson refuses (keys that are not text, integers beyond
    64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def _json_loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # an integer beyond 64 bits, written by the standard library
        return json.loads(text)


def connect(url: str | None = None) -> Engine:
    """The store's engine, as it is: its schema is neither checked nor changed."""
    engine = create_engine(database_url(url), json_serializer=_json_dumps,
                           json_deserializer=_json_loads)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_store(url: str | None = None) -> Engine:
    """Connect, and bring the store's schema to this code's revision (``facts.migrate``).

    Every table of the product shares one metadata; the migrations in ``facts/migrations``
    create and change them. An up-to-date store costs one query.
    """
    engine = connect(url)
    try:
        migrate.upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        where = engine.url.render_as_string(hide_password=True)
        raise StoreUnavailable(f"cannot open the store {where}: {exc.orig}") from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


def upgrade_store(url: str | None = None) -> tuple[str | None, str]:
    """Bring the store's schema to head (``wenze db upgrade``): its revision before and after."""
    engine = connect(url)
    try:
        return migrate.upgrade(engine)
    finally:
        engine.dispose()


def store_revision(url: str | None = None) -> tuple[str | None, str]:
    """The store's schema revision (``None`` if unversioned) and this code's head; no change."""
    engine = connect(url)
    path = engine.url.database
    if engine.dialect.name == "sqlite" and path and path != ":memory:" and not os.path.exists(path):
        return None, migrate.head()  # do not create the file just to look at it
    try:
        return migrate.current(engine), migrate.head()
    finally:
        engine.dispose()


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


@cache
def _date_columns(kind: str) -> tuple[str, ...]:
    return tuple(c.name for c in TABLES[kind].__table__.c if isinstance(c.type, Date))


def fact_from_content(kind: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """Stored content (a ``fact_version``'s JSON) with its dates as dates, like a row."""
    fact = dict(content)
    for name in _date_columns(kind):
        if isinstance(fact.get(name), str):
            fact[name] = date.fromisoformat(fact[name])
    return fact


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


def as_dicts(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Rows (of one query's shape) as dicts by column name. ``dict(row._mapping)`` builds the
    row's keys anew each time: for a roster or a partition's facts, most of the reading."""
    names = None
    for row in rows:
        if names is None:
            names = row._fields
        yield dict(zip(names, row, strict=True))


class Unindexed(ColumnElement):
    """A column that may not lead the query plan (``unindexed``)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement) -> None:
        self.column = column
        self.type = column.type


@compiles(Unindexed)
def _as_it_is(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _unary_plus(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)


def unindexed(column: ColumnElement) -> ColumnElement:
    """``column`` in a term the database checks on the rows the query's other terms select,
    without reading it through its own index. SQLite plans without statistics: given
    ``person IN (...) AND verdict = 'fail'`` it may read every failed check of the store
    through the verdict index instead of these persons' few; ``+verdict`` (SQLite's no-op
    unary plus) no index can serve. PostgreSQL, which plans by statistics, gets the column."""
    return Unindexed(column)


IN_CHUNK = 500  # values per IN (...) list


def stream_among(engine: Engine, query: Select, column: Any, values: Iterable[Any]) -> Iterator[Any]:
    """Rows of ``query`` whose ``column`` is one of ``values``, asked ``IN_CHUNK`` values at a
    time (in their sorted order), so a province's ids never make one statement."""
    ordered = sorted(set(values), key=str)
    for i in range(0, len(ordered), IN_CHUNK):
        yield from stream(engine, query.where(column.in_(ordered[i:i + IN_CHUNK])))


def read_facts(engine: Engine, keys: Iterable[tuple[str, str]],
               facts: dict[tuple[str, str], dict[str, Any]]) -> None:
    """The stored facts of ``keys`` ((kind, id)) not yet in ``facts``, read into it by kind in
    a few queries (a key with no such fact stored stays out)."""
    wanted: dict[str, set[str]] = {}
    for kind, fact_id in keys:
        if (kind, fact_id) not in facts:
            wanted.setdefault(kind, set()).add(fact_id)
    for kind, ids in wanted.items():
        table = TABLES[kind].__table__
        for fact in as_dicts(stream_among(engine, select(table), table.c.id, ids)):
            facts[(kind, fact["id"])] = fact


_OWN_COLUMNS = ("src", "content_hash")  # of a fact: a value of each row's own, never repeated


def row_encoder(table: Table, dialect: Dialect) -> tuple[list[str], RowEncoder]:
    """The table's columns and a function giving a row's values in that order, each already
    as the driver takes it (the dialect's own bind processors: dates as text on SQLite, JSON
    serialized), ready for ``bulk_insert``.

    Given ``shared`` (a dict kept for a batch of rows), a value of a text, date or JSON
    column that may repeat (not the key, not ``_OWN_COLUMNS``) equal to one of an earlier
    row of the batch becomes that row's very object: a batch pickled to another process then
    holds a period, a task code or a date once, not once a row (unpickling the rows of a
    chunk took the writer as long as a third of inserting them)."""
    names = [column.name for column in table.c]
    values_of = itemgetter(*names)
    processors = [(i, _bind_processor(column, dialect)) for i, column in enumerate(table.c)]
    processors = [(i, process) for i, process in processors if process is not None]
    repeating = [i for i, column in enumerate(table.c) if not column.primary_key
                 and column.name not in _OWN_COLUMNS and isinstance(column.type, String | Date | JSON)]

    def encode(values: Mapping[str, Any], shared: dict[Any, Any] | None = None) -> tuple:
        row = list(values_of(values))
        for i, process in processors:
            row[i] = process(row[i])
        if shared is not None:
            share = shared.setdefault
            for i in repeating:  # text, a date, JSON as text: each hashable
                row[i] = share(row[i], row[i])
        return tuple(row)

    return names, encode


class RowEncoder(Protocol):
    def __call__(self, values: Mapping[str, Any], shared: dict[Any, Any] | None = None) -> tuple: ...


def _date_text(value: Any) -> Any:
    return value.isoformat() if type(value) is date else value


def _bind_processor(column: Column, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The dialect's own; for JSON, an empty map (most facts' ``attrs``) is serialised once,
    and on PostgreSQL the value is the JSON text (``bulk_insert`` writes text: psycopg's
    ``Json`` wrapper cost a second serialisation per row); a date as the text SQLite writes
    and PostgreSQL's COPY reads (YYYY-MM-DD), made by ``date.isoformat`` (on PostgreSQL a
    tenth less of the writer's time than psycopg's own dumping of date objects)."""
    if isinstance(column.type, Date):
        return _date_text
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    if not isinstance(column.type, JSON):
        return process
    if dialect.name == "postgresql":  # psycopg's wrapper, dumped again for every row: the text now
        from psycopg.types.json import Json, Jsonb

        wrapped = process

        def process(value: Any) -> Any:  # the store's own serialiser (``connect``)
            out = wrapped(value)
            return _json_dumps(out.obj) if isinstance(out, Json | Jsonb) else out
    empty = process({})

    def process_json(value: Any) -> Any:
        return empty if type(value) is dict and not value else process(value)
    return process_json


def bulk_insert(connection: Connection, table: Table, names: Sequence[str], rows: list[tuple]) -> None:
    """Insert encoded rows (``row_encoder``) inside the connection's open transaction, in
    bulk: PostgreSQL ``COPY ... FROM STDIN``, SQLite one prepared ``executemany``."""
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    cursor = connection.connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(names))
            cursor.executemany(f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def stored_versions(connection: Connection, table: Table, ids: Sequence[str]) -> dict[str, tuple[str, int, str]]:
    """``id -> (content_hash, ingest_id, src)`` of the stored facts among ``ids``, in one
    query with one parameter (a JSON list): thousands of ids cost no thousands of bound
    parameters to compile."""
    quote = connection.dialect.identifier_preparer.quote
    select_ = f"SELECT id, content_hash, ingest_id, src FROM {quote(table.name)}"  # noqa: S608
    cursor = connection.connection.cursor()
    try:
        if connection.dialect.name == "postgresql":  # a JSON text: psycopg dumps a list item by item
            cursor.execute(f"{select_} WHERE id = ANY(ARRAY(SELECT json_array_elements_text(%s::json)))",
                           (_json_dumps(list(ids)),))
        else:
            cursor.execute(f"{select_} WHERE id IN (SELECT value FROM json_each(?))", (_json_dumps(list(ids)),))
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    finally:
        cursor.close()
