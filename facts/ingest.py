"""Loading export files into the store: every bad row reported, all or nothing, never a duplicate.

One invocation is one transaction. Rows are validated and written in chunks; reference
checks run in SQL at the end, against the store plus everything this invocation loaded.
If any row is bad the transaction is rolled back (the store is exactly as before), unless
``skip_bad``: then the good rows are committed and the bad ones written to a rejects file.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Connection, Dialect, Engine, Table, and_, delete, insert, select, update

from facts.collector import collected_rarely
from facts.contract import KINDS, REFERENCES, unchanged_by_additions
from facts.fast_check import FastCheck
from facts.forked import forked
from facts.lock import store_lock
from facts.readers import (
    MAX_JSON_DEPTH,
    FileFormatError,
    Location,
    PlainLines,
    RawRow,
    Within,
    jsonl_encoding,
    jsonl_row,
    line_spans,
    read_file,
    read_jsonl_blocks,
    size_of,
)
from facts.responsibility import load_responsibility_list
from facts.store import bulk_insert, fact_content, row_encoder, stored_versions
from facts.tables import TABLES, FactVersion, IngestBatch
from facts.validation import validation_errors

CHUNK = 5000  # rows checked, then written, at a time
INGEST_CACHE_KB = 64 << 10  # SQLite page cache of the ingesting connection
FORK_BYTES = 1 << 20  # a file this big is read and checked in a second process while this one writes
READERS = 2  # processes reading a large JSON Lines file, its spans in turn
SPAN_BYTES = 2 << 20  # of such a file: what one reader reads before the other's turn
# PostgreSQL: files of one ingest whose new facts are COPYed without asking first which are
# stored, each inside a savepoint; a transaction keeps 64 subtransactions at hand, past that
# every other session's snapshots slow down
BLIND_FILES = 32
UNKNOWN_FIELD = "not a field of this kind (free data goes under attrs)"
MAX_FIELD_CHARS = 20_000  # one text value (a 6,000-character description is ordinary)
_INT64 = (-(1 << 63), (1 << 63) - 1)
# C0 controls but tab, line feed and carriage return; DEL; C1 controls; lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_C1 = re.compile(r"[\x7f-\x9f]")  # DEL and the C1 controls
# An actor written like an id (ASCII letters, digits and -_.:/, with a digit), not a name.
_ID_LIKE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9._:/-]*$")


def suspicious(value: Any, path: tuple[str, ...] = (), depth: int = 0) -> tuple[str, str] | None:
    """(field, reason) for the first value no store should be given, else None: text with
    control characters or longer than ``MAX_FIELD_CHARS``, integers beyond 64 bits,
    NaN/Infinity, nesting deeper than ``MAX_JSON_DEPTH``. Both stores refuse alike."""
    if not path and type(value) is dict and _plain(value):
        return None
    where = ".".join(path[:6]) + ("..." if len(path) > 6 else "")
    if isinstance(value, str):
        if len(value) > MAX_FIELD_CHARS:
            return where, (f"{len(value):,} characters, at most {MAX_FIELD_CHARS:,}; "
                           "shorten it or keep the full text elsewhere")
        found = _CONTROL.search(value)
        if found:
            char = found.group(0)
            what = "an unpaired surrogate (not Unicode text)" if "\ud800" <= char <= "\udfff" \
                else "the control character"
            return where, (f"contains {what} U+{ord(char):04X} at character {found.start() + 1}; "
                           "remove it (tabs and line breaks are allowed)")
        return None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            return where, f"the integer {str(value)[:24]}... does not fit in 64 bits"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (where, f"{value} is not a number a store keeps")
    if isinstance(value, dict | list):
        if depth >= MAX_JSON_DEPTH:
            return where, f"nested deeper than {MAX_JSON_DEPTH} levels"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                problem = suspicious(key, (*path, "(key)"), depth + 1)
                if problem:
                    return ".".join((*path, key[:40])), problem[1]
            found = suspicious(item, (*path, str(key)), depth + 1)
            if found:
                return found
    return None


def plain_text(line: str) -> bool:
    """True when ``suspicious`` would find nothing in the row a plain JSON line holds (its
    ``RawRow.text``: the reader found no escape, so no control character or surrogate, and no
    long number or exponent), seen from the line's text at once: no DEL or C1 control, and
    ``within_limits``."""
    return (("\x7f" not in line if line.isascii() else _C1.search(line) is None)
            and within_limits(line))


def within_limits(line: str) -> bool:
    """No more characters than ``MAX_FIELD_CHARS`` and no more brackets than
    ``MAX_JSON_DEPTH`` in a JSON line: no value of its row is too long or too deep."""
    return len(line) <= MAX_FIELD_CHARS and line.count("{") + line.count("[") <= MAX_JSON_DEPTH


def _plain(row: dict[Any, Any]) -> bool:
    """True for the common row, checked at once: text keys and values of ordinary length
    without control characters, 64-bit integers, finite floats, booleans, nulls, no nesting
    but an empty map. Anything else gets ``suspicious``'s full walk, which names the field."""
    texts = []
    for key, item in row.items():
        if type(key) is not str:
            return False
        texts.append(key)
        kind = type(item)
        if kind is str:
            if len(item) > MAX_FIELD_CHARS:
                return False
            texts.append(item)
        elif kind is int:
            if not _INT64[0] <= item <= _INT64[1]:
                return False
        elif kind is float:
            if not math.isfinite(item):
                return False
        elif not (item is None or kind is bool or (kind is dict and not item)):
            return False
    return _CONTROL.search("\n".join(texts)) is None


@dataclass
class RowError:
    location: Location
    field: str
    reason: str
    raw: dict[str, Any] | None = None
    kind: str | None = None

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        if self.location.line == 0 and self.reason.startswith(self.location.file):
            return self.reason  # a whole file refused; the reason names the file
        return f"{self.location}: {where}{self.reason}"


@dataclass
class IngestReport:
    files: list[str]
    loaded: Counter = field(default_factory=Counter)  # new facts per kind
    unchanged: Counter = field(default_factory=Counter)  # already stored, same content
    replaced: Counter = field(default_factory=Counter)  # new version stored, old one kept
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    committed: bool = False
    rejects_file: Path | None = None

    @property
    def rejected_rows(self) -> int:
        return len({(e.location, e.kind) for e in self.errors})


def content_hash(fact: Any) -> str:
    """Hash of a validated fact's canonical JSON (fields in contract order).

    Fields added to the contract later are left out while they hold their when-absent value,
    so a fact hashes as it did before they existed (``contract.ADDED_FIELDS``).
    """
    unchanged = unchanged_by_additions(type(fact), fact.__dict__)
    return hashlib.sha256(fact.model_dump_json(exclude=unchanged).encode()).hexdigest()


@dataclass
class _Batch:
    """Checked rows of one file, up to ``CHUNK`` of them: what a reader hands the writer."""

    rows: dict[str, list[tuple]] = field(default_factory=dict)  # kind -> encoded table rows
    raws: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # as read, for a rejects file
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    bytes_read: int = 0
    size: int = 0
    # its rows' repeated values, each kept once (``row_encoder``); not sent with the batch
    shared: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "shared": {}}


_STRICT, _LENIENT = {"lenient": False}, {"lenient": True}


class _Checker:
    """Reads a file and checks each row on its own (readable, no control characters,
    pydantic-valid, known task code), hashes it and encodes it as a table row. Pure: it
    never touches the store, so it can run in another process (``facts.forked``)."""

    def __init__(self, dialect: Dialect, batch_id: int, task_codes: set[str], keep_rows: bool):
        self.batch_id = batch_id
        self.task_codes = task_codes
        self.keep_rows = keep_rows
        self.encoders = {kind: row_encoder(TABLES[kind].__table__, dialect)[1] for kind in KINDS}
        self.fast = {kind: FastCheck(model) for kind, model in KINDS.items()}

    def batches(self, path: Path, hidden_sheets: bool,
                spans: list[Within] | None = None) -> Iterator[_Batch | None]:
        """The file's checked rows, ``CHUNK`` at a time; only those of ``spans`` if given
        (of a JSON Lines file). The last batch of each span, or of the file, is followed
        by None (``facts.forked`` takes the readers' spans in turn)."""
        batch = _Batch()

        def advance(n: int) -> None:
            batch.bytes_read += n

        def warn(warning: str) -> None:
            batch.warnings.append(warning)

        try:
            for span in spans or [None]:
                rows = read_jsonl_blocks(path, advance, span) if span else \
                    read_file(path, advance, warn, hidden_sheets)
                for row in rows:
                    if type(row) is PlainLines:
                        first, lines = row.line, row.lines
                        while lines:  # as many as make the batch full, at a time
                            take = CHUNK - batch.size
                            self.check_plain(path.name, first, lines[:take],
                                             row.open_end and take >= len(lines), batch)
                            first, lines = first + take, lines[take:]
                            if batch.size >= CHUNK:
                                yield batch
                                batch = _Batch()
                        continue
                    self.check(row, batch)
                    if batch.size >= CHUNK:
                        yield batch
                        batch = _Batch()
                yield batch
                batch = _Batch()
                yield None
        except (FileFormatError, OSError):
            batch.rows.clear()  # the file is refused whole; what it said before still counts
            yield batch
            raise

    def check(self, row: RawRow, batch: _Batch) -> None:
        batch.size += 1
        if row.error is not None:
            self._reject(batch, row, *row.error)
            return
        problem = None if row.text is not None and plain_text(row.text) else suspicious(row.data)
        if problem is not None:
            self._reject(batch, row, *problem)
            return
        model = KINDS.get(row.kind or "")
        if model is None:
            self._reject(batch, row, "kind", f"unknown kind {row.kind[:60]!r}; known: {', '.join(KINDS)}")
            return
        context = _LENIENT if row.lenient else _STRICT
        fast = self.fast[row.kind]
        values = fast.values(row.data, context)
        if values is not None:
            digest = fast.content_hash(values)
        else:  # the model itself: it accepts more, and says what is wrong
            # The validator itself, into a bare instance: SQLModel's model_validate around it costs
            # as much again, and without self_instance pydantic-core calls SQLModel's __init__,
            # which validates a second time without the context.
            fact = model.__new__(model)
            try:
                model.__pydantic_validator__.validate_python(row.data, context=context, self_instance=fact)
            except ValidationError as exc:
                for path, message in validation_errors(exc, UNKNOWN_FIELD):
                    self._reject(batch, row, ".".join(str(p) for p in path), message)
                return
            values, digest = fact.__dict__, content_hash(fact)
        if row.kind == "ledger" and values["task"] not in self.task_codes:
            self._reject(batch, row, "task", f"unknown task code {values['task']!r} (see the responsibility list)")
            return
        # the values are this row's own (a fresh dict, or the discarded model's): completed in place
        values.update(src=str(row.location), content_hash=digest, ingest_id=self.batch_id)
        batch.rows.setdefault(row.kind, []).append(self.encoders[row.kind](values, batch.shared))
        if self.keep_rows:
            batch.raws.setdefault(row.kind, []).append(row.data)

    def check_plain(self, name: str, first: int, lines: list[str], open_end: bool,
                    batch: _Batch) -> None:
        """``check`` of the row of each of these plain lines of file ``name`` (``PlainLines``;
        the first is line ``first``, the last without a line feed if ``open_end``), the
        common row at once: an object read by orjson (no duplicate key, which would show as
        fewer quotes written back than read), with a known kind, that the twin accepts. Any
        other line is made the ``RawRow`` the reader would make of it, and checked as such."""
        objects: list[Any] = []
        for line in lines:
            try:
                objects.append(orjson.loads(line) if line[:1] == "{" else None)
            except ValueError:  # orjson's JSONDecodeError: the reader's own reading says why
                objects.append(None)
        read = [line for line, obj in zip(lines, objects, strict=True) if obj is not None]
        try:
            unique = (orjson.dumps([obj for obj in objects if obj is not None]).count(b'"')
                      == sum(map(str.count, read, repeat('"'))))
        except orjson.JSONEncodeError:
            unique = False
        last, fasts, task_codes, keep_rows = len(lines) - 1, self.fast, self.task_codes, self.keep_rows
        for number, (line, obj) in enumerate(zip(lines, objects, strict=True)):
            fast = values = None
            # the block had no DEL or C1 control (``PlainLines``): the limits are what is left
            if unique and type(obj) is dict and within_limits(line):
                kind = obj.pop("kind", None)
                fast = fasts.get(kind) if type(kind) is str else None
                values = fast.values(obj, _STRICT) if fast is not None else None
            if values is None or (kind == "ledger" and values["task"] not in task_codes):
                row = jsonl_row(Location(name, first + number),
                                line if open_end and number == last else line + "\n")
                if row is not None:
                    self.check(row, batch)
                continue
            batch.size += 1
            values["src"] = f"{name}:{first + number}"
            values["content_hash"] = fast.content_hash(values)
            values["ingest_id"] = self.batch_id
            batch.rows.setdefault(kind, []).append(self.encoders[kind](values, batch.shared))
            if keep_rows:
                batch.raws.setdefault(kind, []).append(obj)

    def _reject(self, batch: _Batch, row: RawRow, name: str, reason: str) -> None:
        batch.errors.append(RowError(row.location, name, reason, row.data if self.keep_rows else None,
                                     row.kind))


def _load_file(loader: _Loader, checker: _Checker, path: Path, hidden_sheets: bool,
               progress: Callable[[str, int], Callable[[int], None]] | None, blind: bool) -> None:
    """Check and write one file's rows; a file that cannot be read to its end is taken back
    whole and reported. ``blind``: see ``_Loader.blind``."""
    touched, unchanged = len(loader.touched), loader.report.unchanged.copy()
    loader.blind = blind
    try:
        advance = progress(path.name, size_of(path)) if progress else None
        # closed on the way out: its forked readers stop before the file is read again
        with closing(_read(checker, path, hidden_sheets)) as batches:
            for batch in batches:
                loader.add(batch)
                if advance:
                    advance(batch.bytes_read)
    except (FileFormatError, OSError) as exc:
        reason = str(exc) if isinstance(exc, FileFormatError) else \
            f"{path.name}: cannot be read ({exc.strerror or exc}); check the file"
        for kind, fact_id in reversed(loader.touched[touched:]):
            _undo(loader.connection, loader.batch_id, kind, fact_id, loader.report)
        del loader.touched[touched:]
        loader.report.unchanged = unchanged
        loader.report.errors.append(RowError(Location(path.name, 0), "", reason))


def _read(checker: _Checker, path: Path, hidden_sheets: bool) -> Iterator[_Batch]:
    """The file's checked batches, in the file's order. A small file is read here; a larger
    one in a forked process while this one writes; a large JSON Lines file by ``READERS``
    forked processes taking its spans of ``SPAN_BYTES`` in turn, each through its own
    opening of the file made before the spans are measured (``Within``)."""
    size = size_of(path)
    if size < FORK_BYTES:
        yield from (b for b in checker.batches(path, hidden_sheets) if b is not None)
        return
    encoding = jsonl_encoding(path) if READERS > 1 and size >= SPAN_BYTES * 2 else None
    if encoding is None:
        yield from forked([partial(checker.batches, path, hidden_sheets)])
        return
    with ExitStack() as opened:
        files = [opened.enter_context(path.open("rb")) for _ in range(READERS)]
        spans = line_spans(files[0], SPAN_BYTES)
        yield from forked([partial(checker.batches, path, hidden_sheets,
                                    [Within(raw, encoding, span) for span in spans[n::READERS]])
                            for n, raw in enumerate(files[:len(spans)])])


class _AlreadyStored(Exception):
    """A chunk COPYed without asking held an id already stored (``_Loader.blind``)."""


class _Loader:
    """Writes checked batches inside one open transaction: new facts in bulk, the same fact
    again as a no-op, a changed one refused (or, with ``replace``, its old version kept)."""

    def __init__(self, connection: Connection, batch_id: int, replace: bool, report: IngestReport,
                 keep_rows: bool):
        self.connection = connection
        self.keep_rows = keep_rows  # bad rows are kept for the rejects file only
        self.batch_id = batch_id
        self.replace = replace
        self.report = report
        self.columns = {kind: row_encoder(TABLES[kind].__table__, connection.dialect)[0] for kind in KINDS}
        self.touched: list[tuple[str, str]] = []  # (kind, id) inserted or replaced, in order
        # PostgreSQL: a chunk of new ids is COPYed without asking first which are stored; a
        # stored one raises ``_AlreadyStored`` (the file is then read again, asking)
        self.blind = False

    def state(self) -> tuple[int, Counter, Counter, Counter, int, int]:
        """What this loader and its report hold now, to go back to (``restore``)."""
        report = self.report
        return (len(self.touched), report.loaded.copy(), report.unchanged.copy(),
                report.replaced.copy(), len(report.errors), len(report.warnings))

    def restore(self, state: tuple[int, Counter, Counter, Counter, int, int]) -> None:
        touched, self.report.loaded, self.report.unchanged, self.report.replaced, errors, \
            warnings = state
        del self.touched[touched:], self.report.errors[errors:], self.report.warnings[warnings:]

    def add(self, batch: _Batch) -> None:
        self.report.warnings += batch.warnings
        self.report.errors += batch.errors
        for kind, rows in batch.rows.items():
            self.write(kind, rows, batch.raws.get(kind))

    def _error(self, src: str, reason: str, raws: list[dict[str, Any]] | None, number: int,
               kind: str) -> None:
        """An error on a row's id (which is stored as ``src``, its location)."""
        self.report.errors.append(RowError(_location(src), "id", reason,
                                           raws[number] if raws else None, kind))

    def write(self, kind: str, rows: list[tuple], raws: list[dict[str, Any]] | None) -> None:
        table: Table = TABLES[kind].__table__
        at_id, at_hash, at_src = (self.columns[kind].index(n) for n in ("id", "content_hash", "src"))
        ids = [row[at_id] for row in rows]
        # the common chunk: all new, each id once
        if len(set(ids)) == len(ids) and self._insert_new(table, kind, rows, ids):
            self.touched += [(kind, fact_id) for fact_id in ids]
            self.report.loaded[kind] += len(rows)
            return
        stored = stored_versions(self.connection, table, ids)
        seen: dict[str, tuple[str, str]] = {}  # id -> (hash, src) for rows of this chunk
        inserts = []
        for number, row in enumerate(rows):
            fact_id, digest = row[at_id], row[at_hash]
            earlier = seen.get(fact_id) or (
                (stored[fact_id][0], stored[fact_id][2]) if fact_id in stored else None
            )
            if earlier is None:
                seen[fact_id] = (digest, row[at_src])
                inserts.append(row)
                self.touched.append((kind, fact_id))
                self.report.loaded[kind] += 1
            elif earlier[0] == digest:
                self.report.unchanged[kind] += 1
            elif fact_id in seen or stored[fact_id][1] == self.batch_id:
                self._error(row[at_src], f"duplicate id {fact_id!r} with different content "
                            f"(first at {earlier[1]})", raws, number, kind)
            elif not self.replace:
                self._error(row[at_src], f"conflict: {kind} {fact_id!r} is already stored with "
                            f"different content (loaded from {earlier[1]}); use --replace to load "
                            "the new version (the earlier one is kept)", raws, number, kind)
            else:
                self._keep_old_version(table, kind, fact_id)
                inserts.append(row)
                self.touched.append((kind, fact_id))
                seen[fact_id] = (digest, row[at_src])
        bulk_insert(self.connection, table, self.columns[kind], inserts)

    def _insert_new(self, table: Table, kind: str, rows: list[tuple], ids: list[str]) -> bool:
        """Insert a chunk of distinct ids if none of them is stored (else insert nothing and
        say False). On SQLite the insert itself finds out, inside a savepoint: its unique
        index on ``id`` is looked up for each row anyway, and asking first cost as much again
        as the lookups. On PostgreSQL a savepoint per chunk would be a subtransaction each,
        and past 64 of them in one transaction every other session's snapshots slow down:
        a file's chunks are COPYed ``blind`` inside one savepoint (``ingest``), and a stored
        id among them raises ``_AlreadyStored``; read again, the stored ids are asked for
        first (asking cost the server a sixth of an ingest's CPU)."""
        if self.connection.dialect.name != "sqlite":
            if not self.blind and stored_versions(self.connection, table, ids):
                return False
            try:
                bulk_insert(self.connection, table, self.columns[kind], rows)
            except self.connection.dialect.dbapi.IntegrityError as exc:
                if self.blind:
                    raise _AlreadyStored from exc
                raise
            return True
        cursor = self.connection.connection.cursor()
        try:
            cursor.execute("SAVEPOINT new_chunk")
            try:
                bulk_insert(self.connection, table, self.columns[kind], rows)
            except self.connection.dialect.dbapi.IntegrityError:
                cursor.execute("ROLLBACK TO new_chunk")
                return False
            finally:
                cursor.execute("RELEASE new_chunk")
            return True
        finally:
            cursor.close()

    def _keep_old_version(self, table: Table, kind: str, fact_id: str) -> None:
        """Move the stored fact to ``fact_version``; its new version is inserted with the rest."""
        old = self.connection.execute(select(table).where(table.c.id == fact_id)).mappings().one()
        self.connection.execute(insert(FactVersion.__table__).values(
            kind=kind, id=fact_id, content=fact_content(old), src=old["src"],
            content_hash=old["content_hash"], ingest_id=old["ingest_id"],
            superseded_by_ingest=self.batch_id))
        self.connection.execute(delete(table).where(table.c.id == fact_id))
        self.report.replaced[kind] += 1


def _dangling_references(connection: Connection, batch_id: int
                         ) -> Iterator[tuple[str, str, str, str, str]]:
    """(kind, id, src, field, reason) for rows of this batch whose reference
    points nowhere (``REFERENCES``, and each ``kind:id`` of ``reminder.basis``)."""
    for kind, refs in REFERENCES.items():
        table: Table = TABLES[kind].__table__
        for name, target_kind in refs.items():
            target = TABLES[target_kind].__table__.alias("target")
            missing = (
                select(table.c.id, table.c.src, table.c[name])
                .outerjoin(target, table.c[name] == target.c.id)
                .where(and_(table.c.ingest_id == batch_id, table.c[name].is_not(None),
                            target.c.id.is_(None)))
            )
            for row in connection.execute(missing):
                yield (kind, row.id, row.src, name,
                       f"points nowhere: no {target_kind} with id {row[2]!r}")
    yield from _dangling_basis(connection, batch_id)
    yield from _unknown_actors(connection, batch_id)


def _unknown_actors(connection: Connection, batch_id: int) -> Iterator[tuple[str, str, str, str, str]]:
    """Actors of this batch's violations written like an id (``P-0042``) that are neither a
    stored person's id nor a stored person's name. An actor written as a name (张三) that fits
    no person is allowed: sources without person ids name actors, and the evaluation sets
    such a name aside. An id-like value matching nothing is a typo or a missing person."""
    table: Table = TABLES["violation"].__table__
    person: Table = TABLES["person"].__table__
    wanted: list[tuple[str, str, str]] = []  # (violation id, src, actor)
    for row in connection.execute(select(table.c.id, table.c.src, table.c.actors).where(
            table.c.ingest_id == batch_id)):
        wanted += [(row.id, row.src, a) for a in row.actors or () if _ID_LIKE.match(a)]
    values = sorted({actor for _, _, actor in wanted})
    known: set[str] = set()
    for start in range(0, len(values), 1000):
        chunk = values[start:start + 1000]
        known.update(connection.execute(select(person.c.id).where(person.c.id.in_(chunk))).scalars())
        known.update(connection.execute(select(person.c.name).where(person.c.name.in_(chunk))).scalars())
    for fact_id, src, actor in wanted:
        if actor not in known:
            yield ("violation", fact_id, src, "actors",
                   f"{actor!r} is written like a person id but is no stored person's id or name; "
                   "load that person first, or correct the id")


def _dangling_basis(connection: Connection, batch_id: int
                    ) -> Iterator[tuple[str, str, str, str, str]]:
    """Entries ``kind:id`` of this batch's reminders' ``basis`` with no such fact stored."""
    table: Table = TABLES["reminder"].__table__
    wanted: dict[str, list[tuple[str, str, str]]] = {}  # target kind -> (reminder id, src, id)
    for row in connection.execute(select(table.c.id, table.c.src, table.c.basis).where(
            table.c.ingest_id == batch_id, table.c.basis.is_not(None))):
        for entry in row.basis or ():
            target_kind, _, target_id = entry.partition(":")
            wanted.setdefault(target_kind, []).append((row.id, row.src, target_id))
    for target_kind, entries in wanted.items():
        target: Table = TABLES[target_kind].__table__
        ids = sorted({target_id for _, _, target_id in entries})
        found: set[str] = set()
        for start in range(0, len(ids), 1000):
            found.update(connection.execute(
                select(target.c.id).where(target.c.id.in_(ids[start:start + 1000]))).scalars())
        for fact_id, src, target_id in entries:
            if target_id not in found:
                yield ("reminder", fact_id, src, "basis",
                       f"points nowhere: no {target_kind} with id {target_id!r}")


def _check_references(connection: Connection, batch_id: int, report: IngestReport,
                      skip_bad: bool) -> None:
    """Report dangling references; with ``skip_bad``, drop those rows and check again."""
    while True:
        found = list(_dangling_references(connection, batch_id))
        for kind, fact_id, src, name, reason in found:
            report.errors.append(RowError(_location(src), name, reason, {"id": fact_id}, kind))
        if not found or not skip_bad:
            return
        for kind, fact_id in dict.fromkeys((kind, fact_id) for kind, fact_id, *_ in found):
            _undo(connection, batch_id, kind, fact_id, report)


def _location(src: str) -> Location:
    """A stored ``src`` (``file:line`` or ``file[sheet]:row``) as a Location."""
    where, _, line = src.rpartition(":")
    sheet = None
    if where.endswith("]") and "[" in where:
        where, _, sheet = where[:-1].partition("[")
    return Location(where, int(line), sheet)


def _undo(connection: Connection, batch_id: int, kind: str, fact_id: str, report: IngestReport) -> None:
    """Take back one fact this batch loaded: a new one goes, a replaced one gets its old version back."""
    table: Table = TABLES[kind].__table__
    versions = FactVersion.__table__
    old = connection.execute(select(versions).where(
        versions.c.kind == kind, versions.c.id == fact_id,
        versions.c.superseded_by_ingest == batch_id)).mappings().first()
    if old is None:
        connection.execute(delete(table).where(table.c.id == fact_id))
        report.loaded[kind] -= 1
        return
    content = KINDS[kind].model_validate(old["content"]).model_dump()
    connection.execute(update(table).where(table.c.id == fact_id).values(
        **content, src=old["src"], content_hash=old["content_hash"], ingest_id=old["ingest_id"]))
    connection.execute(delete(versions).where(versions.c.pk == old["pk"]))
    report.replaced[kind] -= 1


def ingest(
    engine: Engine,
    paths: Iterable[Path],
    *,
    skip_bad: bool = False,
    replace: bool = False,
    rejects_path: Path | None = None,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    rules_dir: Path | None = None,
    wait: float | None = None,
    hidden_sheets: bool = False,
) -> IngestReport:
    """Load files into the store in one transaction. See the module docstring for the rules.

    ``progress(name, total)`` is called per file and returns a callback taking increments.
    Ledger task codes are checked against the responsibility list of ``rules_dir`` (default:
    the bundled county folder). A file that cannot be read to its end (see
    ``facts.readers``) is refused whole, also with ``skip_bad``: none of its rows stay.
    ``hidden_sheets`` loads hidden XLSX sheets named after a kind (else they are refused).
    """
    task_codes = load_responsibility_list(rules_dir).task_codes
    paths = list(paths)
    report = IngestReport(files=[str(p) for p in paths])
    with store_lock(engine, wait), collected_rarely(), engine.connect() as connection:
        # one writer at a time
        transaction = connection.begin()
        try:
            if connection.dialect.name == "sqlite":
                # The indexes of a large table are written all over: SQLite's default 2 MB page
                # cache keeps reading their pages back from the OS (a sixth of an ingest's CPU).
                connection.exec_driver_sql(f"PRAGMA cache_size=-{INGEST_CACHE_KB}")
            batch_id = connection.execute(insert(IngestBatch.__table__).values(
                started=datetime.now(UTC), files=report.files, loaded={})).inserted_primary_key[0]
            loader = _Loader(connection, batch_id, replace, report, skip_bad)
            checker = _Checker(connection.dialect, batch_id, task_codes, skip_bad)
            for number, path in enumerate(paths):
                if connection.dialect.name == "postgresql" and number < BLIND_FILES:
                    # the file's new facts COPYed without asking first which are stored; if one
                    # is, all it did is taken back and the file is read again, asking
                    before = loader.state()
                    savepoint = connection.begin_nested()
                    try:
                        _load_file(loader, checker, path, hidden_sheets, progress, blind=True)
                        savepoint.commit()
                        continue
                    except _AlreadyStored:
                        savepoint.rollback()
                        loader.restore(before)
                _load_file(loader, checker, path, hidden_sheets, progress, blind=False)
            _check_references(connection, batch_id, report, skip_bad)
            changed = sum(report.loaded.values()) + sum(report.replaced.values())
            if (report.errors and not skip_bad) or changed == 0:
                transaction.rollback()
            else:
                connection.execute(update(IngestBatch.__table__)
                                   .where(IngestBatch.__table__.c.id == batch_id)
                                   .values(loaded=dict(report.loaded),
                                           replaced=sum(report.replaced.values()),
                                           rejected=report.rejected_rows))
                transaction.commit()
                report.committed = True
        except BaseException:
            transaction.rollback()
            raise
    if skip_bad and report.errors:
        report.rejects_file = write_rejects(report, rejects_path or Path("wenze-rejects.jsonl"))
    return report


def write_rejects(report: IngestReport, path: Path) -> Path:
    """One JSON line per rejected row: where it was, every reason, and the row as read."""
    rows: dict[tuple[Location, str | None], dict[str, Any]] = {}
    for error in report.errors:
        entry = rows.setdefault((error.location, error.kind), {
            "file": error.location.file, "sheet": error.location.sheet,
            "line": error.location.line, "kind": error.kind, "errors": [], "row": error.raw})
        entry["errors"].append({"field": error.field, "reason": error.reason})
    with path.open("w", encoding="utf-8") as out:
        for entry in rows.values():
            out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
    return path
