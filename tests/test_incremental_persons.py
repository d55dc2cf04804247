"""An incremental run takes over the persons whose inputs did not change: the cases where
taking a person over could commit something a full run would not.

Each builds a small county (or the demo county) in two identical stores, changes both the
same way, and evaluates one incrementally and the other in full
(``tests.incremental_support.assert_same_as_full``): a name corrected that another person's
explanation states, an explanation that states the evaluation date, set-aside findings
placed among others, a decided recommendation reopened after its facts changed, the date
moving back and forth, cases closing, a matter merged across rules, a rule version coming
into force, a province whose county roster holds proposers named from elsewhere, and a
change to one county's roster (a post, a name, a newcomer, a secondment) that explains
that county again, not the province.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from engine.rulebook import Rulebook, load_rulebook
from engine.run.read import list_runs
from tests.conftest import copy_county
from tests.engine_support import c1_version_2_not_accountable, disunity, person, post, unit
from tests.incremental_support import (
    AS_OF,
    apply,
    assert_same_as_full,
    both,
    day_of_changes,
    pair,
    recommendations,
    sqlite_pair,
)

# A county leader (L1) proposes accountability for P1, who was admonished 23 months before
# the proposal: within the 24-month look-back of sanctions.yaml, so a prior counts.
SMALL = [unit("U1", "县教育局"),
         person("P1", "彭局长", "U1", category="organ_secretary"),
         person("L1", "向副书记", "U1", category="county_deputy_secretary"),
         post("P1", "U1", "secretary"),
         {"kind": "accountability", "id": "A1", "person": "P1", "date": "2024-07-01",
          "form": "admonition"},
         {"kind": "proposal", "id": "PR1", "person": "P1", "proposer": "L1",
          "date": "2026-06-01", "reason": "党建工作纪实评价连续两年排名末位"}]


def test_a_corrected_name_reaches_the_explanations_that_name_him(tmp_path: Path) -> None:
    """L1's name is corrected: P1's recommendation names him as its proposer, so P1 is
    explained again though nothing about P1 changed."""
    incremental, full = pair(tmp_path, SMALL)
    (before,) = recommendations(full)
    assert "向副书记" in before["explanation"]["proposer_label"]
    both((incremental, full), tmp_path, [{**SMALL[2], "name": "向明德"}], replace=True)
    state = assert_same_as_full(incremental, full, AS_OF)
    assert (state["explained"], state["carried"]) == (1, 0)
    (after,) = recommendations(incremental)
    assert "向明德" in after["explanation"]["proposer_label"]


def test_an_explanation_stating_both_sanction_values_is_restated_each_day(tmp_path: Path) -> None:
    """The look-back was shortened to 12 months after the conduct: P1's explanation states the
    values of both times as of the evaluation date, so the next day's run restates it (and
    finds the prior outside the new look-back, the lighter outcome, again)."""
    folder = copy_county(tmp_path / "rules")
    path = folder / "sanctions.yaml"
    text = path.read_text(encoding="utf-8")
    assert "lookback: 24m\n" in text
    path.write_text(text.replace("lookback: 24m\n", (
        "lookback:\n"
        "  - effective: {from: 2016-03-01, to: 2026-06-30}\n    value: 24m\n"
        "  - effective: {from: 2026-07-01}\n    value: 12m\n")), encoding="utf-8")
    rulebook = load_rulebook(folder)
    incremental, full = pair(tmp_path, SMALL, rulebook)
    (before,) = recommendations(full)
    assert before["explanation"]["sanctions"]["as_of"] == AS_OF.isoformat()
    today = AS_OF + timedelta(days=1)
    state = assert_same_as_full(incremental, full, today, rulebook)
    assert state["full"] is None and state["explained"] == 1
    (after,) = recommendations(incremental)
    assert after["explanation"]["sanctions"]["as_of"] == today.isoformat()


# ---------------------------------------------------------------- 从旧兼从轻 set-asides

def _v2_not_accountable(tmp_path: Path) -> Rulebook:
    return load_rulebook(c1_version_2_not_accountable(tmp_path))


def test_carried_lighter_current_version_set_asides_keep_their_place(tmp_path: Path) -> None:
    """Persons whose only finding is set aside because the current version no longer holds
    the conduct accountable (order ``(1, person, rec_id)``), next to a finding set aside
    before any person is considered (order ``(0, n, ...)``): carried over, the first kind
    must come back in the same place."""
    rulebook = _v2_not_accountable(tmp_path)
    petition = {"kind": "disunity", "id": "D2", "unit": "U1", "date": "2026-05-21",
                "affects_work": True, "public_reaction": True, "source": "petition"}
    stores = pair(tmp_path, [*disunity(), petition], rulebook)
    assert {item["reason"] for item in list_runs(stores[0], 1)[0]["set_aside"]} == \
        {"lighter_current_version", "unverified_report"}
    state = assert_same_as_full(*stores, AS_OF + timedelta(days=1), rulebook)
    assert state["carried"] > 0


# ---------------------------------------------------------------- reviewers between runs


def _awaiting_second(store: Engine, rec_id: str, unit_id: str) -> Any:
    """The steps before a decision, the forms amended to a heavier one and a first approval:
    the recommendation awaits a second approver (decided, but no accountability fact yet)."""
    from review.decide import amend, approve, record_step
    from review.users import add_user

    user = add_user(store, "first", "approver", [unit_id], "correct horse battery")
    record_step(store, user, rec_id, "investigation", AS_OF, {"investigators": ["甲", "乙"]})
    record_step(store, user, rec_id, "statement", AS_OF, {"text": "无异议", "adopted": False})
    record_step(store, user, rec_id, "collective_decision", AS_OF,
                {"attendees": ["甲", "乙", "丙"], "outcome": "同意"})
    amend(store, user, rec_id, ["suspension"], "情节较重", day=AS_OF)
    assert approve(store, user, rec_id, day=AS_OF) == "awaiting_second"
    return user


@pytest.mark.parametrize("reopen", ["return", "amend"])
def test_a_recommendation_decided_while_its_facts_changed_then_reopened(
        tmp_path: Path, reopen: str) -> None:
    """P1's recommendation awaits a second approval (decided: a run leaves its explanation as
    it was) when its evidence is corrected; the run that explains P1 again stores his outcome.
    Then the approver returns it for evidence (or amends its forms, which voids the first
    approval): it is pending again and follows its facts, so a full run brings its stale
    explanation up to date, while an incremental run takes P1 over and leaves it stale."""
    from review.decide import amend, return_for_evidence

    stores = pair(tmp_path, disunity())
    rec = next(r for r in recommendations(stores[1]) if r["person"] == "P1")
    users = [_awaiting_second(store, rec["id"], rec["unit"]) for store in stores]
    report = next(f for f in disunity() if f["id"] == "D1")
    both(stores, tmp_path, [{**report, "attrs": {"note": "复核后补记"}}], replace=True)
    assert_same_as_full(*stores, AS_OF)
    assert next(r for r in recommendations(stores[0]) if r["id"] == rec["id"])["status"] == \
        "awaiting_second"
    for store, user in zip(stores, users, strict=True):
        if reopen == "return":
            return_for_evidence(store, user, rec["id"], "补充谈话记录", day=AS_OF)
        else:
            amend(store, user, rec["id"], ["removal"], "情节严重", day=AS_OF)
    assert next(r for r in recommendations(stores[0]) if r["id"] == rec["id"])["status"] in \
        ("returned", "pending")
    state = assert_same_as_full(*stores, AS_OF)
    assert state["full"] is None


# ---------------------------------------------------------------- risky cases that hold


def test_runs_back_and_forth_in_time_with_changes(base_sqlite: Path, facts_by_kind: dict,
                                                 tmp_path: Path) -> None:
    """Several runs in a row, the evaluation date moving on, back (past the dates of cases
    closed, records and priors) and on again, with new and corrected facts in between."""
    stores = sqlite_pair(base_sqlite, tmp_path)
    today = AS_OF
    plan = [(+30, [("new", "violation", 3, 0), ("corrected", "violation", 5, 0)]),
            (-200, [("backdated", "accountability", 2, 30), ("backdated", "ledger", 9, 20)]),
            (-100, []),
            (+400, [("corrected", "accountability", 1, 0), ("corrected", "inspection", 4, 0)]),
            (-365, [("backdated", "reminder", 6, 10)])]
    for n, (step, changes) in enumerate(plan):
        today += timedelta(days=step)
        new, corrected = day_of_changes(facts_by_kind, changes, today, f"B{n}-")
        for store in stores:
            apply(store, tmp_path, new, corrected)
        state = assert_same_as_full(*stores, today)
        assert state["full"] is None


def test_a_case_closing_between_two_evaluation_dates(tmp_path: Path) -> None:
    """A case against P1 closes between two runs' dates: his recommendation is routed to
    discipline handling on the first date and not on the second (and back again)."""
    facts = [*disunity(), {"kind": "violation", "id": "V-CASE", "unit": "U1", "actors": ["P1"],
                           "date": "2026-10-01", "category": "work_discipline",
                           "severity": "minor", "case_filed": True,
                           "case_closed": "2026-11-28", "description": "违规收受礼品"}]
    stores = pair(tmp_path, facts)
    for day, route in ((AS_OF + timedelta(days=3), "discipline_handling"),
                       (AS_OF + timedelta(days=4), "accountability"),
                       (AS_OF, "discipline_handling")):
        state = assert_same_as_full(*stores, day)
        assert state["full"] is None
        (p1,) = [r for r in recommendations(stores[0]) if r["person"] == "P1"]
        assert p1["explanation"]["route"] == route


# ---------------------------------------------------------------- a province of two counties

# county A (CA) with the township U1, county B (CB) with the township UB; XB is UB's secretary
U1 = unit("U1", "大江口镇", "township", parent="CA")
XB = person("XB", "田书记", "UB", category="township_secretary")
COUNTIES = [unit("CA", "甲县委", "county_committee"), U1,
            unit("CB", "乙县委", "county_committee"), unit("UB", "乙县某镇", "township", parent="CB")]

TWO_COUNTIES = [
    *COUNTIES,
    person("P1", "杨书记", "U1", category="township_secretary"),
    person("Q1", "舒委员", "U1", category="grassroots_committee_member"),
    XB,
    post("P1", "U1", "secretary"), post("Q1", "U1", "member"), post("XB", "UB", "secretary"),
    # a corruption case in U1 whose actor is given by the id of a person of the other county
    {"kind": "violation", "id": "V1", "unit": "U1", "actors": ["XB"], "date": "2026-05-01",
     "category": "corruption", "severity": "serious", "case_filed": False,
     "description": "违规收受礼品"},
]


def test_a_proposer_named_elsewhere_in_the_county_names_an_actor_in_his_evidence(
        tmp_path: Path) -> None:
    """Two counties: A's roster holds A's people and, from the other county, only those posted
    in A and the proposers A's findings name. P1 (secretary of U1, county A) is held to account
    for a corruption case in U1 whose actor XB belongs to county B: the evidence states XB as
    his id. Then XB reminds Q1 (also of U1): XB is named as a proposer, joins A's roster, and
    P1's evidence now states XB's name — though nothing of P1's changed."""
    stores = pair(tmp_path, TWO_COUNTIES)
    (before,) = [r for r in recommendations(stores[1]) if r["person"] == "P1"]
    assert "田书记" not in before["explanation"]["evidence"][0]["summary"]
    reminder = {"kind": "reminder", "id": "RM-Q1", "person": "Q1", "issuer": "XB",
                "date": "2026-04-10", "due": "2026-07-10", "matter": "党建工作台账不全"}
    both(stores, tmp_path, [reminder])
    state = assert_same_as_full(*stores, AS_OF)
    assert state["full"] is None


def test_a_proposer_from_elsewhere_renamed_is_renamed_where_he_is_named(tmp_path: Path) -> None:
    """XB (county B) reminds Q1 of county A: A's roster holds him, and P1's evidence states
    his name. His name is then corrected: county A is explained again though no person or
    post of A's own units changed."""
    stores = pair(tmp_path, [*TWO_COUNTIES, {
        "kind": "reminder", "id": "RM-Q1", "person": "Q1", "issuer": "XB", "date": "2026-04-10",
        "due": "2026-07-10", "matter": "党建工作台账不全"}])
    both(stores, tmp_path, [{**XB, "name": "田明德"}], replace=True)
    state = assert_same_as_full(*stores, AS_OF)
    (p1,) = [r for r in recommendations(stores[0]) if r["person"] == "P1"]
    assert "田明德" in p1["explanation"]["evidence"][0]["summary"]
    assert state["full"] is None


def test_a_newcomer_appointed_here_is_held_here(tmp_path: Path) -> None:
    """P3 joins U1 (county A) as a second secretary before the corruption case there: he is
    held to account for it with P1. Only a person and a post of A's units changed, neither
    of them one A's roster held before."""
    stores = pair(tmp_path, TWO_COUNTIES)
    assert {r["person"] for r in recommendations(stores[1])} == {"P1"}
    both(stores, tmp_path, [person("P3", "龙书记", "U1", category="township_secretary"),
                            post("P3", "U1", "secretary", start="2026-01-01")])
    state = assert_same_as_full(*stores, AS_OF)
    assert {r["person"] for r in recommendations(stores[0])} == {"P1", "P3"}
    assert state["full"] is None


def test_a_secondment_joins_two_counties(tmp_path: Path) -> None:
    """ZB, of county B, is seconded to U1 (county A): everything about one person is
    recommended together, so the two counties are one from then on (``Counties``)."""
    stores = pair(tmp_path, [*TWO_COUNTIES, person("ZB", "覃干部", "UB")])
    both(stores, tmp_path, [post("ZB", "U1", "member", start="2026-01-01")])
    state = assert_same_as_full(*stores, AS_OF)
    assert state["full"] is None


def test_a_rejected_recommendation_whose_person_stops_being_held_and_comes_back(
        tmp_path: Path) -> None:
    """P1's recommendation (a reminder not rectified by its due date) is rejected; a corrected
    re-check shows it rectified in time (P1 is held for nothing), then is corrected back; the
    evaluation date moves back before the due date and on again."""
    from review.decide import reject
    from review.users import add_user
    from tests.engine_support import c2

    stores = pair(tmp_path, c2(due="2026-05-10"))
    (rec,) = recommendations(stores[1])
    for store in stores:
        user = add_user(store, "approver", "approver", [rec["unit"]], "correct horse battery")
        reject(store, user, rec["id"], "证据不足以认定", day=AS_OF)
    recheck = {"kind": "rectification", "id": "RC1", "reminder": "RM1", "person": "P1",
               "date": "2026-05-09", "effective": True}
    both(stores, tmp_path, [recheck], replace=True, name="fixed.jsonl")
    assert_same_as_full(*stores, AS_OF)
    both(stores, tmp_path, [{**recheck, "date": "2026-05-12", "effective": False}],
          replace=True, name="back.jsonl")
    for day in (AS_OF, AS_OF + timedelta(days=1), date(2026, 5, 10), date(2026, 5, 11),
                AS_OF + timedelta(days=2)):
        state = assert_same_as_full(*stores, day)
        assert state["full"] is None
    assert recommendations(stores[0])[0]["status"] == "rejected"


def test_a_matter_merged_across_rules_as_windows_move(tmp_path: Path) -> None:
    """A corruption case that is also one of three problems in a year: one recommendation for
    P1 citing both rules; the evaluation date then moves past the corruption rule's two-year
    window (the merged recommendation loses a ground), back, and a fourth problem is filed."""
    from tests.engine_support import violation

    facts = [unit("U1", "大江口镇", "township"),
             person("P1", "杨书记", "U1", category="township_secretary"),
             person("P2", "舒纪委", "U1", category="grassroots_committee_member"),
             person("S1", "张干部", "U1"), person("S2", "李干部", "U1"),
             post("P1", "U1", "secretary"), post("P2", "U1", "discipline_secretary"),
             violation("V1", "U1", "2025-03-01", ["S1"], category="corruption"),
             violation("V2", "U1", "2025-05-01", ["S2"]),
             violation("V3", "U1", "2025-07-01", ["S1"])]
    stores = pair(tmp_path, facts)
    merged = [r for r in recommendations(stores[1]) if r["person"] == "P1"
              and r["status"] == "pending"]
    assert len(merged) == 1 and merged[0]["explanation"]["grounds"]
    for day in (date(2027, 3, 2), date(2027, 2, 27), AS_OF):
        state = assert_same_as_full(*stores, day)
        assert state["full"] is None
    both(stores, tmp_path, [violation("V4", "U1", "2025-08-01", ["S2"])])
    for day in (AS_OF, date(2027, 3, 2)):
        assert_same_as_full(*stores, day)


def test_a_rule_version_coming_into_force_between_runs(tmp_path: Path) -> None:
    """Version 2 of c1 (which no longer holds the conduct accountable) comes into force
    between two evaluation dates, and the date moves back again."""
    rulebook = _v2_not_accountable(tmp_path)
    stores = pair(tmp_path, disunity(), rulebook, as_of=date(2026, 5, 25))
    assert recommendations(stores[0])
    for day in (date(2026, 6, 2), date(2026, 6, 3), date(2026, 5, 26), date(2026, 5, 27)):
        state = assert_same_as_full(*stores, day, rulebook)
        assert state["full"] is None


# ------------------------------------------- a roster change is its county's, not the province's

# Two counties, each with a township whose secretary proposes accountability for a member
# of its team: he leads the member by his post (a secretary outranks a member of his unit).
PROPOSALS = [
    *COUNTIES,
    person("L1", "向书记", "U1", category="township_secretary"),
    person("P1", "彭委员", "U1", category="grassroots_committee_member"),
    XB,
    person("Q2", "舒委员", "UB", category="grassroots_committee_member"),
    post("L1", "U1", "secretary"), post("P1", "U1", "member"),
    post("XB", "UB", "secretary"), post("Q2", "UB", "member"),
    {"kind": "proposal", "id": "PR1", "person": "P1", "proposer": "L1", "date": "2026-06-01",
     "reason": "党建工作纪实评价连续两年排名末位"},
    {"kind": "proposal", "id": "PR2", "person": "Q2", "proposer": "XB", "date": "2026-06-01",
     "reason": "党建工作纪实评价连续两年排名末位"},
]


def test_a_post_ended_in_one_county_explains_that_county_again(tmp_path: Path) -> None:
    """L1's post is corrected to have ended before his proposal: he no longer led P1 when he
    proposed, so P1's recommendation goes (a full run sets the proposal aside) though nothing
    of P1's own changed. County A is explained again; county B is taken over."""
    stores = pair(tmp_path, PROPOSALS)
    assert {r["person"] for r in recommendations(stores[1])} == {"P1", "Q2"}
    both(stores, tmp_path, [post("L1", "U1", "secretary", end="2026-05-01")], replace=True)
    state = assert_same_as_full(*stores, AS_OF)
    assert [r["person"] for r in recommendations(stores[0]) if r["status"] == "pending"] == ["Q2"]
    assert state["full"] is None and state["everyone_explained"] is None
    assert (state["explained"], state["carried"]) == (1, 1)


def test_a_name_corrected_in_one_county_leaves_the_other_taken_over(tmp_path: Path) -> None:
    """XB's name is corrected: Q2's recommendation names him as its proposer. County B is
    explained again; county A, which names no one of B, is taken over."""
    stores = pair(tmp_path, PROPOSALS)
    both(stores, tmp_path, [{**XB, "name": "田明德"}], replace=True)
    state = assert_same_as_full(*stores, AS_OF)
    (q2,) = [r for r in recommendations(stores[0]) if r["person"] == "Q2"]
    assert "田明德" in q2["explanation"]["proposer_label"]
    assert (state["explained"], state["carried"]) == (1, 1)


def test_a_unit_renamed_explains_everyone(tmp_path: Path) -> None:
    """U1 is renamed: P1's explanation states his post by its unit's name. A changed unit may
    also move units between counties, so every county is explained again."""
    stores = pair(tmp_path, PROPOSALS)
    both(stores, tmp_path, [{**U1, "name": "大江口镇党委"}], replace=True)
    state = assert_same_as_full(*stores, AS_OF)
    (p1,) = [r for r in recommendations(stores[0]) if r["person"] == "P1"]
    assert "大江口镇党委" in json.dumps(p1["explanation"], ensure_ascii=False)
    assert state["everyone_explained"] == "unit facts changed"
    assert (state["explained"], state["carried"]) == (2, 0)


def test_a_county_that_found_nothing_for_a_while_reads_its_roster_again(tmp_path: Path) -> None:
    """XB's name is corrected while the evaluation date stands before both proposals: nothing
    is found, no one is explained. When the date moves on again, Q2's recommendation names
    XB as he is now, not as the run before the correction knew him."""
    stores = pair(tmp_path, PROPOSALS)
    both(stores, tmp_path, [{**XB, "name": "田明德"}], replace=True)
    state = assert_same_as_full(*stores, date(2026, 5, 15))
    assert (state["explained"], state["carried"]) == (0, 0)  # nothing found
    state = assert_same_as_full(*stores, AS_OF)
    (q2,) = [r for r in recommendations(stores[0]) if r["person"] == "Q2"]
    assert "田明德" in q2["explanation"]["proposer_label"]
    assert state["full"] is None
