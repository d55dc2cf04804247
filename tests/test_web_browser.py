"""The review application in a real Chromium (Debian's, driven by Playwright), as discipline
staff use it: sign in, filter the queue, open the coal-bureau secretary's case, record the
investigation and his 陈述申辩, amend the form to 停职检查, fail to approve it alone, approve
it with a second approver, download the decision document.

Screenshots of each step are kept in tests/artifacts/browser/ (and the decision document's
first page as PNG) so a person can see the pages show Chinese text, not boxes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.run.read import get_recommendation, list_recommendations
from facts.store import open_store
from tests.web_support import PASSWORD, build_county, cheap_passwords, chromium_path, served
from web.app import create_app

if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

expect.set_options(timeout=30_000)  # a shared machine under load is slow, not wrong
ARTIFACTS = Path(__file__).parent / "artifacts" / "browser"
WINDOW = {"width": 1366, "height": 768}  # the office screen the pages are laid out for


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    with cheap_passwords():
        store = open_store(f"sqlite:///{tmp_path}/browser.db")
        build_county(store, tmp_path)
        with served(create_app(store)) as url:
            yield url, store
        store.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    path = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path)
        yield chromium
        chromium.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=False)


def _draws_chinese(page: Page) -> bool:
    """Chinese is drawn as glyphs, not boxes: in the page's own font, 审 and 核 look different
    (a face without them would draw both as the same empty box; two cells of one size at
    the same x, so equal drawings give equal pictures)."""
    family = page.evaluate("getComputedStyle(document.documentElement).fontFamily")
    probe = page.context.new_page()
    cell = "style='width: 60px; height: 60px; font-size: 40px; line-height: 60px'"
    probe.set_content(f"<div id=a {cell}>审</div><div id=b {cell}>核</div>")
    probe.locator("body").evaluate("(body, family) => body.style.fontFamily = family", family)
    drawn = probe.locator("#a").screenshot() != probe.locator("#b").screenshot()
    probe.close()
    return drawn


def _sign_in(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/queue")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()


def _record(page: Page, step: str, fill: dict[str, str], choose: str | None = None) -> None:
    panel = page.locator(f"#step-{step}")
    panel.locator("summary").click()
    for label, value in fill.items():
        panel.get_by_label(label).fill(value)
    if choose:
        panel.get_by_label(choose, exact=True).check()
    panel.get_by_role("button").click()
    expect(page.get_by_role("status")).to_have_text("已记录。")


def test_two_approvers_decide_a_suspension_in_the_browser(site, browser) -> None:
    url, store = site
    rec = next(i["id"] for i in list_recommendations(store) if i["person"] == "P-SEC")
    context = browser.new_context(viewport=WINDOW, accept_downloads=True)
    context.set_default_timeout(60_000)
    page = context.new_page()

    _sign_in(page, url, "lead1")
    assert _draws_chinese(page)
    _shot(page, "01-queue")

    page.get_by_label("单位（含下级）").select_option(label="县煤炭局")
    page.get_by_label("状态").select_option(label="待审核")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"unit=U-COAL.*|.*status=pending.*unit=U-COAL"))
    expect(page.locator("#total")).to_have_text("2")
    expect(page.get_by_role("link", name="陈水生")).to_have_count(0)
    _shot(page, "02-queue-filtered")

    page.get_by_role("link", name="张建国").click()
    expect(page.get_by_role("heading", name=re.compile("张建国"))).to_be_visible()
    expect(page.locator("table.evidence td", has_text="工作时间在办公室打牌赌博").first).to_be_visible()
    _shot(page, "03-detail")
    preview = page.locator("iframe.preview")
    preview.scroll_into_view_if_needed()
    expect(page.frame_locator("iframe.preview").get_by_text("关于对张建国同志问责的建议")).to_be_visible()
    _shot(page, "03-document-preview")

    _record(page, "investigation", {"调查人员（多人用顿号分隔）": "刘调查、孙调查"})
    _record(page, "statement", {"陈述申辩内容（必填）": "本人对班子管理不严负有责任，请求从轻处理",
                                "采纳或不予采纳的理由": "与调查事实不符"}, choose="否")
    expect(page.locator("table.procedure")).to_contain_text("本人对班子管理不严负有责任")
    _shot(page, "04-statement-recorded")

    amend = page.locator("#amend")
    amend.locator("summary").click()
    amend.get_by_label("通报批评").uncheck()
    amend.get_by_label("停职检查").check()
    amend.get_by_label("修改理由（必填）").fill("情节严重，造成不良影响")
    amend.get_by_role("button", name="修改").click()
    expect(page.get_by_text("引擎建议：通报批评").first).to_be_visible()
    expect(page.locator("dd strong")).to_have_text("停职检查")
    _record(page, "collective_decision", {"参会人员（多人用顿号分隔）": "甲、乙、丙",
                                          "讨论结果（必填）": "同意给予停职检查"})
    _shot(page, "05-amended")

    approve = page.locator("#approve")
    approve.locator("summary").click()
    approve.get_by_role("button", name="批准").click()
    expect(page.locator("h1 .status")).to_have_text("待第二人批准")
    expect(page.get_by_text("您已作第一次批准，须由另一名批准人批准")).to_be_visible()
    expect(page.locator("#approve")).to_have_count(0)  # no second approval by the same person
    # the same approval sent again, as a form kept open in another tab would: refused
    csrf = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    seen = page.locator('input[name="seen"]').first.get_attribute("value")
    again = page.request.post(f"{url}/recommendations/{rec}/approve",
                              form={"csrf_token": csrf, "seen": seen})
    assert again.status == 403
    page.set_content(again.text())
    expect(page.get_by_role("alert")).to_contain_text("须由两名批准人先后批准")
    _shot(page, "06-four-eyes-refused")
    assert get_recommendation(store, rec)["status"] == "awaiting_second"

    page.goto(f"{url}/recommendations/{rec}")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_text("您已退出登录。")).to_be_visible()
    _sign_in(page, url, "lead2")
    page.goto(f"{url}/recommendations/{rec}")
    approve = page.locator("#approve")
    approve.locator("summary").click()
    approve.get_by_role("button", name="批准").click()
    expect(page.locator("h1 .status")).to_have_text("已修改")
    _shot(page, "07-approved")
    assert get_recommendation(store, rec)["status"] == "amended"

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").last.click()
    pdf = ARTIFACTS / "decision.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf),
                        str(ARTIFACTS / "decision-page")], check=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="DOCX").last.click()
    docx = ARTIFACTS / "decision.docx"
    download.value.save_as(docx)
    assert docx.read_bytes().startswith(b"PK")
    context.close()
