"""The review commands as a user drives them: wenze users, wenze review, wenze audit, and
wenze render --document decision — on the demo county (the coal-bureau secretary) and on a
small county, through the same module the web app uses."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import text

import cli
from engine.run.read import list_recommendations
from facts.store import open_store
from tests.review_support import PASSWORD, accounts, county_cases


def wenze(db: str, *args: str, password: str = PASSWORD):
    return CliRunner().invoke(cli.main, [*args, "--db", db], env={"WENZE_PASSWORD": password})


@pytest.fixture
def demo(demo_store, tmp_path) -> str:
    """A copy of the session's demo county (evaluated), so deciding here changes no other test."""
    source = sqlite3.connect(demo_store.url.database)
    with sqlite3.connect(tmp_path / "demo.db") as copy:
        source.backup(copy)  # with what is still in the write-ahead log
    source.close()
    return f"sqlite:///{tmp_path}/demo.db"


def test_a_suspension_for_the_coal_bureau_secretary_cannot_be_approved_by_one_person(demo) -> None:
    """The done-when of issue 11, through the CLI on the demo county."""
    store = open_store(demo)
    (secretary,) = [i for i in list_recommendations(store, with_explanation=True)
                    if i["unit"] == "U-COAL" and i["explanation"]["post"]["role"] == "secretary"]
    rec = secretary["id"]
    for name in ("wang", "li"):
        result = wenze(demo, "users", "add", name, "--role", "approver", "--units", "U-COUNTY")
        assert result.exit_code == 0, result.output
    assert wenze(demo, "review", "approve", rec, "--user", "wang").exit_code == cli.EXIT_REFUSED
    for step, values in (("investigation", ["investigators=王某,李某"]),
                         ("statement", ["text=对事实无异议", "adopted=否"]),
                         ("collective_decision", ["attendees=甲、乙、丙", "outcome=同意"])):
        args = [f"--set={v}" for v in values]
        result = wenze(demo, "review", "step", rec, step, "--user", "wang", *args)
        assert result.exit_code == 0, result.output
    result = wenze(demo, "review", "amend", rec, "--user", "wang", "--form", "suspension",
                   "--reason", "情节严重，造成恶劣影响")
    assert result.exit_code == 0, result.output
    assert wenze(demo, "review", "approve", rec, "--user", "wang").output.strip().endswith(
        "awaiting_second")
    alone = wenze(demo, "review", "approve", rec, "--user", "wang")
    assert alone.exit_code == cli.EXIT_REFUSED
    assert "停职检查须由两名批准人先后批准" in alone.output and "Traceback" not in alone.output
    commission = wenze(demo, "review", "approve", rec, "--user", "li", "--body",
                       "discipline_commission")
    assert commission.exit_code == cli.EXIT_REFUSED and "无权决定停职检查" in commission.output
    second = wenze(demo, "review", "approve", rec, "--user", "li")
    assert second.exit_code == 0 and second.output.strip().endswith("amended")
    assert wenze(demo, "audit", "verify").output.strip() == "audit log ok"


def test_review_list_show_and_refusals_exit_codes(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/w.db"
    store = open_store(db)
    ids = county_cases(store, tmp_path)
    accounts(store)
    listed = wenze(db, "review", "list", "--user", "coal", "--json")
    assert listed.exit_code == 0, listed.output
    page = json.loads(listed.output)
    assert {i["id"] for i in page["items"]} == {ids["P-SEC"], ids["P-DIS"]} and page["total"] == 2
    table = wenze(db, "review", "list", "--user", "county", "--unit", "U1")
    assert table.exit_code == 0 and "刘支书" in table.output and "张建国" not in table.output
    shown = wenze(db, "review", "show", ids["P-SEC"], "--user", "coal")
    assert shown.exit_code == 0 and "张建国" in shown.output and "陈述和申辩" in shown.output
    assert "可以进行的操作：记录程序步骤、修改问责方式、退回补充证据、批准、驳回" in shown.output
    version = shown.output.strip().splitlines()[-1].removeprefix("version ")
    # another user's case, a wrong password, a missing reason, no such case, an old version
    other = wenze(db, "review", "show", ids["P-SEC"], "--user", "town")
    assert other.exit_code == cli.EXIT_REFUSED and "不在town的审核范围内" in other.output
    assert wenze(db, "review", "show", ids["P1"], "--user", "town",
                 password="wrong password").exit_code == cli.EXIT_REFUSED
    assert wenze(db, "review", "reject", ids["P1"], "--user", "town", "--reason", " ").exit_code == 1
    assert wenze(db, "review", "show", "R-NONE", "--user", "town").exit_code == 1
    assert wenze(db, "review", "step", ids["P-SEC"], "investigation", "--user", "coal",
                 "--set", "investigators=甲").exit_code == 0
    stale = wenze(db, "review", "return", ids["P-SEC"], "--user", "coal", "--reason", "补充",
                  "--seen", version)
    assert stale.exit_code == cli.EXIT_REFUSED and "请重新查看" in stale.output
    assert wenze(db, "review", "step", ids["P-SEC"], "investigation", "--user", "coal",
                 "--set", "nonsense").exit_code == 64


def test_audit_verify_fails_naming_the_entry_and_export_writes_json_lines(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/w.db"
    store = open_store(db)
    county_cases(store, tmp_path)
    accounts(store)
    out = tmp_path / "audit.jsonl"
    exported = wenze(db, "audit", "export", "-o", str(out))
    assert exported.exit_code == 0 and len(out.read_text(encoding="utf-8").splitlines()) == 7
    with store.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 3"))
    broken = wenze(db, "audit", "verify")
    assert broken.exit_code == cli.EXIT_AUDIT and "audit entry 3" in broken.output


def test_the_decision_document_in_three_formats_with_its_own_number(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/w.db"
    store = open_store(db)
    ids = county_cases(store, tmp_path)
    accounts(store)
    rec = ids["P-SEC"]
    early = wenze(db, "render", rec, "--document", "decision", "--format", "html", "-o",
                  str(tmp_path / "d.html"))
    assert early.exit_code == 1 and "尚未批准" in early.output
    for step, values in (("investigation", ["investigators=王某"]),
                         ("statement", ["text=<img src=x onerror=alert(1)>我有异议", "adopted=否",
                                        "reason=与查明事实不符"]),
                         ("collective_decision", ["attendees=甲、乙", "outcome=同意"])):
        assert wenze(db, "review", "step", rec, step, "--user", "county", "--date", "2026-11-26",
                     *[f"--set={v}" for v in values]).exit_code == 0
    assert wenze(db, "review", "approve", rec, "--user", "county", "--date",
                 "2026-11-27").exit_code == 0
    paths = {}
    for fmt in ("html", "pdf", "docx"):
        paths[fmt] = tmp_path / f"decision.{fmt}"
        result = wenze(db, "render", rec, "--document", "decision", "--format", fmt, "-o",
                       str(paths[fmt]))
        assert result.exit_code == 0, result.output
    html = paths["html"].read_text(encoding="utf-8")
    assert "关于给予张建国同志通报批评的决定" in html
    assert "县纪问决〔2026〕1号" in html  # the commission decides 通报批评: its decision series
    assert "&lt;img src=x onerror=alert(1)&gt;我有异议" in html and "<img" not in html
    assert "不予采纳" in html and "与查明事实不符" in html
    # the facts as the recommendation states them: the branch that applies, the inspection
    # that found the conduct, his own failure; no engine ids in the running text
    assert "不正之风蔓延" in html and "甚至发生严重贪腐问题" not in html
    assert "专项督查" in html and "管理不严" in html
    assert "violation:V-GAMBLE" not in html
    assert "自收到本决定书之日起一个月内，向中共溆浦县纪律检查委员会提出书面申诉" in html
    assert "二〇二六年十一月二十七日" in html and "《中国共产党问责条例》" in html
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(paths["pdf"].read_bytes())).pages)
    assert "张建国" in pdf and "申诉" in pdf
    with zipfile.ZipFile(paths["docx"]) as docx:
        assert "书面申诉" in docx.read("word/document.xml").decode("utf-8")
    # rendered again: the same number, never a second one
    wenze(db, "render", rec, "--document", "decision", "--format", "html", "-o", str(paths["html"]))
    assert "县纪问决〔2026〕1号" in paths["html"].read_text(encoding="utf-8")
