"""The quarterly circulation (一季一通报) as a county would send it: figures that add up, ranks
that are fair (dense, ties shown as ties, units ranked by type), county leaders with their
posts, and only decided accountability published."""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import date
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy import update

from documents.quarterly import _floor, _month, quarterly_data, render_quarterly
from engine.rulebook import load_rulebook
from engine.run.read import list_recommendations
from facts.recommendation_tables import RecommendationRow
from facts.store import open_store
from tests.conftest import load

RULEBOOK = load_rulebook()


def _unit(uid: str, name: str, kind: str, parent: str | None = None) -> dict[str, Any]:
    return {"kind": "unit", "id": uid, "name": name, "type": kind, **({"parent": parent} if parent else {})}


def _person(pid: str, name: str, unit: str, category: str, **attrs: Any) -> dict[str, Any]:
    return {"kind": "person", "id": pid, "name": name, "unit": unit, "category": category,
            **({"attrs": attrs} if attrs else {})}


def _ledger(person: str, n: int, status: str, verdict: str, month: int = 7) -> dict[str, Any]:
    task = {"P-SEC": "cs08", "P-CL": "cl01", "P-T1": "ts02", "P-T2": "ts02", "P-T3": "ts02",
            "P-O1": "os02", "P-B1": "bs02"}[person]
    return {"kind": "ledger", "id": f"L-{person}-{n}", "person": person, "period": f"2026-{month:02d}",
            "task": task, "status": status, "verdict": verdict, "date": f"2026-{month:02d}-20"}


def _county() -> list[dict[str, Any]]:
    """A county committee (its secretary and a county leader with a post in attrs), three
    townships (two secretaries tied), a county organ, and a village branch under a township."""
    facts = [
        _unit("U-C", "中共某县委员会", "county_committee"),
        _unit("U-T1", "甲镇", "township", "U-C"), _unit("U-T2", "乙乡", "township", "U-C"),
        _unit("U-T3", "丙乡", "township", "U-C"), _unit("U-O1", "县某局", "county_organ", "U-C"),
        _unit("U-T1-V1", "甲镇某村党支部", "branch", "U-T1"),
        _person("P-SEC", "赵书记", "U-C", "county_secretary"),
        _person("P-CL", "钱县长", "U-C", "county_leader", post="县委副书记、县长"),
        _person("P-T1", "孙一", "U-T1", "township_secretary"),
        _person("P-T2", "李二", "U-T2", "township_secretary"),
        _person("P-T3", "周三", "U-T3", "township_secretary"),
        _person("P-O1", "吴四", "U-O1", "organ_secretary"),
        _person("P-B1", "郑五", "U-T1-V1", "branch_secretary"),
    ]
    # 孙一: 3 pass, 1 fail; 李二 the same (tied); 周三: 2 pass, 1 missing (its verdict says fail:
    # counted once, as 未填报), 1 filed not yet checked
    plan = {"P-SEC": ["pass"] * 4, "P-CL": ["pass", "pass", "fail", "pending"],
            "P-T1": ["pass", "pass", "pass", "fail"], "P-T2": ["pass", "fail", "pass", "pass"],
            "P-T3": ["pass", "pass", "missing", "pending"], "P-O1": ["pass", "missing"],
            "P-B1": ["fail", "fail", "pass"]}
    for person, outcomes in plan.items():
        for n, outcome in enumerate(outcomes):
            status, verdict = {"pass": ("done", "pass"), "fail": ("partial", "fail"),
                               "pending": ("done", "pending"), "missing": ("missing", "fail")}[outcome]
            facts.append(_ledger(person, n, status, verdict))
    facts.append(_ledger("P-T1", 99, "done", "fail", month=10))  # another quarter: not counted
    return facts


def test_figures_add_up_and_ranks_are_dense_with_ties(store, tmp_path) -> None:
    load(store, _county(), tmp_path)
    q = quarterly_data(store, "2026Q3", RULEBOOK)
    assert (q.overall.total, q.overall.passed, q.overall.failed, q.overall.pending,
            q.overall.missing) == (25, 16, 5, 2, 2)
    tallies = [q.overall, *(c.tally for c in q.categories), *(u.tally for u in q.units),
               *(r.tally for u in q.units for r in u.ranked),
               *(r.tally for c in q.categories for r in c.ranked)]
    for t in tallies:  # disjoint, and together 应填报
        assert t.passed + t.failed + t.pending + t.missing == t.total, t
    townships = next(c for c in q.categories if c.code == "township_secretary")
    # 孙一 and 李二 share rank 1 (75%); 周三 (2 of 3 checked) is rank 2, not 3
    assert [(r.name, r.rank, r.tied) for r in townships.ranked] == [
        ("李二", 1, 2), ("孙一", 1, 2), ("周三", 2, 1)]  # within a rank by unit (乙乡, 甲镇)
    assert q.trend[-1][0] == date(2026, 9, 1) and len(q.trend) == 12


def test_units_ranked_by_type_without_the_county_committee(store, tmp_path) -> None:
    load(store, _county(), tmp_path)
    q = quarterly_data(store, "2026Q3", RULEBOOK)
    assert [(u.code, [r.name for r in u.ranked]) for u in q.units] == [
        ("township", ["乙乡", "丙乡", "甲镇"]), ("county_organ", ["县某局"])]
    assert q.units[0].ranked[-1].tally.total == 4 + 3  # 甲镇 with its village branch
    assert q.leaders.total == 8  # the county committee's own members, not ranked as a unit


def test_county_leaders_are_shown_with_their_posts(store, tmp_path) -> None:
    load(store, _county(), tmp_path)
    q = quarterly_data(store, "2026Q3", RULEBOOK)
    places = {r.name: r.place for c in q.categories for r in c.ranked}
    assert places["赵书记"] == "县委书记"  # the category names the post
    assert places["钱县长"] == "县委副书记、县长"  # the person's own post (attrs.post)
    assert places["郑五"] == "甲镇某村党支部"


@pytest.fixture(scope="module")
def decided(demo_store, tmp_path_factory) -> tuple[Any, str, list[dict[str, Any]]]:
    """A copy of the demo store in which some recommendations of one quarter are approved, one
    of them with an amended form (停职检查 instead of the engine's proposal), and one of the
    next quarter (which this quarter's circulation must leave out)."""
    folder = tmp_path_factory.mktemp("decided")
    with sqlite3.connect(demo_store.url.database) as source, \
            sqlite3.connect(folder / "demo.db") as copy:
        source.backup(copy)
    store = open_store(f"sqlite:///{folder}/demo.db")
    items = list_recommendations(store)
    first = items[0]["conduct_date"]
    quarter = f"{first[:4]}Q{(int(first[5:7]) - 1) // 3 + 1}"
    months = {f"{first[:4]}-{m:02d}" for m in range(3 * int(quarter[-1]) - 2, 3 * int(quarter[-1]) + 1)}
    ours = [i for i in items if i["conduct_date"][:7] in months]
    assert len(ours) >= 2, "the demo county has recommendations in its first quarter"
    approved = ours[: len(ours) // 2]
    later = next(i for i in items if i["conduct_date"][:7] > max(months))
    table = RecommendationRow.__table__
    with store.begin() as connection:
        connection.execute(update(table).where(table.c.id.in_(
            [i["id"] for i in approved[1:]] + [later["id"]])).values(status="approved"))
        connection.execute(update(table).where(table.c.id == approved[0]["id"])
                           .values(status="amended", decided_forms=["suspension"]))
    return store, quarter, ours


def _section(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end)]


def test_only_approved_decisions_are_published(decided) -> None:
    store, quarter, ours = decided
    html = render_quarterly(store, quarter, "html", RULEBOOK, issued=date(2026, 10, 10)).decode()
    section = _section(html, "四、问责情况", "五、工作要求")
    approved_here = ({i["id"] for s in ("approved", "amended")
                      for i in list_recommendations(store, status=s)} & {i["id"] for i in ours})
    assert f"问责{len(approved_here)}人次" in section
    assert section.count("<tr>") == len(approved_here) + 1  # the header row
    assert "待审核" not in section and "建议" not in section
    # an approval with an amended form is published with the form decided, not the proposal
    amended = next(i for i in list_recommendations(store, status="amended") if i["id"] in approved_here)
    row = next(r for r in section.split("<tr>") if amended["person_name"] in r)
    assert "停职检查" in row


def test_the_text_names_a_tie_group_only_when_it_is_small(decided) -> None:
    store, quarter, _ = decided
    q = quarterly_data(store, quarter, RULEBOOK)
    html = render_quarterly(store, quarter, "html", RULEBOOK).decode()
    for c in q.categories:
        for mention in (c.head, c.tail):
            assert len(mention.named) <= 5
            if mention.shared:  # too many to name: how many share the rank
                assert f"并列第{mention.shared.rank}位的有{mention.shared.tied}人" in html
                assert all(r.rank != mention.shared.rank for r in mention.named)


def test_the_appendix_says_how_it_is_ordered_and_lists_large_categories_from_the_bottom(decided) -> None:
    store, quarter, _ = decided
    q = quarterly_data(store, quarter, RULEBOOK)
    html = render_quarterly(store, quarter, "html", RULEBOOK).decode()
    appendix = html[html.index('class="attachment"'):]
    assert "排位规则" in appendix and "并列同一排位" in appendix
    for c in q.categories:
        assert c.listed == c.ranked[len(c.ranked) - len(c.listed):]  # the bottom, never cut in a tie
        if not c.whole:
            assert c.listed[0].rank != c.ranked[len(c.ranked) - len(c.listed) - 1].rank


def test_pdf_cells_do_not_wrap_and_docx_tables_have_set_widths(decided) -> None:
    store, quarter, _ = decided
    pdf = render_quarterly(store, quarter, "pdf", RULEBOOK)
    lines = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).splitlines()
    assert not [line for line in lines if line.strip() in ("%", "率")]  # 94.1% kept whole
    assert not [line for line in lines if re.fullmatch(r"-?\d{2}(-\d{2})?", line.strip())]  # dates whole
    document = Document(io.BytesIO(render_quarterly(store, quarter, "docx", RULEBOOK)))
    for table in document.tables:
        widths = [column.width for column in table.columns]
        assert all(widths) and not table.autofit


def test_chart_axes_show_differences_and_months_read_as_dates() -> None:
    assert _floor([88.2, 93.0, 100.0]) == 86.0  # not 0: 88% and 100% must look different
    assert _floor([12.0, 95.0]) == 0.0  # a wide spread keeps zero
    assert _month(date(2025, 10, 1)) == "2025年10月"
