"""Documents are never lost, templates cannot read the machine, long text lays out (issue 9):
a kill between formats is repaired, each day's index lists every document of the day, control
characters show in every format, one failing document does not stop the others, a template
folder cannot lead out of itself, and a 6,000-character fact takes a few pages."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.shared import Mm
from pypdf import PdfReader
from sqlalchemy import update

import cli
import documents.formats as formats
from documents.checks import check_templates
from documents.errors import TemplateProblem
from documents.formats import from_html
from documents.recommendation import context, render_html, render_recommendation
from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from engine.run.read import get_recommendation, list_recommendations
from facts.ingest import ingest
from facts.recommendation_tables import RecommendationRow
from tests.conftest import load, write_jsonl
from tests.engine_support import coal
from usecases.nightly import run_nightly, write_documents

RULEBOOK = load_rulebook()
COAL = coal()
DAY = "2026-11-25"
FORMATS = ("html", "pdf", "docx")


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _nightly(store, out: Path, *extra: str):  # noqa: ANN202
    return CliRunner().invoke(cli.main, ["nightly", "--as-of", DAY, "--out", str(out),
                                         "--db", str(store.url), *extra])


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _set_summary(store, rec_id: str, summary: str, src: str | None = None) -> None:
    """Give a stored recommendation's first evidence another text (what ingestion would have
    to let through), without another evaluation rewriting it."""
    explanation = get_recommendation(store, rec_id)["explanation"]
    explanation["evidence"][0]["summary"] = summary
    if src is not None:
        explanation["evidence"][0]["src"] = src
    table = RecommendationRow.__table__
    with store.begin() as connection:
        connection.execute(update(table).where(table.c.id == rec_id).values(explanation=explanation))


# -- documents are never lost ------------------------------------------------------------


def test_a_kill_between_formats_is_repaired_by_the_next_run(sqlite_store, tmp_path) -> None:
    load(sqlite_store, COAL, tmp_path)
    out = tmp_path / "out"
    first = run_nightly(sqlite_store, out, RULEBOOK, date(2026, 11, 25))
    folder = out / DAY
    rec_id = first.run.new[0]
    html = (folder / f"{rec_id}.html").read_bytes()
    # killed after the HTML: no PDF, no DOCX, half a PDF under its temporary name
    (folder / f"{rec_id}.pdf").unlink()
    (folder / f"{rec_id}.docx").unlink()
    (folder / f"{rec_id}.pdf.part").write_bytes(b"%PDF-half")
    result = _nightly(sqlite_store, out)
    assert result.exit_code == 0, result.output
    assert {f"{i}.{f}" for i in first.run.new for f in FORMATS} <= _files(folder)
    assert not list(folder.glob("*.part"))
    assert (folder / f"{rec_id}.html").read_bytes() == html  # completed from the HTML there
    assert "张建国" in _pdf_text((folder / f"{rec_id}.pdf").read_bytes()) or \
        "李纪明" in _pdf_text((folder / f"{rec_id}.pdf").read_bytes())
    assert _docx_text((folder / f"{rec_id}.docx").read_bytes())
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert f'href="{rec_id}.pdf"' in index and f'href="{rec_id}.docx"' in index


def test_a_run_killed_after_its_commit_has_its_changed_documents_rewritten_by_the_next(
        sqlite_store, tmp_path) -> None:
    """The night's evaluation committed a changed recommendation, then the run died before
    its documents: the next run finds nothing changed, yet the document must follow."""
    load(sqlite_store, COAL, tmp_path)
    out = tmp_path / "out"
    first = run_nightly(sqlite_store, out, RULEBOOK, date(2026, 11, 24))
    rec_id = next(i for i in first.run.new
                  if "张建国" in (out / "2026-11-24" / f"{i}.html").read_text(encoding="utf-8"))
    corrected = [{**f, "description": "工作时间在办公室打麻将赌博"} if f["id"] == "V-GAMBLE" else f
                 for f in COAL]
    report = ingest(sqlite_store, [write_jsonl(tmp_path / "corrected.jsonl", corrected)],
                    replace=True)
    assert not report.errors
    changed = evaluate(sqlite_store, date(2026, 11, 25), RULEBOOK)  # committed; no documents
    assert rec_id in changed.changed
    result = _nightly(sqlite_store, out)
    assert result.exit_code == 0, result.output
    html = (out / DAY / f"{rec_id}.html").read_text(encoding="utf-8")
    assert "打麻将" in html  # written anew from the committed explanation
    assert "打麻将" in _pdf_text((out / DAY / f"{rec_id}.pdf").read_bytes())
    again = _nightly(sqlite_store, out)  # and once written, it is left alone
    assert again.exit_code == 0 and (out / DAY / f"{rec_id}.html").read_text(encoding="utf-8") == html


def test_a_format_that_fails_once_is_written_by_the_next_run(sqlite_store, tmp_path,
                                                             monkeypatch) -> None:
    load(sqlite_store, COAL, tmp_path)
    out, folder = tmp_path / "out", tmp_path / "out" / DAY
    real, failed = formats.from_html, []

    def dies_once(html: str, fmt: str) -> bytes:
        if fmt == "pdf" and not failed:
            failed.append(fmt)
            raise OSError("No space left on device")
        return real(html, fmt)

    monkeypatch.setattr(formats, "from_html", dies_once)
    result = _nightly(sqlite_store, out)
    assert result.exit_code == cli.EXIT_DOCUMENTS, result.output
    ids = sorted(r["id"] for r in list_recommendations(sqlite_store))
    assert len(ids) == 2 and "Traceback" not in result.output
    assert f"{ids[0]}: OSError: No space left on device" in result.output
    assert not any(p.startswith(ids[0]) for p in _files(folder))  # nothing half written
    assert {f"{ids[1]}.{f}" for f in FORMATS} <= _files(folder)  # the other one was written
    assert ids[1] in (folder / "index.html").read_text(encoding="utf-8")
    monkeypatch.undo()
    result = _nightly(sqlite_store, out)
    assert result.exit_code == 0, result.output
    assert {f"{i}.{f}" for i in ids for f in FORMATS} <= _files(folder)


def test_the_index_lists_every_document_of_the_day(sqlite_store, tmp_path) -> None:
    load(sqlite_store, COAL, tmp_path)
    out, folder = tmp_path / "out", tmp_path / "out" / DAY
    first = run_nightly(sqlite_store, out, RULEBOOK, date(2026, 11, 25))
    assert len(first.run.new) == 2
    second = run_nightly(sqlite_store, out, RULEBOOK, date(2026, 11, 25))
    assert second.run.new == [] and [p.name for p in second.documents] == ["index.html"]
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "张建国" in index and "李纪明" in index
    for rec_id in first.run.new:
        assert all(f'href="{rec_id}.{f}"' in index for f in FORMATS)
    # writing one document rebuilds the index from the folder, not from what was written
    write_documents(sqlite_store, folder, first.run.new[:1], second.run, RULEBOOK, ("html",))
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "张建国" in index and "李纪明" in index


def test_control_characters_show_in_every_format(sqlite_store, tmp_path) -> None:
    load(sqlite_store, COAL, tmp_path)
    run = evaluate(sqlite_store, date(2026, 11, 25))
    rec_id = run.new[0]
    _set_summary(sqlite_store, rec_id, "打牌\x1a赌博\x1b[31m红字\u202e倒序\x00完")
    folder = tmp_path / "out"
    write_documents(sqlite_store, folder, [rec_id], run, RULEBOOK)  # DOCX raised ValueError here
    html = (folder / f"{rec_id}.html").read_text(encoding="utf-8")
    for raw in ("\x1a", "\x1b", "\u202e", "\x00"):
        assert raw not in html
    shown = "打牌[U+001A]赌博[U+001B][31m红字[U+202E]倒序[U+0000]完"
    assert shown in html
    assert shown in _docx_text((folder / f"{rec_id}.docx").read_bytes())
    assert "[U+001A]" in _pdf_text((folder / f"{rec_id}.pdf").read_bytes())
    # whatever a staff template puts in the page is shown the same way, and DOCX takes it
    ctx = context(sqlite_store, rec_id, RULEBOOK)
    e = ctx.e.model_copy(update={"subject": ctx.e.subject.model_copy(update={"name": "张\x1a\ud800"})})
    page = render_html(replace(ctx, e=e))
    assert "张[U+001A][U+D800]" in page
    assert "张[U+001A][U+D800]" in _docx_text(from_html(page, "docx"))


# -- templates cannot read the machine ---------------------------------------------------


def test_a_symlink_out_of_the_templates_folder_is_refused_before_anything_is_committed(
        sqlite_store, tmp_path) -> None:
    load(sqlite_store, COAL, tmp_path)
    staff = tmp_path / "T"
    staff.mkdir()
    (staff / "recommendation.html").symlink_to("/etc/passwd")
    out = tmp_path / "out"
    result = _nightly(sqlite_store, out, "--templates", str(staff))
    assert result.exit_code == cli.EXIT_DOCUMENTS, result.output
    assert "outside the templates folder" in result.output and "recommendation.html" in result.output
    assert "root:" not in result.output and "Traceback" not in result.output
    assert list_recommendations(sqlite_store) == [] and not list(out.glob("*/R*"))
    # a folder linked out of it, and .., are refused as well
    (staff / "recommendation.html").unlink()
    (staff / "etc").symlink_to("/etc")
    (staff / "recommendation.html").write_text('{% include "etc/passwd" %}', encoding="utf-8")
    with pytest.raises(TemplateProblem, match="outside the templates folder"):
        check_templates(staff, RULEBOOK)
    (tmp_path / "secret.html").write_text("secret", encoding="utf-8")
    (staff / "recommendation.html").write_text('x\n{% include "../secret.html" %}', encoding="utf-8")
    with pytest.raises(TemplateProblem, match=r"recommendation\.html, line 2: template "
                                              r"'\.\./secret\.html' not found"):
        check_templates(staff, RULEBOOK)
    # a link that stays inside the folder is a template like any other
    (staff / "recommendation.html").unlink()
    (staff / "mine.html").write_text('{% extends "bundled:recommendation.html" %}', encoding="utf-8")
    (staff / "recommendation.html").symlink_to(staff / "mine.html")
    check_templates(staff, RULEBOOK)
    result = _nightly(sqlite_store, out, "--templates", str(staff))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("source", "message"), [
    ("一\n二\n{% if %}", r"recommendation\.html, line 3: Expected an expression"),
    ("一\n{% include 'nope.html' %}", r"recommendation\.html, line 2: template 'nope\.html' not found"),
    ("{{ e.__class__ }}", r"recommendation\.html, line 1: access to attribute '__class__'"),
    ("一\n{{ e.nothing.deeper }}", r"recommendation\.html, line 2: .*'nothing'"),
])
def test_template_problems_are_one_line_naming_template_and_line(tmp_path, source, message) -> None:
    staff = tmp_path / "T"
    staff.mkdir()
    (staff / "recommendation.html").write_text(source, encoding="utf-8")
    with pytest.raises(TemplateProblem, match=message) as refused:
        check_templates(staff, RULEBOOK)
    assert "\n" not in str(refused.value)


def test_a_broken_staff_template_of_another_page_is_found_before_the_run(tmp_path) -> None:
    staff = tmp_path / "T"
    staff.mkdir()
    (staff / "quarterly.html").write_text("{% block x %}", encoding="utf-8")
    with pytest.raises(TemplateProblem, match=r"quarterly\.html, line 1"):
        check_templates(staff, RULEBOOK)


# -- long text lays out ------------------------------------------------------------------


def test_a_6000_character_fact_without_break_points_lays_out_in_a_few_pages(sqlite_store,
                                                                             tmp_path) -> None:
    """Before: 26 pages and 158 s (32 pages and 397 s for 6,000 Chinese characters)."""
    load(sqlite_store, COAL, tmp_path)
    run = evaluate(sqlite_store, date(2026, 11, 25))
    rec_id = run.new[0]
    long_name = "export_" + "x" * 120 + ".jsonl:3"
    _set_summary(sqlite_store, rec_id, "A" * 6000, src=long_name)
    pdf = render_recommendation(sqlite_store, rec_id, "pdf", RULEBOOK)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) <= 10
    assert "A" * 20 in _pdf_text(pdf)
    docx = Document(io.BytesIO(render_recommendation(sqlite_store, rec_id, "docx", RULEBOOK)))
    table = docx.tables[0]
    assert table._tbl.tblPr.xpath("./w:tblLayout/@w:type") == ["fixed"]
    widths = [column.width for column in table.columns]
    assert min(widths) >= Mm(10) and widths[3] == max(widths)  # 内容 is the widest column
    html = render_recommendation(sqlite_store, rec_id, "html", RULEBOOK).decode()
    assert html.count("A" * 6000) == 1  # the whole text once, in the attachment
