"""Which form, and who may impose it: escalation by priors, factors, the ladder's ends, authority."""

from __future__ import annotations

import re
from datetime import date

import pytest

from engine.errors import RulebookError
from engine.rulebook import load_rulebook
from engine.rulebook.spec import PARTY_SANCTIONS
from engine.run.evaluate import evaluate
from engine.run.read import get_recommendation, list_recommendations
from tests.conftest import copy_county, load
from tests.engine_support import (
    AS_OF,
    assert_evaluators_agree,
    by_person,
    c2,
    coal,
    disunity,
    person,
    post,
    run,
    unit,
    violation,
)
from tests.review_support import decide_through_review

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _c2() -> list[dict]:
    """Circumstance 2 with a failed re-check after the due date: conduct on the due date,
    2026-07-10, and the re-check RC1 among the evidence."""
    return c2(recheck_date="2026-07-12")


def _prior(i: int, day: str, form: str = "admonition") -> dict:
    return {"kind": "accountability", "id": f"A{i}", "person": "P1", "date": day, "form": form}


@pytest.mark.parametrize(
    ("priors", "form", "prior_steps"),
    [
        pytest.param([], "admonition", 0, id="none"),
        pytest.param(["2025-03-01"], "circulated_criticism", 1, id="one-in-window"),
        pytest.param(["2025-03-01", "2025-09-01"], "suspension", 2, id="two-in-window"),
        # the conduct (the due date) is 2026-07-10: the 24-month window opens on 2024-07-10
        pytest.param(["2024-07-09"], "admonition", 0, id="one-day-outside"),
        pytest.param(["2024-07-10"], "circulated_criticism", 1, id="first-day-inside"),
        pytest.param(["2026-07-11"], "admonition", 0, id="after-the-conduct"),
        pytest.param(
            ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01"],
            "removal",
            5,
            id="capped-at-removal",
        ),
    ],
)
def test_each_prior_in_the_lookback_is_one_step_up(
    sqlite_store, tmp_path, priors, form, prior_steps
) -> None:
    facts = _c2() + [_prior(i, day) for i, day in enumerate(priors)]
    (item,) = run(sqlite_store, facts, tmp_path)
    assert item["form"] == form and item["forms"] == [form]
    steps = item["explanation"]["steps"]
    assert steps[0]["step"] == "base" and steps[0]["after"] == "admonition"
    priors_seen = [s for s in steps if s["step"] == "prior"]
    assert len(priors_seen) == prior_steps
    ladder = ["admonition", "circulated_criticism", "suspension", "removal"]
    for n, step in enumerate(priors_seen):  # in date order, each one step up (until the top)
        assert step["after"] == ladder[min(n + 1, 3)] and step["ref"] == f"accountability:A{n}"
        assert CHINESE.search(step["reason"]) and "回溯期" in step["reason"]
    if prior_steps > 3:
        assert steps[-1]["step"] == "cap" and "最重" in steps[-1]["reason"]
    assert all(CHINESE.search(s["reason"]) for s in steps)


def test_an_approved_recommendation_counts_as_a_prior(sqlite_store, tmp_path) -> None:
    (first,) = run(sqlite_store, c2(), tmp_path)
    # decided through review before the later conduct: an accountability fact of its matter
    assert decide_through_review(sqlite_store, first["id"], date(2026, 8, 1)) == "approved"
    later = [
        {
            "kind": "ledger",
            "id": "LG2",
            "person": "P1",
            "period": "2026-08",
            "task": "bs02",
            "status": "missing",
            "verdict": "fail",
            "date": "2026-08-31",
        },
        {
            "kind": "reminder",
            "id": "RM2",
            "person": "P1",
            "issuer": "L1",
            "date": "2026-09-05",
            "matter": "班子建设不力",
        },
        {
            "kind": "rectification",
            "id": "RC2",
            "reminder": "RM2",
            "person": "P1",
            "date": "2026-10-08",
            "effective": False,
        },
    ]
    items = run(sqlite_store, later, tmp_path, name="later.jsonl")
    second = next(i for i in items if i["id"] != first["id"])
    assert second["form"] == "circulated_criticism"
    priors = [s for s in second["explanation"]["steps"] if s["step"] == "prior"]
    assert [s["ref"] for s in priors] == [f"accountability:{first['id']}"]
    assert "2026-08-01曾受诫勉谈话" in priors[0]["reason"]
    # the approved one is left as reviewed, and is not its own prior
    assert get_recommendation(sqlite_store, first["id"])["status"] == "approved"


def test_a_pending_recommendation_is_not_a_prior(sqlite_store, tmp_path) -> None:
    run(sqlite_store, c2(), tmp_path)
    later = [
        {
            "kind": "proposal",
            "id": "PR1",
            "person": "P1",
            "proposer": "L1",
            "date": "2026-10-01",
            "reason": "履职不力",
        }
    ]
    items = run(sqlite_store, later, tmp_path, name="later.jsonl")
    proposal = next(i for i in items if i["rule"] == "c4-leader-proposal")
    assert not [s for s in proposal["explanation"]["steps"] if s["step"] == "prior"]


def _with_attrs(facts: list[dict], kind: str, attrs: dict, fid: str | None = None) -> list[dict]:
    out = []
    for fact in facts:
        fact = dict(fact)
        if fact["kind"] == kind and (fid is None or fact["id"] == fid):
            fact["attrs"] = attrs
        out.append(fact)
    return out


def test_obstruction_is_one_step_up(sqlite_store, tmp_path) -> None:
    (item,) = run(sqlite_store, _with_attrs(_c2(), "rectification", {"obstruction": True}), tmp_path)
    assert item["form"] == "circulated_criticism"
    step = item["explanation"]["steps"][-1]
    assert step["step"] == "aggravating" and "阻扰问责调查" in step["reason"]
    assert step["ref"] == "rectification:RC1 attrs.obstruction"


def test_losses_recovered_is_one_step_down(sqlite_store, tmp_path) -> None:
    facts = _with_attrs(disunity(), "person", {"losses_recovered": True}, "P1")
    items = {i["person"]: i for i in run(sqlite_store, facts, tmp_path)}
    assert items["P1"]["form"] == "admonition"  # circulated criticism, one step down
    assert items["P2"]["form"] == "circulated_criticism"  # the factor is the secretary's own
    steps = items["P1"]["explanation"]["steps"]
    assert [s["step"] for s in steps] == ["base", "responsibility", "mitigating"]
    assert "从轻" in steps[2]["reason"] and "挽回损失" in steps[2]["reason"]


def test_steps_are_recorded_in_order(sqlite_store, tmp_path) -> None:
    facts = _with_attrs(_c2(), "rectification", {"obstruction": True}) + [_prior(0, "2025-03-01")]
    facts = _with_attrs(facts, "person", {"losses_recovered": True}, "P1")
    (item,) = run(sqlite_store, facts, tmp_path)
    steps = item["explanation"]["steps"]
    assert [(s["step"], s["before"], s["after"]) for s in steps] == [
        ("base", None, "admonition"),
        ("responsibility", "admonition", "admonition"),  # weighed, with its reason; no move
        ("prior", "admonition", "circulated_criticism"),
        ("aggravating", "circulated_criticism", "suspension"),
        ("mitigating", "suspension", "circulated_criticism"),
    ]
    assert item["form"] == "circulated_criticism"


def test_mitigation_below_the_lightest_form_is_floored(sqlite_store, tmp_path) -> None:
    # the failed re-check after the due date is evidence, and carries the aggravating factor
    facts = _with_attrs(c2(due="2026-05-10"), "rectification", {"obstruction": True})
    facts = _with_attrs(facts, "person", {"losses_recovered": True, "cooperated": True}, "P1")
    (item,) = run(sqlite_store, facts, tmp_path)
    e = item["explanation"]
    assert [s["step"] for s in e["steps"]] == ["base", "responsibility", "aggravating", "mitigating",
                                              "mitigating", "cap"]
    assert e["forms"] == ["admonition"]  # 1 up, 2 down, floored at the lightest form
    assert "最轻" in e["steps"][-1]["reason"]
    assert {f["code"] for f in e["factors"]} == {"obstruction", "losses_recovered", "cooperated"}


def test_an_exempting_factor_means_no_recommendation(sqlite_store, tmp_path) -> None:
    assert (
        run(sqlite_store, _with_attrs(c2(), "person", {"force_majeure": True}, "P1"), tmp_path)
        == []
    )


def _corruption(severity: str, priors: int = 0) -> list[dict]:
    return [
        unit("U1", "县水利局"),
        person("P1", "陈书记", "U1"),
        person("S1", "周某", "U1"),
        post("P1", "U1", "secretary"),
        violation("V1", "U1", "2026-06-10", ["S1"], "corruption", severity),
        *[_prior(i, f"2025-0{i + 1}-01") for i in range(priors)],
    ]


# the county's circumstance-3 rules find nothing minor (严重贪腐问题 is serious or grave), so a
# rule of the discipline commission that does is added for this test
MINOR_CORRUPTION = """id: x-minor-corruption
title: 测试：情节一般的腐败问题
circumstance: 3
versions:
  - version: 1
    effective: {from: 2016-01-01}
    basis: [{document: 测试规则, article: 一, text: 测试}]
    match:
      - fact: violation
        as: violation
        where:
          category: corruption
          severity: minor
    finding:
      subject: {unit: violation.unit}
      severity: violation.severity
      proposer: discipline_commission
      conduct_date: violation.date
"""


@pytest.mark.parametrize(("priors", "form"), [(0, "admonition"), (1, "circulated_criticism")])
def test_discipline_commission_may_impose_admonition_and_circulated_criticism(
    sqlite_store, tmp_path, priors, form
) -> None:
    rules = copy_county(tmp_path / "rules")
    (rules / "circumstances" / "x_minor_corruption.yaml").write_text(MINOR_CORRUPTION,
                                                                      encoding="utf-8")
    load(sqlite_store, _corruption("minor", priors), tmp_path)
    rulebook = load_rulebook(rules)
    assert_evaluators_agree(sqlite_store, rulebook)
    evaluate(sqlite_store, AS_OF, rulebook)
    (item,) = list_recommendations(sqlite_store, with_explanation=True)
    e = item["explanation"]
    assert e["forms"] == [form] and e["proposer"] == "discipline_commission"
    assert e["proposer_may_impose"] is True and e["decider"] == "discipline_commission"


def test_no_party_sanction_is_proposed_but_a_case_review_on_its_ground(sqlite_store,
                                                                       tmp_path) -> None:
    """纪律处分 rests on the person's own violation and the disciplinary procedure: in the
    coal-bureau case the commission opened a case first, and the 党内警告 came out of it. The
    engine proposes the case review and says why; it never proposes the sanction itself."""
    items = by_person(run(sqlite_store, coal(), tmp_path))
    for item in items.values():
        e = item["explanation"]
        assert not set(e["forms"]) & set(PARTY_SANCTIONS)
        assert "立案审查" in e["case_review"] and "情节较重以上" in e["case_review"]
        assert e["proposer_may_impose"] is True  # circulated criticism is the commission's own
    # the secretary's leadership and the discipline secretary's supervision are weighed apart,
    # and the equal outcome says why
    reasons = {p: next(s["reason"] for s in items[p]["explanation"]["steps"]
                       if s["step"] == "responsibility") for p in ("P-SEC", "P-DIS")}
    assert "领导责任" in reasons["P-SEC"] and "监督责任" in reasons["P-DIS"]
    assert "同一档次" in reasons["P-DIS"]


def test_a_party_sanction_written_as_a_combined_form_is_a_rule_error(tmp_path) -> None:
    folder = copy_county(tmp_path / "rules")
    path = folder / "sanctions.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "combined: []", "combined:\n  - when: {circumstance: 3}\n    add: warning"),
        encoding="utf-8")
    with pytest.raises(RulebookError, match="warning is a party sanction"):
        load_rulebook(folder)


def test_suspension_may_only_be_proposed_and_the_county_committee_decides(
    sqlite_store, tmp_path
) -> None:
    facts = [dict(f, severity="grave") if f["kind"] == "violation" else f for f in coal()]
    items = run(sqlite_store, facts, tmp_path)
    for item in items:
        e = item["explanation"]
        assert e["forms"][0] == "suspension" and e["proposer"] == "discipline_commission"
        assert e["proposer_may_impose"] is False and e["decider"] == "county_committee"
        assert e["decider_label"] == "中共溆浦县委员会"


def test_a_supervising_leader_may_impose_nothing(sqlite_store, tmp_path) -> None:
    (item,) = run(sqlite_store, c2(), tmp_path)
    e = item["explanation"]
    assert e["forms"] == ["admonition"] and e["proposer_may_impose"] is False
    assert e["decider"] == "discipline_commission"


def test_the_organization_department_may_impose_circulated_criticism(sqlite_store, tmp_path) -> None:
    secretary = next(i for i in run(sqlite_store, disunity(), tmp_path) if i["person"] == "P1")
    e = secretary["explanation"]
    assert e["forms"] == ["circulated_criticism"] and e["proposer_may_impose"] is True
    assert e["decider"] == "organization_department"
