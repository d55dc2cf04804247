"""Safe reloading and rulebook history: a broken edit never goes live, and every rulebook
behind a stored recommendation can be listed and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

import cli
from engine.errors import RulebookError
from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from engine.run.rulebooks import history, load_in_force, stored_copy
from facts.recommendation_tables import EvaluationRun
from tests.conftest import COUNTY, copy_county, load
from tests.engine_support import AS_OF, c2


def _edited(folder: Path) -> Path:
    """The county folder with the look-back window moved to 36 months (checks clean)."""
    copy_county(folder)
    sanctions = folder / "sanctions.yaml"
    sanctions.write_text(sanctions.read_text(encoding="utf-8").replace(
        "\nlookback: 24m\n", "\nlookback: 36m\n"), encoding="utf-8")
    return folder


def _broken(folder: Path) -> Path:
    """Two mistakes in two files."""
    _edited(folder)
    sanctions = folder / "sanctions.yaml"
    sanctions.write_text(sanctions.read_text(encoding="utf-8").replace(
        "\nlookback: 36m\n", "\nlookback: three years\n"), encoding="utf-8")
    rule = folder / "circumstances" / "c4_leader_proposal.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace("\ncircumstance: 4\n",
                                                             "\ncircumstance: four\n"),
                    encoding="utf-8")
    return folder


def _runs(store: Engine) -> list[tuple[str, str]]:
    table = EvaluationRun.__table__
    with store.connect() as connection:
        return [(r.rulebook_hash, r.status) for r in connection.execute(
            select(table).order_by(table.c.id))]


def test_each_run_keeps_its_rulebook_and_history_counts_them(store: Engine,
                                                            tmp_path: Path) -> None:
    load(store, c2(), tmp_path)
    first = load_rulebook()
    evaluate(store, AS_OF, first)
    evaluate(store, AS_OF, first)
    (only,) = history(store)
    assert (only["hash"], only["runs"], only["recommendations"], only["stored_copy"]) == (
        first.hash, 2, 1, True)
    assert only["first_as_of"] == only["last_as_of"] == AS_OF.isoformat()
    full, files = stored_copy(store, first.hash[:10])
    assert full == first.hash
    assert files["sanctions.yaml"] == (COUNTY / "sanctions.yaml").read_text(encoding="utf-8")
    assert set(files) >= {"county.yaml", "circumstances/c2_reminder_ineffective.yaml"}
    assert "tests/c2_reminder.yaml" not in files  # only what the hash covers
    second = load_rulebook(_edited(tmp_path / "edited"))
    evaluate(store, AS_OF, second)
    newest, older = history(store)
    assert (newest["hash"], newest["recommendations"], newest["by_status"]) == (
        second.hash, 1, {"pending": 1})  # the recommendation now records the new rulebook
    assert (older["hash"], older["runs"], older["recommendations"]) == (first.hash, 2, 0)
    assert "lookback: 36m" in stored_copy(store, second.hash)[1]["sanctions.yaml"]


def test_a_broken_edit_is_refused_and_the_last_good_rulebook_stays_in_force(
        store: Engine, tmp_path: Path) -> None:
    load(store, c2(), tmp_path)
    broken = _broken(tmp_path / "broken")
    with pytest.raises(RulebookError):  # nothing good was ever used: nothing to fall back on
        load_in_force(store, broken)
    good = load_rulebook(_edited(tmp_path / "good"))
    evaluate(store, AS_OF, good)
    in_force = load_in_force(store, broken)
    assert in_force.rulebook.hash == good.hash  # the stored copy, not the bundled folder
    assert str(in_force.rulebook.sanctions.lookback[0].value) == "36m"
    assert sorted(Path(e.file).name for e in in_force.refused.errors) == [
        "c4_leader_proposal.yaml", "sanctions.yaml"]
    assert load_in_force(store, good.folder).refused is None


def test_nightly_with_a_broken_edit_runs_the_last_good_rulebook_and_says_so(
        sqlite_store: Engine, tmp_path: Path) -> None:
    load(sqlite_store, c2(), tmp_path)
    url = sqlite_store.url.render_as_string(hide_password=False)
    broken = _broken(tmp_path / "broken")
    nightly = ["nightly", "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "out"),
               "--db", url, "--rules", str(broken)]
    result = CliRunner().invoke(cli.main, nightly)
    assert result.exit_code == cli.EXIT_RULEBOOK, result.output  # no good rulebook yet
    assert _runs(sqlite_store) == []
    good = _edited(tmp_path / "good")
    result = CliRunner().invoke(cli.main, [*nightly[:-1], str(good)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli.main, nightly)
    assert result.exit_code == cli.EXIT_REFUSED_EDIT, result.output
    assert "sanctions.yaml:" in result.output and "c4_leader_proposal.yaml:" in result.output
    assert "stays in force" in result.output
    good_hash = load_rulebook(good).hash
    assert _runs(sqlite_store) == [(good_hash, "committed")] * 2
    run = json.loads((tmp_path / "out" / AS_OF.isoformat() / "run.json").read_text())
    assert run["rulebook"] == good_hash and len(run["rulebook_refused"]) == 2


def test_cli_history_and_show(sqlite_store: Engine, tmp_path: Path) -> None:
    load(sqlite_store, c2(), tmp_path)
    url = sqlite_store.url.render_as_string(hide_password=False)
    rulebook = load_rulebook()
    evaluate(sqlite_store, AS_OF, rulebook)
    result = CliRunner().invoke(cli.main, ["rules", "history", "--db", url])
    assert result.exit_code == 0
    assert result.output.startswith(rulebook.hash[:12]) and "recommendations 1 (pending 1)" in result.output
    result = CliRunner().invoke(cli.main, ["rules", "show", rulebook.hash[:8], "--db", url,
                                           "--file", "sanctions.yaml"])
    assert result.exit_code == 0
    assert result.output == (f"# rulebook {rulebook.hash}\n# ---- sanctions.yaml\n"
                             + (COUNTY / "sanctions.yaml").read_text(encoding="utf-8"))
    result = CliRunner().invoke(cli.main, ["rules", "show", "ffffffff", "--db", url])
    assert result.exit_code == cli.EXIT_BAD_INPUT and "no stored rulebook" in result.output
