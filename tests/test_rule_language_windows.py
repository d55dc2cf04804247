"""Periods counted as the Civil Code counts them, month/year windows, and ``evidence:`` clauses.

《民法典》第二百零一条: a period starts the day after its start event and its last day is
included; 第二百零二条: for months and years the last day is the corresponding day of the final
month, or that month's last day when it has none. Every evaluation here is also checked with
both evaluators (durable_rules and the reference evaluator must agree).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.rulebook import RulebookError, load_rulebook
from engine.rulebook.terms import AsOf, Period, parse_operand, parse_period
from engine.run.evaluate import find
from tests.conftest import copy_county, load
from tests.engine_support import assert_evaluators_agree, person, post, unit, violation

HEAD = """id: {id}
title: 测试规则
circumstance: 3
versions:
  - version: 1
    effective: {{from: 2016-01-01}}
    basis: [{{document: 测试规则, article: 一, text: 测试}}]
"""


def _rules(tmp_path: Path, rules: dict[str, str]) -> Path:
    folder = tmp_path / "rules"
    copy_county(folder)
    for rule_id, body in rules.items():
        (folder / "circumstances" / f"{rule_id}.yaml").write_text(
            HEAD.format(id=rule_id) + body, encoding="utf-8")
    return folder


def _count_rule(period: str) -> str:
    return f"""    match:
      - fact: violation
        as: v
    count: {{at_least: 3, {period}, per: v.unit, date: v.date}}
    finding:
      subject: {{unit: v.unit}}
      severity: minor
      proposer: discipline_commission
      conduct_date: v.date
"""


@pytest.mark.parametrize(
    ("start", "amount", "unit_", "end"),
    [
        (date(2025, 3, 1), 365, "d", date(2026, 3, 1)),
        (date(2026, 1, 31), 1, "m", date(2026, 2, 28)),  # no 02-31: the month's last day
        (date(2024, 1, 31), 1, "m", date(2024, 2, 29)),
        (date(2026, 1, 30), 1, "m", date(2026, 2, 28)),
        (date(2026, 1, 15), 12, "m", date(2027, 1, 15)),
        (date(2024, 2, 29), 1, "y", date(2025, 2, 28)),
        (date(2028, 2, 29), -2, "y", date(2026, 2, 28)),  # as_of - 2y on a leap day
        (date(2026, 3, 31), -1, "m", date(2026, 2, 28)),
        (date(2026, 11, 25), -730, "d", date(2024, 11, 25)),
    ],
)
def test_the_last_day_of_a_period(start, amount, unit_, end) -> None:
    assert Period(amount, unit_).add_to(start) == end


def test_periods_and_as_of_expressions_parse() -> None:
    assert parse_period("12m") == Period(12, "m") and parse_period(" 2 y ") == Period(2, "y")
    for bad in ("12", "0d", "-3m", "1w", 12):
        with pytest.raises(ValueError, match="365d, 12m or 2y"):
            parse_period(bad)
    assert parse_operand("as_of - 12m", date_op=True) == AsOf(Period(-12, "m"))
    assert parse_operand("as_of - 2y", date_op=True).resolve(date(2026, 11, 25)) == date(2024, 11, 25)


@pytest.mark.parametrize(
    ("third", "counted"),
    [
        ("2026-02-28", True),  # the last day of one month from 01-31 (2026 has no 02-29)
        ("2026-02-27", True),  # one day inside
        ("2026-03-01", False),  # one day outside
    ],
)
def test_a_count_within_one_month_of_the_31st_ends_on_the_months_last_day(
    sqlite_store, tmp_path, third, counted
) -> None:
    rules = _rules(tmp_path, {"x-month": _count_rule("within: 1m")})
    facts = [unit("U1", "县林业局"), person("P1", "陈书记", "U1"), post("P1", "U1", "secretary"),
             violation("V1", "U1", "2026-01-31", ["P1"]),
             violation("V2", "U1", "2026-02-10", ["P1"]),
             violation("V3", "U1", third, ["P1"])]
    load(sqlite_store, facts, tmp_path)
    found = assert_evaluators_agree(sqlite_store, load_rulebook(rules))
    month = {f for f in found if f[0] == "r_x_month_v1"}
    assert bool(month) is counted


@pytest.mark.parametrize(
    ("third", "counted"), [("2026-03-01", True), ("2026-02-28", True), ("2026-03-02", False)]
)
def test_within_days_is_a_synonym_and_the_last_day_is_included(
    sqlite_store, tmp_path, third, counted
) -> None:
    rules = _rules(tmp_path, {"x-days": _count_rule("within_days: 365"),
                              "x-within": _count_rule("within: 365d")})
    facts = [unit("U1", "县林业局"), person("P1", "陈书记", "U1"), post("P1", "U1", "secretary"),
             violation("V1", "U1", "2025-03-01", ["P1"]),
             violation("V2", "U1", "2025-09-01", ["P1"]),
             violation("V3", "U1", third, ["P1"])]
    load(sqlite_store, facts, tmp_path)
    found = assert_evaluators_agree(sqlite_store, load_rulebook(rules))
    days = {f[1:] for f in found if f[0] == "r_x_days_v1"}
    within = {f[1:] for f in found if f[0] == "r_x_within_v1"}
    assert days == within and bool(days) is counted


def test_as_of_minus_months_in_a_condition_and_in_since(sqlite_store, tmp_path) -> None:
    rules = _rules(tmp_path, {
        "x-literal": """    match:
      - fact: violation
        as: v
        where:
          date: {on_or_after: as_of - 12m}
    finding:
      subject: {unit: v.unit}
      severity: minor
      proposer: discipline_commission
      conduct_date: v.date
""",
        "x-since": _count_rule("within: 1y").replace(
            "conduct_date: v.date\n", "conduct_date: v.date\n      since: as_of - 12m\n"),
    })
    facts = [unit("U1", "县林业局"), person("P1", "陈书记", "U1"), post("P1", "U1", "secretary"),
             violation("V1", "U1", "2025-11-24", ["P1"]),  # one day before as_of - 12m
             violation("V2", "U1", "2025-11-25", ["P1"]),  # on the edge
             violation("V3", "U1", "2025-11-26", ["P1"]),
             violation("V4", "U1", "2025-11-24", ["P1"], "conduct")]
    load(sqlite_store, facts, tmp_path)
    rulebook = load_rulebook(rules)
    found = assert_evaluators_agree(sqlite_store, rulebook)
    assert {f[2] for f in found if f[0] == "r_x_literal_v1"} == {
        ("violation:V2",), ("violation:V3",)}
    # the cluster V1, V4, V2 ends on 2025-11-25, on the edge of since: reported
    (cluster,) = [f for f in found if f[0] == "r_x_since_v1"]
    assert cluster[3] == date(2025, 11, 25)
    later = find(sqlite_store, rulebook, date(2026, 11, 26))[0]
    assert not [f for f in later if f.rule.name == "r_x_since_v1"]  # now a day too old


def test_a_month_or_year_offset_in_a_join_is_a_rule_error_that_says_what_to_write(tmp_path) -> None:
    rules = _rules(tmp_path, {"x-join": """    match:
      - fact: violation
        as: a
      - fact: violation
        as: b
        where:
          unit: {same: a.unit}
          date: {on_or_before: a.date + 2m}
    evidence:
      - fact: violation
        as: c
        where:
          unit: {same: a.unit}
          date: {after: b.date - 1y}
    finding:
      subject: {unit: a.unit}
      severity: minor
      proposer: discipline_commission
      conduct_date: b.date
"""})
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    errors = [e for e in caught.value.errors if Path(e.file).name == "x-join.yaml"]
    lines = (rules / "circumstances" / "x-join.yaml").read_text(encoding="utf-8").splitlines()
    joins = [e for e in errors if "month or year offset" in e.message]
    assert {lines[e.line - 1].strip() for e in joins} == {
        "date: {on_or_before: a.date + 2m}", "date: {after: b.date - 1y}"}
    assert all("reminder.date + 60d" in e.message
               and "as_of - 12m" in e.message for e in joins)


@pytest.mark.parametrize(
    ("period", "message"),
    [("within: 12m, within_days: 365", "write the period once"),
     ("within: 3w", "365d, 12m or 2y")],
)
def test_a_count_period_is_written_once_in_days_months_or_years(tmp_path, period, message) -> None:
    rules = _rules(tmp_path, {"x-count": _count_rule(period)})
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    (error,) = [e for e in caught.value.errors if Path(e.file).name == "x-count.yaml"]
    assert message in error.message and error.line > 1


def test_evidence_clauses_must_be_joined_and_named_apart(tmp_path) -> None:
    rules = _rules(tmp_path, {"x-evidence": """    match:
      - fact: violation
        as: v
    evidence:
      - fact: violation
        as: v
        where:
          unit: {same: v.unit}
      - fact: inspection
        as: seen
        where:
          severity: grave
    finding:
      subject: {unit: v.unit}
      severity: minor
      proposer: discipline_commission
      conduct_date: v.date
"""})
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    messages = " | ".join(e.message for e in caught.value.errors)
    assert "two clauses are named 'v'" in messages
    assert "evidence: say which matched facts it is about" in messages


EVIDENCE_RULE = """    match:
      - fact: violation
        as: v
        where:
          severity: grave
    evidence:
      - fact: violation
        as: earlier
        where:
          unit: {same: v.unit}
          date: {before: v.date, on_or_after: v.date - 30d}
      - fact: inspection
        as: seen
        where:
          unit: {same: v.unit}
          severity: [serious, grave]
    finding:
      subject: {unit: v.unit}
      severity: v.severity
      proposer: discipline_commission
      conduct_date: v.date
"""


def test_evidence_is_added_when_found_and_never_decides_a_finding(sqlite_store, tmp_path) -> None:
    rules = _rules(tmp_path, {"x-evidence": EVIDENCE_RULE})
    inspection = {"kind": "inspection", "unit": "U1", "date": "2026-05-01", "group": "第一督查组",
                  "mode": "unannounced", "problem": "值班脱岗"}
    facts = [unit("U1", "县林业局"), unit("U2", "县水利局"), person("P1", "陈书记", "U1"),
             post("P1", "U1", "secretary"),
             violation("V1", "U1", "2026-06-10", ["P1"], severity="grave"),
             violation("V0", "U1", "2026-05-11", ["P1"], severity="minor"),  # 30 days before
             violation("VX", "U1", "2026-05-10", ["P1"], severity="minor"),  # 31 days before
             violation("V9", "U2", "2026-05-20", ["P1"], severity="minor"),  # another unit
             violation("V5", "U2", "2026-07-01", ["P1"], severity="grave"),  # no evidence found
             {**inspection, "id": "I1", "severity": "serious"},
             {**inspection, "id": "I2", "severity": "minor"}]
    load(sqlite_store, facts, tmp_path)
    found = assert_evaluators_agree(sqlite_store, load_rulebook(rules))
    mine = {f[2] for f in found if f[0] == "r_x_evidence_v1"}
    assert mine == {("violation:V1", "violation:V0", "inspection:I1"), ("violation:V5",)}


# a clause on several kinds ------------------------------------------------------------------------
def test_a_clause_on_several_kinds_may_use_only_the_fields_they_all_have(tmp_path) -> None:
    rules = _rules(tmp_path, {
        "x-kinds": """    match:
      - fact: [violation, inspection]
        as: problem
        where:
          category: conduct
      - fact: violation
        as: other
        where:
          unit: {same: problem.unit}
          case_filed: {same: problem.case_filed}
    count: {at_least: 2, within: 1y, per: problem.unit, date: problem.date, same_problem: [unit, actors]}
    finding:
      subject: {unit: problem.unit}
      severity: minor
      proposer: discipline_commission
      conduct_date: problem.date
""",
        "x-unnamed": """    match:
      - fact: [violation, inspection]
    finding:
      subject: {unit: violation.unit}
      severity: minor
      proposer: discipline_commission
      conduct_date: violation.date
""",
        "x-one-kind": _count_rule("within: 1y, same_problem: [unit, date]"),
    })
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    by_file: dict[str, list[str]] = {}
    for error in caught.value.errors:
        by_file.setdefault(Path(error.file).name, []).append(error.message)
    kinds = " | ".join(by_file["x-kinds.yaml"])
    assert "inspection has no field 'category'" in kinds
    assert "may use only the fields they all have: " in kinds and "unit" in kinds
    assert "inspection has no field 'case_filed'" in kinds  # read by a later clause
    assert "inspection has no field 'actors'" in kinds  # same_problem
    assert any("a clause on several kinds needs a name" in m for m in by_file["x-unnamed.yaml"])
    assert any("same_problem: only for a clause on several kinds" in m
               for m in by_file["x-one-kind.yaml"])


def test_a_clause_on_two_kinds_matches_either_in_both_evaluators(sqlite_store, tmp_path) -> None:
    rules = _rules(tmp_path, {"x-two": """    match:
      - fact: disunity
        as: report
      - fact: [violation, inspection]
        as: problem
        where:
          unit: {same: report.unit}
          severity: [serious, grave]
          date: {after: report.date, on_or_before: report.date + 30d}
    finding:
      subject: {unit: problem.unit}
      severity: problem.severity
      proposer: discipline_commission
      conduct_date: problem.date
"""})
    inspection = {"kind": "inspection", "unit": "U1", "group": "第一督查组", "mode": "periodic",
                  "problem": "值班脱岗"}
    facts = [unit("U1", "县林业局"), person("P1", "陈书记", "U1"), post("P1", "U1", "secretary"),
             {"kind": "disunity", "id": "D1", "unit": "U1", "date": "2026-05-01",
              "affects_work": True, "public_reaction": False},
             violation("X1", "U1", "2026-05-31", ["P1"], severity="serious"),  # 30th day
             {**inspection, "id": "X1", "date": "2026-05-10", "severity": "grave"},  # same id
             {**inspection, "id": "I2", "date": "2026-06-01", "severity": "grave"},  # 31st day
             {**inspection, "id": "I3", "date": "2026-05-11", "severity": "minor"}]
    load(sqlite_store, facts, tmp_path)
    found = assert_evaluators_agree(sqlite_store, load_rulebook(rules))
    assert {f[2] for f in found if f[0] == "r_x_two_v1"} == {
        ("disunity:D1", "violation:X1"), ("disunity:D1", "inspection:X1")}


def test_frequent_problems_count_an_inspection_once_with_the_same_days_violation(
    sqlite_store, tmp_path
) -> None:
    inspection = {"kind": "inspection", "unit": "U1", "group": "第一督查组", "mode": "periodic",
                  "problem": "值班脱岗", "severity": "minor"}
    facts = [unit("U1", "县林业局"), person("P1", "陈书记", "U1"), post("P1", "U1", "secretary"),
             violation("V1", "U1", "2026-02-01", ["P1"], "conduct", "minor"),
             {**inspection, "id": "I1", "date": "2026-02-01"},  # the same problem as V1
             {**inspection, "id": "I2", "date": "2026-03-01"},
             {**inspection, "id": "I3", "date": "2026-03-01"}]  # two inspections: two problems
    load(sqlite_store, facts, tmp_path)
    found = assert_evaluators_agree(sqlite_store)
    assert {f[2] for f in found if f[0] == "r_c3_frequent_problems_v1"} == {
        ("violation:V1", "inspection:I2", "inspection:I3")}
