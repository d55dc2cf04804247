"""The store's schema version: bring any store to this code's revision (Alembic migrations).

``open_store`` calls :func:`upgrade` on every open. A store already at head costs one query
and no Alembic import; the revision ids are read from ``migrations/versions/*.py`` as text.
Otherwise, under a lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``pg_advisory_xact_lock``)
and in one transaction, the store is re-read and then:

- empty: every migration runs, from the baseline up;
- at the previous schema (the tables, no ``alembic_version``): stamped at the baseline,
  then upgraded;
- versioned and behind: upgraded;
- at a revision this code does not know (a newer wenze wrote it): :class:`StoreVersionError`.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, exc, inspect, text

from facts.errors import StoreVersionError

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
BASELINE = "0001"
# The tables of the schema before migrations (tests/data/store-v0.*.sql) = the baseline's.
V0_TABLES = frozenset({
    "unit", "person", "post", "ledger", "inspection", "reminder", "rectification", "violation",
    "disunity", "evaluation", "proposal", "accountability", "fact_version", "ingest_batch",
    "recommendation", "evaluation_run", "document_number",
})
_PG_LOCK_KEY = 0x77656E7A65  # "wenze": one advisory lock per database, for migrations only
_SQLITE_LOCK_WAIT = 600.0  # seconds a second process waits for another one's migration


_ASSIGN = r"^{name}\s*(?::[^=]*)?=\s*(?P<value>None|'[^']*'|\"[^\"]*\")"


@functools.cache
def revisions() -> dict[str, str | None]:
    """Every known revision and the one it revises (``None`` for the baseline)."""
    chain: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        found = {}
        for name in ("revision", "down_revision"):
            match = re.search(_ASSIGN.format(name=name), source, re.MULTILINE)
            if match:
                value = match["value"]
                found[name] = None if value == "None" else value[1:-1]
        if "revision" in found:
            chain[found["revision"]] = found.get("down_revision")
    return chain


def head() -> str:
    """The revision this code's store schema is at."""
    chain = revisions()
    heads = set(chain) - set(chain.values())
    if len(heads) != 1:
        raise StoreVersionError(f"the migrations have {len(heads)} heads ({sorted(heads)}): "
                                "merge them (alembic merge)")
    return heads.pop()


def _stored(connection: Connection) -> str | None:
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise StoreVersionError(f"the store is at several revisions at once: {sorted(rows)}")
    return rows[0] if rows else None


def current(engine: Engine) -> str | None:
    """The store's revision; ``None`` if it has none (empty, or the schema before migrations)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return _stored(connection)


def _check_known(revision: str | None) -> None:
    if revision is not None and revision not in revisions():
        raise StoreVersionError(
            f"the store is at schema revision {revision}, which this wenze does not know "
            f"(its newest is {head()}): a newer wenze wrote it; upgrade wenze")


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """One connection in a transaction that only one process at a time holds; commits on exit."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            deadline = time.monotonic() + _SQLITE_LOCK_WAIT
            while True:
                try:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    break
                except exc.OperationalError as error:
                    if "locked" not in str(error) or time.monotonic() > deadline:
                        raise
                    connection.rollback()
        elif engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()


def _alembic_config(connection: Connection):  # noqa: ANN202  (alembic is imported only here)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the store to head; return its revision before and after."""
    target = head()
    try:
        with engine.connect() as connection:
            before = _stored(connection)
        if before == target:
            return before, target
        _check_known(before)
    except (exc.ProgrammingError, exc.OperationalError):
        pass  # no version table (or no store yet): decided below, under the lock
    with _locked(engine) as connection:
        tables = set(inspect(connection).get_table_names())
        before = _stored(connection) if VERSION_TABLE in tables else None
        if before == target:
            return before, target
        _check_known(before)
        from alembic import command

        config = _alembic_config(connection)
        if before is None and tables & V0_TABLES:
            missing = V0_TABLES - tables
            if missing:
                raise StoreVersionError(
                    "the store has no schema revision and is not at the schema before "
                    f"migrations either: tables {sorted(missing)} are missing")
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
        after = _stored(connection)
    return before, after
