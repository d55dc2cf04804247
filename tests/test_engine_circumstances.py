"""The four circumstances end to end: facts through ingestion, evaluation, stored recommendations.

Every test also requires durable_rules and the reference evaluator to find the same (``run``).
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.run.evaluate import evaluate
from engine.run.read import get_recommendation, list_runs
from tests.conftest import load
from tests.engine_support import by_person, c2, coal, disunity, person, post, run, unit, violation


# circumstance 1: team disunity ------------------------------------------------------------------
def test_disunity_with_public_reaction_holds_secretary_discipline_secretary_and_team(
    store, tmp_path
) -> None:
    items = by_person(run(store, disunity(), tmp_path))
    assert set(items) == {"P1", "P2", "P3", "P4"}
    secretary, supervisor, member = items["P1"], items["P2"], items["P3"]
    assert (secretary["responsibility"], secretary["degree"]) == ("leadership", "main")
    assert (supervisor["responsibility"], supervisor["degree"]) == ("supervisory", "main")
    assert (member["responsibility"], member["degree"]) == ("leadership", "important")
    assert all(i["circumstance"] == 1 and i["evidence"] == ["disunity:D1"] for i in items.values())
    # important leadership responsibility is one step lighter than main
    assert secretary["forms"] == ["circulated_criticism"] and member["forms"] == ["admonition"]
    assert [s["step"] for s in member["explanation"]["steps"]] == ["base", "responsibility", "degree"]
    assert member["explanation"]["degree_label"] == "重要领导责任"


def test_disunity_without_public_reaction_is_not_accountable(sqlite_store, tmp_path) -> None:
    assert run(sqlite_store, disunity(public_reaction=False), tmp_path) == []


def test_disunity_that_does_not_affect_work_is_not_accountable(sqlite_store, tmp_path) -> None:
    assert run(sqlite_store, disunity(affects_work=False), tmp_path) == []


def test_a_member_whose_dissent_is_recorded_is_not_held_accountable(sqlite_store, tmp_path) -> None:
    items = by_person(run(sqlite_store, disunity(dissent=["P4"]), tmp_path))
    assert set(items) == {"P1", "P2", "P3"}


# circumstance 2: a reminder, and what came of it by its due date (2026-07-10 in ``c2``) ------------
def test_ineffective_recheck_after_the_due_date_is_recommended_with_the_issuer_as_proposer(
    sqlite_store, tmp_path
) -> None:
    (item,) = run(sqlite_store, c2(recheck_date="2026-07-12"), tmp_path)
    assert item["person"] == "P1" and item["circumstance"] == 2
    assert item["proposer"] == "person:L1" and "向县长" in item["explanation"]["proposer_label"]
    # the matched reminder, then the evidence clauses: the prompting ledger, the failed re-check
    assert item["evidence"] == ["reminder:RM1", "ledger:LG1", "rectification:RC1"]
    assert item["conduct_date"] == "2026-07-10"


@pytest.mark.parametrize(
    ("facts", "as_of"),
    [
        pytest.param(c2(effective=True), date(2026, 11, 25), id="rectified-before-the-due-date"),
        pytest.param(c2(), date(2026, 7, 10), id="not-yet-effective-on-the-last-day-of-the-period"),
    ],
)
def test_circumstance_2_negative(sqlite_store, tmp_path, facts, as_of) -> None:
    assert run(sqlite_store, facts, tmp_path, as_of=as_of) == []


@pytest.mark.parametrize(
    ("facts", "evidence"),
    [
        pytest.param(c2(), ["reminder:RM1", "ledger:LG1"], id="recheck-before-the-due-date"),
        pytest.param(c2(reminder_date="2026-06-01"), ["reminder:RM1", "ledger:LG1"],
                     id="shortfall-exactly-60-days-before"),
        pytest.param(c2(reminder_date="2026-06-02"), ["reminder:RM1"],
                     id="shortfall-61-days-before-is-not-evidence"),
        pytest.param(c2(reminder_date="2026-03-30"), ["reminder:RM1"],
                     id="shortfall-after-the-reminder-is-not-evidence"),
    ],
)
def test_the_prompting_shortfall_is_evidence_not_a_condition(
    sqlite_store, tmp_path, facts, evidence
) -> None:
    (item,) = run(sqlite_store, facts, tmp_path)
    assert item["rule"] == "c2-reminder-ineffective" and item["evidence"] == evidence


# circumstance 3: lax management --------------------------------------------------------------------
def test_coal_bureau_case_holds_secretary_and_discipline_secretary_not_the_gamblers(
    store, tmp_path
) -> None:
    items = by_person(run(store, coal(), tmp_path))
    assert set(items) == {
        "P-SEC",
        "P-DIS",
    }  # not S1-S3 (direct wrongdoers), not P-OLD (left in 2025)
    assert items["P-SEC"]["responsibility"] == "leadership"
    assert items["P-DIS"]["responsibility"] == "supervisory"
    for item in items.values():
        assert item["forms"] == ["circulated_criticism"]
        # the violation, and the special inspection that found it (same unit, same day)
        assert item["rule"] == "c3-several-staff-violation" and item["evidence"] == [
            "violation:V-GAMBLE", "inspection:I-1"
        ]
        assert item["explanation"]["form_labels"] == ["通报批评"]
        assert "立案审查" in item["explanation"]["case_review"]  # not a 党内警告 of its own


def test_the_holder_at_the_time_is_accountable_with_the_post_of_that_time(
    sqlite_store, tmp_path
) -> None:
    facts = [f for f in coal() if f["kind"] != "violation"]
    facts.append(violation("V-EARLY", "U-COAL", "2025-03-01", ["S1", "S2"]))
    items = by_person(run(sqlite_store, facts, tmp_path))
    assert set(items) == {"P-OLD", "P-DIS"}  # P-SEC only took the post on 2025-07-01
    old = items["P-OLD"]["explanation"]["post"]
    assert (old["role"], old["start"], old["end"]) == ("secretary", "2019-01-01", "2025-06-30")


def test_the_post_at_the_time_not_todays_post_is_explained(sqlite_store, tmp_path) -> None:
    facts = coal() + [
        unit("U-FOREST", "县林业局"),
        post("P-OLD", "U-FOREST", "secretary", "2025-07-01"),
        violation("V-EARLY", "U-COAL", "2025-03-01", ["S1", "S2"]),
    ]
    items = run(sqlite_store, facts, tmp_path)
    old = next(i for i in items if i["person"] == "P-OLD")
    assert old["explanation"]["post"]["unit"] == "U-COAL"
    assert old["explanation"]["post"]["unit_name"] == "县煤炭局"
    assert old["unit"] == "U-COAL"


def _water(violations: list[dict]) -> list[dict]:
    return [
        unit("U1", "县水利局"),
        person("P1", "陈书记", "U1"),
        person("P2", "吴纪委", "U1"),
        person("S1", "周某", "U1"),
        post("P1", "U1", "secretary"),
        post("P2", "U1", "discipline_secretary"),
        *violations,
    ]


def test_three_violations_within_a_year_are_frequent_problems(sqlite_store, tmp_path) -> None:
    items = run(
        sqlite_store,
        _water(
            [
                violation("V1", "U1", "2026-01-10", ["S1"], "conduct", "minor"),
                violation("V2", "U1", "2026-04-10", ["S1"], "integrity", "minor"),
                violation("V3", "U1", "2027-01-09", ["S1"], "other", "minor"),
            ]
        ),
        tmp_path,
        as_of=date(2027, 2, 1),
    )
    assert {(i["person"], i["rule"]) for i in items} == {
        ("P1", "c3-frequent-problems"),
        ("P2", "c3-frequent-problems"),
    }
    assert items[0]["evidence"] == ["violation:V1", "violation:V2", "violation:V3"]


def test_three_violations_spread_over_more_than_a_year_are_not_frequent(
    sqlite_store, tmp_path
) -> None:
    assert (
        run(
            sqlite_store,
            _water(
                [
                    violation("V1", "U1", "2026-01-10", ["S1"], "conduct", "minor"),
                    violation("V2", "U1", "2026-04-10", ["S1"], "integrity", "minor"),
                    # 2027-01-10 would be the 365th day, still within (Civil Code art. 201)
                    violation("V3", "U1", "2027-01-11", ["S1"], "other", "minor"),
                ]
            ),
            tmp_path,
            as_of=date(2027, 2, 1),
        )
        == []
    )


def test_two_violations_in_two_units_are_not_frequent_problems(sqlite_store, tmp_path) -> None:
    facts = _water(
        [
            violation("V1", "U1", "2026-01-10", ["S1"], "conduct", "minor"),
            violation("V2", "U1", "2026-02-10", ["S1"], "conduct", "minor"),
            violation("V3", "U2", "2026-03-10", ["S1"], "conduct", "minor"),
        ]
    )
    assert run(sqlite_store, facts + [unit("U2", "县交通局")], tmp_path) == []


def test_corruption_is_a_finding_against_the_unit_leaders(sqlite_store, tmp_path) -> None:
    items = by_person(
        run(
            sqlite_store,
            _water([violation("V1", "U1", "2026-06-10", ["S1"], "corruption", "grave")]),
            tmp_path,
        )
    )
    assert set(items) == {"P1", "P2"}
    assert all(
        i["rule"] == "c3-corruption" and i["route"] == "accountability" for i in items.values()
    )
    assert items["P1"]["forms"] == ["suspension"]


def test_a_secretary_who_is_the_corrupt_actor_bears_no_leadership_duty_for_his_own_act(
        sqlite_store, tmp_path) -> None:
    """问责 covers leadership and supervision, not the direct wrongdoer: the secretary who
    took the bribe himself is disciplined directly, and without his own act the unit's other
    problems (two) do not make 问题多发 under his leadership. The discipline secretary gets
    one recommendation for the matter, citing both grounds, with the heavier form."""
    items = run(
        sqlite_store,
        _water(
            [
                violation("V1", "U1", "2026-01-10", ["S1"], "conduct", "minor"),
                violation("V2", "U1", "2026-04-10", ["S1"], "integrity", "minor"),
                violation("V3", "U1", "2026-06-10", ["P1"], "corruption", "grave", case_filed=True),
            ]
        ),
        tmp_path,
    )
    assert [i["person"] for i in items] == ["P2"]
    (item,) = items
    assert item["rule"] == "c3-corruption" and item["route"] == "accountability"
    assert [g["rule_id"] for g in item["explanation"]["grounds"]] == ["c3-frequent-problems"]
    assert item["forms"] == ["suspension"]
    assert set(item["evidence"]) == {"violation:V1", "violation:V2", "violation:V3"}
    (run_row,) = list_runs(sqlite_store, 1)
    skipped = [(a["person"], a["reason"], a["rule"]) for a in run_row["set_aside"]]
    assert ("P1", "direct_wrongdoer", "c3-corruption") in skipped
    assert ("P1", "direct_wrongdoer", "c3-frequent-problems") in skipped


def test_a_cluster_of_problems_is_reported_once_as_the_window_moves(sqlite_store, tmp_path) -> None:
    """Frequent problems are counted over the whole history, so when the oldest violation
    leaves the two-year window the same cluster is not found again under another key."""
    facts = [f for f in coal() if f["kind"] != "violation"] + [
        violation(f"V{i}", "U-COAL", day, ["S1"], "conduct", "minor")
        for i, day in enumerate(["2025-01-10", "2025-03-10", "2025-05-10", "2025-07-10"])
    ]
    load(sqlite_store, facts, tmp_path)
    first = evaluate(sqlite_store, date(2026, 11, 25))
    later = evaluate(sqlite_store, date(2027, 2, 1))  # V0 is now more than 730 days old
    assert len(first.new) == 2 and later.new == []  # secretary and discipline secretary, once
    keys = {get_recommendation(sqlite_store, i)["explanation"]["evidence"][0]["id"] for i in first.new}
    assert keys == {"V0"}
    gone = evaluate(sqlite_store, date(2027, 6, 1))  # the cluster's conduct is now out of the window
    assert gone.counts["recommendations"] == 0 and gone.new == []


def test_a_violation_by_a_single_staff_member_is_not_the_several_staff_circumstance(
    sqlite_store, tmp_path
) -> None:
    facts = [f for f in coal() if f["kind"] != "violation"]
    facts.append(violation("V-ONE", "U-COAL", "2026-02-26", ["S1"]))
    assert run(sqlite_store, facts, tmp_path) == []


# circumstance 4: a leader's proposal ------------------------------------------------------------
def test_a_leaders_proposal_names_the_leader_as_proposer(sqlite_store, tmp_path) -> None:
    facts = [
        unit("U1", "县农业局"),
        person("P1", "黄书记", "U1"),
        person("L1", "向县长", "U1", category="county_leader"),  # a county leader leads him
        post("P1", "U1", "secretary"),
        {
            "kind": "proposal",
            "id": "PR1",
            "person": "P1",
            "proposer": "L1",
            "date": "2026-09-01",
            "reason": "对软弱涣散村党组织整顿不力",
        },
    ]
    (item,) = run(sqlite_store, facts, tmp_path)
    assert (item["person"], item["circumstance"], item["proposer"]) == ("P1", 4, "person:L1")
    assert item["evidence"] == ["proposal:PR1"]


def test_a_proposal_dated_after_the_evaluation_date_is_not_evaluated(
    sqlite_store, tmp_path
) -> None:
    facts = [
        unit("U1", "县农业局"),
        person("P1", "黄书记", "U1"),
        person("L1", "向县长", "U1"),
        {
            "kind": "proposal",
            "id": "PR1",
            "person": "P1",
            "proposer": "L1",
            "date": "2026-12-01",
            "reason": "整顿不力",
        },
    ]
    assert run(sqlite_store, facts, tmp_path) == []
