"""Every bad input a user can give gets one clear answer: the documented exit code, an error
naming the file (and line or sheet, field, what to do), nothing stored, never a traceback.

The corpus is ``tests/bad_input/`` (its README lists each file and what must happen); each
file is ingested alone through the CLI on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import cli
from facts import readers
from facts.store import counts
from tests.conftest import write_jsonl

CORPUS = Path(__file__).resolve().parent / "bad_input"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def _invoke(*args: str):  # noqa: ANN202
    result = CliRunner().invoke(cli.main, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def _nothing_stored(store) -> bool:  # noqa: ANN001
    return not any(counts(store).values())


def test_the_corpus_readme_lists_every_file() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".jsonl", ".xlsx")}
    assert files == set(EXPECTED)
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in files)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_input_gets_its_exit_code_and_one_clean_message(store, tmp_path, name) -> None:
    expected = EXPECTED[name]
    path = shutil.copy(CORPUS / name, tmp_path / name)
    result = _invoke("ingest", str(path), *expected.get("args", []), "--db", str(store.url))
    assert result.exit_code == expected["exit"], result.output
    assert expected["says"] in result.output, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    if expected["exit"] == cli.EXIT_BAD_INPUT:
        assert errors and all(name in line for line in errors), result.output
        assert "nothing was loaded" in result.output
        assert _nothing_stored(store)
    else:
        assert not errors and not _nothing_stored(store)


def test_the_mojibake_case_keeps_its_chinese_names_with_skip_bad(store, tmp_path) -> None:
    path = shutil.copy(CORPUS / "unit-utf8-with-one-latin1-row.csv", tmp_path / "unit.csv")
    rejects = tmp_path / "rejects.jsonl"
    result = _invoke("ingest", str(path), "--skip-bad", "--rejects", str(rejects),
                     "--db", str(store.url))
    assert result.exit_code == 0, result.output
    listed = _invoke("facts", "list", "unit", "--db", str(store.url))
    names = {json.loads(line)["id"]: json.loads(line)["name"] for line in listed.output.splitlines()}
    assert names == {"U1": "张三1", "U2": "张三2", "U4": "张三4", "U5": "张三5", "U6": "张三6"}
    [rejected] = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert rejected["line"] == 4 and "byte offset 59" in rejected["errors"][0]["reason"]


def test_a_refused_file_leaves_none_of_its_rows_even_with_skip_bad(store, tmp_path,
                                                                  monkeypatch) -> None:
    """A file that cannot be read to its end is refused whole; the other files still load."""
    monkeypatch.setattr(readers, "MAX_XLSX_CELLS", 10)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "unit"
    for row in [["id", "name", "type"]] + [[f"X{i}", "某村", "branch"] for i in range(10)]:
        sheet.append(row)
    book.save(tmp_path / "big.xlsx")
    good = write_jsonl(tmp_path / "good.jsonl",
                       [{"kind": "unit", "id": "U1", "name": "卢峰镇", "type": "township"}])
    result = _invoke("ingest", str(tmp_path / "big.xlsx"), str(good), "--skip-bad",
                     "--rejects", str(tmp_path / "r.jsonl"), "--db", str(store.url))
    assert result.exit_code == 0, result.output
    assert "big.xlsx, sheet 'unit': more than 10 cells" in result.output
    assert counts(store)["unit"] == 1


def test_a_line_over_the_limit_is_one_bad_row_and_the_lines_after_keep_their_numbers(
        sqlite_store, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 200)
    unit = {"kind": "unit", "type": "township"}
    path = write_jsonl(tmp_path / "f.jsonl", [{**unit, "id": "U1", "name": "甲"},
                                              {**unit, "id": "U2", "name": "乙" * 300},
                                              {**unit, "id": "U3", "name": "丙", "type": "x"}])
    result = _invoke("ingest", str(path), "--db", str(sqlite_store.url))
    assert result.exit_code == cli.EXIT_BAD_INPUT
    assert "f.jsonl:2: line longer than 200 bytes" in result.output
    assert "f.jsonl:3: type:" in result.output


def test_a_workbook_is_opened_once(sqlite_store, tmp_path, monkeypatch) -> None:
    opened = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(1) or real(*a, **k))
    path = shutil.copy(CORPUS / "xlsx-dimension-claims-whole-sheet-accepted.xlsx", tmp_path / "w.xlsx")
    assert _invoke("ingest", str(path), "--db", str(sqlite_store.url)).exit_code == 0
    assert opened == [1]


@pytest.mark.parametrize("args", [
    ("evaluate", "--as-of", "2026-02-30"),  # no such day
    ("evaluate", "--as-of", "0001-01-01"),  # out of range: date arithmetic would overflow
    ("nightly", "--as-of", "9999-12-31"),
    ("evaluate", "--as-of", "+2026-01-01"),
    ("facts", "list", "ledger", "--since", "0001-01-01"),
    ("facts", "list", "ledger", "--until", "2026-02-30"),
    ("facts", "list", "ledger", "--limit", "-1"),
    ("runs", "--limit", "-1"),
    ("facts", "list", "unit", "--person", "P1"),  # a unit has no person field
    ("facts", "list", "evaluation", "--unit", "U1"),  # nor an evaluation a unit field
])
def test_options_a_user_gets_wrong_are_usage_errors_in_one_line(args, tmp_path) -> None:
    result = _invoke(*args, "--db", f"sqlite:///{tmp_path}/x.db")
    assert result.exit_code == cli.EXIT_USAGE, result.output
    [message] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert args[-2] in message or "--" in message, message


def test_an_impossible_date_says_why(tmp_path) -> None:
    result = _invoke("evaluate", "--as-of", "2026-02-30", "--db", f"sqlite:///{tmp_path}/x.db")
    assert "'2026-02-30' is not a date (YYYY-MM-DD): day is out of range for month" in result.output
    result = _invoke("evaluate", "--as-of", "0001-01-01", "--db", f"sqlite:///{tmp_path}/x.db")
    assert "dates run from 1900-01-01 to 2199-12-31" in result.output


def test_an_actor_given_by_a_known_name_or_id_loads_and_an_unknown_id_is_refused(store,
                                                                                tmp_path) -> None:
    roster = [{"kind": "unit", "id": "U1", "name": "卢峰镇", "type": "township"},
              {"kind": "person", "id": "P-1", "name": "张三", "unit": "U1"},
              {"kind": "person", "id": "P-2", "name": "A1 Smith", "unit": "U1"}]
    violation = {"kind": "violation", "unit": "U1", "date": "2026-05-01", "category": "conduct",
                 "severity": "minor", "case_filed": False}
    path = write_jsonl(tmp_path / "v.jsonl", [*roster, {**violation, "id": "V1",
                                                        "actors": ["P-1", "张三", "李四", "A1"]}])
    result = _invoke("ingest", str(path), "--db", str(store.url))
    assert result.exit_code == cli.EXIT_BAD_INPUT  # "A1" is written like an id and names nobody
    assert "v.jsonl:4: actors: 'A1' is written like a person id" in result.output
    path = write_jsonl(tmp_path / "v.jsonl", [*roster, {**violation, "id": "V1",
                                                        "actors": ["P-1", "李四", "A1 Smith"]}])
    assert _invoke("ingest", str(path), "--db", str(store.url)).exit_code == 0


@pytest.mark.parametrize(("content", "encoding"), [
    ("张三,李四\n".encode() * 50 + "Renée\n".encode("latin-1"), "utf-8"),  # the mojibake case
    ("José\n".encode() * 50 + "Renée\n".encode("latin-1"), "utf-8"),  # no CJK, still UTF-8
    ("莫英胜\n石英英\n卢峰镇\n张三\n".encode("gb18030"), "gb18030"),  # lines that read as UTF-8
    # mixed: one line of UTF-8 CJK in GBK; GB18030 would make it 寮犱笁, so the GBK lines are refused
    ("卢峰镇\n".encode("gb18030") * 30 + "张三\n".encode(), "utf-8"),
    ("张三\n".encode("utf-8-sig"), "utf-8-sig"),
    (b"id\n", "utf-8"),
])
def test_the_encoding_is_decided_on_the_whole_file(tmp_path, content, encoding) -> None:
    path = tmp_path / "unit.csv"
    path.write_bytes(content)
    assert readers.detect_encoding(path) == encoding


def test_a_bad_byte_far_into_a_file_is_reported_on_its_own_line(tmp_path) -> None:
    path = tmp_path / "unit.csv"
    rows = [f"U{i},张三{i},township\n".encode() for i in range(1, 700)]
    rows[398] = b"U400,Ren\xe9e,township\n"  # line 400 (the header is line 1)
    rows[3] = "U5,\"多行\n名称\",township\n".encode()  # a quoted cell over two lines
    path.write_bytes(b"id,name,type\n" + b"".join(rows))
    errors = [r.error for r in readers.read_csv(path) if r.error]
    assert len(errors) == 1 and errors[0][1].startswith("not UTF-8 at byte offset")
    [row] = [r for r in readers.read_csv(path) if r.error]
    assert row.location.line == 401  # one more: the quoted cell took two lines


def test_duplicate_keys_in_a_csv_attrs_cell_are_refused(sqlite_store, tmp_path) -> None:
    path = tmp_path / "unit.csv"
    path.write_text('id,name,type,attrs.extra\nU1,卢峰镇,township,"{""a"": 1, ""a"": 2}"\n',
                    encoding="utf-8")
    result = _invoke("ingest", str(path), "--db", str(sqlite_store.url))
    assert result.exit_code == cli.EXIT_BAD_INPUT
    assert "unit.csv:2: attrs.extra: duplicate key 'a'" in result.output


def test_a_rejects_file_that_cannot_be_written_is_refused_before_loading(sqlite_store,
                                                                        tmp_path) -> None:
    path = shutil.copy(CORPUS / "unit-utf8-with-one-latin1-row.csv", tmp_path / "unit.csv")
    result = _invoke("ingest", str(path), "--skip-bad", "--rejects", str(tmp_path / "no" / "r.jsonl"),
                     "--db", str(sqlite_store.url))
    assert result.exit_code == cli.EXIT_USAGE and "cannot write the rejects file" in result.output
    assert _nothing_stored(sqlite_store)
