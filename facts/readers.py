"""Readers for the export formats: JSON Lines, CSV and XLSX, each row with where it came from.

A reader never validates; it turns a file into ``RawRow``s (kind, field values, location)
and reports rows it cannot even read as ``RawRow``s carrying an ``error``.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from facts.contract import KINDS

JSONL_SUFFIXES = (".jsonl", ".ndjson")  # a JSON Lines file: one JSON object a line
Progress = Callable[[int], None]  # called with the number of bytes (or rows) just read


class Location(NamedTuple):  # a tuple: made for every row read, so it must be cheap
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
    # a JSON Lines row without escapes or long numbers (``plain_json``): its line, which
    # checks may scan whole
    text: str | None = None


class FileFormatError(Exception):
    """A whole file cannot be read (unknown format, or no kind in its name)."""


def kind_from_name(name: str) -> str | None:
    """``ledger.csv``, ``ledger-2026-03.csv`` and ``ledger_六月.csv`` all hold ledger rows."""
    match = re.match(r"[a-z]+", name.lower())
    return match.group(0) if match and match.group(0) in KINDS else None


# What one file may cost (see README, "Bad input"). A county's largest export is a few
# hundred thousand rows of ten to twenty short cells; these are far above that and far
# below what takes minutes of CPU or hundreds of MB.
MAX_LINE_BYTES = 4 << 20  # one line of a JSON Lines or CSV file
MAX_XLSX_CELLS = 5_000_000  # cells read from one workbook, all sheets together
MAX_XLSX_SHARED_STRINGS = 32 << 20  # bytes of xl/sharedStrings.xml, uncompressed
MAX_XLSX_PART = 512 << 20  # bytes of any one part of the workbook, uncompressed
MAX_JSON_DEPTH = 32  # nesting of objects and lists in one row (attrs)

_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def _lines_of(path: Path) -> Iterator[bytes]:
    with path.open("rb") as raw:
        while True:
            line = raw.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            yield line


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` (BOM), ``utf-8``, or ``gb18030``, looking at the whole file.

    GB18030 (a superset of GBK and GB2312) only when the file is not valid UTF-8 as a whole,
    is valid GB18030 as a whole, and shows no sign of being UTF-8: no line that is valid
    UTF-8 with a character of three or more bytes (CJK; GBK text reads as such by accident
    almost never, while a few of its lines read as two-byte Latin/Cyrillic letters), and no
    more lines of valid two-byte UTF-8 than lines that are not UTF-8. So a UTF-8 file with a
    few bad bytes (a Latin-1 row pasted in) stays UTF-8 and its bad lines are reported where
    they are, never decoded wholesale as GB18030 (张三 -> 寮犱笁).
    Raises ``FileFormatError`` for UTF-16/32 and for a file that is neither.
    """
    with path.open("rb") as probe:
        head = probe.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise FileFormatError(f"{path.name}: the file is {name}; save it as UTF-8 (or GB18030)")
    if _valid_utf8(path):
        return "utf-8"  # what the line-by-line look below concludes too, at C speed
    strong = weak = bad = 0  # non-ASCII lines: UTF-8 with CJK, UTF-8 otherwise, not UTF-8
    gb = codecs.getincrementaldecoder("gb18030")()
    gb_error: tuple[int, int] | None = None  # (line, byte offset) of the first non-GB18030 byte
    offset = number = 0
    for number, line in enumerate(_lines_of(path), start=1):
        if not line.isascii():
            try:
                text = line.decode("utf-8")
                if any(ord(c) >= 0x800 for c in text):
                    strong += 1
                else:
                    weak += 1
            except UnicodeDecodeError:
                bad += 1
        if gb_error is None:
            try:
                gb.decode(line)
            except UnicodeDecodeError as exc:
                gb_error = (number, offset + exc.start)
        offset += len(line)
        if bad and strong:
            return "utf-8"  # UTF-8 with bad bytes: the reader reports them line by line
    if not bad or strong or weak > bad:
        return "utf-8"
    if gb_error is None:
        try:
            gb.decode(b"", final=True)
        except UnicodeDecodeError:
            gb_error = (number, offset)
    if gb_error is not None:
        line_no, at = gb_error
        raise FileFormatError(
            f"{path.name}:{line_no}: neither UTF-8 nor GB18030 (byte offset {at}); "
            "save the file as UTF-8")
    return "gb18030"


def _valid_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as raw:
            while block := raw.read(1 << 20):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


class Span(NamedTuple):
    """A run of whole lines of a file: its bytes ``start``..``end`` and its first line's number."""

    start: int
    end: int
    line: int


class Within(NamedTuple):
    """A span of a JSON Lines file read apart from the rest (``read_jsonl``): through a file
    opened before the spans were measured, so that every span is of that one version of the
    file, whatever happens to its name meanwhile; and in the file's encoding."""

    raw: BinaryIO
    encoding: str
    span: Span


def line_spans(raw: BinaryIO, size: int) -> list[Span]:
    """The open file cut into spans of whole lines of about ``size`` bytes each, numbered as
    ``_decoded_lines`` numbers them (a line ends at a line feed), in one pass at C speed and
    in bounded memory (a line of a gigabyte is passed over, not kept)."""
    spans: list[Span] = []
    start, line = 0, 1
    raw.seek(0)
    while block := raw.read(size):
        end, lines = start + len(block), block.count(b"\n")
        if not block.endswith(b"\n"):  # on to the end of the line the block stopped in
            while piece := raw.read(1 << 20):
                cut = piece.find(b"\n")
                if cut >= 0:
                    end, lines = end + cut + 1, lines + 1
                    raw.seek(end)
                    break
                end += len(piece)
        spans.append(Span(start, end, line))
        start, line = end, line + lines
    return spans


def _decoded_lines(path: Path, encoding: str, bad: dict[int, str],
                   progress: Progress | None, within: Within | None = None) -> Iterator[str]:
    """The file's lines (those of a span if ``within``) as text, numbered from 1 as an editor
    does. A line that does not decode (or is too long) is recorded in ``bad`` (line ->
    reason naming the byte offset) and yielded with its bad bytes escaped, so the line
    numbers of what follows stay true."""
    span = within.span if within else None
    offset = span.start if span else 0
    number = span.line - 1 if span else 0
    end = span.end if span else None
    raw = within.raw if within else path.open("rb")
    with nullcontext() if within else raw:
        raw.seek(offset)
        while end is None or offset < end:
            line = raw.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            number += 1
            if progress:
                progress(len(line))
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                bad[number] = f"line longer than {MAX_LINE_BYTES} bytes; split the row or shorten it"
                while line and not line.endswith(b"\n"):  # skip the rest of the line
                    offset += len(line)
                    line = raw.readline(1 << 20)
                    if progress and line:
                        progress(len(line))
                offset += len(line)
                yield "\n"
                continue
            if number == 1 and encoding == "utf-8-sig" and line.startswith(codecs.BOM_UTF8):
                line, offset = line[3:], 3
            try:
                text = line.decode("utf-8" if encoding == "utf-8-sig" else encoding)
            except UnicodeDecodeError as exc:  # only UTF-8: a GB18030 file decodes whole
                byte = line[exc.start]
                bad[number] = (f"not UTF-8 at byte offset {offset + exc.start} of the file "
                               f"(0x{byte:02X}), while other lines are UTF-8: fix this line, or save "
                               "the whole file as UTF-8")
                text = line.decode("utf-8", errors="replace")
            offset += len(line)
            yield text


def _cell(value: str) -> Any:
    """A CSV cell under ``attrs``: JSON numbers, booleans, lists and maps are read as such."""
    text = value.strip()
    if text and (text[0] in "[{-0123456789" or text in ("true", "false")):
        try:
            return parse_json(text)
        except _DuplicateKey:
            raise
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
                    value = parse_json(value)
                except ValueError as exc:
                    return RawRow(location, None, row, ("attrs", f"not a JSON object: {exc}"))
            if not isinstance(value, dict):
                return RawRow(location, None, row, ("attrs", "not a JSON object"))
            attrs.update(value)
        elif key.startswith("attrs."):
            try:
                attrs[key.removeprefix("attrs.")] = (_cell(value) if isinstance(value, str)
                                                     else _attrs_value(value))
            except _DuplicateKey as exc:
                return RawRow(location, None, row, (key, str(exc)))
        else:
            data[key] = value
    if attrs:
        data["attrs"] = attrs
    return RawRow(location, None, data)


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"duplicate key {key!r}; give each field once")
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)


# Each byte of a line as a class: digits and the decimal point as "0", exponents as "e".
_NUMBER_CLASSES = bytes.maketrans(b"123456789.E", b"0000000000e")


def long_numbers(text: str) -> bool:
    """Whether ``text`` has a run of 16 digits (an integer maybe beyond 64 bits, which orjson
    reads as a float) or an exponent (a float maybe beyond range); in a string too."""
    return long_numbers_in(text.encode("utf-8", "surrogatepass"))


def plain_json(text: str) -> bool:
    """Whether orjson reads ``text`` as the standard library does: no escape (of a quote, a
    control character, a lone surrogate) and no long number (``long_numbers``)."""
    return "\\" not in text and not long_numbers(text)


def parse_json(text: str, plain: bool | None = None) -> Any:
    """``json.loads`` that refuses duplicate keys, NaN/Infinity and nesting too deep to read.

    orjson reads the common text (``plain``: ``plain_json``, unless the caller already knows;
    it refuses NaN, Infinity and deep nesting too, and the standard library then says why); a
    duplicate key, which orjson keeps quiet about, shows as fewer quotes written back than
    read (without escapes each string has two)."""
    if plain if plain is not None else plain_json(text):
        try:
            value = orjson.loads(text)
            if orjson.dumps(value).count(b'"') == text.count('"'):
                return value
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):  # encode: deeper than orjson writes
            pass
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise ValueError(f"nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None


def jsonl_encoding(path: Path) -> str | None:
    """The encoding of a JSON Lines file, if its spans can be read apart (``read_jsonl``'s
    ``within``): UTF-8, where a line feed byte is always the end of a line."""
    if path.suffix.lower() not in JSONL_SUFFIXES:
        return None
    encoding = detect_encoding(path)
    return encoding if encoding in ("utf-8", "utf-8-sig") else None


def read_jsonl(path: Path, progress: Progress | None = None,
               within: Within | None = None) -> Iterator[RawRow]:
    """The file's rows; only those of one span if ``within``, numbered as in the whole file."""
    encoding = within.encoding if within else detect_encoding(path)
    bad: dict[int, str] = {}
    name = path.name
    lines = _decoded_lines(path, encoding, bad, progress, within)
    for line_no, line in enumerate(lines, start=within.span.line if within else 1):
        location = Location(name, line_no)
        if line_no in bad:
            yield RawRow(location, None, {}, ("", bad[line_no]))
            continue
        row = jsonl_row(location, line)
        if row is not None:
            yield row


def jsonl_row(location: Location, line: str) -> RawRow | None:
    """The row of one decoded line of a JSON Lines file (its line feed kept), None if blank."""
    if not line.strip():
        return None
    plain = plain_json(line)
    try:
        obj = parse_json(line, plain)
    except _DuplicateKey as exc:
        return RawRow(location, None, {}, ("", str(exc)))
    except ValueError as exc:
        return RawRow(location, None, {}, ("", f"not valid JSON: {exc}"))
    if not isinstance(obj, dict):
        return RawRow(location, None, {}, ("", "each line must be a JSON object"))
    kind = obj.pop("kind", None)
    if not kind:
        return RawRow(location, None, obj, ("kind", "missing; every line needs a kind"))
    if not isinstance(kind, str):
        return RawRow(location, None, obj, ("kind", f"must be a string naming a kind "
                                                   f"({', '.join(KINDS)}), got {kind!r:.60}"))
    return RawRow(location, kind, obj, text=line if plain else None)


PLAIN_BLOCK = 256 << 10  # bytes of a span read at once by ``read_jsonl_blocks``
_C1_TEXT = re.compile("[\x7f-\x9f]")  # DEL and the C1 controls, in decoded text


class PlainLines(NamedTuple):
    """Lines of a JSON Lines file read as one block (``read_jsonl_blocks``), without their
    line feeds: every one of them decodes, and none has an escape, a long number
    (``plain_json``), DEL or a C1 control. The first is line ``line`` of the file; the last
    had a line feed after it unless ``open_end`` (the file's last line)."""

    line: int
    lines: list[str]
    open_end: bool


def read_jsonl_blocks(path: Path, progress: Progress | None, within: Within
                      ) -> Iterator[RawRow | PlainLines]:
    """``read_jsonl`` of a span, but a block of ``PLAIN_BLOCK`` bytes whose lines are all
    plain comes as their ``PlainLines``, checked as a whole at C speed: a line of it is the
    row ``jsonl_row`` makes of it (the line feed put back). A block that is not plain (a
    line that does not decode, an escape, a long number, a control character) or a line
    longer than the block is read by ``read_jsonl`` as it is, line by line."""
    raw, span = within.raw, within.span
    offset, line = span.start, span.line
    while offset < span.end:
        want = min(PLAIN_BLOCK, span.end - offset)
        raw.seek(offset)
        block = raw.read(want)
        if not block:
            return
        last = len(block) < want or offset + len(block) >= span.end  # the span's end (or the file's)
        cut = len(block) if last else block.rfind(b"\n") + 1
        if cut == 0 or (offset == 0 and within.encoding == "utf-8-sig"):
            # a line longer than a block, or a byte-order mark: the rest of the span as it comes
            yield from read_jsonl(path, progress, within._replace(span=Span(offset, span.end, line)))
            return
        block = block[:cut]
        lines = block.count(b"\n")
        text = _plain_text_of(block)
        if text is None:
            yield from read_jsonl(path, progress, within._replace(span=Span(offset, offset + cut, line)))
        else:
            if progress:
                progress(cut)
            open_end = not text.endswith("\n")
            parts = text.split("\n")
            if not open_end:
                parts.pop()
            yield PlainLines(line, parts, open_end)
        offset, line = offset + cut, line + lines


def _plain_text_of(block: bytes) -> str | None:
    """The block as text if every line of it is plain (``PlainLines``), else None."""
    if b"\\" in block or long_numbers_in(block):
        return None
    if block.isascii():
        return None if b"\x7f" in block else block.decode("ascii")
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _C1_TEXT.search(text) else text


def long_numbers_in(data: bytes) -> bool:
    """``long_numbers`` of encoded text."""
    classes = data.translate(_NUMBER_CLASSES)
    return b"0" * 16 in classes or b"0e" in classes


def _header_problem(header: list[str]) -> str | None:
    """Duplicate column names refuse the file (which column would be the field?)."""
    seen: dict[str, int] = {}
    for column, name in enumerate(header, start=1):
        if name and name in seen:
            return (f"columns {seen[name]} and {column} are both named {name!r}; "
                    "keep one column per field")
        seen.setdefault(name, column)
    return None


def _blank_header_values(header: list[str], values: Any) -> str | None:
    for column, (name, value) in enumerate(zip(header, values, strict=False), start=1):
        if not name and value not in (None, "") and not (isinstance(value, str) and not value.strip()):
            return (f"column {column} has a value but no header; name the column "
                    "(or delete what is in it)")
    return None


def read_csv(path: Path, progress: Progress | None = None) -> Iterator[RawRow]:
    kind = kind_from_name(path.stem)
    if kind is None:
        raise FileFormatError(
            f"{path.name}: cannot tell the kind from the file name; name it after a kind "
            f"({', '.join(KINDS)}), e.g. ledger.csv"
        )
    encoding = detect_encoding(path)
    bad: dict[int, str] = {}
    reader = csv.reader(_decoded_lines(path, encoding, bad, progress))

    def bad_line(first: int, last: int) -> tuple[int, str] | None:
        for number in range(first, last + 1):
            if number in bad:
                return number, bad[number]
        return None

    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield RawRow(Location(path.name, 1), kind, {}, ("", f"cannot read the header: {exc}"))
        return
    problem = bad_line(1, reader.line_num)
    if problem:
        yield RawRow(Location(path.name, problem[0]), kind, {}, ("", f"header: {problem[1]}"))
        return
    problem_text = _header_problem(header)
    if problem_text:
        yield RawRow(Location(path.name, 1), kind, {}, ("", f"header: {problem_text}"))
        return
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawRow(Location(path.name, start), kind, {}, ("", f"cannot read: {exc}"))
            start = reader.line_num + 1
            continue
        location = Location(path.name, start)
        problem = bad_line(start, reader.line_num)
        start = reader.line_num + 1
        if problem:
            yield RawRow(Location(path.name, problem[0]), kind, {}, ("", problem[1]))
            continue
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
        blank = _blank_header_values(header, values)
        if blank:
            yield RawRow(location, kind, {}, ("", blank))
            continue
        row = _fold_attrs({h: v for h, v in zip(header, values, strict=True) if h}, location)
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


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted (password-protected) workbooks, .xls


def _xlsx_refusal(path: Path, archive: Any) -> str | None:
    """Why a workbook is not opened at all: what its parts would cost, uncompressed."""
    for info in archive.infolist():
        limit = MAX_XLSX_SHARED_STRINGS if info.filename.lower().endswith("sharedstrings.xml") \
            else MAX_XLSX_PART
        if info.file_size > limit:
            what = "shared strings" if limit == MAX_XLSX_SHARED_STRINGS else f"part {info.filename}"
            return (f"{what} would take {info.file_size:,} bytes uncompressed (at most {limit:,}); "
                    "split the workbook")
    return None


def read_xlsx(
    path: Path, progress: Progress | None = None, warn: Callable[[str], None] | None = None,
    hidden_sheets: bool = False,
) -> Iterator[RawRow]:
    """Each sheet named after a kind, row by row. The workbook is opened once; a workbook
    that cannot be opened (empty, corrupt, truncated, password-protected) is a
    ``FileFormatError``; a hidden sheet named after a kind is refused unless ``hidden_sheets``."""
    import zipfile

    from openpyxl import load_workbook

    size = path.stat().st_size
    with path.open("rb") as handle:
        magic = handle.read(8)
        handle.seek(0)
        if not magic:
            raise FileFormatError(f"{path.name}: the file is empty; export the workbook again")
        if magic == _OLE:
            raise FileFormatError(f"{path.name}: password-protected (encrypted) or an old .xls "
                                  "workbook; remove the password and save it as .xlsx")
        try:
            with zipfile.ZipFile(handle) as archive:
                refusal = _xlsx_refusal(path, archive)
            if refusal:
                raise FileFormatError(f"{path.name}: {refusal}")
            handle.seek(0)
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except FileFormatError:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises anything on a broken file
            raise FileFormatError(
                f"{path.name}: not a readable XLSX workbook (corrupt or truncated: "
                f"{type(exc).__name__}: {str(exc)[:120]}); export it again") from None
        cells = 0
        try:
            sheets = workbook.worksheets
            for sheet in sheets:
                kind = kind_from_name(sheet.title)
                state = getattr(sheet, "sheet_state", "visible")
                if kind is None:
                    if warn:
                        warn(f"{path.name}[{sheet.title}]: sheet skipped, its name is not a kind")
                elif state != "visible" and not hidden_sheets:
                    yield RawRow(Location(path.name, 1, sheet.title), kind, {}, (
                        "", f"the sheet is {state}; unhide it, or pass --hidden-sheets to load "
                            "hidden sheets"))
                else:
                    try:
                        sheet.reset_dimensions()  # rows as stored, not padded to a claimed size
                        rows = sheet.iter_rows(values_only=True)
                        header_row = next(rows, None)
                        if header_row is not None:
                            cells += len(header_row)
                            for row in _sheet_rows(path, sheet.title, kind, header_row, rows):
                                if isinstance(row, int):
                                    cells += row
                                    if cells > MAX_XLSX_CELLS:
                                        raise FileFormatError(
                                            f"{path.name}, sheet {sheet.title!r}: more than "
                                            f"{MAX_XLSX_CELLS:,} cells in the workbook; split it")
                                    continue
                                yield row
                    except FileFormatError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - a broken sheet part
                        raise FileFormatError(
                            f"{path.name}, sheet {sheet.title!r}: cannot be read (corrupt or "
                            f"truncated: {type(exc).__name__}: {str(exc)[:120]}); export the "
                            "workbook again") from None
                if progress:
                    progress(size // len(sheets))
        finally:
            workbook.close()


def _sheet_rows(path: Path, title: str, kind: str, header_row: tuple[Any, ...],
                rows: Iterator[tuple[Any, ...]]) -> Iterator[RawRow | int]:
    """A sheet's rows (and, as ints, how many cells each took, for the limit)."""
    header = [str(h).strip() if h is not None else "" for h in header_row]
    problem = _header_problem(header)
    if problem:
        yield RawRow(Location(path.name, 1, title), kind, {}, ("", f"header: {problem}"))
        return
    for number, values in enumerate(rows, start=2):
        yield len(values)
        if all(v is None or v == "" for v in values):
            continue
        location = Location(path.name, number, title)
        blank = _blank_header_values(header + [""] * (len(values) - len(header)), values)
        if blank:
            yield RawRow(location, kind, {}, ("", blank))
            continue
        cells = {h: _xlsx_value(v) for h, v in zip(header, values, strict=False) if h}
        row = _fold_attrs(cells, location)
        row.kind = row.kind or kind
        row.lenient = True
        yield row


def size_of(path: Path) -> int:
    """What the progress bar counts to: the file's bytes (a workbook advances sheet by sheet)."""
    return path.stat().st_size


def read_file(
    path: Path, progress: Progress | None = None, warn: Callable[[str], None] | None = None,
    hidden_sheets: bool = False,
) -> Iterator[RawRow]:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return read_jsonl(path, progress)
    if suffix == ".csv":
        return read_csv(path, progress)
    if suffix == ".xlsx":
        return read_xlsx(path, progress, warn, hidden_sheets)
    raise FileFormatError(f"{path.name}: unknown format {suffix!r}; use .jsonl, .csv or .xlsx")
