"""Data is never read as markup or control: what the terminal prints is the fact text as it is.

Rich markup in a name (``[/x]`` once crashed ``recommendations list``; ``[ledger]`` vanished
from error lines) is printed literally; escape sequences and bidi overrides are shown
visibly instead of obeyed, in tables, in ``show``, in error lines and in ``--json``.
"""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from sqlalchemy import select, update

import cli
from engine.run.evaluate import evaluate
from facts.recommendation_tables import RecommendationRow
from tests.conftest import load, write_jsonl
from tests.engine_support import coal
from usecases.terminal import json_literal, literal, plain

ESC_AND_BIDI = "\x1b[2J\x1b]0;pwned\x07\u202etxt.exe\u2066"


def _invoke(*args: str):  # noqa: ANN202
    # wide enough that the table does not fold the long marked-up names these tests use
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli.main, list(args))


def test_literal_shows_every_control_and_bidi_character_visibly() -> None:
    shown = literal(ESC_AND_BIDI + "\x00\x7f\x9b第\t一\n")
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "␛[2J" in shown and "<U+202E>" in shown and "<U+2066>" in shown and "␀" in shown
    assert "第\t一\n" in shown  # tab, newline and Chinese text untouched
    assert plain("[/x][red]张三[/]") == "\\[/x]\\[red]张三\\[/]"
    assert json.loads(json_literal(json.dumps(ESC_AND_BIDI, ensure_ascii=False))) == ESC_AND_BIDI
    assert "\u202e" not in json_literal(json.dumps(ESC_AND_BIDI, ensure_ascii=False))


def test_markup_in_a_name_is_printed_as_it_is_in_list_and_show(sqlite_store, tmp_path) -> None:
    facts = coal()
    for fact in facts:
        if fact["kind"] == "person":
            fact["name"] = f"[/x][bold red]{fact['name']}[/]"
    load(sqlite_store, facts, tmp_path)
    evaluate(sqlite_store, date(2026, 11, 25))
    url = str(sqlite_store.url)
    listed = _invoke("recommendations", "list", "--db", url)
    assert listed.exit_code == 0, listed.output
    assert "[/x][bold red]" in listed.output
    with sqlite_store.connect() as connection:
        rec_id = connection.execute(select(RecommendationRow.__table__.c.id)).scalars().first()
    shown = _invoke("recommendations", "show", rec_id, "--db", url)
    assert shown.exit_code == 0, shown.output
    assert "[/x][bold red]" in shown.output


def test_escape_sequences_and_bidi_overrides_are_shown_not_obeyed(sqlite_store, tmp_path) -> None:
    load(sqlite_store, coal(), tmp_path)
    evaluate(sqlite_store, date(2026, 11, 25))
    table = RecommendationRow.__table__
    with sqlite_store.begin() as connection:  # past ingestion, as an older store may hold it
        row = connection.execute(select(table.c.id, table.c.explanation)).first()
        explanation = dict(row.explanation)
        explanation["subject"] = {**explanation["subject"], "name": "张" + ESC_AND_BIDI}
        connection.execute(update(table).where(table.c.id == row.id).values(
            person_name="张" + ESC_AND_BIDI, explanation=explanation))
    url = str(sqlite_store.url)
    for args in (("recommendations", "list"), ("recommendations", "show", row.id),
                 ("recommendations", "list", "--json"), ("recommendations", "show", row.id, "--json")):
        result = _invoke(*args, "--db", url)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\u202e" not in result.output, args
        assert "\x07" not in result.output and "\u2066" not in result.output, args
    shown = _invoke("recommendations", "show", row.id, "--db", url).output
    assert "张␛[2J␛]0;pwned␇<U+202E>txt.exe<U+2066>" in shown


def test_error_lines_keep_file_names_and_text_with_brackets(sqlite_store, tmp_path) -> None:
    bad = write_jsonl(tmp_path / "exports[ledger][red].jsonl",
                      [{"kind": "unit", "id": "U-[/x]", "name": "县[bold]局", "type": "nonsense"}])
    result = _invoke("ingest", str(bad), "--db", str(sqlite_store.url))
    assert result.exit_code == cli.EXIT_BAD_INPUT, result.output
    assert "exports[ledger][red].jsonl" in result.output
    assert "Traceback" not in result.output


def test_report_prints_exception_text_literally(capsys) -> None:
    from facts.errors import StoreBusy

    code = cli._report(StoreBusy("store [/x] busy " + ESC_AND_BIDI))
    assert code == cli.EXIT_BUSY
    err = capsys.readouterr().err
    assert "store [/x] busy ␛[2J" in err and "\u202e" not in err
