"""What a county discipline officer reads in a recommendation document, checked against the
domain (DOMAIN.md and the source article), not against the code's own reading of it.

The demo county carries the article's coal-bureau case: after Spring Festival 2026 the
special inspection of 79 county units found three coal-bureau staff gambling at cards in the
office in working hours; the bureau's party committee was lax in managing conduct (leadership
responsibility of its secretary), its discipline commission supervised weakly (supervisory
responsibility of its discipline secretary); the county had the discipline commission open a
case against both.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy import Engine

from documents import fonts
from documents.recommendation import context, render_html, render_recommendation
from engine.rulebook import load_rulebook
from engine.rulebook.load import RulebookError
from engine.run.evaluate import evaluate
from engine.run.read import get_recommendation, list_recommendations
from tests.conftest import copy_county, load

RULEBOOK = load_rulebook()
ENGINE_WORDS = ("问责情形3", "问责情形1", "问责情形2", "问责情形4", "规则：", "基准问责方式")
THRESHOLDS = ("造成严重后果", "造成恶劣影响", "蔓延势头")


def _text(html: str) -> str:
    """The running text a reader sees: head, tags and whitespace gone."""
    html = re.sub(r"<head>.*?</head>", "", html, flags=re.S)
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


def _body(html: str) -> str:
    """The document without its evidence appendix."""
    return _text(html.split('<div class="attachment">')[0])


def _recs(store: Engine, **where: Any) -> list[dict[str, Any]]:
    return [r for r in list_recommendations(store) if all(r[k] == v for k, v in where.items())]


def _html(store: Engine, rec_id: str) -> str:
    return render_recommendation(store, rec_id, "html", RULEBOOK).decode()


# ---------------------------------------------------------------- the coal-bureau case


@pytest.fixture(scope="module")
def coal_docs(demo_store: Engine) -> dict[str, str]:
    recs = _recs(demo_store, unit="U-COAL", circumstance=3)
    by_person = {r["person"]: r["id"] for r in recs}
    assert {"P-COAL-01", "P-COAL-02"} <= set(by_person), by_person
    return {person: _html(demo_store, rec_id) for person, rec_id in by_person.items()}


def test_the_coal_documents_state_the_gambling_and_the_inspection_that_found_it(coal_docs) -> None:
    for html in coal_docs.values():
        body = _body(html)
        assert "打牌赌博" in body
        for gambler in ("黄小军", "吴建平", "邓志明"):
            assert gambler in body
        # the special inspection after Spring Festival found it, on 2026-02-26
        assert "春节后作风纪律专项督查组" in body and "2026年2月26日" in body


def test_the_secretary_is_named_for_his_own_leadership_failure(coal_docs) -> None:
    body = _body(coal_docs["P-COAL-01"])
    assert "向志刚" in body
    assert "县煤炭局党委书记" in body  # the bureau has a party committee (党委), as the article says
    assert "负有主要领导责任" in body and "负有监督责任" not in body
    # his duty from the responsibility list of county-organ party secretaries
    assert "落实党风廉政建设主体责任，加强干部作风管理" in body
    assert "管理不严" in body


def test_the_discipline_secretary_is_named_for_his_own_supervisory_failure(coal_docs) -> None:
    body = _body(coal_docs["P-COAL-02"])
    assert "舒建华" in body
    assert "县煤炭局纪委书记" in body
    assert "负有监督责任" in body and "负有主要领导责任" not in body
    assert "落实分管领域党风廉政建设责任" in body  # his duty as a team member of the bureau
    assert "监督不力" in body


def test_the_coal_documents_propose_a_case_review_not_a_party_sanction(coal_docs) -> None:
    for html in coal_docs.values():
        body = _body(html)
        assert "立案审查" in body
        assert "建议给予" in body and not re.search(r"建议给予[^。]*党内警告", body)


def test_the_coal_documents_quote_only_the_branch_that_applies(coal_docs) -> None:
    for html in coal_docs.values():
        body = _body(html)
        assert "不正之风蔓延" in body  # several staff at the same misconduct: the practice spread
        assert "问题多发" not in body and "严重贪腐" not in body
        for threshold in THRESHOLDS:
            assert threshold not in body, threshold


def test_the_article_on_leadership_degrees_is_cited_for_leadership_only(coal_docs) -> None:
    assert "第六条" in _body(coal_docs["P-COAL-01"])  # the secretary: main leadership responsibility
    assert "第六条" not in _body(coal_docs["P-COAL-02"])  # the discipline secretary: supervisory


def test_no_engine_words_and_arabic_dates(coal_docs) -> None:
    for html in coal_docs.values():
        text = _text(html)
        for word in ENGINE_WORDS:
            assert word not in text, word
        assert "二〇" not in text
        assert "2026年11月25日" in text  # 成文日期 in Arabic numerals (GB/T 9704-2012)


# ---------------------------------------------------------------- circumstance 3, branch by branch


def test_each_branch_of_circumstance_3_quotes_itself_alone(demo_store) -> None:
    quoted = {"c3-frequent-problems": "问题多发", "c3-corruption": "严重贪腐问题",
              "c3-several-staff-violation": "不正之风蔓延"}
    for rule, own in quoted.items():
        recs = _recs(demo_store, rule=rule)
        assert recs, rule
        body = _body(_html(demo_store, recs[0]["id"]))
        assert own in body, rule
        for other in set(quoted.values()) - {own}:
            assert other not in body, (rule, other)


def _corruption(severity: str) -> list[dict[str, Any]]:
    return [
        {"kind": "unit", "id": "U1", "name": "县财政局", "type": "county_organ"},
        {"kind": "person", "id": "P1", "name": "王书记", "unit": "U1", "category": "organ_secretary"},
        {"kind": "post", "id": "PO1", "person": "P1", "unit": "U1", "role": "secretary",
         "start": "2024-01-01"},
        {"kind": "violation", "id": "V1", "unit": "U1", "actors": ["李会计"], "date": "2026-05-01",
         "category": "corruption", "severity": severity, "case_filed": False,
         "description": "挪用专项资金"},
    ]


@pytest.mark.parametrize("severity", ["serious", "grave"])
def test_a_threshold_provision_is_cited_only_when_the_degree_shows_it(sqlite_store, tmp_path,
                                                                       severity) -> None:
    load(sqlite_store, _corruption(severity), tmp_path)
    evaluate(sqlite_store, date(2026, 11, 25))
    (rec,) = _recs(sqlite_store, person="P1")
    body = _body(_html(sqlite_store, rec["id"]))
    assert "严重贪腐问题" in body
    if severity == "grave":
        assert "第七条第（七）项" in body
    else:
        assert "第七条" not in body and "造成恶劣影响" not in body


# ---------------------------------------------------------------- posts named as the unit names them


def test_post_titles_follow_the_kind_of_party_organisation(demo_store) -> None:
    seen: dict[str, str] = {}
    for rec in list_recommendations(demo_store):
        e = get_recommendation(demo_store, rec["id"])["explanation"]
        if e["post"]["role"] == "secretary":
            seen.setdefault(e["post"]["unit"], e["post"]["role_label"])
    titles = set(seen.values())
    assert "党组织书记" not in titles
    township = [t for u, t in seen.items() if u.count("-") == 1 and u.startswith("U-T")]
    branch = [t for u, t in seen.items() if re.fullmatch(r"U-T\d+-V\d+|U-.*-B\d+", u)]
    assert township and all(t == "党委书记" for t in township), township
    assert not branch or all(t == "书记" for t in branch)  # 村党支部 + 书记
    assert seen.get("U-COAL") == "党委书记"
    organs = [t for u, t in seen.items() if re.fullmatch(r"U-O\d+", u)]
    assert not organs or all(t == "党组书记" for t in organs), organs  # organs have a 党组


def test_an_organ_with_a_party_group_has_a_party_group_secretary_and_a_discipline_leader(
        sqlite_store, tmp_path) -> None:
    facts = _corruption("serious") + [
        {"kind": "person", "id": "P2", "name": "吴组长", "unit": "U1",
         "category": "grassroots_committee_member"},
        {"kind": "post", "id": "PO2", "person": "P2", "unit": "U1", "role": "discipline_secretary",
         "start": "2024-01-01"},
    ]
    load(sqlite_store, facts, tmp_path)
    evaluate(sqlite_store, date(2026, 11, 25))
    secretary = _body(_html(sqlite_store, _recs(sqlite_store, person="P1")[0]["id"]))
    leader = _body(_html(sqlite_store, _recs(sqlite_store, person="P2")[0]["id"]))
    assert "时任县财政局党组书记" in secretary and "党组织书记" not in secretary
    assert "时任县财政局纪检组长" in leader


def test_a_rule_holding_people_to_a_task_not_in_the_list_is_refused(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    path = folder / "circumstances" / "c3_corruption.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("tasks: [os05,", "tasks: [zz99,"),
                    encoding="utf-8")
    with pytest.raises(RulebookError, match="zz99 is no task of responsibility_list.yaml"):
        load_rulebook(folder)


def test_an_unverified_petition_is_never_stated_as_fact(sqlite_store, tmp_path) -> None:
    """Three problems within a year would be 问题多发, but one is only a petition not yet
    verified: no document states it; the run sets the matter aside to be checked first."""
    facts = _corruption("serious") + [
        {"kind": "violation", "id": "V2", "unit": "U1", "actors": ["张出纳"], "date": "2026-04-01",
         "category": "conduct", "severity": "minor", "case_filed": False,
         "description": "信访反映的公车私用", "source": "petition"},
        {"kind": "violation", "id": "V3", "unit": "U1", "actors": ["赵司机"], "date": "2026-06-01",
         "category": "work_discipline", "severity": "minor", "case_filed": False,
         "description": "上班时间擅离职守"},
    ]
    load(sqlite_store, facts, tmp_path)
    result = evaluate(sqlite_store, date(2026, 11, 25))
    for rec in _recs(sqlite_store, person="P1"):
        assert "信访反映的公车私用" not in _body(_html(sqlite_store, rec["id"]))
    assert any(item["reason"] == "unverified_report" for item in result.set_aside)


# ---------------------------------------------------------------- each sentence rests on a fact


def test_every_fact_sentence_cites_an_exhibit_in_the_appendix(demo_store) -> None:
    """In every demo document: each sentence of 主要事实 that rests on facts cites them as
    exhibits of the appendix, numbered in the order the text first cites them."""
    for rec in list_recommendations(demo_store):
        ctx = context(demo_store, rec["id"], RULEBOOK)
        html = render_html(ctx)
        facts = html.split("二、主要事实")[1].split("三、")[0]
        cited = [int(n) for n in re.findall(r"证据(\d+)", facts)]
        first = list(dict.fromkeys(cited))
        assert first == list(range(1, len(first) + 1)), (rec["rule"], cited)
        assert set(cited) <= set(range(1, len(ctx.e.exhibits) + 1))
        assert ctx.e.statement, rec["id"]
        for statement in ctx.e.statement:
            for ref in statement.refs:
                assert any(f"{x.kind}:{x.id}" == ref for x in ctx.e.exhibits), ref
        appendix = html.split('<div class="attachment">')[1]
        assert appendix.count("<tr>") == len(ctx.e.exhibits) + 1  # the header and one per exhibit


# ---------------------------------------------------------------- layout that holds

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
LINES, CHARS = 22, 28  # GB/T 9704: 22 lines of 28 characters a page
TABLE_LINES = 34  # 12 pt table text at 18 pt in the 225 mm type area
TEXT_CHARS = 17  # characters of 12 pt a line in the evidence list's 内容 column


def _page_bound(html: str) -> int:
    """The most pages a document can fill when every column is as wide as its content needs:
    body lines at 28 characters, plus masthead, title and signature; the evidence list's
    rows at their 内容 length; one page of slack for what is kept together."""
    body, _, appendix = html.partition('<div class="attachment">')
    paragraphs = [_text(p) for p in re.findall(r"<(?:p|h2)[^>]*>(.*?)</(?:p|h2)>", body, re.S)]
    body_lines = sum(math.ceil(len(p) / CHARS) for p in paragraphs if p) + 14
    rows = [_text(r) for r in re.findall(r"<tr>(.*?)</tr>", appendix, re.S)]
    table_lines = sum(max(3, math.ceil(len(r) / TEXT_CHARS)) + 1 for r in rows) + 8
    return math.ceil(body_lines / LINES) + math.ceil(table_lines / TABLE_LINES) + 1


def _chromium_pages(html: str, folder: Path) -> int:
    """How many pages Chromium prints the same HTML on (its own reading of the print CSS)."""
    assert BROWSER, "chromium is installed by `make test` (apt-get install chromium)"
    folder.mkdir()
    page, pdf = folder / "doc.html", folder / "chromium.pdf"
    page.write_text(html, encoding="utf-8")
    subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={folder / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    return len(PdfReader(pdf).pages)


def _demo_like(store: Engine) -> list[dict[str, Any]]:
    """Both coal-bureau documents and, for every rule, its document with the most evidence."""
    chosen = {r["id"]: r for r in _recs(store, unit="U-COAL")}
    for rule in sorted({r["rule"] for r in list_recommendations(store)}):
        biggest = max(_recs(store, rule=rule), key=lambda r: (len(r["evidence"]), r["id"]))
        chosen[biggest["id"]] = biggest
    return list(chosen.values())


def test_every_demo_like_pdf_has_the_pages_its_html_expects(demo_store, tmp_path) -> None:
    for rec in _demo_like(demo_store):
        html = _html(demo_store, rec["id"])
        reader = PdfReader(io.BytesIO(render_recommendation(demo_store, rec["id"], "pdf", RULEBOOK)))
        raw = [p.extract_text() for p in reader.pages]
        pages = [re.sub(r"\s+", "", p) for p in raw]
        # a reference to an exhibit, （证据3）, is never broken across lines
        assert not any(re.search(r"（证?\n|证据[\d、]*\n[\d、]", p) for p in raw), rec["rule"]
        assert 2 <= len(pages) <= _page_bound(html), (rec["rule"], len(pages))
        # Chromium lays out the same print CSS; it keeps widows less strictly than WeasyPrint,
        # so a paragraph may move a page earlier there: at most one page apart
        chromium = _chromium_pages(html, tmp_path / rec["id"])
        assert abs(len(pages) - chromium) <= 1, (rec["rule"], len(pages), chromium)
        # the signature and the date share their page with running text of the proposal
        signed = next(p for p in pages if "2026年11月25日" in p and "附件：" in p)
        rest = re.sub(r"—\d+—|附件：证据清单（共\d+项）|2026年11月25日", "",
                      signed.split("附件：")[0])
        assert len(rest) > 20 and "。" in rest, (rec["rule"], signed)
        # an id in the evidence list is never cut inside a word
        for fact in rec["evidence"]:
            fact_id = fact.partition(":")[2]
            assert any(fact_id in p for p in pages), fact


def test_the_docx_evidence_list_has_set_widths_and_a_repeated_header(demo_store) -> None:
    rec = _recs(demo_store, person="P-COAL-01")[0]
    document = Document(io.BytesIO(render_recommendation(demo_store, rec["id"], "docx", RULEBOOK)))
    (table,) = document.tables
    xml = table._tbl.xml
    assert '<w:tblLayout w:type="fixed"/>' in xml
    widths = [column.width for column in table.columns]
    assert all(widths) and widths[3] == max(widths)  # 内容 is the widest column
    assert widths[3].mm > 70 and widths[0].mm >= 10  # 序号 fits its two characters
    header, *rows = table.rows
    assert "<w:tblHeader/>" in header._tr.xml
    assert all("<w:cantSplit/>" in row._tr.xml for row in table.rows)
    assert all("<w:tblHeader/>" not in row._tr.xml for row in rows)


def test_a_stand_in_for_xiaobiaosong_is_set_bold(demo_store, tmp_path) -> None:
    faces = fonts.find_fonts()
    official = fonts.FontSet(body=faces.body, title="方正小标宋简体", heading=faces.heading,
                             page=faces.page, files={})
    assert official.title_weight == "normal"  # the official face has its own heavy strokes
    if faces.title in fonts.OFFICIAL_TITLE:
        pytest.skip("the official 小标宋 is installed here")
    assert faces.title_weight == "bold"
    rec = _recs(demo_store, person="P-COAL-01")[0]
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_recommendation(demo_store, rec["id"], "pdf", RULEBOOK))
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                             check=True).stdout
    assert re.search(r"Serif-CJK-\S*Bold", listing), listing  # title and masthead in bold
