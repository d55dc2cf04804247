"""Documents as a discipline officer checks them: content, layout, numbers, safety, formats."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from jinja2.exceptions import SecurityError
from pypdf import PdfReader

import cli
from documents import fonts
from documents.environment import chinese_date, environment
from documents.errors import TemplateProblem
from documents.numbering import PATTERN, assign
from documents.quarterly import render_quarterly
from documents.recommendation import render_recommendation
from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from engine.run.read import list_recommendations
from tests.conftest import load
from tests.engine_support import coal
from usecases.nightly import run_nightly

MM = 72 / 25.4
RULEBOOK = load_rulebook()
COAL = coal()


@pytest.fixture
def coal(sqlite_store, tmp_path):
    load(sqlite_store, COAL, tmp_path)
    evaluate(sqlite_store, date(2026, 11, 25))
    secretary = next(r for r in list_recommendations(sqlite_store) if r["person"] == "P-SEC")
    return sqlite_store, secretary["id"]


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


EXPECTED = ["张建国", "县煤炭局党委书记", "王一、王二、王三", "工作时间在办公室打牌赌博",
            "不正之风蔓延", "第六条", "通报批评", "立案审查", "主要领导责任",
            "中共溆浦县纪律检查委员会", "V-GAMBLE", "2026年11月25日"]


def test_html_document_says_what_the_explanation_says(coal) -> None:
    store, rec_id = coal
    html = render_recommendation(store, rec_id, "html", RULEBOOK).decode()
    for text in EXPECTED:
        assert text in re.sub(r"<[^>]+>", "", html), text
    assert re.search(r"县纪建〔2026〕[1-9]\d*号", html)
    # the post at the time of the conduct, with its start date
    assert "2025年7月1日起" in html and "赵前任" not in html


def test_pdf_is_a4_with_official_margins_and_embedded_cjk_fonts(coal, tmp_path) -> None:
    store, rec_id = coal
    data = render_recommendation(store, rec_id, "pdf", RULEBOOK)
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        assert abs(float(page.mediabox.width) - 210 * MM) < 1
        assert abs(float(page.mediabox.height) - 297 * MM) < 1
    text = _pdf_text(data).replace("\n", "")
    for expected in EXPECTED:
        assert expected in text, expected
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in listing.splitlines() if "CJK" in line or "Song" in line or "Fang" in line]
    assert cjk and all(" yes " in line for line in cjk)
    # every word of the body lies within the text block: 28 mm from the left, 37 mm from the top
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout
    words = [tuple(float(v) for v in m) for m in
             re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', boxes)]
    body = [w for w in words if w[3] < (297 - 35) * MM]  # page numbers sit below the block
    assert min(w[0] for w in body) >= 28 * MM - 1
    assert max(w[2] for w in body) <= (210 - 26) * MM + 1
    assert min(w[1] for w in body) >= 37 * MM - 1
    page_numbers = [w for w in words if w[1] > (297 - 35) * MM]
    assert page_numbers, "page numbers below the text block"


def test_docx_has_the_layout_and_the_content(coal) -> None:
    store, rec_id = coal
    data = render_recommendation(store, rec_id, "docx", RULEBOOK)
    document = Document(io.BytesIO(data))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    assert (round(section.bottom_margin.mm), round(section.right_margin.mm)) == (35, 26)
    text = _docx_text(data)
    for expected in EXPECTED:
        assert expected in text, expected
    footer_xml = section.footer._element.xml
    assert "PAGE" in footer_xml
    assert 'w:eastAsia="仿宋"' in document.styles["Normal"].element.xml


def test_reference_numbers_are_well_formed_unique_and_stable(sqlite_store) -> None:
    numbers = [assign(sqlite_store, f"R{i}", 2026, "县纪建") for i in range(12)]
    assert numbers[0] == "县纪建〔2026〕1号" and numbers[9] == "县纪建〔2026〕10号"
    assert len(set(numbers)) == 12 and all(PATTERN.match(n) for n in numbers)
    assert assign(sqlite_store, "R3", 2026, "县纪建") == numbers[3]  # a document keeps its number
    assert assign(sqlite_store, "R-next-year", 2027, "县纪建") == "县纪建〔2027〕1号"
    # each issuing body has its own series
    assert assign(sqlite_store, "R-org", 2026, "县组建") == "县组建〔2026〕1号"


def test_markup_in_a_fact_is_rendered_as_text(sqlite_store, tmp_path) -> None:
    facts = [dict(f) for f in COAL]
    for fact in facts:
        if fact["kind"] == "violation":
            fact["description"] = "<script>alert('x')</script>打牌"
    load(sqlite_store, facts, tmp_path)
    evaluate(sqlite_store, date(2026, 11, 25))
    rec_id = list_recommendations(sqlite_store)[0]["id"]
    html = render_recommendation(sqlite_store, rec_id, "html", RULEBOOK).decode()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_staff_templates_override_and_fall_back(coal, tmp_path) -> None:
    store, rec_id = coal
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "recommendation.html").write_text(
        '{% extends "base.html" %}{% block content %}<p>本县格式：{{ e.subject.name }}</p>{% endblock %}',
        encoding="utf-8")
    html = render_recommendation(store, rec_id, "html", RULEBOOK, templates_dir=custom).decode()
    assert "本县格式：张建国" in html and "@page" in html  # base.html and print.css came from the bundle
    (custom / "recommendation.html").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}",
                                                encoding="utf-8")
    with pytest.raises(TemplateProblem, match=r"recommendation\.html, line 1: access to attribute "
                                              "'__class__' of 'str' object is unsafe") as refused:
        render_recommendation(store, rec_id, "html", RULEBOOK, templates_dir=custom)
    assert isinstance(refused.value.__cause__, SecurityError) and "\n" not in str(refused.value)


def test_missing_cjk_font_is_a_clear_error(coal, monkeypatch) -> None:
    store, rec_id = coal
    monkeypatch.setattr(fonts, "installed_faces", lambda: {})
    with pytest.raises(fonts.MissingDependency, match="fonts-noto-cjk"):
        render_recommendation(store, rec_id, "pdf", RULEBOOK)


def test_chinese_dates() -> None:
    assert chinese_date(date(2026, 11, 25)) == "二〇二六年十一月二十五日"
    assert chinese_date(date(2026, 2, 10)) == "二〇二六年二月十日"
    assert chinese_date(date(2030, 10, 1)) == "二〇三〇年十月一日"


def test_render_command_writes_each_format(coal, tmp_path) -> None:
    store, rec_id = coal
    url = str(store.url)
    for fmt in ("html", "pdf", "docx"):
        out = tmp_path / f"doc.{fmt}"
        result = CliRunner().invoke(cli.main, ["render", rec_id, "--format", fmt, "-o", str(out), "--db", url])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    result = CliRunner().invoke(cli.main, ["render", "NOPE", "--format", "html", "-o", str(tmp_path / "x"),
                                           "--db", url])
    assert result.exit_code != 0 and "no recommendation NOPE" in result.output


def test_nightly_writes_each_new_recommendation_once(sqlite_store, tmp_path) -> None:
    load(sqlite_store, COAL, tmp_path)
    out = tmp_path / "out"
    first = run_nightly(sqlite_store, out, RULEBOOK, date(2026, 11, 25))
    folder = out / "2026-11-25"
    ids = first.run.new
    assert len(ids) == 2
    assert {p.name for p in folder.iterdir()} >= {f"{i}.{f}" for i in ids for f in ("html", "pdf", "docx")}
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "张建国" in index and "李纪明" in index
    second = run_nightly(sqlite_store, out, RULEBOOK, date(2026, 11, 25))
    assert second.run.new == [] and [p.name for p in second.documents] == ["index.html"]


@pytest.mark.parametrize("quarter", ["2025Q1", "2026Q3"])
def test_quarterly_circulation_ranks_and_charts(demo_store, quarter) -> None:
    html = render_quarterly(demo_store, quarter, "html", RULEBOOK, issued=date(2026, 10, 10)).decode()
    year, q = quarter.split("Q")
    assert f"关于{year}年第{'一二三四'[int(q) - 1]}季度" in html
    assert "分类排位" in html and "基层党支部（总支）书记" in html and "排位靠后" in html
    assert html.count('src="data:image/png;base64,') == 2
    assert "二〇二六年十月十日" in html


def test_quarterly_pdf_and_docx(demo_store) -> None:
    pdf = render_quarterly(demo_store, "2026Q2", "pdf", RULEBOOK)
    text = _pdf_text(pdf)
    assert "分类排位" in text and "合格率" in text
    assert any(page.images for page in PdfReader(io.BytesIO(pdf)).pages[:3])
    docx = Document(io.BytesIO(render_quarterly(demo_store, "2026Q2", "docx", RULEBOOK)))
    assert len(docx.inline_shapes) == 2
    assert any("乡镇党委书记" in c.text for t in docx.tables for row in t.rows for c in row.cells)


def test_bad_quarter_is_a_clear_error(tmp_path) -> None:
    result = CliRunner().invoke(cli.main, ["report", "quarterly", "2026Q5", "--db",
                                           f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code != 0 and "expected a quarter like 2026Q3" in result.output


def test_environment_autoescapes_html_templates() -> None:
    template = environment().from_string("{{ x }}")
    assert template.render(x="<b>") == "&lt;b&gt;"


def test_documents_exist_only_for_stored_recommendations(tmp_path: Path, sqlite_store) -> None:
    from documents.recommendation import NotFound

    with pytest.raises(NotFound):
        render_recommendation(sqlite_store, "R-none", "html", RULEBOOK)


def test_the_html_document_in_a_browser(coal, tmp_path) -> None:
    """Headless Chromium shows the page: the red masthead and the Chinese text are there."""
    import shutil as sh

    from matplotlib import image

    browser = sh.which("chromium") or sh.which("chromium-browser")
    assert browser, "chromium is installed by `make test` (apt-get install chromium)"
    store, rec_id = coal
    page = tmp_path / "doc.html"
    page.write_bytes(render_recommendation(store, rec_id, "html", RULEBOOK))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    assert "关于对张建国同志问责的建议" in dom and "县纪建〔2026〕" in dom
    shot = tmp_path / "shot.png"
    subprocess.run([browser, *flags, "--window-size=900,600", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)
    pixels = image.imread(str(shot))
    red = (pixels[..., 0] > 0.6) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)
    assert red[:200].sum() > 500  # the masthead and its rule are red, at the top


def test_nightly_exit_codes_for_the_operator(sqlite_store, tmp_path, monkeypatch) -> None:
    from filelock import FileLock

    load(sqlite_store, COAL, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    args = ["nightly", "--as-of", "2026-11-25", "--out", str(out), "--db", str(sqlite_store.url)]
    with FileLock(out / ".nightly.lock"):
        locked = CliRunner().invoke(cli.main, args)
    assert locked.exit_code == 5 and "another nightly run" in locked.output
    assert list_recommendations(sqlite_store) == []
    monkeypatch.setattr(fonts, "installed_faces", lambda: {})
    no_fonts = CliRunner().invoke(cli.main, args)
    assert no_fonts.exit_code == 4 and "fonts-noto-cjk" in no_fonts.output
    assert len(list_recommendations(sqlite_store)) == 2  # committed; documents come next time
    monkeypatch.undo()
    done = CliRunner().invoke(cli.main, args)
    assert done.exit_code == 0, done.output
    assert len(list((out / "2026-11-25").glob("R*.pdf"))) == 2  # the missing documents were written
