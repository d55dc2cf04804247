"""rules/review.yaml is county data, checked with the rest of the county folder: every error
with file, line and column, and outside the rulebook's hash (it changes no recommendation)."""

from __future__ import annotations

import re

from click.testing import CliRunner

import cli
from engine.rulebook.load import rulebook_hash
from tests.conftest import copy_county


def _check(folder) -> CliRunner:
    return CliRunner().invoke(cli.main, ["rules", "check", "--rules", str(folder)])


def test_review_yaml_errors_name_file_line_and_field(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    path = folder / "review.yaml"
    source = path.read_text(encoding="utf-8")
    for old, new in (("    requires: [investigation]\n", "    requires: [inquiry]\n"),
                     ("  period: 1m\n", "  period: one month\n"),
                     ("four_eyes_above: circulated_criticism", "four_eyes_above: warning"),
                     ("  county_committee: 县委问决\n", ""),
                     ("  approver: [see, step, amend, return, approve, reject]",
                      "  approver: [see, step, amend, return, approve, reject, sign]")):
        assert old in source, old
        source = source.replace(old, new, 1)
    path.write_text(source, encoding="utf-8")
    result = _check(folder)
    assert result.exit_code == cli.EXIT_RULEBOOK
    lines = source.splitlines()
    errors = result.output

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    assert re.search(rf"review\.yaml:{line_of('sign]')}:\d+: roles\.approver\.6: ", errors)
    assert re.search(rf"review\.yaml:{line_of('period: one month')}:\d+: appeal\.period: .*365d",
                     errors)
    # the schema's errors come first; the cross-checks run on a file that passes it
    path.write_text(source.replace("  period: one month\n", "  period: 1m\n").replace(
        ", sign]", "]"), encoding="utf-8")
    errors = _check(folder).output
    assert re.search(rf"review\.yaml:{line_of('requires: [inquiry]')}:\d+: requires: no step "
                     "'inquiry'", errors)
    assert "four_eyes_above: warning is not on the ladder" in errors
    assert "decision_numbers: no prefix for county_committee" in errors


def test_review_yaml_is_required_and_in_the_rulebook_hash(tmp_path) -> None:
    """The procedure a decision was taken under is part of the rulebook kept with it."""
    folder = copy_county(tmp_path / "rules")
    before = rulebook_hash(folder)
    path = folder / "review.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("period: 1m", "period: 15d"),
                    encoding="utf-8")
    assert rulebook_hash(folder) != before and _check(folder).exit_code == 0
    path.unlink()
    result = _check(folder)
    assert result.exit_code == cli.EXIT_RULEBOOK and "review.yaml is missing" in result.output
