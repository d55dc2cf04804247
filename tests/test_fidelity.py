"""Legal fidelity, as a discipline officer would check it: a recommendation follows its facts,
one matter gives one recommendation, only a leader's reminder or proposal founds anything,
the direct wrongdoer is not held to account for his own act, and nothing is set aside
silently. Cases are written from the responsibility list and the 2019 问责条例."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

import cli
from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from engine.run.read import get_recommendation, list_recommendations, list_runs
from facts.ingest import ingest
from tests.conftest import load, write_jsonl
from tests.engine_support import AS_OF, c2, person, post, run, unit, violation
from tests.review_support import decide_through_review


def _all(store) -> list[dict]:
    return list_recommendations(store, with_explanation=True)


def _set_aside(store) -> list[tuple[str | None, str]]:
    (latest,) = list_runs(store, 1)
    return [(item["person"], item["reason"]) for item in latest["set_aside"]]


def _replace(store, tmp_path: Path, facts: list[dict], name: str) -> None:
    report = ingest(store, [write_jsonl(tmp_path / name, facts)], replace=True)
    assert not report.errors, [str(e) for e in report.errors]


def _approve(store, rec_id: str) -> None:
    decide_through_review(store, rec_id, date(2026, 11, 1))


# the reminder due 2026-05-10; the re-check of 2026-05-12 found it not effective (evidence)
C2 = c2(due="2026-05-10")
# ... corrected: the re-check was made on 2026-05-09 and found the rectification effective
RECHECK_EFFECTIVE = {"kind": "rectification", "id": "RC1", "reminder": "RM1", "person": "P1",
                     "date": "2026-05-09", "effective": True}


# ---------------------------------------------------------------- 1. it follows its facts


def test_a_corrected_recheck_withdraws_the_pending_recommendation_and_says_why(
        store, tmp_path) -> None:
    (item,) = run(store, C2, tmp_path)
    _replace(store, tmp_path, [RECHECK_EFFECTIVE], "corrected.jsonl")
    result = evaluate(store, AS_OF)
    assert result.withdrawn == [item["id"]] and result.counts["withdrawn"] == 1
    after = get_recommendation(store, item["id"])  # never deleted
    assert after["status"] == "withdrawn" and after["status_run"] == result.run_id
    assert "rectification:RC1已更正" in after["status_reason"]
    assert "effective：False→True" in after["status_reason"]
    # corrected back: the same recommendation is found again and reinstated, not duplicated
    _replace(store, tmp_path, [{**RECHECK_EFFECTIVE, "date": "2026-05-12", "effective": False}],
             "again.jsonl")
    again = evaluate(store, AS_OF)
    assert again.reinstated == [item["id"]] and len(_all(store)) == 1
    assert get_recommendation(store, item["id"])["status"] == "pending"


def test_a_decided_recommendation_is_never_changed_by_a_run_but_flagged(sqlite_store,
                                                                       tmp_path) -> None:
    (item,) = run(sqlite_store, C2, tmp_path)
    _approve(sqlite_store, item["id"])
    _replace(sqlite_store, tmp_path, [RECHECK_EFFECTIVE], "corrected.jsonl")
    result = evaluate(sqlite_store, AS_OF)
    after = get_recommendation(sqlite_store, item["id"])
    assert after["status"] == "approved" and after["explanation"] == item["explanation"]
    assert result.flagged == [item["id"]] and result.counts["facts_changed"] == 1
    changed = after["facts_changed"]
    assert changed["run"] == result.run_id
    assert any("rectification:RC1已更正" in text for text in changed["changes"])
    # a second run with nothing new flags nothing again
    assert evaluate(sqlite_store, AS_OF).flagged == []


def test_the_cli_run_report_and_runs_count_withdrawn_and_flagged(sqlite_store, tmp_path) -> None:
    run(sqlite_store, C2, tmp_path)
    _replace(sqlite_store, tmp_path, [RECHECK_EFFECTIVE], "corrected.jsonl")
    db = str(sqlite_store.url)
    result = CliRunner().invoke(cli.main, ["evaluate", "--as-of", "2026-11-25", "--db", db])
    assert result.exit_code == 0 and "撤回 1 条" in result.output
    runs = CliRunner().invoke(cli.main, ["runs", "--db", db])
    assert "withdrawn 1" in runs.output
    shown = CliRunner().invoke(cli.main, ["recommendations", "list", "--status", "withdrawn",
                                          "--db", db])
    assert "已撤回" in shown.output


# ---------------------------------------------------------------- 2. one matter


def test_a_second_failed_recheck_of_one_reminder_is_the_same_recommendation(store,
                                                                          tmp_path) -> None:
    (first,) = run(store, C2, tmp_path)
    load(store, [{"kind": "rectification", "id": "RC2", "reminder": "RM1", "person": "P1",
                  "date": "2026-07-15", "effective": False}], tmp_path, "second.jsonl")
    evaluate(store, AS_OF)
    (item,) = _all(store)
    assert item["id"] == first["id"]
    assert {"rectification:RC1", "rectification:RC2"} <= set(item["evidence"])


def _water(*violations: dict) -> list[dict]:
    return [unit("U1", "县水利局"), person("P1", "陈书记", "U1"), person("P2", "吴纪委", "U1"),
            person("S1", "周某", "U1"), person("S2", "吴某", "U1"),
            post("P1", "U1", "secretary"), post("P2", "U1", "discipline_secretary"), *violations]


def test_a_backdated_violation_joining_a_cluster_updates_that_recommendation(sqlite_store,
                                                                            tmp_path) -> None:
    items = run(sqlite_store, _water(
        violation("V1", "U1", "2026-03-10", ["S1"], "conduct", "minor"),
        violation("V2", "U1", "2026-05-10", ["S1"], "conduct", "minor"),
        violation("V3", "U1", "2026-07-10", ["S1"], "conduct", "minor")), tmp_path)
    before = {i["person"]: i["id"] for i in items}
    load(sqlite_store, [violation("V0", "U1", "2026-02-10", ["S1"], "conduct", "minor")],
         tmp_path, "late.jsonl")
    evaluate(sqlite_store, AS_OF)
    after = {i["person"]: i for i in _all(sqlite_store) if i["status"] == "pending"}
    assert {p: i["id"] for p, i in after.items()} == before  # same recommendations, no second
    assert all("violation:V0" in i["evidence"] for i in after.values())


def test_several_staff_and_frequent_problems_on_the_same_facts_are_one_recommendation(
        sqlite_store, tmp_path) -> None:
    items = run(sqlite_store, _water(
        violation("V1", "U1", "2026-03-10", ["S1"], "conduct", "minor"),
        violation("V2", "U1", "2026-05-10", ["S1"], "conduct", "minor"),
        violation("V3", "U1", "2026-07-10", ["S1", "S2"], "work_discipline", "serious")), tmp_path)
    by_person = {i["person"]: i for i in items}
    assert sorted(by_person) == ["P1", "P2"]  # one each, not one per rule
    for item in by_person.values():
        rules = {item["rule"], *(g["rule_id"] for g in item["explanation"]["grounds"])}
        assert rules == {"c3-several-staff-violation", "c3-frequent-problems"}
        assert len(item["explanation"]["forms"]) >= 1


def test_an_approved_recommendation_is_no_prior_of_its_own_matter(sqlite_store, tmp_path) -> None:
    (first,) = run(sqlite_store, C2, tmp_path)
    _approve(sqlite_store, first["id"])
    load(sqlite_store, [{"kind": "rectification", "id": "RC2", "reminder": "RM1", "person": "P1",
                         "date": "2026-07-15", "effective": False}], tmp_path, "second.jsonl")
    result = evaluate(sqlite_store, AS_OF)
    assert result.new == []  # not a second recommendation escalated by the first
    (item,) = _all(sqlite_store)
    assert item["status"] == "approved"
    assert result.flagged == [first["id"]]
    assert any("新增证据rectification:RC2" in t for t in item["facts_changed"]["changes"])


# ---------------------------------------------------------------- 4. who may propose


def _c2_by(issuer: str, *extra: dict) -> list[dict]:
    facts = c2()
    for fact in facts:
        if fact["kind"] == "reminder":
            fact["issuer"] = issuer
    return [*facts, *extra]


def test_a_reminder_the_person_issued_to_himself_founds_nothing(sqlite_store, tmp_path) -> None:
    assert run(sqlite_store, _c2_by("P1"), tmp_path) == []
    assert ("P1", "self_proposer") in _set_aside(sqlite_store)


def test_a_reminder_from_a_peer_founds_nothing_and_is_listed_for_a_check(sqlite_store,
                                                                       tmp_path) -> None:
    peer = [unit("U2", "卢峰镇某村"), person("P9", "同级支书", "U2", category="branch_secretary"),
            post("P9", "U2", "secretary")]
    assert run(sqlite_store, _c2_by("P9", *peer), tmp_path) == []
    (latest,) = list_runs(sqlite_store, 1)
    (entry,) = latest["set_aside"]
    assert entry["kind"] == "needs_check" and entry["reason"] == "unauthorised_proposer"
    assert "同级支书" in entry["detail"] and "不负有领导职责" in entry["detail"]


def test_the_secretary_of_a_unit_above_may_remind(sqlite_store, tmp_path) -> None:
    """主管领导 is read from posts and the unit tree: the township's secretary leads the
    secretary of a village branch under it."""
    facts = _c2_by("T1", unit("U0", "卢峰镇党委", "township"),
                   person("T1", "镇党委书记", "U0", category="township_secretary"),
                   post("T1", "U0", "secretary"))
    for fact in facts:
        if fact["kind"] == "unit" and fact["id"] == "U1":
            fact["parent"] = "U0"
    (item,) = run(sqlite_store, facts, tmp_path)
    assert item["proposer"] == "person:T1"


def test_a_proposal_from_someone_without_a_leading_post_founds_nothing(sqlite_store,
                                                                      tmp_path) -> None:
    facts = [unit("U1", "县农业局"), person("P1", "黄书记", "U1"), person("M1", "班子成员", "U1"),
             post("P1", "U1", "secretary"), post("M1", "U1", "member"),
             {"kind": "proposal", "id": "PR1", "person": "P1", "proposer": "M1",
              "date": "2026-09-01", "reason": "整顿不力"}]
    assert run(sqlite_store, facts, tmp_path) == []
    assert ("P1", "unauthorised_proposer") in _set_aside(sqlite_store)


# ---------------------------------------------------------------- 5. actors


def test_a_name_two_persons_of_the_unit_bear_is_checked_not_guessed(sqlite_store,
                                                                   tmp_path) -> None:
    facts = _water(violation("V1", "U1", "2026-05-10", ["王五", "S1"], "conduct", "serious"))
    facts += [person("W1", "王五", "U1"), person("W2", "王五", "U1")]
    assert run(sqlite_store, facts, tmp_path) == []
    (latest,) = list_runs(sqlite_store, 1)
    (entry,) = latest["set_aside"]
    assert (entry["kind"], entry["reason"]) == ("needs_check", "ambiguous_actor")
    assert "王五" in entry["detail"] and "W1" in entry["detail"] and "W2" in entry["detail"]


def test_a_name_unique_in_the_unit_is_that_person_even_if_others_elsewhere_share_it(
        sqlite_store, tmp_path) -> None:
    """The secretary 陈书记 gambled with a staff member; a 陈书记 of another unit exists.
    In his own unit the name is his: he is the wrongdoer, not held for leadership."""
    facts = _water(violation("V1", "U1", "2026-05-10", ["陈书记", "S1"], "conduct", "serious"))
    facts += [unit("U9", "县林业局"), person("X1", "陈书记", "U9")]
    items = run(sqlite_store, facts, tmp_path)
    assert [i["person"] for i in items] == ["P2"]
    assert ("P1", "direct_wrongdoer") in _set_aside(sqlite_store)


# ---------------------------------------------------------------- 8. 从旧兼从轻, both ways

def test_conduct_the_current_version_no_longer_holds_accountable_gets_no_recommendation(
        sqlite_store, tmp_path) -> None:
    from tests.engine_support import disunity

    items = run(sqlite_store, disunity(), tmp_path)  # 2026-05-20, under version 1
    assert items
    from tests.engine_support import c1_version_2_not_accountable

    folder = c1_version_2_not_accountable(tmp_path)
    result = evaluate(sqlite_store, AS_OF, load_rulebook(folder))
    assert result.new == [] and sorted(result.withdrawn) == sorted(i["id"] for i in items)
    reasons = [get_recommendation(sqlite_store, i["id"])["status_reason"] for i in items]
    assert all("从旧兼从轻" in r and "现行第2版" in r for r in reasons)
    assert {reason for _, reason in _set_aside(sqlite_store)} == {"lighter_current_version"}


# ---------------------------------------------------------------- 10. nothing silent


def test_a_unit_with_no_post_holder_at_the_time_is_listed_not_dropped(sqlite_store,
                                                                     tmp_path) -> None:
    facts = [unit("U1", "县水利局"), person("S1", "周某", "U1"), person("S2", "吴某", "U1"),
             violation("V1", "U1", "2026-05-10", ["S1", "S2"], "conduct", "serious")]
    assert run(sqlite_store, facts, tmp_path) == []
    (latest,) = list_runs(sqlite_store, 1)
    (entry,) = latest["set_aside"]
    assert (entry["kind"], entry["reason"]) == ("needs_check", "no_post")
    assert "县水利局" in entry["detail"] and "2026年5月10日" in entry["detail"]
    result = CliRunner().invoke(cli.main, ["runs", "--json", "--db", str(sqlite_store.url)])
    assert '"no_post"' in result.output


def test_an_actor_listed_twice_is_one_person_not_several_staff(sqlite_store, tmp_path) -> None:
    facts = _water(violation("V1", "U1", "2026-05-10", ["S1", "S1"], "conduct", "serious"))
    assert run(sqlite_store, facts, tmp_path) == []  # 多名 means two distinct persons


# ---------------------------------------------------------------- 6. case review has a time


def _c2_with_case(**case: object) -> list[dict]:
    return [*c2(), violation("V9", "U1", "2026-03-01", ["P1"], "integrity", "serious",
                             case_filed=True, **case)]


def test_an_open_case_routes_the_finding_to_discipline_handling(sqlite_store, tmp_path) -> None:
    (item,) = run(sqlite_store, _c2_with_case(), tmp_path)
    assert item["route"] == "discipline_handling"
    assert "violation:V9" in item["explanation"]["route_note"]


def test_a_case_closed_before_the_evaluation_routes_nothing_else(sqlite_store, tmp_path) -> None:
    (item,) = run(sqlite_store, _c2_with_case(case_closed="2026-04-30"), tmp_path)
    assert item["route"] == "accountability" and item["explanation"]["route_note"] is None


# ---------------------------------------------------------------- 11. a report is a lead


def test_an_unverified_petition_is_a_lead_to_check_not_a_finding(sqlite_store, tmp_path) -> None:
    from tests.engine_support import disunity

    facts = disunity()
    for fact in facts:
        if fact["kind"] == "disunity":
            fact["source"] = "petition"  # 信访举报, not verified by an inspection
    assert run(sqlite_store, facts, tmp_path) == []
    (latest,) = list_runs(sqlite_store, 1)
    (entry,) = latest["set_aside"]
    assert (entry["kind"], entry["reason"]) == ("needs_check", "unverified_report")
    assert "disunity:D1" in entry["detail"] and "信访举报" in entry["detail"]
    for fact in facts:
        if fact["kind"] == "disunity":
            fact["verified"] = True  # the supervision group checked it
    _replace(sqlite_store, tmp_path, facts, "verified.jsonl")
    assert len(evaluate(sqlite_store, AS_OF).new) == 4


# ---------------------------------------------------------------- 3. the reminder and its basis


def test_a_reminder_that_names_its_basis_has_exactly_that_as_evidence(sqlite_store,
                                                                     tmp_path) -> None:
    """The reminder was about an inspection's finding, not the failed ledger of the same
    weeks: the recommendation cites what the reminder names, and only that."""
    inspection = {"kind": "inspection", "id": "I-9", "unit": "U1", "person": "P1",
                  "date": "2026-04-05", "group": "第三督导组", "mode": "unannounced",
                  "problem": "村级组织生活记录缺失", "severity": "serious"}
    facts = [inspection, *c2()]
    for fact in facts:
        if fact["kind"] == "reminder":
            fact["basis"] = ["inspection:I-9"]
    (item,) = run(sqlite_store, facts, tmp_path)
    assert "inspection:I-9" in item["evidence"] and "ledger:LG1" not in item["evidence"]
    summaries = [e["summary"] for e in item["explanation"]["evidence"]]
    assert any("村级组织生活记录缺失" in s for s in summaries)


def test_without_a_basis_the_failed_ledger_before_the_reminder_is_evidence(sqlite_store,
                                                                          tmp_path) -> None:
    (item,) = run(sqlite_store, c2(), tmp_path)
    assert "ledger:LG1" in item["evidence"]


# ---------------------------------------------------------------- documents: who issues, to whom


def _document(store, rec_id: str) -> str:
    from documents.recommendation import render_recommendation

    return render_recommendation(store, rec_id, "html", load_rulebook()).decode()


def test_a_document_is_never_addressed_to_its_own_issuer(sqlite_store, tmp_path) -> None:
    """The discipline commission may impose circulated criticism itself: its recommendation
    goes to its standing committee, under its own number series (县纪建)."""
    from tests.engine_support import coal

    item = next(i for i in run(sqlite_store, coal(), tmp_path) if i["person"] == "P-SEC")
    html = _document(sqlite_store, item["id"])
    masthead = html.split('class="issuer">')[1].split("<")[0]
    addressee = html.split('class="addressee">')[1].split("<")[0]
    assert masthead == "中共溆浦县纪律检查委员会"
    assert addressee == "中共溆浦县纪律检查委员会常务委员会：" and addressee != masthead + "："
    assert "县纪建〔2026〕" in html


def test_a_leaders_recommendation_has_its_own_series_and_goes_to_the_decider(sqlite_store,
                                                                            tmp_path) -> None:
    (item,) = run(sqlite_store, c2(), tmp_path)
    html = _document(sqlite_store, item["id"])
    assert "县领建〔2026〕1号" in html and "县纪建" not in html
    assert html.split('class="addressee">')[1].startswith("中共溆浦县纪律检查委员会：")
