"""Readers for the export formats: JSON Lines, CSV and XLSX, each row with where it came from.

A reader never validates; it turns a file into ``RawRow``s (kind, field values, location)
and reports rows it cannot even read as ``RawRow``s carrying an ``error``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from facts.contract import KINDS

Progress = Callable[[int], None]  # called with the number of bytes (or rows) just read


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # line in a text file; row number in a sheet
    sheet: str | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            return f"{self.file}[{self.sheet}]:{self.line}"
        return f"{self.file}:{self.line}"


@dataclass
class RawRow:
    location: Location
    kind: str | None
    data: dict[str, Any] = field(default_factory=dict)
    error: tuple[str, str] | None = None  # (field, reason) when the row could not be read
    # CSV and XLSX rows: validated with context {"lenient": True} (是/否, 2026/5/1, 2026年5月1日...).
    lenient: bool = False


class FileFormatError(Exception):
    """A whole file cannot be read (unknown format, or no kind in its name)."""


def kind_from_name(name: str) -> str | None:
    """``ledger.csv``, ``ledger-2026-03.csv`` and ``ledger_六月.csv`` all hold ledger rows."""
    match = re.match(r"[a-z]+", name.lower())
    return match.group(0) if match and match.group(0) in KINDS else None


def detect_encoding(head: bytes) -> str:
    """UTF-8 with or without BOM, else GB18030 (a superset of GBK and GB2312)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _cell(value: str) -> Any:
    """A CSV cell under ``attrs``: JSON numbers, booleans, lists and maps are read as such."""
    text = value.strip()
    if text and (text[0] in "[{-0123456789" or text in ("true", "false")):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _fold_attrs(row: dict[str, Any], location: Location) -> RawRow:
    """Columns ``attrs.key`` (and a JSON ``attrs`` column) become the ``attrs`` map."""
    data: dict[str, Any] = {}
    attrs: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or value == "":
            continue
        if key == "attrs":
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError as exc:
                    return RawRow(location, None, row, ("attrs", f"not a JSON object: {exc}"))
            if not isinstance(value, dict):
                return RawRow(location, None, row, ("attrs", "not a JSON object"))
            attrs.update(value)
        elif key.startswith("attrs."):
            attrs[key.removeprefix("attrs.")] = _cell(value) if isinstance(value, str) else _attrs_value(value)
        else:
            data[key] = value
    if attrs:
        data["attrs"] = attrs
    return RawRow(location, None, data)


class _CountingReader(io.RawIOBase):
    """Passes bytes through and reports how many were read, for a progress bar."""

    def __init__(self, raw: Any, progress: Progress | None) -> None:
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)
        if self._progress and n:
            self._progress(n)
        return n


def _open_text(path: Path, progress: Progress | None) -> io.TextIOWrapper:
    with path.open("rb") as probe:
        encoding = detect_encoding(probe.read(1 << 20))
    raw = path.open("rb", buffering=0)
    counted = io.BufferedReader(_CountingReader(raw, progress), buffer_size=1 << 16)
    return io.TextIOWrapper(counted, encoding=encoding, newline="")


def read_jsonl(path: Path, progress: Progress | None = None) -> Iterator[RawRow]:
    with _open_text(path, progress) as text:
        line_no = 0
        while True:
            line_no += 1
            try:
                line = text.readline()
            except UnicodeDecodeError as exc:
                yield RawRow(Location(path.name, line_no), None, {}, ("", f"cannot decode: {exc}"))
                return
            if not line:
                return
            if not line.strip():
                continue
            location = Location(path.name, line_no)
            try:
                obj = json.loads(line)
            except ValueError as exc:
                yield RawRow(location, None, {}, ("", f"not valid JSON: {exc}"))
                continue
            if not isinstance(obj, dict):
                yield RawRow(location, None, {}, ("", "each line must be a JSON object"))
                continue
            kind = obj.pop("kind", None)
            if not kind:
                yield RawRow(location, None, obj, ("kind", "missing; every line needs a kind"))
                continue
            yield RawRow(location, kind, obj)


def read_csv(path: Path, progress: Progress | None = None) -> Iterator[RawRow]:
    kind = kind_from_name(path.stem)
    if kind is None:
        raise FileFormatError(
            f"{path.name}: cannot tell the kind from the file name; name it after a kind "
            f"({', '.join(KINDS)}), e.g. ledger.csv"
        )
    with _open_text(path, progress) as text:
        reader = csv.reader(text)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield RawRow(Location(path.name, 1), kind, {}, ("", f"cannot decode: {exc}"))
            return
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except (UnicodeDecodeError, csv.Error) as exc:
                yield RawRow(Location(path.name, start), kind, {}, ("", f"cannot read: {exc}"))
                return
            location = Location(path.name, start)
            start = reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield RawRow(
                    location,
                    kind,
                    dict(zip(header, values, strict=False)),
                    ("", f"{len(values)} cells where the header has {len(header)}"),
                )
                continue
            row = _fold_attrs(dict(zip(header, values, strict=True)), location)
            row.kind = row.kind or kind
            row.lenient = True
            yield row


def _xlsx_value(value: Any) -> Any:
    """A cell as the contract validates it: date cells stay dates (openpyxl gives ``datetime``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _attrs_value(value: Any) -> Any:
    """A cell under ``attrs`` (stored as JSON): dates as ISO text, the time only if not 00:00."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def read_xlsx(
    path: Path, progress: Progress | None = None, warn: Callable[[str], None] | None = None
) -> Iterator[RawRow]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            kind = kind_from_name(sheet.title)
            if kind is None:
                if warn:
                    warn(f"{path.name}[{sheet.title}]: sheet skipped, its name is not a kind")
                continue
            rows = sheet.iter_rows(values_only=True)
            header_row = next(rows, None)
            if header_row is None:
                continue
            header = [str(h).strip() if h is not None else "" for h in header_row]
            for number, values in enumerate(rows, start=2):
                if progress:
                    progress(1)
                if all(v is None or v == "" for v in values):
                    continue
                cells = {h: _xlsx_value(v) for h, v in zip(header, values, strict=False) if h}
                row = _fold_attrs(cells, Location(path.name, number, sheet.title))
                row.kind = row.kind or kind
                row.lenient = True
                yield row
    finally:
        workbook.close()


def size_of(path: Path) -> int:
    """What the progress bar counts to: bytes for text files, rows for workbooks."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            return sum(max((s.max_row or 1) - 1, 0) for s in workbook.worksheets)
        finally:
            workbook.close()
    return path.stat().st_size


def read_file(
    path: Path, progress: Progress | None = None, warn: Callable[[str], None] | None = None
) -> Iterator[RawRow]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path, progress)
    if suffix == ".csv":
        return read_csv(path, progress)
    if suffix == ".xlsx":
        return read_xlsx(path, progress, warn)
    raise FileFormatError(f"{path.name}: unknown format {suffix!r}; use .jsonl, .csv or .xlsx")
