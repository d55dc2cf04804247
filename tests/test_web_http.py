"""The review application over HTTP, as each role meets it: signing in and out, the session
cookie, login throttling, CSRF on every state-changing request, scope by page, API and
download, the queue's filters in the URL, decisions with their refusals, and fact text with
markup shown as text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import Engine

from engine.run.read import get_recommendation, list_recommendations
from facts.store import open_store
from tests.conftest import pg_database
from tests.test_templates import _reads
from tests.web_support import MARKUP, PASSWORD, USERS, build_county, cheap_passwords, client
from web.app import create_app
from web.config import WebConfig
from web.contexts import DetailContext, ErrorContext, LayoutContext, LoginContext, QueueContext

# who sees whose cases: the persons of each bureau, and the users whose scope covers them
COAL = ("P-SEC", "P-DIS")
WATER = ("P-W1", "P-W2")
SEES = {name: COAL + WATER if "U-COUNTY" in units else COAL if units == ["U-COAL"] else WATER
        for name, (_role, units, _home) in USERS.items()}


def _ids(store: Engine) -> dict[str, str]:
    return {item["person"]: item["id"] for item in list_recommendations(store)}


@pytest.fixture(scope="module", autouse=True)
def _cheap_passwords() -> Iterator[None]:
    with cheap_passwords():
        yield


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Any, dict[str, str]]]:
    """The county, read only: the application and the recommendation ids by person."""
    folder = tmp_path_factory.mktemp("web")
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{folder}/web.db")
        build_county(store, folder)
        yield create_app(store), _ids(store)
        store.dispose()
    else:
        with pg_database() as store:
            build_county(store, folder)
            yield create_app(store), _ids(store)


@pytest.fixture
def fresh(store: Engine, tmp_path: Path) -> tuple[Any, Engine, dict[str, str]]:
    """The county in a store of its own, for tests that decide (SQLite and PostgreSQL)."""
    build_county(store, tmp_path)
    return create_app(store), store, _ids(store)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------- signing in and out


def _cookie(response: Any) -> str:
    return next(v for k, v in response.headers.multi_items()
                if k == "set-cookie" and v.startswith("wenze_session="))


def test_a_page_sends_a_stranger_to_the_login_page_and_back_after_signing_in(county) -> None:
    app, ids = county
    c = client(app)
    page = c.get(f"/recommendations/{ids['P-SEC']}")
    assert page.url.path == "/login" and "用户名" in page.text and "张建国" not in page.text
    signed = c.post("/login", {"name": "lead1", "password": PASSWORD,
                               "next": f"/recommendations/{ids['P-SEC']}"})
    assert signed.url.path == f"/recommendations/{ids['P-SEC']}" and "张建国" in signed.text
    assert c.get("/api/recommendations").status_code == 200
    assert client(app).get("/api/recommendations").status_code == 401


def test_after_signing_in_only_a_local_page_is_followed(county) -> None:
    app, _ids = county
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        c = client(app)
        c.get("/login")
        response = c.post("/login", {"name": "lead1", "password": PASSWORD, "next": target},
                          follow_redirects=False)
        assert response.headers["location"] == "/queue"


def test_a_wrong_password_or_unknown_name_is_refused_alike(county) -> None:
    app, _ids = county
    for name, password in (("lead1", "wrong password"), ("nobody", PASSWORD)):
        response = client(app).login(name, password)
        assert response.status_code == 401 and "用户名或密码不正确" in response.text
        assert response.url.path == "/login"


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(county) -> None:
    app, _ids = county
    plain = _cookie(client(app).get("/login"))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Path=/" in plain
    assert "Secure" not in plain
    assert "Secure" in _cookie(client(app, https=True).get("/login"))
    always = create_app(app.state.store, WebConfig(secure_cookies="always"))
    assert "Secure" in _cookie(client(always).get("/login"))


def test_signing_in_gives_a_new_session_and_signing_out_ends_it(county) -> None:
    app, _ids = county
    c = client(app)
    before = c.get("/login").cookies.get("wenze_session") or c.http.cookies.get("wenze_session")
    c.post("/login", {"name": "lead1", "password": PASSWORD})
    after = c.http.cookies.get("wenze_session")
    assert before and after and before != after  # no session fixation
    c.get("/queue")
    out = c.post("/logout")
    assert out.url.path == "/login" and "您已退出登录" in out.text
    # the old cookie is worth nothing now, even replayed
    replay = client(app)
    replay.http.cookies.set("wenze_session", after)
    assert replay.get("/queue").url.path == "/login"


def test_a_session_ends_after_its_idle_time(county) -> None:
    clock = Clock()
    app = create_app(county[0].state.store, WebConfig(session_idle_s=600), clock=clock)
    c = client(app, "lead1")
    clock.now += 599
    assert c.get("/queue").url.path == "/queue"
    clock.now += 601
    assert c.get("/queue").url.path == "/login"


def test_login_is_throttled_per_account_then_allowed_again(county) -> None:
    clock = Clock()
    config = WebConfig(login_failures_per_name=3, login_window_s=600)
    app = create_app(county[0].state.store, config, clock=clock)
    for _ in range(3):
        assert client(app).login("lead1", "wrong password").status_code == 401
    refused = client(app).login("lead1")  # even the right password waits
    assert refused.status_code == 429 and "登录失败次数过多，请10分钟后再试" in refused.text
    assert client(app).login("lead2").url.path == "/queue"  # other accounts are not held up
    clock.now += 601
    assert client(app).login("lead1").url.path == "/queue"


def test_login_is_throttled_per_address_across_accounts(county) -> None:
    clock = Clock()
    app = create_app(county[0].state.store, WebConfig(login_failures_per_address=4), clock=clock)
    for name in ("a1", "a2", "a3", "a4"):
        client(app).login(name, "guess")
    assert client(app).login("lead2").status_code == 429


# ---------------------------------------------------------------- CSRF


def _posts(rec_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Every state-changing form the application has, filled in as a user would."""
    return [
        ("/logout", {}),
        (f"/recommendations/{rec_id}/step", {"step": "investigation", "field_investigators": "甲、乙"}),
        (f"/recommendations/{rec_id}/amend", {"forms": "suspension", "reason": "情节严重"}),
        (f"/recommendations/{rec_id}/approve", {}),
        (f"/recommendations/{rec_id}/return", {"reason": "证据不足"}),
        (f"/recommendations/{rec_id}/reject", {"reason": "不予问责"}),
    ]


def test_every_post_without_the_sessions_token_is_refused_and_changes_nothing(fresh) -> None:
    app, store, ids = fresh
    rec = ids["P-SEC"]
    c = client(app, "lead1")
    other = client(app, "lead2")
    before = get_recommendation(store, rec)
    for path, data in _posts(rec):
        for token in (None, "", "forged", other.csrf):
            response = c.post(path, data if token is None else {**data, "csrf_token": token},
                              token=token is not None)
            assert response.status_code == 403, (path, token)
            assert "请求未通过安全校验" in response.text
    # a JSON body, a foreign origin, a cross-site fetch: refused even with the right token
    assert c.http.post(f"/recommendations/{rec}/reject", json={"reason": "x", "csrf_token": c.csrf}
                       ).status_code == 403
    assert c.post(f"/recommendations/{rec}/reject", {"reason": "x"},
                  headers={"origin": "https://evil.example"}).status_code == 403
    assert c.post(f"/recommendations/{rec}/reject", {"reason": "x"},
                  headers={"sec-fetch-site": "cross-site"}).status_code == 403
    # every other method and path, routed or not, is refused before any route is looked up
    for method in ("PUT", "PATCH", "DELETE"):
        assert c.http.request(method, f"/recommendations/{rec}").status_code == 403
    assert c.http.post("/no/such/path").status_code == 403
    assert get_recommendation(store, rec) == before
    assert c.get("/queue").url.path == "/queue"  # still signed in: the logout was refused too
    # the login form needs a token as well (no login CSRF)
    stranger = client(app)
    stranger.get("/login")
    assert stranger.post("/login", {"name": "lead1", "password": PASSWORD},
                         token=False).status_code == 403


def test_an_oversized_post_is_refused_before_any_route(county) -> None:
    app, ids = county
    c = client(app, "lead1")
    c.get(f"/recommendations/{ids['P-SEC']}")
    response = c.post(f"/recommendations/{ids['P-SEC']}/reject", {"reason": "长" * 200_000})
    assert response.status_code == 413 and "提交的内容过大" in response.text


def test_the_token_is_accepted_in_a_header(fresh) -> None:
    app, store, ids = fresh
    c = client(app, "lead1")
    response = c.http.post(f"/recommendations/{ids['P-SEC']}/step", headers={"x-csrf-token": c.csrf},
                           data={"step": "investigation", "field_investigators": "甲、乙"})
    assert response.status_code == 200 and "已记录" in response.text


# ---------------------------------------------------------------- scope


@pytest.mark.parametrize("name", sorted(USERS))
def test_each_user_sees_reaches_and_downloads_only_their_units_cases(county, name: str) -> None:
    app, ids = county
    c = client(app, name)
    queue = c.get("/queue").text
    listed = {item["person"] for item in c.get("/api/recommendations").json()["items"]}
    assert listed == set(SEES[name])
    names = {"P-SEC": "张建国", "P-DIS": "李纪明", "P-W1": "陈水生", "P-W2": "吴纪委"}
    for person, rec in ids.items():
        page = c.get(f"/recommendations/{rec}")
        api = c.get(f"/api/recommendations/{rec}")
        document = c.get(f"/recommendations/{rec}/document.html")
        if person in SEES[name]:
            assert names[person] in queue
            assert page.status_code == api.status_code == document.status_code == 200
            assert api.json()["person"] == person
        else:
            assert names[person] not in queue
            downloads = [c.get(f"/recommendations/{rec}/{doc}.{fmt}")
                         for doc in ("document", "decision") for fmt in ("pdf", "docx")]
            for response in (page, api, document, *downloads):
                assert response.status_code == 404, (name, person, response.url)
                assert names[person] not in response.text and rec not in response.text
            assert "没有找到该页面，或您无权查看" in page.text
            assert api.json() == {"error": "not_found"}
    unknown = c.get("/recommendations/R0000000000000000")
    assert unknown.status_code == 404
    hidden = [rec for person, rec in ids.items() if person not in SEES[name]]
    for rec in hidden:  # out of scope looks exactly like no such case
        assert c.get(f"/recommendations/{rec}").text == unknown.text


def test_a_case_out_of_scope_cannot_be_decided_or_downloaded_by_url(fresh) -> None:
    app, store, ids = fresh
    c = client(app, "coal")
    water = ids["P-W1"]
    before = get_recommendation(store, water)
    for path, data in _posts(water)[1:]:
        response = c.post(path, data)
        assert response.status_code == 404 and "陈水生" not in response.text, path
    for fmt in ("html", "pdf", "docx"):
        assert c.get(f"/recommendations/{water}/document.{fmt}").status_code == 404
    assert get_recommendation(store, water) == before


def test_the_unit_filter_cannot_widen_a_users_scope(county) -> None:
    app, _ids = county
    c = client(app, "coal")
    page = c.get("/api/recommendations?unit=U-WATER").json()
    assert page["items"] == [] or {i["person"] for i in page["items"]} <= set(COAL)
    assert "unit" in page["ignored"]


# ---------------------------------------------------------------- roles


def test_roles_see_the_forms_they_may_use(county) -> None:
    app, ids = county
    rec = ids["P-SEC"]
    forms = {name: set(re.findall(r'action="/recommendations/[^/]+/(\w+)"',
                                   client(app, name).get(f"/recommendations/{rec}").text))
             for name in ("coal", "lead1", "policy", "admin", "insider")}
    assert forms["coal"] == {"step", "return"}  # a reviewer records and returns
    assert forms["lead1"] == {"step", "amend", "approve", "return", "reject"}
    assert forms["policy"] == forms["admin"] == set()  # they read
    assert forms["insider"] == set()  # staff of the coal bureau never decide its cases


def test_a_refused_act_says_why_in_chinese_and_changes_nothing(fresh) -> None:
    app, store, ids = fresh
    rec = ids["P-SEC"]
    before = get_recommendation(store, rec)
    reviewer = client(app, "coal")
    reviewer.get(f"/recommendations/{rec}")
    refused = reviewer.post(f"/recommendations/{rec}/approve", {})
    assert refused.status_code == 403 and "无权批准" in refused.text
    insider = client(app, "insider")
    insider.get(f"/recommendations/{rec}")
    own = insider.post(f"/recommendations/{rec}/reject", {"reason": "本单位"})
    assert own.status_code == 403 and "不能决定本单位的问责建议" in own.text
    lead = client(app, "lead1")
    lead.get(f"/recommendations/{rec}")
    early = lead.post(f"/recommendations/{rec}/approve", {})
    assert early.status_code == 422 and "批准前须先记录调查、陈述和申辩、集体讨论决定" in early.text
    no_reason = lead.post(f"/recommendations/{rec}/reject", {"reason": "  "})
    assert no_reason.status_code == 422 and "驳回须写明理由" in no_reason.text
    bad_day = lead.post(f"/recommendations/{rec}/reject", {"reason": "x", "day": "2026-13-01"})
    assert bad_day.status_code == 422 and "日期应为" in bad_day.text
    assert get_recommendation(store, rec)["status"] == before["status"] == "pending"


def test_a_form_kept_open_while_another_user_acted_is_refused(fresh) -> None:
    app, store, ids = fresh
    rec = ids["P-SEC"]
    first, second = client(app, "lead1"), client(app, "lead2")
    first.get(f"/recommendations/{rec}")
    second.get(f"/recommendations/{rec}")
    assert second.post(f"/recommendations/{rec}/return", {"reason": "证据不足"}).status_code == 200
    late = first.post(f"/recommendations/{rec}/reject", {"reason": "不予问责"})
    assert late.status_code == 409 and "刚被他人或夜间评估更新" in late.text
    assert get_recommendation(store, rec)["status"] == "returned"


# ---------------------------------------------------------------- the decision, start to end


def _step(c: Any, rec: str, step: str, **values: str) -> Any:
    c.get(f"/recommendations/{rec}")
    response = c.post(f"/recommendations/{rec}/step",
                      {"step": step, **{f"field_{k}": v for k, v in values.items()}})
    assert response.status_code == 200 and "已记录" in response.text, response.text[-2000:]
    return response


def test_a_suspension_takes_the_steps_and_two_approvers(fresh) -> None:
    app, store, ids = fresh
    rec = ids["P-SEC"]
    coal, lead1, lead2 = client(app, "coal"), client(app, "lead1"), client(app, "lead2")
    _step(coal, rec, "investigation", investigators="刘调查、孙调查", findings="属实")
    statement = _step(coal, rec, "statement", text="本人对管理不严负有责任", adopted="false",
                      reason="与事实不符")
    assert "本人对管理不严负有责任" in statement.text and "陈述和申辩" in statement.text
    _step(lead1, rec, "collective_decision", attendees="甲、乙、丙", outcome="同意给予停职检查")
    lead1.get(f"/recommendations/{rec}")
    amended = lead1.post(f"/recommendations/{rec}/amend", {"forms": "suspension", "reason": "情节严重"})
    assert "停职检查" in amended.text and "引擎建议：通报批评" in amended.text
    first = lead1.post(f"/recommendations/{rec}/approve", {"deciding_body": "county_committee"})
    assert "待第二人批准" in first.text and "您已作第一次批准，须由另一名批准人批准" in first.text
    assert 'action="/recommendations/' + rec + '/approve"' not in first.text
    again = lead1.post(f"/recommendations/{rec}/approve", {"deciding_body": "county_committee"})
    assert again.status_code == 403 and "须由两名批准人先后批准" in again.text
    assert get_recommendation(store, rec)["status"] == "awaiting_second"
    lead2.get(f"/recommendations/{rec}")
    done = lead2.post(f"/recommendations/{rec}/approve", {"deciding_body": "county_committee"})
    assert done.status_code == 200 and "已修改" in done.text
    assert get_recommendation(store, rec)["status"] == "amended"
    for fmt in ("html", "pdf", "docx"):
        document = lead2.get(f"/recommendations/{rec}/decision.{fmt}")
        assert document.status_code == 200, fmt
    assert "问责决定书" in lead2.get(f"/recommendations/{rec}/decision.html").text
    assert client(app, "water").get(f"/recommendations/{rec}/decision.pdf").status_code == 404


def test_the_decision_document_exists_only_once_decided(fresh) -> None:
    app, _store, ids = fresh
    response = client(app, "lead1").get(f"/recommendations/{ids['P-SEC']}/decision.pdf")
    assert response.status_code == 404


# ---------------------------------------------------------------- documents


def test_documents_download_with_their_type_and_name(county) -> None:
    app, ids = county
    c = client(app, "lead1")
    rec = ids["P-SEC"]
    pdf = c.get(f"/recommendations/{rec}/document.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    docx = c.get(f"/recommendations/{rec}/document.docx")
    assert docx.content.startswith(b"PK") and "attachment" in docx.headers["content-disposition"]
    preview = c.get(f"/recommendations/{rec}/document.html")
    assert "关于对张建国同志问责的建议" in preview.text and "sandbox" in preview.headers["content-security-policy"]
    assert c.get(f"/recommendations/{rec}/document.exe").status_code == 404


# ---------------------------------------------------------------- the queue


def _persons(c: Any, query: str) -> set[str]:
    return {item["person"] for item in c.get(f"/api/recommendations?{query}").json()["items"]}


def test_queue_filters_live_in_the_url(county) -> None:
    app, _ids = county
    c = client(app, "lead1")
    assert _persons(c, "") == set(COAL + WATER)
    assert _persons(c, "unit=U-COAL") == set(COAL)
    assert _persons(c, "unit=U-COUNTY") == set(COAL + WATER)  # a unit with its subtree
    assert _persons(c, "date_from=2026-06-01") == set(WATER)
    assert _persons(c, "date_to=2026-03-01") == set(COAL)
    assert _persons(c, "status=pending&circumstance=3&form=circulated_criticism") == set(COAL + WATER)
    assert _persons(c, "status=approved") == set()
    assert _persons(c, "step=none") == set(COAL + WATER)
    assert _persons(c, "step=statement") == set()
    assert _persons(c, "proposer=organization_department") == set()
    page = c.get("/queue?unit=U-COAL&status=pending&sort=person&per_page=20")
    assert "共 <strong id=\"total\">2</strong> 条" in page.text
    assert '<option value="U-COAL" selected>' in page.text
    assert '<option value="20" selected>' in page.text
    # a link in the page keeps the filters
    assert "unit=U-COAL" in page.text and "status=pending" in page.text


def test_queue_sorts_counts_and_pages(county) -> None:
    app, _ids = county
    c = client(app, "lead1")
    first = c.get("/api/recommendations?sort=person&per_page=20").json()
    names = [i["person_name"] for i in first["items"]]
    assert names == sorted(names)
    assert [i["conduct_date"] for i in c.get("/api/recommendations?sort=-conduct_date").json()["items"]] \
        == sorted((i["conduct_date"] for i in first["items"]), reverse=True)
    assert first["total"] == 4 and first["pages"] == 1


def test_queue_refuses_values_it_does_not_know_and_says_so(county) -> None:
    app, _ids = county
    c = client(app, "lead1")
    page = c.get("/queue?status=bogus&date_from=2026-02-30&page=-1&per_page=7&sort=';drop")
    assert page.status_code == 200
    assert "筛选条件有误，已忽略：status、date_from、sort、page、per_page" in page.text
    assert '共 <strong id="total">4</strong> 条' in page.text


# ---------------------------------------------------------------- markup in facts


def test_fact_text_with_markup_is_shown_as_text(county) -> None:
    app, ids = county
    c = client(app, "lead1")
    rec = ids["P-W1"]
    for path in (f"/recommendations/{rec}", f"/recommendations/{rec}/document.html"):
        text = c.get(path).text
        assert "<script>" not in text and "<img src=x" not in text
        assert str(escape(MARKUP)) in text
    assert json.dumps(MARKUP, ensure_ascii=False)[1:-1] in json.dumps(
        c.get(f"/api/recommendations/{rec}").json(), ensure_ascii=False)
    assert c.get(f"/api/recommendations/{rec}").headers["content-type"] == "application/json"


def test_pages_carry_a_policy_that_runs_no_script(county) -> None:
    app, _ids = county
    page = client(app, "lead1").get("/queue")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize("cls", [LayoutContext, LoginContext, ErrorContext, QueueContext,
                                 DetailContext], ids=lambda c: c.TEMPLATE)
def test_web_template_reads_exactly_its_context_fields(cls: type) -> None:
    names = {f.name for f in fields(cls)}
    assert _reads(cls.TEMPLATE) <= names, _reads(cls.TEMPLATE) - names
    assert names <= _reads(cls.TEMPLATE), names - _reads(cls.TEMPLATE)
