"""The contract fields the legal rules need, and what real CSV/XLSX exports from Chinese offices carry."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import Engine, select, text

import cli
from facts.contract import ID_MAX
from facts.ingest import IngestReport, ingest
from facts.store import open_store
from facts.tables import TABLES
from tests.conftest import write_jsonl
from tests.test_migrations import empty_url, pg_url, v0_url  # noqa: F401  (fixtures)

ROSTER = [
    {"kind": "unit", "id": "U1", "name": "卢峰镇", "type": "township"},
    {"kind": "person", "id": "P1", "name": "张三", "unit": "U1", "category": "township_secretary"},
    {"kind": "person", "id": "P2", "name": "李四", "unit": "U1", "category": "township_secretary"},
]
BOOLEANS = {"是": True, "否": False, "1": True, "0": False, "true": True, "false": False,
            "TRUE": True, "False": False, " 是 ": True}
DATES = {"2026-05-01": date(2026, 5, 1), "2026/05/01": date(2026, 5, 1), "2026/5/1": date(2026, 5, 1),
         "2026年5月1日": date(2026, 5, 1), "2026.05.01": date(2026, 5, 1),
         "2026/5/1 0:00": date(2026, 5, 1), "2026年12月31日": date(2026, 12, 31)}


def stored(store: Engine, kind: str) -> dict[str, dict[str, Any]]:
    table = TABLES[kind].__table__
    with store.connect() as connection:
        return {row["id"]: dict(row) for row in connection.execute(select(table)).mappings()}


def roster(store: Engine, folder: Path) -> None:
    report = ingest(store, [write_jsonl(folder / "roster.jsonl", ROSTER)])
    assert not report.errors, [str(e) for e in report.errors]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def errors(report: IngestReport) -> list[str]:
    return [str(e) for e in report.errors]


# --- booleans and dates ------------------------------------------------------------------

def test_csv_accepts_every_spelling_of_booleans_and_dates(sqlite_store, tmp_path) -> None:
    roster(sqlite_store, tmp_path)
    spellings = list(BOOLEANS.items())
    days = list(DATES.items())
    rows = [[f"D{i}", "U1", days[i % len(days)][0], spelled, spelled]
            for i, (spelled, _) in enumerate(spellings)]
    rows += [[f"E{i}", "U1", spelled, "是", "否"] for i, (spelled, _) in enumerate(days)]
    path = write_csv(tmp_path / "disunity.csv", ["id", "unit", "date", "affects_work", "public_reaction"], rows)
    report = ingest(sqlite_store, [path])
    assert not report.errors, errors(report)
    facts = stored(sqlite_store, "disunity")
    for i, (_, value) in enumerate(spellings):
        assert (facts[f"D{i}"]["affects_work"], facts[f"D{i}"]["public_reaction"]) == (value, value)
        assert facts[f"D{i}"]["date"] == days[i % len(days)][1]
    for i, (_, day) in enumerate(days):
        assert facts[f"E{i}"]["date"] == day
        assert (facts[f"E{i}"]["affects_work"], facts[f"E{i}"]["public_reaction"]) == (True, False)


def test_csv_refuses_other_spellings_naming_line_and_field(sqlite_store, tmp_path) -> None:
    roster(sqlite_store, tmp_path)
    path = write_csv(tmp_path / "disunity.csv", ["id", "unit", "date", "affects_work", "public_reaction"], [
        ["D1", "U1", "2026/5/1", "对", "是"],            # line 2: 对/错 are not booleans here
        ["D2", "U1", "2026/13/1", "是", "是"],           # line 3: no 13th month
        ["D3", "U1", "2026-5-1", "是", "是"],            # line 4: dashes are ISO only
        ["D4", "U1", "2026/5/1 8:30", "是", "是"],       # line 5: a time other than 00:00
        ["D5", "U1", "2026/5/1", "是", "2"],             # line 6
    ])
    report = ingest(sqlite_store, [path])
    assert [(e.location.line, e.field) for e in report.errors] == [
        (2, "affects_work"), (3, "date"), (4, "date"), (5, "date"), (6, "public_reaction")]
    assert "disunity.csv:5: date: expected a date, got a date and time" in errors(report)[3]
    assert not report.committed


def test_xlsx_accepts_text_numbers_booleans_and_date_cells(store, tmp_path) -> None:
    roster(store, tmp_path)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "disunity"
    sheet.append(["id", "unit", "date", "affects_work", "public_reaction"])
    expected = {}
    for i, (spelled, value) in enumerate(BOOLEANS.items()):
        sheet.append([f"B{i}", "U1", "2026/5/1", spelled, spelled])
        expected[f"B{i}"] = (date(2026, 5, 1), value, value)
    for i, (spelled, day) in enumerate(DATES.items()):
        sheet.append([f"T{i}", "U1", spelled, 1, 0])       # numeric cells 1/0
        expected[f"T{i}"] = (day, True, False)
    sheet.append(["C1", "U1", datetime(2026, 5, 1), True, False])  # a real date cell, Excel booleans
    sheet["C" + str(sheet.max_row)].number_format = "yyyy/m/d"
    expected["C1"] = (date(2026, 5, 1), True, False)
    sheet.append(["C2", "U1", date(2026, 6, 2), "否", "是"])
    expected["C2"] = (date(2026, 6, 2), False, True)
    ledgers = workbook.create_sheet("ledger")
    ledgers.append(["id", "person", "period", "task", "status", "verdict", "date"])
    ledgers.append(["L1", "P1", datetime(2026, 3, 1), "bs01", "done", "pass", datetime(2026, 4, 2)])
    path = tmp_path / "county.xlsx"
    workbook.save(path)
    report = ingest(store, [path])
    assert not report.errors, errors(report)
    facts = stored(store, "disunity")
    assert {k: (f["date"], f["affects_work"], f["public_reaction"]) for k, f in facts.items()} == expected
    (ledger,) = stored(store, "ledger").values()
    assert (ledger["period"], ledger["date"]) == ("2026-03", date(2026, 4, 2))


def test_xlsx_date_cell_with_a_time_is_an_error_naming_the_field(sqlite_store, tmp_path) -> None:
    roster(sqlite_store, tmp_path)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "disunity"
    sheet.append(["id", "unit", "date", "affects_work", "public_reaction", "attrs.seen"])
    sheet.append(["D1", "U1", datetime(2026, 5, 1, 8, 30), "是", "否", datetime(2026, 5, 1, 8, 30)])
    sheet.append(["D2", "U1", datetime(2026, 5, 1), 2, "否", None])
    path = tmp_path / "county.xlsx"
    workbook.save(path)
    report = ingest(sqlite_store, [path])
    assert [(str(e.location), e.field) for e in report.errors] == [
        ("county.xlsx[disunity]:2", "date"), ("county.xlsx[disunity]:3", "affects_work")]
    assert "2026-05-01 08:30:00" in report.errors[0].reason


def test_json_lines_stay_strict(sqlite_store, tmp_path) -> None:
    roster(sqlite_store, tmp_path)
    lines = []
    for spelled in DATES:
        if spelled != "2026-05-01":
            lines.append(("date", {"date": spelled}))
    for spelled in [*BOOLEANS, 1, 0, "yes"]:
        lines.append(("affects_work", {"affects_work": spelled}))
    facts = [{"kind": "disunity", "id": f"D{i}", "unit": "U1", "date": "2026-05-01",
              "affects_work": True, "public_reaction": False, **change}
             for i, (_, change) in enumerate(lines)]
    report = ingest(sqlite_store, [write_jsonl(tmp_path / "d.jsonl", facts)])
    got = errors(report)
    assert len(got) == len(lines)
    for line, ((name, _), message) in enumerate(zip(lines, got, strict=True), start=1):
        assert message.startswith(f"d.jsonl:{line}: {name}: expected "), message
    assert "expected a date as YYYY-MM-DD" in got[0]
    assert "expected JSON true or false" in got[-1]
    assert stored(sqlite_store, "disunity") == {}


# --- ids up to 255 characters ------------------------------------------------------------

def test_a_255_character_id_round_trips_and_256_is_refused(store, tmp_path) -> None:
    long_unit, long_person = "单" * ID_MAX, "P" * ID_MAX
    facts = [{"kind": "unit", "id": long_unit, "name": "长名单位", "type": "township"},
             {"kind": "person", "id": long_person, "name": "张三", "unit": long_unit}]
    report = ingest(store, [write_jsonl(tmp_path / "a.jsonl", facts)])
    assert not report.errors, errors(report)
    assert stored(store, "person")[long_person]["unit"] == long_unit
    assert long_unit in stored(store, "unit")

    too_long = [{"kind": "unit", "id": "U" * (ID_MAX + 1), "name": "x", "type": "township"},
                {"kind": "person", "id": "P2", "name": "李四", "unit": "U" * (ID_MAX + 1)}]
    report = ingest(store, [write_jsonl(tmp_path / "b.jsonl", too_long)])
    assert [(e.location.line, e.field) for e in report.errors] == [(1, "id"), (2, "unit")]
    assert "255 characters" in report.errors[0].reason


# --- reminder.basis ----------------------------------------------------------------------

def _reminder_facts() -> list[dict[str, Any]]:
    return ROSTER + [
        {"kind": "inspection", "id": "I-9", "unit": "U1", "date": "2026-04-01", "group": "第一督查组",
         "mode": "periodic", "problem": "台账缺失", "severity": "minor"},
        {"kind": "ledger", "id": "LG-3", "person": "P1", "period": "2026-03", "task": "bs01",
         "status": "missing", "verdict": "fail", "date": "2026-04-02"},
    ]


def test_basis_is_split_in_csv_and_checked(sqlite_store, tmp_path) -> None:
    report = ingest(sqlite_store, [write_jsonl(tmp_path / "a.jsonl", _reminder_facts())])
    assert not report.errors, errors(report)
    path = write_csv(tmp_path / "reminder.csv", ["id", "person", "issuer", "date", "matter", "basis"], [
        ["R1", "P1", "P2", "2026/4/10", "提醒谈话", "inspection:I-9;ledger:LG-3"],
        ["R2", "P1", "P2", "2026/4/10", "提醒谈话", "inspection:I-9、ledger:LG-3"],
        ["R3", "P1", "P2", "2026/4/10", "提醒谈话", "inspection: I-9，ledger:LG-3；reminder:R1"],
        ["R4", "P1", "P2", "2026/4/10", "提醒谈话", ""],
    ])
    report = ingest(sqlite_store, [path])
    assert not report.errors, errors(report)
    facts = stored(sqlite_store, "reminder")
    assert facts["R1"]["basis"] == facts["R2"]["basis"] == ["inspection:I-9", "ledger:LG-3"]
    assert facts["R3"]["basis"] == ["inspection:I-9", "ledger:LG-3", "reminder:R1"]  # same invocation
    assert facts["R4"]["basis"] is None
    with sqlite_store.connect() as connection:  # no basis is SQL NULL, not JSON null
        assert connection.execute(text("SELECT id FROM reminder WHERE basis IS NULL")).scalars().all() == ["R4"]


def test_basis_in_json_lines_is_a_list(sqlite_store, tmp_path) -> None:
    facts = _reminder_facts() + [
        {"kind": "reminder", "id": "R1", "person": "P1", "issuer": "P2", "date": "2026-04-10",
         "matter": "提醒", "basis": ["inspection:I-9", "ledger:LG-3"]},
        {"kind": "reminder", "id": "R2", "person": "P1", "issuer": "P2", "date": "2026-04-10",
         "matter": "提醒", "basis": "inspection:I-9"},
    ]
    report = ingest(sqlite_store, [write_jsonl(tmp_path / "a.jsonl", facts)])
    assert [(e.location.line, e.field) for e in report.errors] == [(len(facts), "basis")]


@pytest.mark.parametrize(("basis", "reason"), [
    ("shortfall:I-9", "unknown kind 'shortfall'"),
    ("I-9", "expected kind:id"),
    ("inspection:", "expected kind:id"),
])
def test_basis_entries_must_name_a_kind_and_an_id(sqlite_store, tmp_path, basis, reason) -> None:
    ingest(sqlite_store, [write_jsonl(tmp_path / "a.jsonl", _reminder_facts())])
    path = write_csv(tmp_path / "reminder.csv", ["id", "person", "issuer", "date", "matter", "basis"],
                     [["R1", "P1", "P2", "2026-04-10", "提醒", f"ledger:LG-3;{basis}"]])
    report = ingest(sqlite_store, [path])
    assert [(e.location.line, e.field) for e in report.errors] == [(2, "basis")]
    assert reason in report.errors[0].reason


def test_a_dangling_basis_entry_is_a_bad_row(store, tmp_path) -> None:
    ingest(store, [write_jsonl(tmp_path / "a.jsonl", _reminder_facts())])
    path = write_csv(tmp_path / "reminder.csv", ["id", "person", "issuer", "date", "matter", "basis"], [
        ["R1", "P1", "P2", "2026-04-10", "提醒", "inspection:I-9"],
        ["R2", "P1", "P2", "2026-04-10", "提醒", "inspection:I-404;ledger:LG-3;violation:V-1"],
    ])
    report = ingest(store, [path])
    assert sorted(errors(report)) == [
        "reminder.csv:3: basis: points nowhere: no inspection with id 'I-404'",
        "reminder.csv:3: basis: points nowhere: no violation with id 'V-1'",
    ]
    assert not report.committed and stored(store, "reminder") == {}
    report = ingest(store, [path], skip_bad=True, rejects_path=tmp_path / "rejects.jsonl")
    assert report.committed and report.loaded["reminder"] == 1
    assert list(stored(store, "reminder")) == ["R1"]


# --- violation.case_closed, source, verified -----------------------------------------------

def violation(**changes: Any) -> dict[str, Any]:
    return {"kind": "violation", "id": "V1", "unit": "U1", "actors": ["P1"], "date": "2026-05-01",
            "category": "conduct", "severity": "minor", "case_filed": True, **changes}


def test_case_closed_needs_a_filed_case_and_follows_the_violation(sqlite_store, tmp_path) -> None:
    facts = ROSTER + [
        violation(id="V1", case_closed="2026-06-30"),
        violation(id="V2", case_closed="2026-05-01"),
        violation(id="V3", case_closed="2026-04-30"),
        violation(id="V4", case_filed=False, case_closed="2026-06-30"),
    ]
    report = ingest(sqlite_store, [write_jsonl(tmp_path / "v.jsonl", facts)])
    assert [(e.location.line, e.field) for e in report.errors] == [(6, "case_closed"), (7, "case_closed")]
    assert "before the violation" in report.errors[0].reason
    assert "case_filed is false" in report.errors[1].reason


def test_source_is_a_code_and_verified_defaults_by_source(store, tmp_path) -> None:
    facts = ROSTER + [
        violation(id="V1", source="petition"),
        violation(id="V2", source="inspection"),
        violation(id="V3"),
        violation(id="V4", source="petition", verified=True),
        violation(id="V5", source="inspection", verified=False),
        {"kind": "disunity", "id": "D1", "unit": "U1", "date": "2026-05-20", "affects_work": True,
         "public_reaction": True, "source": "petition"},
        {"kind": "disunity", "id": "D2", "unit": "U1", "date": "2026-05-20", "affects_work": True,
         "public_reaction": True},
        {"kind": "disunity", "id": "D3", "unit": "U1", "date": "2026-05-20", "affects_work": True,
         "public_reaction": True, "source": "other", "verified": None},
    ]
    report = ingest(store, [write_jsonl(tmp_path / "v.jsonl", facts)])
    assert not report.errors, errors(report)
    with store.connect() as connection:  # the effective value is stored: rules filter on it in SQL
        assert connection.execute(text("SELECT id FROM violation WHERE verified ORDER BY id")
                                  ).scalars().all() == ["V2", "V3", "V4"]
        assert connection.execute(text("SELECT id FROM disunity WHERE NOT verified")).scalars().all() == ["D1"]

    bad = [{"kind": "disunity", "id": "D9", "unit": "U1", "date": "2026-05-20", "affects_work": True,
            "public_reaction": True, "source": "群众来信"}, violation(id="V9", source="letters")]
    report = ingest(store, [write_jsonl(tmp_path / "bad.jsonl", bad)])
    assert [(e.location.line, e.field) for e in report.errors] == [(1, "source"), (2, "source")]


def test_verified_and_source_in_csv(sqlite_store, tmp_path) -> None:
    roster(sqlite_store, tmp_path)
    path = write_csv(tmp_path / "violation.csv",
                     ["id", "unit", "actors", "date", "category", "severity", "case_filed",
                      "case_closed", "source", "verified"], [
        ["V1", "U1", "P1、P2", "2026/5/1", "conduct", "minor", "是", "2026年6月30日", "petition", ""],
        ["V2", "U1", "P1", "2026/5/1", "conduct", "minor", "否", "", "petition", "是"],
        ["V3", "U1", "P1", "2026/5/1", "conduct", "minor", "0", "", "", ""],
    ])
    report = ingest(sqlite_store, [path])
    assert not report.errors, errors(report)
    facts = stored(sqlite_store, "violation")
    assert facts["V1"]["case_closed"] == date(2026, 6, 30) and facts["V1"]["actors"] == ["P1", "P2"]
    assert {k: (f["source"], f["verified"]) for k, f in facts.items()} == {
        "V1": ("petition", False), "V2": ("petition", True), "V3": (None, True)}


def test_an_old_export_loads_again_unchanged_after_the_upgrade(sqlite_store, tmp_path) -> None:
    """Facts that leave the new fields out hash as before: loading them again is a no-op."""
    facts = ROSTER + [violation(), {"kind": "reminder", "id": "R1", "person": "P1", "issuer": "P2",
                                    "date": "2026-04-10", "matter": "提醒"}]
    ingest(sqlite_store, [write_jsonl(tmp_path / "a.jsonl", facts)])
    with sqlite_store.connect() as connection:
        digest = connection.execute(text("SELECT content_hash FROM violation")).scalar_one()
    # The hash of this violation as wenze computed it before the fields existed.
    old = {"id": "V1", "attrs": {}, "unit": "U1", "actors": ["P1"], "date": "2026-05-01",
           "category": "conduct", "severity": "minor", "case_filed": True, "description": None}
    assert digest == hashlib.sha256(json.dumps(old, separators=(",", ":")).encode()).hexdigest()
    report = ingest(sqlite_store, [write_jsonl(tmp_path / "b.jsonl", [violation(verified=True)])])
    assert not report.errors and report.unchanged["violation"] == 1


# --- the store from before migrations -------------------------------------------------------

def test_v0_violations_and_disunity_upgrade_verified(v0_url: str, tmp_path) -> None:  # noqa: F811
    insert = ("INSERT INTO disunity VALUES('f.jsonl:30','x',1,'D-OLD','{{}}','U-COAL','2026-03-01',"
              "{t},{t},'群众来信')")
    if v0_url.startswith("sqlite"):
        with sqlite3.connect(v0_url.removeprefix("sqlite:///")) as connection:
            connection.execute(insert.format(t=1))
        connection.close()
    else:
        with psycopg.connect(v0_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
            connection.execute(insert.format(t="true"))
    store = open_store(v0_url)
    (gamble,) = stored(store, "violation").values()
    assert (gamble["id"], gamble["verified"], gamble["source"], gamble["case_closed"]) == (
        "V-GAMBLE", True, None, None)
    (old,) = stored(store, "disunity").values()
    assert (old["source"], old["verified"], old["attrs"]) == ("other", True, {"source_text": "群众来信"})
    assert all(r["basis"] is None for r in stored(store, "reminder").values())
    # An id as long as the contract allows now fits the old tables.
    report = ingest(store, [write_jsonl(tmp_path / "u.jsonl", [
        {"kind": "unit", "id": "U" * ID_MAX, "name": "x", "type": "township"}])])
    assert not report.errors, errors(report)
    store.dispose()


# --- the contract as JSON Schema -------------------------------------------------------------

def test_facts_schema_shows_the_new_fields() -> None:
    result = CliRunner().invoke(cli.main, ["facts", "schema"])
    assert result.exit_code == 0, result.output
    defs = json.loads(result.output)["$defs"]
    assert "basis" in defs["reminder"]["properties"]
    for kind in ("violation", "disunity"):
        properties = defs[kind]["properties"]
        assert "verified" in properties and "verified" not in defs[kind]["required"]
        assert "petition" in json.dumps(properties["source"])
    assert "case_closed" in defs["violation"]["properties"]
    assert defs["unit"]["properties"]["id"]["maxLength"] == ID_MAX
