"""The engine end to end: idempotency, crashes, escalation, authority, explanations, rule errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import cli
from engine.durable import DurableEvaluator
from engine.durable import workers as durable_runner
from engine.errors import EvaluationError
from engine.match.reference import ReferenceEvaluator
from engine.rulebook import RulebookError, load_rulebook
from engine.run.evaluate import evaluate, find
from engine.run.read import get_recommendation, list_recommendations, list_runs
from facts.recommendation_tables import RecommendationRow
from tests.conftest import COUNTY, copy_county, load
from usecases.rule_tests import load_cases

AS_OF = date(2026, 11, 25)
COAL = load_cases(COUNTY / "tests" / "c3_lax_management.yaml")[0].facts
C2 = load_cases(COUNTY / "tests" / "c2_reminder.yaml")[0].facts


def _signature(findings) -> set:
    return {(f.rule.name, f.key, f.fact_ids, f.conduct_date, f.subject) for f in findings}


def test_coal_bureau_from_ingestion_to_json_list(store, tmp_path) -> None:
    load(store, COAL, tmp_path)
    evaluate(store, AS_OF)
    result = CliRunner().invoke(cli.main, ["recommendations", "list", "--json", "--db", str(store.url)])
    items = json.loads(result.output)
    assert {(i["person"], i["responsibility"]) for i in items} == {("P-SEC", "leadership"),
                                                                   ("P-DIS", "supervisory")}
    for item in items:
        for name in ("id", "person", "person_name", "unit", "circumstance", "responsibility", "degree",
                     "form", "proposer", "rule", "rule_version", "evidence", "status"):
            assert item[name] not in (None, "", []), name
        assert item["circumstance"] == 3 and item["evidence"] == ["violation:V-GAMBLE"]
    shown = CliRunner().invoke(cli.main, ["recommendations", "show", items[0]["id"], "--json",
                                          "--db", str(store.url)])
    explanation = json.loads(shown.output)["explanation"]
    assert explanation["evidence"][0]["src"] == "facts.jsonl:13"
    assert explanation["evidence"][0]["fields"]["actors"] == ["S1", "S2", "S3"]
    assert explanation["post"]["post_id"] in ("PO-SEC", "PO-DIS")
    assert explanation["basis"][1]["document"].startswith("《中国共产党问责条例》")
    human = CliRunner().invoke(cli.main, ["recommendations", "list", "--db", str(store.url)]).output
    assert "张建国" in human and "通报批评＋党内警告" in human


def test_evaluating_again_changes_nothing(sqlite_store, tmp_path) -> None:
    load(sqlite_store, COAL + C2, tmp_path)
    first = evaluate(sqlite_store, AS_OF)
    rows = _rows(sqlite_store)
    second = evaluate(sqlite_store, AS_OF)
    assert first.new and second.new == [] and second.changed == []
    assert sorted(second.unchanged) == sorted(first.new)
    assert _rows(sqlite_store) == rows
    assert [r["status"] for r in list_runs(sqlite_store)] == ["committed", "committed"]


def _rows(store) -> list[dict]:
    with store.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(
            select(RecommendationRow.__table__).order_by(RecommendationRow.__table__.c.id))]


def test_a_worker_that_always_crashes_fails_the_run_and_changes_nothing(sqlite_store, tmp_path,
                                                                       monkeypatch) -> None:
    load(sqlite_store, C2, tmp_path)
    evaluate(sqlite_store, AS_OF)
    before = _rows(sqlite_store)

    def crash(batch):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(durable_runner, "evaluate_batch", crash)
    with pytest.raises(EvaluationError, match="failed twice"):
        evaluate(sqlite_store, date(2026, 12, 1))
    assert _rows(sqlite_store) == before
    runs = list_runs(sqlite_store)
    assert runs[0]["status"] == "failed" and "failed twice" in runs[0]["counts"]["error"]


def test_a_worker_that_crashes_once_is_retried(sqlite_store, tmp_path, monkeypatch) -> None:
    load(sqlite_store, COAL, tmp_path)
    clean = _signature(find(sqlite_store, load_rulebook(), AS_OF)[0])
    marker = tmp_path / "crashed"
    real = durable_runner.evaluate_batch

    def crash_once(batch):
        if not marker.exists():
            marker.write_text("x")
            os._exit(9)
        return real(batch)

    monkeypatch.setattr(durable_runner, "evaluate_batch", crash_once)
    assert _signature(find(sqlite_store, load_rulebook(), AS_OF)[0]) == clean
    assert marker.exists()


def _c2_with_priors(priors: list[tuple[str, str]]) -> list[dict]:
    return C2 + [{"kind": "accountability", "id": f"A{i}", "person": "P1", "date": day, "form": form}
                 for i, (day, form) in enumerate(priors)]


@pytest.mark.parametrize(("priors", "expected"), [
    ([], ["admonition"]),
    ([("2025-03-01", "admonition")], ["circulated_criticism"]),
    ([("2025-03-01", "admonition"), ("2025-09-01", "admonition")], ["suspension"]),
    ([("2023-01-01", "admonition")], ["admonition"]),  # outside the 730-day look-back
    ([("2025-01-01", "admonition"), ("2025-02-01", "admonition"), ("2025-03-01", "admonition"),
      ("2025-04-01", "admonition")], ["removal"]),  # capped at the top of the ladder
])
def test_escalation_by_prior_accountability(sqlite_store, tmp_path, priors, expected) -> None:
    load(sqlite_store, _c2_with_priors(priors), tmp_path)
    evaluate(sqlite_store, AS_OF)
    (item,) = list_recommendations(sqlite_store)
    explanation = get_recommendation(sqlite_store, item["id"])["explanation"]
    assert explanation["forms"] == expected
    steps = explanation["steps"]
    assert steps[0]["step"] == "base" and steps[0]["after"] == "admonition"
    in_window = [p for p in priors if p[0] >= "2024-05-12"]
    assert len([s for s in steps if s["step"] == "prior"]) == len(in_window)
    if len(in_window) > 3:
        assert steps[-1]["step"] == "cap" and "最重" in steps[-1]["reason"]


def test_an_approved_recommendation_counts_as_a_prior(sqlite_store, tmp_path) -> None:
    load(sqlite_store, C2, tmp_path)
    evaluate(sqlite_store, AS_OF)
    (first,) = list_recommendations(sqlite_store)
    with sqlite_store.begin() as connection:
        table = RecommendationRow.__table__
        connection.execute(table.update().values(status="approved"))
    later = [
        {"kind": "ledger", "id": "LG2", "person": "P1", "period": "2026-07", "task": "bs02",
         "status": "partial", "verdict": "fail", "date": "2026-08-03"},
        {"kind": "reminder", "id": "RM2", "person": "P1", "issuer": "L1", "date": "2026-08-10",
         "matter": "支部班子建设不力"},
        {"kind": "rectification", "id": "RC2", "reminder": "RM2", "person": "P1", "date": "2026-09-20",
         "effective": False},
    ]
    load(sqlite_store, later, tmp_path, "later.jsonl")
    evaluate(sqlite_store, AS_OF)
    second = next(i for i in list_recommendations(sqlite_store) if i["id"] != first["id"])
    steps = get_recommendation(sqlite_store, second["id"])["explanation"]["steps"]
    assert [s["ref"] for s in steps if s["step"] == "prior"] == [f"recommendation:{first['id']}"]
    assert second["form"] == "circulated_criticism"


def test_aggravating_and_mitigating_factors(sqlite_store, tmp_path) -> None:
    facts = [dict(f) for f in C2]
    for fact in facts:
        if fact["kind"] == "rectification":
            fact["attrs"] = {"obstruction": True}
        if fact["kind"] == "person" and fact["id"] == "P1":
            fact["attrs"] = {"losses_recovered": True, "cooperated": True}
    load(sqlite_store, facts, tmp_path)
    evaluate(sqlite_store, AS_OF)
    (item,) = list_recommendations(sqlite_store)
    e = get_recommendation(sqlite_store, item["id"])["explanation"]
    assert [s["step"] for s in e["steps"]] == ["base", "aggravating", "mitigating", "mitigating", "cap"]
    assert e["forms"] == ["admonition"]  # 1 up, 2 down, floored at the lightest form
    assert "最轻" in e["steps"][-1]["reason"]
    assert {f["code"] for f in e["factors"]} == {"obstruction", "losses_recovered", "cooperated"}


def test_authority_to_impose_or_only_propose(sqlite_store, tmp_path) -> None:
    minor = [dict(f) for f in COAL]
    for fact in minor:
        if fact["kind"] == "violation":
            fact.update(severity="grave")
    load(sqlite_store, minor, tmp_path)
    evaluate(sqlite_store, AS_OF)
    e = get_recommendation(sqlite_store, list_recommendations(sqlite_store)[0]["id"])["explanation"]
    # grave → suspension: the discipline commission may only propose it; the county committee decides
    assert e["forms"][0] == "suspension"
    assert e["proposer"] == "discipline_commission" and not e["proposer_may_impose"]
    assert e["decider"] == "county_committee"


def test_organization_department_may_impose_circulated_criticism(sqlite_store, tmp_path) -> None:
    disunity = load_cases(COUNTY / "tests" / "c1_disunity.yaml")[0].facts
    load(sqlite_store, disunity, tmp_path)
    evaluate(sqlite_store, AS_OF)
    secretary = next(i for i in list_recommendations(sqlite_store) if i["person"] == "P1")
    e = get_recommendation(sqlite_store, secretary["id"])["explanation"]
    assert e["forms"] == ["circulated_criticism"] and e["proposer_may_impose"]
    assert e["decider"] == "organization_department"


def test_holder_who_left_before_the_conduct_is_not_accountable(sqlite_store, tmp_path) -> None:
    load(sqlite_store, COAL, tmp_path)
    evaluate(sqlite_store, AS_OF)
    persons = {i["person"] for i in list_recommendations(sqlite_store)}
    assert "P-OLD" not in persons and "P-SEC" in persons
    # the same violation a year earlier falls to the holder of that time
    earlier = [dict(f) for f in COAL if f["kind"] != "violation"] + [
        dict(next(f for f in COAL if f["kind"] == "violation"), id="V-EARLY", date="2025-02-26")]
    other = tmp_path / "other"
    other.mkdir()
    from facts.store import open_store

    store = open_store(f"sqlite:///{other}/w.db")
    load(store, earlier, other)
    evaluate(store, AS_OF)
    items = list_recommendations(store)
    assert {i["person"] for i in items} == {"P-OLD", "P-DIS"}
    old = get_recommendation(store, next(i["id"] for i in items if i["person"] == "P-OLD"))
    assert old["explanation"]["post"]["end"] == "2025-06-30"


def test_facts_after_the_as_of_date_are_not_evaluated(sqlite_store, tmp_path) -> None:
    load(sqlite_store, COAL, tmp_path)
    evaluate(sqlite_store, date(2026, 2, 1))
    assert list_recommendations(sqlite_store) == []


def test_rule_errors_are_all_reported_with_positions(tmp_path) -> None:
    rules = tmp_path / "rules"
    copy_county(rules)
    c2 = rules / "circumstances" / "c2_reminder_ineffective.yaml"
    text = c2.read_text(encoding="utf-8")
    text = text.replace("fact: reminder", "fact: remindr")
    text = text.replace("verdict: fail", "verdikt: fail")
    text = text.replace("person: {same: reminder.person}", "person: {same: recheck2.person}")
    c2.write_text(text, encoding="utf-8")
    c1 = rules / "circumstances" / "c1_team_disunity.yaml"
    c1.write_text(c1.read_text(encoding="utf-8").replace("as_of - 2y", "as_of - two years"),
                  encoding="utf-8")
    (rules / "circumstances" / "broken.yaml").write_text("id: x\n  title: [unclosed\n", encoding="utf-8")
    c4 = rules / "circumstances" / "c4_leader_proposal.yaml"
    lines = c4.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "basis:")
    end = next(i for i, line in enumerate(lines) if line.strip() == "match:")
    c4.write_text("\n".join(lines[:start] + lines[end:]) + "\n", encoding="utf-8")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    messages = [str(e) for e in caught.value.errors]
    text_all = "\n".join(messages)
    assert "c2_reminder_ineffective.yaml:" in text_all and "unknown fact kind 'remindr'" in text_all
    assert "ledger has no field 'verdikt'" in text_all
    assert "c1_team_disunity.yaml:" in text_all and "as_of [± Nd]" in text_all
    assert "broken.yaml:2:" in text_all and "not valid YAML" in text_all
    assert "c4_leader_proposal.yaml:" in text_all and "basis: missing (required)" in text_all
    assert all(e.line > 0 and e.column > 0 for e in caught.value.errors)
    verdikt = next(e for e in caught.value.errors if "verdikt" in e.message)
    assert c2.read_text(encoding="utf-8").splitlines()[verdikt.line - 1].strip().startswith("verdikt")
    result = CliRunner().invoke(cli.main, ["rules", "check", "--rules", str(rules)])
    assert result.exit_code == 2 and "remindr" in result.output
    result = CliRunner().invoke(cli.main, ["evaluate", "--rules", str(rules), "--db",
                                           f"sqlite:///{tmp_path}/w.db"])
    assert result.exit_code == 2 and "nothing was evaluated" in result.output


def test_the_bundled_rulebook_checks_clean() -> None:
    result = CliRunner().invoke(cli.main, ["rules", "check"])
    assert result.exit_code == 0 and "rule versions" in result.output


def test_the_two_evaluators_agree_on_the_demo_county(demo_store) -> None:
    rulebook = load_rulebook()
    durable = find(demo_store, rulebook, AS_OF, DurableEvaluator())[0]
    reference = find(demo_store, rulebook, AS_OF, ReferenceEvaluator())[0]
    assert len(durable) > 50
    assert _signature(durable) == _signature(reference)
    assert {f.rule.version.circumstance for f in durable} == {1, 2, 3, 4}


def test_demo_county_evaluation_is_complete_and_idempotent(demo_store) -> None:
    items = list_recommendations(demo_store)
    assert {i["circumstance"] for i in items} == {1, 2, 3, 4}
    with demo_store.connect() as connection:
        before = connection.execute(select(func.count()).select_from(RecommendationRow.__table__)).scalar()
    again = evaluate(demo_store, AS_OF)
    assert again.new == [] and len(again.unchanged) == before


def test_facts_whose_ids_clash_in_durable_rules_hash_are_not_lost(sqlite_store, tmp_path) -> None:
    """durable_rules keys stored facts by a 32-bit hash of their id and refuses a second fact
    with the same hash in a sid; these two ids clash, and both re-checks must still count."""
    from engine.durable.encoding import durable_hash

    assert durable_hash("rectification:C75959") == durable_hash("rectification:C618224")
    facts = [f for f in C2 if f["kind"] != "rectification"] + [
        {"kind": "reminder", "id": "RM2", "person": "P1", "issuer": "L1", "date": "2026-04-20",
         "matter": "再次提醒"},
        {"kind": "rectification", "id": "C75959", "reminder": "RM2", "person": "P1", "date": "2026-05-12",
         "effective": False},
        {"kind": "rectification", "id": "C618224", "reminder": "RM2", "person": "P1", "date": "2026-05-20",
         "effective": False},
    ]
    load(sqlite_store, facts, tmp_path)
    rulebook = load_rulebook()
    durable = _signature(find(sqlite_store, rulebook, AS_OF, DurableEvaluator())[0])
    assert durable == _signature(find(sqlite_store, rulebook, AS_OF, ReferenceEvaluator())[0])
    # both re-checks of RM2 (no due date) are matched in one sid: one finding, both as evidence
    (ids,) = [ids for _, key, ids, _, _ in durable if key == ("reminder:RM2",)]
    assert {"rectification:C75959", "rectification:C618224"} <= set(ids)


def test_killing_the_evaluation_at_any_moment_leaves_the_store_consistent(demo_store, tmp_path) -> None:
    """SIGKILL ``wenze evaluate`` at several moments: each time the store holds either the
    previous recommendations or the new run whole, never part of one, and the next run finishes."""
    import subprocess
    import sys
    import time

    source = Path(str(demo_store.url.database))
    copy = tmp_path / "copy.db"
    shutil.copyfile(source, copy)
    from facts.store import open_store

    store = open_store(f"sqlite:///{copy}")
    with store.begin() as connection:  # start from an empty recommendation table
        connection.execute(RecommendationRow.__table__.delete())
    complete = None
    for delay in (0.3, 0.8, 1.5, 3.0):
        process = subprocess.Popen([sys.executable, "-m", "cli", "evaluate", "--as-of", "2026-11-25",
                                    "--db", f"sqlite:///{copy}"], cwd=Path(cli.__file__).parent,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.kill()
        process.wait()
        rows = len(_rows(store))
        statuses = {r["status"] for r in list_runs(store)}
        assert "running" not in statuses
        assert rows == 0 or rows == (complete or rows)
        complete = complete or rows or None
    final = evaluate(store, AS_OF)
    assert len(_rows(store)) == final.counts["recommendations"]
    assert complete in (None, final.counts["recommendations"])


def test_sanctions_file_errors_name_what_the_engine_would_miss(tmp_path) -> None:
    rules = tmp_path / "rules"
    copy_county(rules)
    path = rules / "sanctions.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  3: {minor: admonition, serious: circulated_criticism, grave: suspension}",
                        "  3: {minor: admonition, serious: circulated_criticism, grave: warning}")
    text = text.replace("  removal: county_committee\n", "")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    messages = [str(e) for e in caught.value.errors]
    assert any("sanctions.yaml:" in m and "warning is not on the ladder" in m for m in messages)
    assert any("no deciding body for removal" in m for m in messages)


def test_a_cluster_of_problems_is_reported_once_as_the_window_moves(sqlite_store, tmp_path) -> None:
    """Frequent problems are counted over the whole history, so when the oldest violation
    leaves the two-year window the same cluster is not found again under another key."""
    facts = [f for f in COAL if f["kind"] != "violation"] + [
        {"kind": "violation", "id": f"V{i}", "unit": "U-COAL", "actors": ["S1"], "date": day,
         "category": "conduct", "severity": "minor", "case_filed": False}
        for i, day in enumerate(["2025-01-10", "2025-03-10", "2025-05-10", "2025-07-10"])]
    load(sqlite_store, facts, tmp_path)
    first = evaluate(sqlite_store, date(2026, 11, 25))
    later = evaluate(sqlite_store, date(2027, 2, 1))  # V0 is now more than 730 days old
    assert len(first.new) == 2 and later.new == []  # secretary and discipline secretary, once
    keys = {get_recommendation(sqlite_store, i)["explanation"]["evidence"][0]["id"] for i in first.new}
    assert keys == {"V0"}
    gone = evaluate(sqlite_store, date(2027, 6, 1))  # the cluster's conduct is now out of the window
    assert gone.counts["recommendations"] == 0 and gone.new == []
