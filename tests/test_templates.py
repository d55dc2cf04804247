"""Templates as staff extend them: each reads only its context's fields, and ``bundled:`` works."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest
from jinja2 import meta, nodes

from documents.contexts import (
    CONTEXTS,
    UNUSED,
    IndexContext,
    PageContext,
    QuarterlyContext,
    RecommendationContext,
)
from documents.environment import BUNDLED, environment
from documents.quarterly import render_quarterly
from documents.recommendation import context, render_html, render_recommendation
from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from engine.run.read import list_recommendations
from rules import FOLDER as RULES_DIR
from tests.conftest import load
from usecases.nightly import write_documents
from usecases.rule_tests import load_cases

RULEBOOK = load_rulebook()
COAL = load_cases(RULES_DIR / "tests" / "c3_several_staff_violation.yaml")[0].facts


def _sources(name: str) -> list[str]:
    """The bundled template and every template it extends or includes, by name."""
    env = environment()
    seen: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        source = env.loader.get_source(env, current)[0]
        todo.extend(n for n in meta.find_referenced_templates(env.parse(source)) if n)
    return seen


def _reads(name: str) -> set[str]:
    """Top-level variables the template and what it extends or includes read.

    Macros a template defines at its top level (``pct`` in quarterly.html) are read inside
    blocks, which Jinja compiles separately, so they show as undeclared: they are the
    template's own, not the context's.
    """
    env = environment()
    names: set[str] = set()
    own: set[str] = set()
    for template in _sources(name):
        ast = env.parse(env.loader.get_source(env, template)[0])
        names |= meta.find_undeclared_variables(ast)
        own |= {m.name for m in ast.body if isinstance(m, nodes.Macro)}
    return names - own - set(env.globals)


def _fields(cls: type[PageContext]) -> set[str]:
    return {f.name for f in fields(cls)}


@pytest.mark.parametrize("cls", [PageContext, *CONTEXTS], ids=lambda c: c.TEMPLATE)
def test_template_reads_only_its_context_fields(cls: type[PageContext]) -> None:
    assert _reads(cls.TEMPLATE) <= _fields(cls), _reads(cls.TEMPLATE) - _fields(cls)


@pytest.mark.parametrize("cls", [PageContext, *CONTEXTS], ids=lambda c: c.TEMPLATE)
def test_every_context_field_is_read_or_says_why_not(cls: type[PageContext]) -> None:
    unused = {f.name for f in fields(cls) if UNUSED in f.metadata}
    assert _fields(cls) - unused <= _reads(cls.TEMPLATE), (_fields(cls) - unused) - _reads(cls.TEMPLATE)
    assert not unused & _reads(cls.TEMPLATE), "a field marked unused is read: drop the mark"


def test_every_bundled_page_template_has_a_context() -> None:
    pages = {p.name for p in BUNDLED.glob("*.html")} - {"base.html"}
    assert pages == {c.TEMPLATE for c in CONTEXTS}


def _blocks(name: str) -> set[str]:
    env = environment()
    ast = env.parse(env.loader.get_source(env, name)[0])
    return {b.name for b in ast.find_all(nodes.Block)}


def test_bundled_templates_have_blocks_staff_can_override() -> None:
    assert _blocks("recommendation.html") >= {
        "masthead", "doc_title", "opening", "background", "facts", "responsibility", "basis",
        "factors", "proposal", "signature", "attachment"}
    assert _blocks("quarterly.html") >= {
        "masthead", "opening", "overview", "ranking", "units", "recommendations", "requirements",
        "signature", "attachment"}
    assert _blocks("base.html") >= {"title", "styles", "body_class", "content"}


def test_quarterly_signature_comes_from_the_county_folder() -> None:
    source = (BUNDLED / "quarterly.html").read_text(encoding="utf-8")
    assert RULEBOOK.county.name not in source
    assert RULEBOOK.county.documents.circulation_issuer not in source


@pytest.fixture
def coal(sqlite_store, tmp_path):
    load(sqlite_store, COAL, tmp_path)
    run = evaluate(sqlite_store, date(2026, 11, 25))
    secretary = next(r for r in list_recommendations(sqlite_store) if r["person"] == "P-SEC")
    return sqlite_store, secretary["id"], run


def test_staff_template_extends_the_bundled_one_and_changes_one_block(coal, tmp_path: Path) -> None:
    store, rec_id, _ = coal
    bundled = render_recommendation(store, rec_id, "html", RULEBOOK).decode()
    staff = tmp_path / "templates"
    staff.mkdir()
    (staff / "recommendation.html").write_text(
        '{% extends "bundled:recommendation.html" %}'
        '{% block proposal %}<h2>六、问责建议</h2><p>本县格式：建议给予{{ e.subject.name }}同志'
        '{{ e.form_labels | join("并") }}。</p>{% endblock %}', encoding="utf-8")
    html = render_recommendation(store, rec_id, "html", RULEBOOK, staff).decode()
    assert "本县格式：建议给予张建国同志通报批评。" in html
    assert "本县格式" not in bundled and "按照有关程序和规定作出决定" not in html
    ctx = context(store, rec_id, RULEBOOK)
    for kept in (f'<div class="issuer">{ctx.issuer}</div>', ctx.number, "关于对张建国同志问责的建议",
                 "二、主要事实", "五、量纪情节", "证据清单", "@page", "2026年11月25日"):
        assert kept in html and kept in bundled, kept
    # everything before the overridden block is the bundled document, unchanged
    before = bundled.index("<h2>六、问责建议</h2>")
    assert html[:before] == bundled[:before]
    # and everything from the signature on
    after = bundled.index('<p class="flush attachments">附件')
    assert html.endswith(bundled[after:])


def test_a_staff_template_of_the_same_name_does_not_shadow_bundled(tmp_path: Path) -> None:
    staff = tmp_path / "templates"
    staff.mkdir()
    (staff / "base.html").write_text("staff base {% block content %}{% endblock %}", encoding="utf-8")
    env = environment(staff)
    assert env.get_template("base.html").render() == "staff base "
    assert env.loader.get_source(env, "bundled:base.html")[0].startswith("<!doctype html>")


def test_each_context_renders_through_the_real_path(coal, tmp_path: Path) -> None:
    store, rec_id, run = coal
    ctx = context(store, rec_id, RULEBOOK)
    assert isinstance(ctx, RecommendationContext)
    html = render_html(ctx)
    assert ctx.number in html and "张建国" in html and "中共溆浦县纪律检查委员会" in html

    ids = sorted(r["id"] for r in list_recommendations(store))
    write_documents(store, tmp_path / "out", ids, run, RULEBOOK, ("html",))
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "张建国" in index and "李纪明" in index and f'href="{rec_id}.html"' in index

    quarterly = render_quarterly(store, "2026Q4", "html", RULEBOOK, None, date(2026, 12, 31)).decode()
    assert "关于2026年第四季度党建工作责任清单" in quarterly
    assert "中共溆浦县委全面从严治党工作领导小组办公室" in quarterly
    assert "二〇二六年十二月三十一日" in quarterly


def test_contexts_are_frozen_and_rendered_shallow(coal) -> None:
    store, rec_id, _ = coal
    ctx = context(store, rec_id, RULEBOOK)
    with pytest.raises(AttributeError):
        ctx.number = "x"  # type: ignore[misc]
    variables = ctx.variables()
    assert variables["e"] is ctx.e and variables["fonts"] is ctx.fonts  # models stay objects
    assert set(variables) == _fields(RecommendationContext)
    assert {f.name for f in fields(IndexContext)} >= {"fonts", "rows"}
    assert {f.name for f in fields(QuarterlyContext)} >= {"fonts", "q", "issuer"}
