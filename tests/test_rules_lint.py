"""``wenze rules check``: every mistake of a county folder in one pass, with its line, and the
static checks a policy officer needs before a change goes live (dates, impossible rules,
rules that add nothing); errors and warnings apart, ``--strict`` failing on warnings."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

import cli
from engine.rulebook import check_rulebook
from tests.conftest import copy_county


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if needle in line)


def _check(folder: Path, *args: str):  # noqa: ANN202
    return CliRunner().invoke(cli.main, ["rules", "check", str(folder), *args])


def test_two_mistakes_in_two_files_are_both_reported_with_their_lines(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    rule = folder / "circumstances" / "c3_corruption.yaml"
    _edit(rule, "category: corruption", "category: corupt")  # a misspelt code
    sanctions = folder / "sanctions.yaml"
    _edit(sanctions, "  2: {minor: admonition, serious: admonition, grave: circulated_criticism}",
          "  2: {minor: admonition, serious: admonition, grave: circulated_critcism}")
    result = _check(folder)
    assert result.exit_code == cli.EXIT_RULEBOOK
    rule_line, sanctions_line = _line_of(rule, "category: corupt"), _line_of(sanctions, "critcism")
    assert re.search(rf"c3_corruption\.yaml:{rule_line}:\d+: .*'corupt' is not a code of "
                     rf"violation\.category", result.output), result.output
    assert re.search(rf"sanctions\.yaml:{sanctions_line}:\d+: ", result.output), result.output
    assert "2 errors, 0 warnings" in result.output


def test_a_positional_folder_and_rules_option_agree_or_it_is_a_usage_error(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    assert CliRunner().invoke(cli.main, ["rules", "check", "--rules", str(folder)]).exit_code == 0
    other = copy_county(tmp_path / "other")
    result = CliRunner().invoke(cli.main, ["rules", "check", str(folder), "--rules", str(other)])
    assert result.exit_code == cli.EXIT_USAGE


def test_contradicting_conditions_and_wrong_types_are_rules_no_fact_can_satisfy(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    rule = folder / "circumstances" / "c1_team_disunity.yaml"
    _edit(rule, "          date: {on_or_after: as_of - 2y}",
          "          date: {on_or_after: as_of - 2y, before: as_of - 3y}")
    _edit(rule, "affects_work: true", "affects_work: yes please")
    no_due = folder / "circumstances" / "c2_reminder_ineffective_no_due.yaml"
    _edit(no_due, "          date: {after: reminder.date}",
          "          date: {after: reminder.date, before: reminder.date + 1d}")
    _edit(no_due, "          due: {exists: false}", "          person: {exists: false}")
    errors = [str(e) for e in check_rulebook(folder).errors]
    assert any("c1_team_disunity.yaml" in e and "'date on or after as_of - 2y' and "
               "'date before as_of - 3y' cannot both hold" in e for e in errors), errors
    assert any("affects_work is true or false, not 'yes please'" in e for e in errors), errors
    assert any("'date after reminder.date' and 'date before reminder.date + 1d' cannot both hold"
               in e for e in errors), errors
    assert any("person is never empty on a reminder fact" in e for e in errors), errors


def test_a_gap_between_rule_versions_is_a_warning_and_strict_fails_on_it(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    rule = folder / "circumstances" / "c4_leader_proposal.yaml"
    text = rule.read_text(encoding="utf-8")
    v1 = text[text.index("  - version: 1"):]
    _edit(rule, "effective: {from: 2016-03-01}", "effective: {from: 2016-03-01, to: 2020-12-31}")
    rule.write_text(rule.read_text(encoding="utf-8") + v1.replace("version: 1", "version: 2")
                    .replace("from: 2016-03-01", "from: 2021-02-01"), encoding="utf-8")
    result = _check(folder)
    assert result.exit_code == 0 and "0 errors, 1 warning" in result.output
    assert re.search(r"rule warning: .*c4_leader_proposal\.yaml:\d+:\d+: effective: version 1 "
                     r"ends on 2020-12-31 and version 2 starts on 2021-02-01; conduct from "
                     r"2021-01-01 to 2021-01-31 is judged by no version", result.output)
    assert _check(folder, "--strict").exit_code == cli.EXIT_RULEBOOK


def test_a_rule_another_rule_of_its_circumstance_already_covers_is_a_warning(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    broad = (folder / "circumstances" / "c3_corruption.yaml").read_text(encoding="utf-8")
    narrow = (broad.replace("id: c3-corruption", "id: c3-grave-corruption")
              .replace("severity: [serious, grave]", "severity: grave"))
    (folder / "circumstances" / "c3_grave_corruption.yaml").write_text(narrow, encoding="utf-8")
    report = check_rulebook(folder)
    assert not report.errors
    assert [Path(w.file).name for w in report.warnings] == ["c3_grave_corruption.yaml"]
    assert "also found by c3-corruption version 1" in report.warnings[0].message


def test_sanction_values_with_overlapping_or_gapped_dates_are_errors(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    sanctions = folder / "sanctions.yaml"
    _edit(sanctions, "lookback: 24m\n", "lookback:\n"
          "  - effective: {from: 2016-03-01, to: 2026-12-31}\n    value: 24m\n"
          "  - effective: {from: 2026-12-01, to: 2027-12-31}\n    value: 36m\n"
          "  - effective: {from: 2028-03-01}\n    value: 48m\n")
    _edit(sanctions, "ladder: [admonition, circulated_criticism, suspension, removal]\n",
          "ladder:\n  - effective: {from: 2017-01-01}\n"
          "    value: [admonition, circulated_criticism, suspension, removal]\n")
    errors = [str(e) for e in check_rulebook(folder).errors]
    assert any(re.search(r"sanctions\.yaml:\d+:\d+: lookback: this value \(2026-12-01\.\.2027-12-31\) "
                         r"overlaps the one before it", e) for e in errors), errors
    assert any("lookback: no value is in force from 2028-01-01 to 2028-02-29" in e for e in errors)
    assert any("ladder: the first value starts on 2017-01-01, but rules are in force from "
               "2016-03-01" in e for e in errors), errors


def test_a_circumstance_without_base_forms_and_a_code_without_label_are_errors(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    _edit(folder / "sanctions.yaml",
          "  4: {minor: admonition, serious: admonition, grave: circulated_criticism}\n", "")
    _edit(folder / "labels.yaml", "  suspension: 停职检查\n", "")
    result = _check(folder)
    assert result.exit_code == cli.EXIT_RULEBOOK
    assert "base: no base form for circumstance 4" in result.output
    assert "forms: no label for suspension" in result.output


def test_an_undated_sanctions_value_with_a_wrong_period_points_at_its_own_line(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    sanctions = folder / "sanctions.yaml"
    _edit(sanctions, "lookback: 24m", "lookback: two years")
    errors = check_rulebook(folder).errors
    line = _line_of(sanctions, "lookback: two years")
    assert [(e.line, e.message.split(":")[0]) for e in errors] == [(line, "lookback")], errors
