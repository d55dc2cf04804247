"""The rule language as policy staff meet it: ``wenze rules check`` and what the CLI shows back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from engine.rulebook import RulebookError, load_rulebook
from tests.conftest import copy_county, load
from tests.engine_support import coal

CONTRACT = (
    "id",
    "person",
    "person_name",
    "unit",
    "circumstance",
    "responsibility",
    "degree",
    "form",
    "proposer",
    "rule",
    "rule_version",
    "evidence",
    "status",
)


def _broken_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    copy_county(rules)
    folder = rules / "circumstances"

    def edit(name: str, old: str, new: str) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    edit("c4_leader_proposal.yaml", "fact: proposal", "fact: propsal")  # unknown kind
    edit("c3_corruption.yaml", "category: corruption", "catgory: corruption")  # unknown field
    # a clause that refers to a later one
    edit(
        "c2_reminder_ineffective.yaml",
        "reminder: {same: reminder.id}",
        "reminder: {same: recheck.id}",
    )
    edit("c1_team_disunity.yaml", "as_of - 2y", "as_of minus 2 years")  # bad date expression
    path = folder / "c3_frequent_problems.yaml"  # no legal basis
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "basis:")
    end = next(i for i, line in enumerate(lines) if line.strip() == "match:")
    path.write_text("\n".join(lines[:start] + lines[end:]) + "\n", encoding="utf-8")
    (folder / "zz_broken.yaml").write_text(
        "id: broken\ntitle: [unclosed\ncircumstance: 1\n", encoding="utf-8"
    )  # YAML syntax error
    return rules


def test_every_rule_error_is_reported_at_once_with_file_line_and_column(tmp_path) -> None:
    rules = _broken_rules(tmp_path)
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    errors = caught.value.errors
    expected = {
        "c4_leader_proposal.yaml": ("unknown fact kind 'propsal'", "fact: propsal"),
        "c3_corruption.yaml": ("violation has no field 'catgory'", "catgory: corruption"),
        "c2_reminder_ineffective.yaml": (
            "'recheck' is not an earlier clause",
            "reminder: {same: recheck.id}",
        ),
        "c1_team_disunity.yaml": ("as_of [± Nd]", "date: {on_or_after: as_of minus 2 years}"),
        "c3_frequent_problems.yaml": ("basis: missing (required)", None),
        "zz_broken.yaml": ("not valid YAML", None),
    }
    for name, (message, line_text) in expected.items():
        mine = [e for e in errors if Path(e.file).name == name]
        assert mine, f"no error for {name}: {[str(e) for e in errors]}"
        error = next((e for e in mine if message in e.message), None)
        assert error is not None, (name, [str(e) for e in mine])
        assert error.line >= 1 and error.column >= 1
        assert str(error).startswith(f"{error.file}:{error.line}:{error.column}: ")
        if line_text:  # the position points at the offending line
            source = (rules / "circumstances" / name).read_text(encoding="utf-8").splitlines()
            assert source[error.line - 1].strip().removeprefix("- ") == line_text
            assert source[error.line - 1][error.column - 1 :].startswith(line_text.split(":")[0])
    assert next(e for e in errors if Path(e.file).name == "zz_broken.yaml").line in (2, 3)


def test_rules_check_exits_2_and_evaluate_with_those_rules_evaluates_nothing(tmp_path) -> None:
    rules = _broken_rules(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli.main, ["rules", "check", "--rules", str(rules)])
    assert result.exit_code == 2
    for name in (
        "c4_leader_proposal.yaml:",
        "c3_corruption.yaml:",
        "c2_reminder_ineffective.yaml:",
        "c1_team_disunity.yaml:",
        "c3_frequent_problems.yaml:",
        "zz_broken.yaml:",
    ):
        assert name in result.output, name
    db = f"sqlite:///{tmp_path}/w.db"
    from facts.store import open_store

    store = open_store(db)
    load(store, coal(), tmp_path)
    result = runner.invoke(
        cli.main, ["evaluate", "--as-of", "2026-11-25", "--rules", str(rules), "--db", db]
    )
    assert result.exit_code == 2 and "nothing was evaluated" in result.output
    listed = runner.invoke(cli.main, ["recommendations", "list", "--json", "--db", db])
    assert json.loads(listed.output) == []
    # the same facts with the bundled rules do produce recommendations
    assert runner.invoke(cli.main, ["evaluate", "--as-of", "2026-11-25", "--db", db]).exit_code == 0
    assert (
        len(
            json.loads(
                runner.invoke(cli.main, ["recommendations", "list", "--json", "--db", db]).output
            )
        )
        == 2
    )


def test_the_json_list_fills_the_contract_and_show_reaches_back_to_sources(store, tmp_path) -> None:
    load(store, coal(), tmp_path, "coal.jsonl")
    runner = CliRunner()
    db = store.url.render_as_string(hide_password=False)
    assert runner.invoke(cli.main, ["evaluate", "--as-of", "2026-11-25", "--db", db]).exit_code == 0
    items = json.loads(
        runner.invoke(cli.main, ["recommendations", "list", "--json", "--db", db]).output
    )
    assert {(i["person"], i["responsibility"]) for i in items} == {
        ("P-SEC", "leadership"),
        ("P-DIS", "supervisory"),
    }
    for item in items:
        for name in CONTRACT:
            assert item.get(name) not in (None, "", []), name
        assert item["status"] == "pending" and item["rule_version"] == 1
        assert item["circumstance"] == 3
        shown = runner.invoke(
            cli.main, ["recommendations", "show", item["id"], "--json", "--db", db]
        )
        detail = json.loads(shown.output)
        evidence = detail["explanation"]["evidence"]
        assert (
            [f"{e['kind']}:{e['id']}" for e in evidence]
            == item["evidence"]
            == ["violation:V-GAMBLE", "inspection:I-1"]  # the conduct, and the inspection that found it
        )
        # the violation is line 13 of the file it was ingested from
        assert evidence[0]["src"] == "coal.jsonl:13"
        assert evidence[0]["fields"]["actors"] == ["S1", "S2", "S3"]
        assert detail["explanation"]["post"]["post_id"] in ("PO-SEC", "PO-DIS")
        basis = detail["explanation"]["basis"]
        assert basis and all(b["text"] for b in basis)
        # the county's list, then 第六条 (degrees of leadership responsibility) for the
        # secretary only: it is not quoted against a discipline secretary's supervision
        assert basis[0]["article"] == "问责情形第三项"
        if item["responsibility"] == "leadership":
            assert basis[1]["document"].startswith("《中国共产党问责条例》")
            assert basis[1]["article"] == "第六条"
        else:
            assert len(basis) == 1
    human = runner.invoke(cli.main, ["recommendations", "list", "--db", db]).output
    # the 80-column table wraps the form over two lines: 通报批评（建议 / 立案审查）
    assert "张建国" in human and "通报批评（建议" in human and "立案审查）" in human


def test_a_rule_with_an_ordered_comparison_on_a_maybe_missing_field_in_absent_is_refused(
    tmp_path,
) -> None:
    """durable_rules fails a whole run on such a comparison; the check says how to write it."""
    rules = tmp_path / "rules"
    copy_county(rules)
    rule = """id: x-absent-due
title: 到期未整改
circumstance: 2
versions:
  - version: 1
    effective: {from: 2016-01-01}
    basis: [{document: 测试, article: 一, text: 测试}]
    match:
      - fact: reminder
        as: reminder
    absent:
      fact: rectification
      where:
        reminder: {same: reminder.id}
        date: {on_or_before: reminder.due}
    finding:
      subject: {person: reminder.person}
      responsibility: principal
      severity: minor
      proposer: supervising_leader
      conduct_date: reminder.date
"""
    path = rules / "circumstances" / "x.yaml"
    path.write_text(rule, encoding="utf-8")
    with pytest.raises(RulebookError, match=r"x.yaml:15:9: date: reminder.due may be missing"):
        load_rulebook(rules)
    path.write_text(
        rule.replace(
            "        as: reminder\n", "        as: reminder\n        where: {due: {exists: true}}\n"
        ),
        encoding="utf-8",
    )
    assert any(v.rule_id == "x-absent-due" for v in load_rulebook(rules).versions)
