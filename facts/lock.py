"""One writer at a time: the store's writer lock, taken by ``ingest``, ``evaluate`` and ``nightly``.

Readers never take it. A writer that finds the lock held waits up to ``wait`` seconds
(default ``WENZE_LOCK_WAIT``, else 60), then raises :class:`StoreBusy` — nothing was
changed. The lock belongs to the store, not to a folder or a command:

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its
  own, in autocommit, held for the whole write; the server drops it when that connection
  ends, so a killed writer never leaves it behind. Advisory locks are per database.
- SQLite: an OS file lock (``filelock``) on ``<database file>.lock`` beside the database;
  the kernel drops it when the process dies. An in-memory store has one writer anyway.

The lock is re-entrant within one thread (``nightly`` holds it, then ``evaluate`` takes
it again); another thread or process waits.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout
from sqlalchemy import Engine, text

from facts.errors import StoreBusy, StoreUnavailable

DEFAULT_WAIT = 60.0  # seconds
WAIT_ENV = "WENZE_LOCK_WAIT"
_PG_WRITER_KEY = 0x77656E7A66  # not the migration lock's key (facts.migrate._PG_LOCK_KEY)
_POLL = 0.2  # seconds between two tries on PostgreSQL

_held: dict[tuple[str, int], int] = {}  # (store, thread) -> depth of the re-entrant lock
_held_guard = threading.Lock()


def default_wait() -> float:
    """``WENZE_LOCK_WAIT`` in seconds, else 60."""
    value = os.environ.get(WAIT_ENV)
    if not value:
        return DEFAULT_WAIT
    try:
        wait = float(value)
    except ValueError:
        raise StoreBusy(f"{WAIT_ENV}={value!r} is not a number of seconds") from None
    return max(wait, 0.0)


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _busy(engine: Engine, wait: float) -> StoreBusy:
    return StoreBusy(
        f"the store {_where(engine)} is busy: another wenze ingest, evaluate or nightly is "
        f"writing to it (waited {wait:g} s); nothing was changed — run again later, or "
        f"wait longer with --wait SECONDS or {WAIT_ENV}")


@contextmanager
def _sqlite_lock(engine: Engine, wait: float) -> Iterator[None]:
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    lock = FileLock(os.path.abspath(path) + ".lock", thread_local=False, is_singleton=False)
    try:
        lock.acquire(timeout=wait, poll_interval=_POLL)
    except Timeout:
        raise _busy(engine, wait) from None
    except OSError as exc:
        raise StoreUnavailable(f"cannot take the writer lock {lock.lock_file}: {exc}") from exc
    try:
        yield
    finally:
        lock.release(force=True)


@contextmanager
def _pg_lock(engine: Engine, wait: float) -> Iterator[None]:
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        deadline = time.monotonic() + wait
        try_lock = text("SELECT pg_try_advisory_lock(:key)")
        while not connection.execute(try_lock, {"key": _PG_WRITER_KEY}).scalar():
            if time.monotonic() >= deadline:
                raise _busy(engine, wait)
            time.sleep(min(_POLL, max(deadline - time.monotonic(), 0.0)))
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_WRITER_KEY})
    finally:
        connection.close()


@contextmanager
def store_lock(engine: Engine, wait: float | None = None) -> Iterator[None]:
    """Hold the store's writer lock for the block; wait up to ``wait`` s, else ``StoreBusy``."""
    wait = default_wait() if wait is None else max(float(wait), 0.0)
    key = (_where(engine), threading.get_ident())
    with _held_guard:
        depth = _held.get(key, 0)
        if depth:
            _held[key] = depth + 1
    if depth:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    if engine.dialect.name == "postgresql":
        lock = _pg_lock(engine, wait)
    elif engine.dialect.name == "sqlite":
        lock = _sqlite_lock(engine, wait)
    else:
        raise StoreUnavailable(f"no writer lock for a {engine.dialect.name} store")
    with lock:
        with _held_guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
