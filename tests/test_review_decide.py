"""Decisions and due process (review.decide): the state machine, every refusal, authority,
four-eyes, and the accountability fact a decision leaves — on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.run.evaluate import evaluate
from engine.run.read import get_recommendation
from facts.tables import AccountabilityRow
from review.decide import amend, approve, record_step, reject, return_for_evidence
from review.detail import recommendation_detail
from review.errors import (
    BadInput,
    Conflict,
    FourEyes,
    NotAllowed,
    NotAuthorised,
    NotInScope,
    OwnUnit,
    StepMissing,
)
from tests.engine_support import AS_OF
from tests.review_support import accounts, county_cases

DAY = date(2026, 11, 26)


@pytest.fixture
def county(store, tmp_path):
    return store, county_cases(store, tmp_path), accounts(store)


def _before_decision(store, user, rec_id) -> None:
    """The steps review.yaml requires before approval: 调查, 陈述和申辩, 集体讨论决定."""
    record_step(store, user, rec_id, "investigation", DAY, {"investigators": "王某、李某"})
    record_step(store, user, rec_id, "statement", DAY,
                {"text": "<b>我有异议</b>", "adopted": "否", "reason": "与事实不符"})
    record_step(store, user, rec_id, "collective_decision", DAY,
                {"attendees": ["甲", "乙", "丙"], "outcome": "同意给予通报批评"})


def _accountability(store, rec_id):
    table = AccountabilityRow.__table__
    with store.connect() as connection:
        return connection.execute(select(table).where(table.c.id == rec_id)).mappings().first()


def test_the_whole_procedure_from_investigation_to_filing(county) -> None:
    store, ids, users = county
    rec, user = ids["P-SEC"], users["county"]
    _before_decision(store, user, rec)
    assert approve(store, user, rec, day=DAY) == "approved"
    detail = recommendation_detail(store, user, rec)
    assert detail.status_label == "已批准" and detail.decided_on == DAY
    (decision,) = detail.decisions
    assert (decision.action_label, decision.form_labels, decision.actor) == ("批准", ["通报批评"], "county")
    assert decision.deciding_body_name == "中共溆浦县纪律检查委员会"  # the commission may impose it
    statement = next(s for s in detail.steps if s.code == "statement")
    assert statement.records[0].fields == [("陈述申辩内容", "<b>我有异议</b>"), ("是否采纳", "否"),
                                           ("采纳或不予采纳的理由", "与事实不符")]
    assert statement.records[0].actor == "county" and statement.records[0].day == DAY
    # after the decision: served, appealed within the period, executed and filed
    record_step(store, user, rec, "served", DAY, {"recipient": "张建国"})
    detail = recommendation_detail(store, user, rec)
    assert detail.appeal_last_day == date(2026, 12, 26)  # one month (review.yaml appeal.period)
    record_step(store, user, rec, "appeal", date.today(), {"text": "申诉", "outcome": "维持原决定"})
    record_step(store, user, rec, "execution", date.today(), {"report": "已执行"})
    detail = recommendation_detail(store, user, rec)
    assert all(s.done for s in detail.steps)
    assert next(s for s in detail.steps if s.code == "appeal").records[0].fields[1] == (
        "申诉处理结果", "维持原决定")
    # the decision is an accountability fact of its matter, dated on the decision
    fact = _accountability(store, rec)
    assert (fact["person"], fact["form"], fact["date"]) == ("P-SEC", "circulated_criticism", DAY)
    assert set(fact["attrs"]["evidence"]) == set(get_recommendation(store, rec)["evidence"])


def test_a_decision_cannot_skip_the_statement_and_defence(county) -> None:
    store, ids, users = county
    rec, user = ids["P-SEC"], users["county"]
    with pytest.raises(StepMissing, match="批准前须先记录调查、陈述和申辩、集体讨论决定"):
        approve(store, user, rec, day=DAY)
    record_step(store, user, rec, "investigation", DAY, {"investigators": ["王某", "李某"]})
    with pytest.raises(StepMissing, match="记录集体讨论决定前须先记录陈述和申辩"):
        record_step(store, user, rec, "collective_decision", DAY,
                    {"attendees": ["甲"], "outcome": "同意"})
    with pytest.raises(StepMissing, match="批准前须先记录陈述和申辩、集体讨论决定"):
        approve(store, user, rec, day=DAY)
    assert get_recommendation(store, rec)["status"] == "pending"
    assert _accountability(store, rec) is None


def test_steps_are_refused_out_of_order_incomplete_or_late(county) -> None:
    store, ids, users = county
    rec, user = ids["P-SEC"], users["county"]
    with pytest.raises(StepMissing, match="记录陈述和申辩前须先记录调查"):
        record_step(store, user, rec, "statement", DAY, {"text": "无", "adopted": True})
    with pytest.raises(NotAllowed, match="送达须在作出决定之后记录"):
        record_step(store, user, rec, "served", DAY, {"recipient": "张建国"})
    with pytest.raises(BadInput, match="调查须填写“调查人员”"):
        record_step(store, user, rec, "investigation", DAY, {})
    with pytest.raises(BadInput, match="没有“hearing”这一程序步骤"):
        record_step(store, user, rec, "hearing", DAY, {})
    with pytest.raises(BadInput, match="没有“who”一项"):
        record_step(store, user, rec, "investigation", DAY, {"investigators": "甲", "who": "乙"})
    with pytest.raises(BadInput, match="晚于今天"):
        record_step(store, user, rec, "investigation", date.today() + timedelta(days=1),
                    {"investigators": "甲"})
    _before_decision(store, user, rec)
    with pytest.raises(BadInput, match="“是否采纳”应为是或否"):
        record_step(store, user, rec, "statement", DAY, {"text": "补充", "adopted": "也许"})
    approve(store, user, rec, day=DAY)
    with pytest.raises(NotAllowed, match="调查须在作出决定之前记录"):
        record_step(store, user, rec, "investigation", DAY, {"investigators": "甲"})
    with pytest.raises(StepMissing, match="记录申诉前须先记录送达"):
        record_step(store, user, rec, "appeal", DAY, {"text": "不服"})
    record_step(store, user, rec, "served", date(2026, 10, 1), {"recipient": "张建国"})
    with pytest.raises(BadInput, match="申诉期限已于2026年11月1日届满"):
        record_step(store, user, rec, "appeal", date(2026, 11, 2), {"text": "不服"})
    record_step(store, user, rec, "appeal", date(2026, 11, 1), {"text": "不服"})


def test_who_may_act_scope_role_and_own_unit(county) -> None:
    store, ids, users = county
    rec = ids["P-SEC"]
    with pytest.raises(NotInScope):
        approve(store, users["town"], rec, day=DAY)
    with pytest.raises(NotInScope):
        record_step(store, users["town"], rec, "investigation", DAY, {"investigators": "甲"})
    with pytest.raises(OwnUnit, match="insider是县煤炭局的工作人员"):
        record_step(store, users["insider"], rec, "investigation", DAY, {"investigators": "甲"})
    with pytest.raises(NotAllowed, match="policy（政策人员）无权记录程序步骤"):
        record_step(store, users["policy"], rec, "investigation", DAY, {"investigators": "甲"})
    # a reviewer records steps and returns, but decides nothing
    _before_decision(store, users["clerk"], rec)
    for act in (lambda u: approve(store, u, rec, day=DAY),
                lambda u: reject(store, u, rec, "不予问责"),
                lambda u: amend(store, u, rec, ["suspension"], "情节严重")):
        with pytest.raises(NotAllowed, match="clerk（审核人员）无权"):
            act(users["clerk"])
    with pytest.raises(OwnUnit):
        approve(store, users["insider"], rec, day=DAY)
    assert approve(store, users["coal"], rec, day=DAY) == "approved"  # in scope, not own unit


def test_reasons_are_required_and_a_rejection_ends_it(county) -> None:
    store, ids, users = county
    rec, user = ids["P1"], users["county"]
    for act, name in ((lambda r: reject(store, user, rec, r), "驳回"),
                      (lambda r: return_for_evidence(store, user, rec, r), "退回补充证据"),
                      (lambda r: amend(store, user, rec, ["circulated_criticism"], r), "修改问责方式")):
        with pytest.raises(BadInput, match=f"{name}须写明理由"):
            act("  ")
    assert reject(store, user, rec, "提醒人并非其主管领导") == "rejected"
    with pytest.raises(NotAllowed, match="现为“已驳回”，不能批准"):
        approve(store, user, rec, day=DAY)
    assert _accountability(store, rec) is None
    assert recommendation_detail(store, user, rec).allowed == []


def test_returned_for_evidence_until_a_step_reopens_it(county) -> None:
    store, ids, users = county
    rec, user = ids["P-SEC"], users["county"]
    record_step(store, user, rec, "investigation", DAY, {"investigators": "甲"})
    assert return_for_evidence(store, user, rec, "赌博人员名单须核实") == "returned"
    with pytest.raises(NotAllowed, match="现为“已退回补充证据”，不能批准"):
        approve(store, user, rec, day=DAY)
    record_step(store, user, rec, "investigation", DAY, {"investigators": "甲", "findings": "已核实"})
    assert get_recommendation(store, rec)["status"] == "pending"


def test_authority_suspension_is_decided_by_the_body_with_management_authority(county) -> None:
    store, ids, users = county
    rec = ids["P-SEC"]
    _before_decision(store, users["county"], rec)
    assert amend(store, users["county"], rec, ["suspension"], "情节严重，影响恶劣") == ["suspension"]
    with pytest.raises(NotAuthorised, match="中共溆浦县纪律检查委员会无权决定停职检查，停职检查由中共溆浦县委员会决定"):
        approve(store, users["county"], rec, deciding_body_code="discipline_commission", day=DAY)
    with pytest.raises(BadInput, match="没有“party_school”这一机关"):
        approve(store, users["county"], rec, deciding_body_code="party_school", day=DAY)
    assert approve(store, users["county"], rec, day=DAY) == "awaiting_second"
    assert approve(store, users["county2"], rec, day=DAY) == "amended"
    detail = recommendation_detail(store, users["county"], rec)
    assert [d.deciding_body_name for d in detail.decisions if d.action == "approve"] == [
        "中共溆浦县委员会", "中共溆浦县委员会"]
    # the change is kept beside the engine's proposal
    assert (detail.engine_form_labels, detail.decided_form_labels) == (["通报批评"], ["停职检查"])
    amendment = next(d for d in detail.decisions if d.action == "amend")
    assert amendment.reason == "情节严重，影响恶劣"
    assert _accountability(store, rec)["form"] == "suspension"


def test_four_eyes_a_suspension_cannot_be_approved_by_one_person(county) -> None:
    store, ids, users = county
    rec = ids["P-DIS"]
    _before_decision(store, users["county"], rec)
    amend(store, users["county"], rec, ["suspension"], "监督严重缺位")
    assert approve(store, users["county"], rec, day=DAY) == "awaiting_second"
    detail = recommendation_detail(store, users["county"], rec)
    assert detail.four_eyes and detail.first_approver == "county" and "approve" not in detail.allowed
    with pytest.raises(FourEyes, match="停职检查须由两名批准人先后批准：county已作第一次批准"):
        approve(store, users["county"], rec, day=DAY)
    assert _accountability(store, rec) is None
    # an amendment voids the first approval: both approve the new forms afresh
    amend(store, users["county2"], rec, ["removal", "suspension"], "另查明其他问题")
    assert get_recommendation(store, rec)["status"] == "pending"
    assert approve(store, users["county2"], rec, day=DAY) == "awaiting_second"
    with pytest.raises(FourEyes):
        approve(store, users["county2"], rec, day=DAY)
    assert approve(store, users["county"], rec, day=DAY) == "amended"
    assert _accountability(store, rec)["form"] == "removal"
    # a form up to 通报批评 needs one approver
    _before_decision(store, users["county"], ids["P-SEC"])
    assert approve(store, users["county"], ids["P-SEC"], day=DAY) == "approved"


def test_amendments_are_forms_on_the_ladder_and_never_party_sanctions(county) -> None:
    store, ids, users = county
    rec, user = ids["P-SEC"], users["county"]
    with pytest.raises(BadInput, match="“warning”不是可以决定的问责方式"):
        amend(store, user, rec, ["warning"], "党内警告")
    with pytest.raises(BadInput, match="修改后的问责方式与现在的相同"):
        amend(store, user, rec, ["circulated_criticism"], "不变")
    amend(store, user, rec, ["admonition"], "情节较轻")
    assert amend(store, user, rec, ["circulated_criticism"], "恢复原建议") == ["circulated_criticism"]
    assert recommendation_detail(store, user, rec).decided_forms is None  # back to the proposal


def test_an_act_on_a_recommendation_changed_since_it_was_read_is_refused(county) -> None:
    store, ids, users = county
    rec = ids["P-SEC"]
    seen = recommendation_detail(store, users["county"], rec).version
    record_step(store, users["county2"], rec, "investigation", DAY, {"investigators": "甲"})
    with pytest.raises(Conflict, match="请重新查看后再操作"):
        return_for_evidence(store, users["county"], rec, "证据不足", seen=seen)
    seen = recommendation_detail(store, users["county"], rec).version
    assert return_for_evidence(store, users["county"], rec, "证据不足", seen=seen) == "returned"


def test_an_approved_recommendation_counts_later_but_never_for_its_own_matter(
        store, tmp_path) -> None:
    ids = county_cases(store, tmp_path)
    users = accounts(store)
    rec, user = ids["P1"], users["county"]
    _before_decision(store, user, rec)
    approve(store, user, rec, day=date(2026, 8, 1))
    # the same matter found again (the same facts): not its own prior, not a new recommendation
    again = evaluate(store, AS_OF)
    assert again.new == [] and get_recommendation(store, rec)["status"] == "approved"
    from tests.conftest import load

    load(store, [
        {"kind": "reminder", "id": "RM2", "person": "P1", "issuer": "L1", "date": "2026-09-05",
         "matter": "班子建设不力"},
        {"kind": "rectification", "id": "RC2", "reminder": "RM2", "person": "P1",
         "date": "2026-10-08", "effective": False}], tmp_path, "later.jsonl")
    later = evaluate(store, AS_OF)
    (new,) = later.new
    item = get_recommendation(store, new)
    priors = [s for s in item["explanation"]["steps"] if s["step"] == "prior"]
    assert [s["ref"] for s in priors] == [f"accountability:{rec}"]
    assert item["form"] == "circulated_criticism"  # one step up from 诫勉谈话


def test_a_decision_committed_while_a_run_commits_is_never_overwritten(pg_store, tmp_path,
                                                                       monkeypatch) -> None:
    """The run reads the recommendation as pending, a reviewer rejects it, then the run, which
    would withdraw it (its re-check was corrected), leaves the decision as it is."""
    import engine.run.commit as run_commit
    from facts.ingest import ingest
    from tests.conftest import write_jsonl

    ids = county_cases(pg_store, tmp_path)
    users = accounts(pg_store)
    rec = ids["P1"]
    report = ingest(pg_store, [write_jsonl(tmp_path / "fix.jsonl", [
        {"kind": "rectification", "id": "RC1", "reminder": "RM1", "person": "P1",
         "date": "2026-05-09", "effective": True}])], replace=True)
    assert not report.errors
    read_stored = run_commit._current_facts

    evidence = set(get_recommendation(pg_store, rec)["evidence"])
    decided: list[str] = []

    def decide_meanwhile(connection, refs):  # after the run read the rows, before it writes
        if evidence & set(refs) and not decided:  # the part of the persons that holds rec's
            decided.append(reject(pg_store, users["county"], rec, "提醒人并非主管领导"))
        return read_stored(connection, refs)

    monkeypatch.setattr(run_commit, "_current_facts", decide_meanwhile)
    result = evaluate(pg_store, AS_OF)
    assert rec not in result.withdrawn and rec in result.unchanged
    assert get_recommendation(pg_store, rec)["status"] == "rejected"
