"""The county folder as a whole: the bundled rulebook checks clean; the sanctions file is checked too."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import cli
from engine.rulebook import RulebookError, load_rulebook
from tests.conftest import copy_county


def test_the_bundled_rulebook_checks_clean() -> None:
    result = CliRunner().invoke(cli.main, ["rules", "check"])
    assert result.exit_code == 0 and "rule versions" in result.output


def test_sanctions_file_errors_name_what_the_engine_would_miss(tmp_path) -> None:
    rules = copy_county(tmp_path / "rules")
    path = rules / "sanctions.yaml"
    text = path.read_text(encoding="utf-8")
    ladder = "  3: {minor: admonition, serious: circulated_criticism, grave: suspension}"
    assert ladder in text and "  removal: county_committee\n" in text
    text = text.replace(ladder, ladder.replace("grave: suspension", "grave: warning"))
    text = text.replace("  removal: county_committee\n", "")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    messages = [str(e) for e in caught.value.errors]
    assert any("sanctions.yaml:" in m and "warning is not on the ladder" in m for m in messages)
    assert any("no deciding body for removal" in m for m in messages)
