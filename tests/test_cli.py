"""The command line as an operator and a newcomer meet it: each exit code, one-line errors,
and a README that names every command and every exit code the CLI has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len as cell_width
from sqlalchemy import select

import cli
from engine.durable import workers
from facts.recommendation_tables import EvaluationRun, RecommendationRow
from tests.conftest import load
from tests.engine_support import coal

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _invoke(*args: str) -> object:
    return CliRunner().invoke(cli.main, list(args))


@pytest.fixture
def coal_db(sqlite_store, tmp_path) -> str:
    """A store with the coal-bureau case loaded, nothing evaluated yet; its URL."""
    load(sqlite_store, coal(), tmp_path)
    return str(sqlite_store.url)


def _runs(db: str) -> list[str]:
    from facts.store import open_store

    with open_store(db).connect() as connection:
        return list(connection.execute(select(EvaluationRun.__table__.c.status)).scalars())


def _recommendations(db: str) -> int:
    from facts.store import open_store

    with open_store(db).connect() as connection:
        return len(connection.execute(select(RecommendationRow.__table__.c.id)).all())


@pytest.mark.parametrize("args", [
    ("evaluat",),  # no such command
    ("evaluate", "--as-of", "2026-13-01"),  # not a date
    ("evaluate", "--evaluator", "drools"),  # not a choice
    ("facts", "list", "ledger", "--since", "yesterday"),
])
def test_usage_errors_exit_64_in_one_line_not_the_rulebook_code(args, tmp_path) -> None:
    result = _invoke(*args, *(["--db", f"sqlite:///{tmp_path}/x.db"] if args[0] != "evaluat" else []))
    assert result.exit_code == cli.EXIT_USAGE != cli.EXIT_RULEBOOK
    assert "Traceback" not in result.output and "Error:" in result.output


def test_a_date_that_is_not_a_date_names_the_option_and_the_value(tmp_path) -> None:
    result = _invoke("evaluate", "--as-of", "2026-13-01", "--db", f"sqlite:///{tmp_path}/x.db")
    assert "'--as-of'" in result.output and "'2026-13-01' is not a date (YYYY-MM-DD)" in result.output


def test_exit_0_when_the_run_is_done(coal_db) -> None:
    result = _invoke("evaluate", "--as-of", "2026-11-25", "--db", coal_db)
    assert result.exit_code == 0, result.output
    assert "问责建议 2 条" in result.output


def test_exit_1_for_bad_rows_and_for_a_recommendation_that_does_not_exist(tmp_path, coal_db) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "unit", "id": "U9", "name": "某局", "type": "bureau"}\n',
                   encoding="utf-8")
    result = _invoke("ingest", str(bad), "--db", coal_db)
    assert result.exit_code == cli.EXIT_BAD_INPUT
    assert "bad.jsonl:1: type:" in result.output and "nothing was loaded" in result.output
    result = _invoke("recommendations", "show", "R-NOPE", "--db", coal_db)
    assert result.exit_code == cli.EXIT_BAD_INPUT and "no recommendation R-NOPE" in result.output


def test_exit_3_when_the_evaluation_fails_and_nothing_is_committed(coal_db, tmp_path,
                                                                  monkeypatch) -> None:
    monkeypatch.setattr(workers, "evaluate_batch", lambda batch: workers.os._exit(9))
    result = _invoke("nightly", "--as-of", "2026-11-25", "--out", str(tmp_path / "out"),
                     "--db", coal_db)
    assert result.exit_code == cli.EXIT_RUN_FAILED, result.output
    assert "no recommendation was changed" in result.output
    assert "committed" not in result.output.replace("no recommendation was changed", "")
    assert _recommendations(coal_db) == 0 and _runs(coal_db) == ["failed"]


def test_exit_3_not_4_when_the_output_folder_cannot_be_used_before_evaluating(coal_db,
                                                                             tmp_path) -> None:
    """An OSError before the evaluation is a failed run: nothing was committed, so not exit 4."""
    a_file = tmp_path / "out"
    a_file.write_text("a file where the documents folder should be", encoding="utf-8")
    result = _invoke("nightly", "--as-of", "2026-11-25", "--out", str(a_file / "documents"),
                     "--db", coal_db)
    assert result.exit_code == cli.EXIT_RUN_FAILED, result.output
    assert "recommendations are committed" not in result.output
    assert _recommendations(coal_db) == 0 and _runs(coal_db) == []


def test_exit_4_before_anything_is_committed_when_a_template_is_broken(coal_db, tmp_path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "recommendation.html").write_text("第一行\n{{ no_such_field }}", encoding="utf-8")
    result = _invoke("nightly", "--as-of", "2026-11-25", "--out", str(tmp_path / "out"),
                     "--templates", str(templates), "--db", coal_db)
    assert result.exit_code == cli.EXIT_DOCUMENTS, result.output
    assert "recommendation.html, line 2: 'no_such_field' is undefined" in result.output
    assert "Traceback" not in result.output and "nothing was evaluated" in result.output
    assert _recommendations(coal_db) == 0 and _runs(coal_db) == []


def test_exit_4_when_only_the_documents_fail_and_the_run_stays_committed(coal_db, tmp_path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    # renders for the sample the templates are checked with, fails for one real recommendation
    (templates / "recommendation.html").write_text(
        '{% extends "bundled:recommendation.html" %}{% block doc_title %}'
        '{% if e.subject.name == "张建国" %}{{ no_such_field }}{% endif %}{% endblock %}',
        encoding="utf-8")
    out = tmp_path / "out" / "2026-11-25"
    result = _invoke("nightly", "--as-of", "2026-11-25", "--out", str(tmp_path / "out"),
                     "--templates", str(templates), "--db", coal_db)
    assert result.exit_code == cli.EXIT_DOCUMENTS, result.output
    assert "1 document(s) not written" in result.output and "no_such_field" in result.output
    assert "Traceback" not in result.output
    assert _recommendations(coal_db) == 2 and _runs(coal_db) == ["committed"]
    assert len(list(out.glob("R*.pdf"))) == 1  # the other one was written
    # the next run, with the templates fixed, writes what is missing
    result = _invoke("nightly", "--as-of", "2026-11-25", "--out", str(tmp_path / "out"),
                     "--db", coal_db)
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("R*.pdf"))) == 2


def test_exit_6_when_the_store_cannot_be_reached() -> None:
    result = _invoke("runs", "--db", "postgresql://postgres@127.0.0.1:1/none")
    assert result.exit_code == cli.EXIT_STORE
    assert "cannot open the store" in result.output and "Traceback" not in result.output


def test_the_readme_documents_every_exit_code_and_every_command() -> None:
    codes = {value for name, value in vars(cli).items() if name.startswith("EXIT_")}
    exit_line = README[README.index("Exit codes:"):]
    documented = {int(n) for n in re.findall(r"(?:^|[;:]\s*)(\d+)\s", exit_line[:1200])}
    assert codes <= documented | {0}, codes - documented

    def commands(group: object, prefix: str = "wenze") -> list[str]:
        found = []
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                found += commands(command, f"{prefix} {name}")
            else:
                found.append(f"{prefix} {name}")
        return found

    missing = [c for c in commands(cli.main) if f"`{c}" not in README]
    assert not missing, missing


def test_db_works_before_the_command_as_the_readme_shows(coal_db, tmp_path) -> None:
    result = _invoke("--db", coal_db, "facts", "stats", "--json")
    assert result.exit_code == 0, result.output
    assert '"violation": 1' in result.output
    # given after the command too, the nearer one wins
    result = _invoke("--db", f"sqlite:///{tmp_path}/other.db", "facts", "stats", "--json",
                     "--db", coal_db)
    assert '"violation": 1' in result.output


@pytest.mark.parametrize(("kind", "option", "value", "expected"), [
    ("unit", "--unit", "U-COAL", '"id": "U-COAL"'),  # a unit's own --unit is its id
    ("person", "--person", "P-SEC", '"id": "P-SEC"'),
    ("person", "--unit", "U-COAL", '"unit": "U-COAL"'),
    ("post", "--person", "P-SEC", '"person": "P-SEC"'),
    ("violation", "--unit", "U-COAL", '"id": "V-GAMBLE"'),
])
def test_facts_list_filters_every_kind_that_has_the_field(coal_db, kind, option, value,
                                                          expected) -> None:
    result = _invoke("facts", "list", kind, option, value, "--db", coal_db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines and all(expected in line for line in lines), result.output


@pytest.mark.parametrize(("kind", "option", "says"), [
    ("ledger", "--unit", "ledger facts have no unit field"),
    ("violation", "--person", "a violation names its persons in actors"),
    ("unit", "--person", "unit facts have no person field"),
    ("person", "--since", "person facts have no date"),
])
def test_facts_list_says_where_a_kind_has_no_such_field(coal_db, kind, option, says) -> None:
    value = "2026-01-01" if option == "--since" else "X"
    result = _invoke("facts", "list", kind, option, value, "--db", coal_db)
    assert result.exit_code == cli.EXIT_USAGE, result.output
    assert says in result.output and "Traceback" not in result.output
    assert [line.startswith("Error:") for line in result.output.splitlines()].count(True) == 1


def test_recommendations_list_fits_80_columns_and_show_takes_the_document_number(coal_db,
                                                                                tmp_path) -> None:
    assert _invoke("evaluate", "--as-of", "2026-11-25", "--db", coal_db).exit_code == 0
    listed = _invoke("recommendations", "list", "--json", "--db", coal_db)
    ids = [item["id"] for item in json.loads(listed.output)]
    assert _invoke("render", ids[0], "--format", "html", "-o", str(tmp_path / "d.html"),
                   "--db", coal_db).exit_code == 0  # the document gets its number
    number = json.loads(_invoke("recommendations", "list", "--json", "--db", coal_db).output)[0]["number"]
    assert re.fullmatch(r"\S+〔2026〕\d+号", number)
    table = CliRunner(env={"COLUMNS": "80"}).invoke(cli.main, ["recommendations", "list", "--db", coal_db])
    assert table.exit_code == 0, table.output
    assert max(cell_width(line) for line in table.output.splitlines()) <= 80
    assert all(i in table.output for i in ids) and number in table.output  # ids never cut
    shown = _invoke("recommendations", "show", number, "--db", coal_db)
    assert shown.exit_code == 0 and f"问责建议 {ids[0]}" in shown.output and number in shown.output


def test_nightly_says_where_to_look_and_what_to_run_next(coal_db, tmp_path) -> None:
    result = _invoke("nightly", "--as-of", "2026-11-25", "--out", str(tmp_path / "out"),
                     "--db", coal_db)
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'out' / '2026-11-25' / 'index.html'}" in result.output
    assert "写入问责建议书 2 份（6 个文件）" in result.output
    assert "wenze recommendations list" in result.output and "wenze report quarterly 2026Q3" in result.output
    assert "━" not in result.output  # no progress bar when the output is not a terminal


def test_demo_says_what_to_run_next(tmp_path) -> None:
    result = _invoke("demo", "--scale", "0.02", "--out", str(tmp_path / "exports"))
    assert result.exit_code == 0, result.output
    assert f"wenze ingest {tmp_path / 'exports'}/*.jsonl" in result.output
    assert "wenze nightly" in result.output and "index.html" in result.output


def test_the_readme_points_only_at_files_in_the_repository() -> None:
    root = Path(__file__).resolve().parent.parent
    assert "../" not in README and "/work/" not in README
    ignored = [line.strip().rstrip("/") for line in (root / ".gitignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for path in re.findall(r"`((?:[A-Za-z_][\w.-]*/)+[\w.-]*)`", README):
        made_by_a_run = any(path.startswith(f"{i}/") or path.rstrip("/") == i for i in ignored)
        if (root / path.split("/")[0]).is_dir() and not made_by_a_run:
            assert (root / path).exists(), path  # a path into the repository names what is there
