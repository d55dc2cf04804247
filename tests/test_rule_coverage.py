"""``wenze rules test``: rule tests named after their rule, what-if sanctions, and coverage per
rule, condition (each held and failed), sanctions entry and quoted provision, with the lines
no test exercises and a threshold that fails the run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

import cli
from tests.conftest import copy_county

DISUNITY = """
- name: 班子不团结影响工作并引起群众不良反映
  as_of: 2026-11-25
  facts:
    - {kind: unit, id: U1, name: 大江口镇, type: township}
    - {kind: person, id: P1, name: 杨书记, unit: U1, category: township_secretary}
    - {kind: post, id: PO1, person: P1, unit: U1, role: secretary, start: 2020-01-01}
    - {kind: disunity, id: D1, unit: U1, date: 2026-05-20, affects_work: true, public_reaction: true}
  expect:
    - {person: P1, circumstance: 1, responsibility: leadership, degree: main,
       form: circulated_criticism, proposer: organization_department, route: accountability}
"""
NOT_AFFECTING_WORK = """
- name: 未影响工作开展——不问责
  as_of: 2026-11-25
  facts:
    - {kind: unit, id: U1, name: 大江口镇, type: township}
    - {kind: person, id: P1, name: 杨书记, unit: U1, category: township_secretary}
    - {kind: post, id: PO1, person: P1, unit: U1, role: secretary, start: 2020-01-01}
    - {kind: disunity, id: D1, unit: U1, date: 2026-05-20, affects_work: false, public_reaction: true}
  expect: []
"""


def _folder(tmp_path: Path, tests: dict[str, str]) -> Path:
    folder = copy_county(tmp_path / "rules")
    shutil.rmtree(folder / "tests")
    (folder / "tests").mkdir()
    for name, text in tests.items():
        (folder / "tests" / name).write_text(text, encoding="utf-8")
    return folder


def _test(folder: Path, *args: str):  # noqa: ANN202
    return CliRunner().invoke(cli.main, ["rules", "test", str(folder), *args])


def test_a_condition_never_failed_is_listed_with_its_line_and_fails_the_threshold(tmp_path) -> None:
    folder = _folder(tmp_path, {"c1_team_disunity.yaml": DISUNITY})
    result = _test(folder, "--min-coverage", "100")
    assert result.exit_code == cli.EXIT_BAD_INPUT, result.output
    assert "1 passed, 0 failed" in result.output
    rule = folder / "circumstances" / "c1_team_disunity.yaml"
    line = next(n for n, text in enumerate(rule.read_text(encoding="utf-8").splitlines(), 1)
                if "affects_work: true" in text)
    assert re.search(rf"c1_team_disunity\.yaml:{line}:\d+: \[conditions\] c1-team-disunity v1 "
                     r"report: affects_work is true — never failed", result.output), result.output
    assert re.search(r"coverage: rules 1/7 \(14\.3%\)", result.output)
    assert "coverage below 100%: rules, conditions, sanctions, provisions" in result.output

    # the case that makes it fail: now it both held and failed, and is no longer listed
    (folder / "tests" / "c1_team_disunity.yaml").write_text(DISUNITY + NOT_AFFECTING_WORK,
                                                             encoding="utf-8")
    result = _test(folder)
    assert result.exit_code == 0  # no threshold asked for
    assert "affects_work is true" not in result.output


def test_json_reports_cases_and_each_measure(tmp_path) -> None:
    folder = _folder(tmp_path, {"c1_team_disunity.yaml": DISUNITY + NOT_AFFECTING_WORK})
    result = _test(folder, "--json", "--min-coverage", "10")
    report = json.loads(result.output)
    assert [c["passed"] for c in report["cases"]] == [True, True]
    coverage = report["coverage"]
    assert coverage["rules"]["covered"] == 1 and coverage["rules"]["total"] == 7
    assert coverage["provisions"]["covered"] == 2  # the two provisions c1 quotes (第六条: leaders)
    missing = {m["what"] for m in coverage["provisions"]["missing"]}
    assert any(w.startswith("c4-leader-proposal v1:") for w in missing)
    # base forms no rule can reach (circumstance 1 is always 'serious') are not counted
    assert any("circumstance 1, minor" in u["what"] for u in coverage["unreachable"])
    assert not any("circumstance 1, minor" in m["what"] for m in coverage["sanctions"]["missing"])
    assert "rules" not in report["below_threshold"]  # 1 of 7 rules is above 10%


def test_run_selects_cases_by_name_and_a_wrong_expectation_fails(tmp_path) -> None:
    wrong = NOT_AFFECTING_WORK.replace("expect: []", "expect:\n    - {person: P1}")
    folder = _folder(tmp_path, {"c1_team_disunity.yaml": DISUNITY + wrong})
    result = _test(folder, "--run", "未影响")
    assert result.exit_code == cli.EXIT_BAD_INPUT
    assert "0 passed, 1 failed" in result.output and "[durable] expected {'person': 'P1'}" in result.output
    assert "[reference] expected {'person': 'P1'}" in result.output


def test_a_test_file_is_named_after_the_rule_it_tests(tmp_path) -> None:
    folder = _folder(tmp_path, {"disunity.yaml": DISUNITY})
    result = _test(folder)
    assert result.exit_code == cli.EXIT_BAD_INPUT
    assert "FAIL disunity.yaml: (file)" in result.output
    assert "named after the rule file it tests" in result.output


def test_a_what_if_changes_the_outcome_but_covers_no_county_value(tmp_path) -> None:
    """A case may override a sanctions value: here the look-back is 36 months, so a warning
    talk 30 months before counts. The county's own look-back is not thereby tested."""
    case = """
- name: 假如回溯期为 36 个月
  as_of: 2026-11-25
  sanctions: {lookback: 36m}
  facts:
    - {kind: unit, id: U1, name: 县教育局, type: county_organ}
    - {kind: person, id: P1, name: 彭局长, unit: U1, category: organ_secretary}
    - {kind: person, id: L1, name: 向副书记, unit: U1, category: county_deputy_secretary}
    - {kind: post, id: PO1, person: P1, unit: U1, role: secretary, start: 2020-01-01}
    - {kind: accountability, id: A1, person: P1, date: 2023-12-01, form: admonition}
    - {kind: proposal, id: PR1, person: P1, proposer: L1, date: 2026-06-01, reason: 纪实评价排名末位}
  expect:
    - {person: P1, form: circulated_criticism, proposer: person:L1}
"""
    folder = _folder(tmp_path, {"sanctions_lookback.yaml": case})
    result = _test(folder, "--json")
    report = json.loads(result.output)
    assert report["cases"][0]["passed"], report["cases"][0]["failures"]
    missing = {m["what"] for m in report["coverage"]["sanctions"]["missing"]}
    assert {"lookback 24m: a prior inside it", "lookback 24m: a prior before it"} <= missing
    assert "ladder: circulated_criticism proposed" not in missing  # the ladder was not overridden
