"""Ingestion as a data collector meets it: every bad row named, all or nothing, never a duplicate."""

from __future__ import annotations

import csv
import gc
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import select

import cli
from facts.contract import KINDS, json_schema
from facts.ingest import ingest
from facts.store import counts
from facts.tables import FactVersion, LedgerRow, PersonRow
from tests.conftest import write_jsonl

UNITS = [{"kind": "unit", "id": "U1", "name": "卢峰镇", "type": "township"}]
PERSONS = [{"kind": "person", "id": f"P{i}", "name": f"张{i}", "unit": "U1", "category": "branch_secretary"}
           for i in range(1, 4)]


def ledger(i: int, **changes) -> dict:
    row = {"kind": "ledger", "id": f"L{i}", "person": "P1", "period": "2026-03", "task": "bs01",
           "status": "done", "verdict": "pass", "date": "2026-04-02"}
    row.update(changes)
    return row


def stats(store) -> dict:
    result = CliRunner().invoke(cli.main, ["facts", "stats", "--json", "--db", str(store.url)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def run(store, *args: str):
    return CliRunner().invoke(cli.main, [*args, "--db", str(store.url)])


def test_a_bad_row_in_the_middle_rejects_the_file_and_names_line_and_field(store, tmp_path) -> None:
    write_jsonl(tmp_path / "roster.jsonl", UNITS + PERSONS)
    assert run(store, "ingest", str(tmp_path / "roster.jsonl")).exit_code == 0
    before = stats(store)
    rows = [ledger(i) for i in range(1, 6)]
    rows[2]["date"] = "2026/04/02"  # line 3
    write_jsonl(tmp_path / "ledger.jsonl", rows)
    result = run(store, "ingest", str(tmp_path / "ledger.jsonl"))
    assert result.exit_code != 0
    assert "ledger.jsonl:3: date: expected a date as YYYY-MM-DD" in result.output
    assert stats(store) == before


def test_all_bad_rows_are_reported_in_one_pass(sqlite_store, tmp_path) -> None:
    rows = UNITS + PERSONS + [
        ledger(1, period="2026-13"),                       # line 5: malformed period
        ledger(2, kind="ledgr"),                           # line 6: unknown kind
        ledger(3, status="finished"),                      # line 7: unknown code
        {k: v for k, v in ledger(4).items() if k != "verdict"},  # line 8: missing field
        ledger(5, task="zz99"),                            # line 9: unknown task code
        ledger(6, person="NOBODY"),                        # line 10: points nowhere
        {"kind": "evaluation", "id": "E1", "person": "P1", "year": "二〇二五", "approval": 0.9,
         "grade": "excellent"},                            # line 11: wrong type
        {"kind": "post", "id": "PO1", "person": "P1", "unit": "U1", "role": "secretary",
         "start": "2026-01-01", "end": "2025-01-01"},      # line 12: ends before it starts
    ]
    path = write_jsonl(tmp_path / "mixed.jsonl", rows)
    report = ingest(sqlite_store, [path])
    found = {(e.location.line, e.field) for e in report.errors}
    assert found == {(5, "period"), (6, "kind"), (7, "status"), (8, "verdict"), (9, "task"),
                     (10, "person"), (11, "year"), (12, "end")}
    assert not report.committed
    assert sum(counts(sqlite_store).values()) == 0


def test_skip_bad_loads_the_good_rows_and_writes_the_rejects(store, tmp_path) -> None:
    rows = UNITS + PERSONS + [ledger(1), ledger(2, verdict="maybe"), ledger(3, person="NOBODY"), ledger(4)]
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    rejects = tmp_path / "rejects.jsonl"
    result = run(store, "ingest", str(path), "--skip-bad", "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    assert stats(store)["ledger"] == 2
    lines = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert {(r["line"], r["errors"][0]["field"]) for r in lines} == {(6, "verdict"), (7, "person")}
    bad = next(r for r in lines if r["line"] == 6)
    assert bad["row"]["verdict"] == "maybe" and bad["file"] == "in.jsonl"


def test_loading_the_same_file_twice_changes_nothing(store, tmp_path) -> None:
    path = write_jsonl(tmp_path / "all.jsonl", UNITS + PERSONS + [ledger(i) for i in range(1, 4)])
    assert run(store, "ingest", str(path)).exit_code == 0
    first = stats(store)
    result = run(store, "ingest", str(path))
    assert result.exit_code == 0 and "nothing new to load" in result.output
    assert stats(store) == first


def test_same_id_with_other_content_is_a_conflict_unless_replace(store, tmp_path) -> None:
    write_jsonl(tmp_path / "a.jsonl", UNITS + PERSONS + [ledger(1)])
    assert run(store, "ingest", str(tmp_path / "a.jsonl")).exit_code == 0
    write_jsonl(tmp_path / "b.jsonl", [ledger(1, verdict="fail")])
    refused = run(store, "ingest", str(tmp_path / "b.jsonl"))
    assert refused.exit_code != 0 and "conflict" in refused.output and "--replace" in refused.output
    assert run(store, "ingest", str(tmp_path / "b.jsonl"), "--replace").exit_code == 0
    with store.connect() as connection:
        assert connection.execute(select(LedgerRow.__table__.c.verdict)).scalar_one() == "fail"
        old = connection.execute(select(FactVersion.__table__)).mappings().one()
    assert (old["kind"], old["id"], old["content"]["verdict"]) == ("ledger", "L1", "pass")
    assert old["src"] == "a.jsonl:5"


def test_duplicate_id_within_one_invocation(sqlite_store, tmp_path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", UNITS + PERSONS + [ledger(1), ledger(1, verdict="fail")])
    report = ingest(sqlite_store, [path])
    assert [(e.location.line, e.field) for e in report.errors] == [(6, "id")]
    assert "duplicate id 'L1'" in str(report.errors[0]) and "d.jsonl:5" in str(report.errors[0])


def _csv(path: Path, rows: list[dict], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_from_chinese_office_software(store, tmp_path, encoding) -> None:
    units = _csv(tmp_path / "unit.csv", [{k: v for k, v in u.items() if k != "kind"} for u in UNITS], encoding)
    persons = [{"id": "P1", "name": "欧阳修", "unit": "U1", "category": "branch_secretary",
                "attrs.备注": "驻村第一书记", "attrs.score": "3"}]
    people = _csv(tmp_path / "person.csv", persons, encoding)
    result = run(store, "ingest", str(units), str(people))
    assert result.exit_code == 0, result.output
    with store.connect() as connection:
        row = connection.execute(select(PersonRow.__table__)).mappings().one()
    assert row["name"] == "欧阳修"
    assert row["attrs"] == {"备注": "驻村第一书记", "score": 3}


def test_csv_errors_name_the_physical_line(sqlite_store, tmp_path) -> None:
    path = tmp_path / "ledger-2026-03.csv"
    path.write_text("id,person,period,task,status,verdict,date\n"
                    "L1,P1,2026-03,bs01,done,pass,2026-04-02\n"
                    '"L2",P1,2026-03,"bs01",done,"pass",2026-4-2\n', encoding="gb18030")
    report = ingest(sqlite_store, [path])
    assert "ledger-2026-03.csv:3: date:" in [str(e) for e in report.errors][0]


def test_xlsx_sheets_per_kind_with_an_empty_and_an_unknown_sheet(store, tmp_path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "unit"
    sheet.append(["id", "name", "type"])
    sheet.append(["U1", "卢峰镇", "township"])
    people = workbook.create_sheet("person")
    people.append(["id", "name", "unit", "category"])
    people.append(["P1", "张三", "U1", "branch_secretary"])
    people.append(["P2", "李四", "U1", "no_such_category"])
    workbook.create_sheet("ledger")  # empty: nothing to load, not an error
    workbook.create_sheet("说明")  # not a kind: skipped with a warning
    path = tmp_path / "county.xlsx"
    workbook.save(path)
    report = ingest(store, [path])
    assert [(str(e.location), e.field) for e in report.errors] == [("county.xlsx[person]:3", "category")]
    assert any("说明" in w for w in report.warnings)
    assert not report.committed
    report = ingest(store, [path], skip_bad=True, rejects_path=tmp_path / "r.jsonl")
    assert counts(store)["person"] == 1 and counts(store)["unit"] == 1


def test_unknown_file_format_and_unnamed_csv(sqlite_store, tmp_path) -> None:
    odd = tmp_path / "data.txt"
    odd.write_text("x", encoding="utf-8")
    nameless = tmp_path / "export.csv"
    nameless.write_text("id\n1\n", encoding="utf-8")
    report = ingest(sqlite_store, [odd, nameless])
    messages = " ".join(str(e) for e in report.errors)
    assert "unknown format '.txt'" in messages and "name it after a kind" in messages


def test_schema_command_prints_every_kind() -> None:
    result = CliRunner().invoke(cli.main, ["facts", "schema"])
    schema = json.loads(result.output)
    assert set(schema["$defs"]) >= set(KINDS)
    assert schema["$defs"]["ledger"]["properties"]["kind"] == {"const": "ledger"}
    assert "verdict" in schema["$defs"]["ledger"]["required"]
    assert json_schema()["$defs"]["unit"]["properties"]["type"]["enum"][0] == "county_committee"


def test_facts_list_streams_by_person_unit_and_date_range(store, tmp_path) -> None:
    rows = UNITS + PERSONS + [ledger(1, person="P1", date="2026-04-02"),
                              ledger(2, person="P2", date="2026-04-03"),
                              ledger(3, person="P1", period="2026-05", date="2026-06-01")]
    assert run(store, "ingest", str(write_jsonl(tmp_path / "f.jsonl", rows))).exit_code == 0
    listed = run(store, "facts", "list", "ledger", "--person", "P1", "--until", "2026-05-31")
    assert [json.loads(line)["id"] for line in listed.output.splitlines()] == ["L1"]
    listed = run(store, "facts", "list", "ledger", "--since", "2026-04-03")
    assert [json.loads(line)["id"] for line in listed.output.splitlines()] == ["L2", "L3"]
    listed = run(store, "facts", "list", "person", "--unit", "U1", "--limit", "2")
    assert [json.loads(line)["src"] for line in listed.output.splitlines()] == ["f.jsonl:2", "f.jsonl:3"]


def test_skip_bad_keeps_the_old_version_of_a_replacement_that_points_nowhere(store, tmp_path) -> None:
    write_jsonl(tmp_path / "a.jsonl", UNITS + PERSONS + [ledger(1)])
    assert run(store, "ingest", str(tmp_path / "a.jsonl")).exit_code == 0
    write_jsonl(tmp_path / "b.jsonl", [ledger(1, person="NOBODY"), ledger(2)])
    result = run(store, "ingest", str(tmp_path / "b.jsonl"), "--replace", "--skip-bad",
                 "--rejects", str(tmp_path / "r.jsonl"))
    assert result.exit_code == 0, result.output
    with store.connect() as connection:
        rows = {r.id: r for r in connection.execute(select(LedgerRow.__table__))}
        versions = connection.execute(select(FactVersion.__table__)).all()
    assert rows["L1"].person == "P1" and rows["L1"].src == "a.jsonl:5"  # the earlier version stands
    assert "L2" in rows and versions == []


def test_an_ingest_gives_the_garbage_collector_back_as_it_found_it(sqlite_store, tmp_path) -> None:
    """An ingest collects rarely (``facts.collector``); a program that ingests, or whose
    ingest is refused, keeps its own settings afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(321, 7, 5)
    try:
        good = ingest(sqlite_store, [write_jsonl(tmp_path / "good.jsonl", UNITS + PERSONS)])
        assert good.committed and gc.get_threshold() == (321, 7, 5)
        bad = ingest(sqlite_store, [write_jsonl(tmp_path / "bad.jsonl", [ledger(0, verdict="maybe")])])
        assert bad.errors and not bad.committed and gc.get_threshold() == (321, 7, 5)
    finally:
        gc.set_threshold(*before)
