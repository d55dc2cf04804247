"""Writes the bad-input corpus next to this file: ``python tests/bad_input/make_corpus.py``.

Each file is ingested alone into an empty store; ``expected.json`` says what must happen
(exit code, a phrase of the message, extra options). The files are committed; this script
is how they were made, so a new case is one function here and one entry in expected.json.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
UNIT = {"kind": "unit", "id": "U1", "name": "卢峰镇", "type": "township"}
PERSONS = [{"kind": "person", "id": f"P{i}", "name": f"张{'三四五六七八九'[i % 7]}{i}", "unit": "U1"}
           for i in range(1, 4)]
PERSON_HEADER = "id,name,unit\n"
UNIT_HEADER = "id,name,type\n"


def _jsonl(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _dumps(fact: dict) -> str:
    return json.dumps(fact, ensure_ascii=False)


def _unit_rows(n: int, start: int = 1) -> str:
    return "".join(f"U{i},张三{i},township\n" for i in range(start, start + n))


def _workbook(sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROSTER = {"unit": [["id", "name", "type"], ["U1", "卢峰镇", "township"]],
          "person": [["id", "name", "unit"], ["P1", "张三", "U1"], ["P2", "李四", "U1"]]}


def _rewrite(workbook: bytes, part: str, change) -> bytes:  # noqa: ANN001
    """The workbook with one zip part replaced by ``change(old bytes)`` (added if missing)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == part else data)
        if part not in source.namelist():
            target.writestr(part, change(b""))
    return out.getvalue()


def _shared_strings_bomb(workbook: bytes) -> bytes:
    """A workbook whose shared strings take 33 MB uncompressed (a few dozen KB in the file)."""
    strings = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
               b'uniqueCount="1"><si><t>' + b"x" * (33 << 20) + b"</t></si></sst>")
    workbook = _rewrite(workbook, "xl/sharedStrings.xml", lambda _: strings)
    workbook = _rewrite(workbook, "xl/_rels/workbook.xml.rels", lambda data: data.replace(
        b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        b"</Relationships>"))
    return _rewrite(workbook, "[Content_Types].xml", lambda data: data.replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))


def _valid_gb18030(data: bytes) -> bytes:
    data.decode("gb18030")  # the case is only the mojibake case if GB18030 would read it
    return data


def corpus() -> dict[str, bytes]:
    unit_csv = "id,name,type\nU1,卢峰镇,township\n"
    files: dict[str, bytes] = {}
    # encoding
    files["unit-utf8-with-one-latin1-row.csv"] = _valid_gb18030(
        (UNIT_HEADER + _unit_rows(2)).encode("utf-8") + b"U3,Ren\xe9e,township\n"
        + _unit_rows(3, start=4).encode("utf-8"))
    files["unit-utf8-bad-byte-on-line-400.csv"] = (
        (UNIT_HEADER + _unit_rows(398)).encode("utf-8") + b"U399,\xff\xfe,township\n"
        + _unit_rows(5, start=400).encode("utf-8"))
    files["unit-neither-utf8-nor-gb18030.csv"] = UNIT_HEADER.encode() + b"U1,\x80\xff,township\n"
    files["unit-utf16.csv"] = unit_csv.encode("utf-16")
    files["facts-utf8-with-one-latin1-line.jsonl"] = (
        _jsonl(_dumps(UNIT), _dumps(PERSONS[0])) + _dumps({**PERSONS[1], "name": "Ren\xe9e"})
        .encode("latin-1") + b"\n" + _jsonl(_dumps(PERSONS[2])))
    files["unit-gb18030-accepted.csv"] = (UNIT_HEADER + _unit_rows(3)).encode("gb18030")
    # GBK names whose bytes happen to be valid two-byte UTF-8 (莫英胜 reads as ĪӢʤ): still GB18030
    lucky = "U7,莫英胜,township\nU8,石英英,township\n"
    assert all(line.encode("gb18030").decode("utf-8") for line in lucky.splitlines())
    files["unit-gb18030-lines-that-read-as-utf8-accepted.csv"] = (
        UNIT_HEADER + _unit_rows(6) + lucky).encode("gb18030")
    # structure of CSV files
    files["person-duplicate-column-header.csv"] = b"id,name,unit,name\nP1,a,U1,b\n"
    files["person-blank-column-header-with-values.csv"] = b"id,name,unit,\nP1,a,U1,surplus\n"
    # text no store should be given
    files["person-control-character-escape.csv"] = (PERSON_HEADER + "P1,张\x1b[31m三,U1\n").encode()
    files["person-nul-byte.csv"] = (PERSON_HEADER + "P1,张\x00三,U1\n").encode()
    files["person-field-too-long.csv"] = (PERSON_HEADER + f"P1,{'张' * 25_000},U1\n").encode()
    files["facts-nul-escape.jsonl"] = _jsonl(_dumps(UNIT), _dumps({**PERSONS[0], "name": "张\u0000三"}))
    files["facts-lone-surrogate.jsonl"] = _jsonl(_dumps(UNIT), '{"kind": "person", "id": "P1", '
                                                 '"name": "\\ud800", "unit": "U1"}')
    # JSON that is not quite a fact
    files["facts-duplicate-json-key.jsonl"] = _jsonl(
        _dumps(UNIT), '{"kind": "person", "id": "P1", "name": "张三", "name": "李四", "unit": "U1"}')
    files["facts-deeply-nested.jsonl"] = _jsonl(
        _dumps(UNIT), '{"kind": "person", "id": "P1", "name": "张三", "unit": "U1", "attrs": '
        + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}")
    files["facts-nested-40-levels.jsonl"] = _jsonl(
        _dumps(UNIT), '{"kind": "person", "id": "P1", "name": "张三", "unit": "U1", "attrs": '
        + "[" * 40 + "]" * 40 + "}")
    files["facts-kind-not-a-string.jsonl"] = _jsonl(_dumps(UNIT), _dumps({**PERSONS[0], "kind": ["person"]}),
                                                    _dumps({**PERSONS[1], "kind": 7}))
    files["facts-integer-beyond-64-bits.jsonl"] = _jsonl(
        _dumps(UNIT), _dumps(PERSONS[0]),
        _dumps({"kind": "evaluation", "id": "E1", "person": "P1", "year": 2026, "approval": 0.9,
                "rank": 2 ** 70, "grade": "competent"}),
        _dumps({**PERSONS[1], "attrs": {"badge": 2 ** 64}}))
    files["facts-nan.jsonl"] = _jsonl(_dumps(UNIT), '{"kind": "person", "id": "P1", "name": "张三", '
                                      '"unit": "U1", "attrs": {"score": NaN}}')
    files["facts-impossible-date.jsonl"] = _jsonl(
        _dumps(UNIT), _dumps(PERSONS[0]),
        _dumps({"kind": "post", "id": "S1", "person": "P1", "unit": "U1", "role": "secretary",
                "start": "2026-02-30"}))
    files["facts-date-out-of-range.jsonl"] = _jsonl(
        _dumps(UNIT), _dumps(PERSONS[0]),
        _dumps({"kind": "post", "id": "S1", "person": "P1", "unit": "U1", "role": "secretary",
                "start": "0001-01-01"}))
    violation = {"kind": "violation", "id": "V1", "unit": "U1", "date": "2026-05-01",
                 "category": "conduct", "severity": "minor", "case_filed": False}
    files["facts-violation-actor-unknown-id.jsonl"] = _jsonl(
        _dumps(UNIT), _dumps(PERSONS[0]), _dumps({**violation, "actors": ["P1", "P-404"]}))
    files["facts-violation-actor-unknown-name-accepted.jsonl"] = _jsonl(
        _dumps(UNIT), _dumps(PERSONS[0]), _dumps({**violation, "actors": ["P1", "王五"]}))
    # workbooks
    good = _workbook(ROSTER)
    files["empty.xlsx"] = b""
    files["corrupt-not-a-zip.xlsx"] = b"id,name\nthis is not a workbook\n"
    files["truncated.xlsx"] = good[: len(good) // 2]
    files["password-protected.xlsx"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088)
    files["hidden-sheet.xlsx"] = _workbook(
        {**ROSTER, "ledger": [["id", "person"], ["L1", "P1"]]}, hidden=("ledger",))
    files["hidden-sheet-loaded-with-flag.xlsx"] = _workbook(
        {"unit": ROSTER["unit"], "person": ROSTER["person"]}, hidden=("person",))
    files["xlsx-duplicate-column-header.xlsx"] = _workbook(
        {"unit": ROSTER["unit"], "person": [["id", "name", "unit", "name"], ["P1", "张三", "U1", "李四"]]})
    files["xlsx-shared-strings-over-32mb.xlsx"] = _shared_strings_bomb(good)
    files["xlsx-sheet-part-cut-short.xlsx"] = _rewrite(
        good, "xl/worksheets/sheet2.xml", lambda data: data[: len(data) // 2])
    files["xlsx-dimension-claims-whole-sheet-accepted.xlsx"] = _rewrite(
        good, "xl/worksheets/sheet2.xml",
        lambda data: data.replace(b'<dimension ref="A1:C3"/>', b'<dimension ref="A1:XFD1048576"/>'))
    return files


if __name__ == "__main__":
    for name, data in corpus().items():
        (HERE / name).write_bytes(data)
    print(f"{len(corpus())} files written to {HERE}")
