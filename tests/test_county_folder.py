"""One county folder: everything a county would change is data in it, hashed together, and
``--rules DIR`` changes all of it — rules, labels, wording, documents, responsibility list."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from engine.rulebook import load_rulebook
from engine.rulebook.load import county_files, rulebook_hash
from tests.conftest import COUNTY, copy_county, write_jsonl
from tests.engine_support import c2

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_hash_covers_every_county_file_and_nothing_else(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    before = rulebook_hash(folder)
    files = county_files(folder)
    names = {p.name for p in files}
    assert {"sanctions.yaml", "labels.yaml", "county.yaml", "wording.yaml",
            "responsibility_list.yaml"} <= names
    assert len([p for p in files if p.parent.name == "circumstances"]) == 7
    for path in files:
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        assert rulebook_hash(folder) != before, path.name
        path.write_bytes(original)
    assert rulebook_hash(folder) == before
    (folder / "tests" / "c1_team_disunity.yaml").write_text("# a rule test changes no outcome\n")
    (folder / "README.md").write_text("说明\n", encoding="utf-8")
    assert rulebook_hash(folder) == before


def _changed_county(tmp_path: Path) -> Path:
    folder = copy_county(tmp_path / "rules")

    def edit(name: str, old: str, new: str) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    edit("labels.yaml", "admonition: 诫勉谈话", "admonition: 诫勉约谈")
    edit("county.yaml", "number_prefix: 县领建", "number_prefix: 县领问")
    edit("wording.yaml", "此类情形一般给予", "此类情形通常给予")
    edit("responsibility_list.yaml", "制定党支部工作计划", "制定并公开党支部工作计划")
    edit("responsibility_list.yaml", "code: bs01,", "code: bs01,")  # the code stays
    return folder


def test_rules_dir_reaches_labels_wording_documents_and_the_responsibility_list(
        sqlite_store, tmp_path) -> None:
    folder = _changed_county(tmp_path)
    db = str(sqlite_store.url)
    facts = write_jsonl(tmp_path / "c2.jsonl", c2())
    runner = CliRunner()
    assert runner.invoke(cli.main, ["ingest", str(facts), "--rules", str(folder), "--db", db]
                         ).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(cli.main, ["nightly", "--as-of", "2026-11-25", "--rules", str(folder),
                                      "--out", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    assert "诫勉约谈" in result.output  # the run summary uses the county's label
    [html] = (out / "2026-11-25").glob("R*.html")
    text = html.read_text(encoding="utf-8")
    assert "县领问〔2026〕1号" in text  # the issuing body's number series
    assert "建议给予刘支书同志诫勉约谈" in text  # labels
    assert "此类情形通常给予诫勉约谈" in text  # wording of the escalation steps
    assert "制定并公开党支部工作计划" in text  # the responsibility list's task names
    assert load_rulebook(folder).hash[:16] in text
    shown = runner.invoke(cli.main, ["recommendations", "list", "--rules", str(folder), "--db", db])
    assert "待审核" in shown.output


def test_ingest_checks_task_codes_against_the_folder_it_is_given(sqlite_store, tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    path = folder / "responsibility_list.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("code: bs01,", "code: bs01x,", 1), encoding="utf-8")
    facts = write_jsonl(tmp_path / "c2.jsonl", c2())
    db = str(sqlite_store.url)
    refused = CliRunner().invoke(cli.main, ["ingest", str(facts), "--rules", str(folder), "--db", db])
    assert refused.exit_code == cli.EXIT_BAD_INPUT and "unknown task code 'bs01'" in refused.output
    assert CliRunner().invoke(cli.main, ["ingest", str(facts), "--db", db]).exit_code == 0


@pytest.mark.parametrize("name", ["labels.yaml", "county.yaml", "wording.yaml"])
def test_a_county_file_that_is_missing_is_a_rule_error(tmp_path, name) -> None:
    folder = copy_county(tmp_path / "rules")
    (folder / name).unlink()
    result = CliRunner().invoke(cli.main, ["rules", "check", "--rules", str(folder)])
    assert result.exit_code == cli.EXIT_RULEBOOK and f"{name} is missing" in result.output


def test_a_label_missing_for_a_code_and_a_broken_sentence_are_rule_errors(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    labels = folder / "labels.yaml"
    labels.write_text(labels.read_text(encoding="utf-8").replace("  probation: 留党察看\n", ""),
                      encoding="utf-8")
    wording = folder / "wording.yaml"
    wording.write_text(wording.read_text(encoding="utf-8").replace(
        "aggravating: 从重情节：{{ label }}", "aggravating: 从重情节：{{ label }"), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["rules", "check", "--rules", str(folder)])
    assert result.exit_code == cli.EXIT_RULEBOOK
    assert "labels.yaml:" in result.output and "forms: no label for probation" in result.output
    assert re.search(r"wording\.yaml:\d+:\d+: steps\.aggravating:", result.output)


def _python_sources() -> list[Path]:
    folders = ["engine", "documents", "usecases", "facts", "review"]
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")
            if "migrations" not in p.parts and not p.name.startswith("demo")]


def test_no_label_table_or_county_wording_in_python() -> None:
    """Dicts and lists of Chinese strings (label tables) belong in the county folder."""
    found = []
    for path in _python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            values = (node.values if isinstance(node, ast.Dict)
                      else node.elts if isinstance(node, ast.List | ast.Tuple | ast.Set) else [])
            chinese = [v for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                       and CJK.search(v.value)]
            table = isinstance(node, ast.Dict) or len(chinese) == len(values)
            if table and len(chinese) >= 2 and path.name != "fonts.py":  # font names are no wording
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
    county = (COUNTY / "county.yaml").read_text(encoding="utf-8")
    name = re.search(r"^name: (\S+)", county, re.M).group(1)
    for path in _python_sources():
        assert name not in path.read_text(encoding="utf-8"), path
