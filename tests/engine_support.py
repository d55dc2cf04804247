"""Facts for the engine tests and helpers that go through ingestion and evaluation.

The coal bureau and the circumstance-2 chain are read from the county's YAML rule tests
(``rules/tests/``), their one source; the other builders are plain Python.

Store fixtures (``store``, ``sqlite_store``, ``pg_store``) and ``load`` come from ``conftest``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from engine.durable import DurableEvaluator
from engine.match.reference import ReferenceEvaluator
from engine.rulebook import Rulebook, load_rulebook
from engine.run.evaluate import evaluate, find
from engine.run.read import get_recommendation, list_recommendations
from facts.recommendation_tables import RecommendationRow
from tests.conftest import COUNTY, copy_county, load
from usecases.rule_tests import load_cases

AS_OF = date(2026, 11, 25)


def unit(
    uid: str, name: str = "县某局", type: str = "county_organ", **extra: Any
) -> dict[str, Any]:
    return {"kind": "unit", "id": uid, "name": name, "type": type, **extra}


def person(pid: str, name: str, uid: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "person", "id": pid, "name": name, "unit": uid, **extra}


def post(
    pid: str, uid: str, role: str, start: str = "2020-01-01", end: str | None = None
) -> dict[str, Any]:
    fact = {
        "kind": "post",
        "id": f"PO-{pid}-{uid}-{start}",
        "person": pid,
        "unit": uid,
        "role": role,
        "start": start,
    }
    if end:
        fact["end"] = end
    return fact


def violation(
    vid: str,
    uid: str,
    day: str,
    actors: list[str],
    category: str = "work_discipline",
    severity: str = "serious",
    case_filed: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "kind": "violation",
        "id": vid,
        "unit": uid,
        "actors": actors,
        "date": day,
        "category": category,
        "severity": severity,
        "case_filed": case_filed,
        **extra,
    }


def _case_facts(file: str) -> list[dict[str, Any]]:
    """The facts of the first case of a county rule-test file, as JSON would give them (dates
    as text): the policy-readable YAML in ``rules/tests/`` is the one source of these scenarios."""
    facts = load_cases(COUNTY / "tests" / file)[0].facts
    return json.loads(json.dumps(facts, ensure_ascii=False, default=str))


def coal() -> list[dict[str, Any]]:
    """The worked case (rules/tests/c3_several_staff_violation.yaml): three coal-bureau staff gamble in
    the office; the secretary changed in 2025 (P-OLD until 2025-06-30, P-SEC from 2025-07-01).
    With the inspection that found it (I-1, evidence of the finding) and another of the county
    committee (I-3, evidence of nothing)."""
    return _case_facts("c3_several_staff_violation.yaml")


def c2(
    *,
    recheck_date: str | None = None,
    effective: bool = False,
    reminder_person: str = "P1",
    reminder_date: str | None = None,
    due: str = "2026-07-10",
) -> list[dict[str, Any]]:
    """A failed ledger check (LG1, 2026-04-02), a reminder by leader L1 (RM1, 2026-04-10) due
    2026-07-10 and an ineffective re-check (RC1, 2026-05-12) — before the due date, so not yet a
    failure; the finding comes from the due date passing unrectified. The facts of
    rules/tests/c2_reminder_ineffective.yaml (whose due date, 2026-05-10, comes before the re-check) plus a
    second branch secretary P2; the keywords change one thing each."""
    facts = _case_facts("c2_reminder_ineffective.yaml")
    facts.insert(2, person("P2", "邓支书", "U1", category="branch_secretary"))
    for fact in facts:
        if fact["kind"] == "reminder":
            fact["person"] = reminder_person
            fact["due"] = due
            if reminder_date:  # the due date keeps its distance from the reminder
                due = date.fromisoformat(fact["due"]) - date.fromisoformat(fact["date"])
                fact["due"] = (date.fromisoformat(reminder_date) + due).isoformat()
                fact["date"] = reminder_date
        if fact["kind"] == "rectification":
            fact.update(person=reminder_person, date=recheck_date or fact["date"], effective=effective)
    return facts


def disunity(
    *, public_reaction: bool = True, affects_work: bool = True, dissent: list[str] | None = None
) -> list[dict[str, Any]]:
    report = {
        "kind": "disunity",
        "id": "D1",
        "unit": "U1",
        "date": "2026-05-20",
        "affects_work": affects_work,
        "public_reaction": public_reaction,
        "source": "inspection",
    }
    if dissent is not None:
        report["attrs"] = {"dissent": dissent}
    return [
        unit("U1", "大江口镇", "township"),
        person("P1", "杨书记", "U1", category="township_secretary"),
        person("P2", "舒纪委", "U1", category="grassroots_committee_member"),
        person("P3", "贺委员", "U1", category="grassroots_committee_member"),
        person("P4", "米委员", "U1", category="grassroots_committee_member"),
        post("P1", "U1", "secretary"),
        post("P2", "U1", "discipline_secretary"),
        post("P3", "U1", "member"),
        post("P4", "U1", "member"),
        report,
    ]


def signature(findings) -> set:
    return {(f.rule.name, f.key, f.fact_ids, f.conduct_date, f.subject) for f in findings}


def assert_evaluators_agree(
    store: Engine, rulebook: Rulebook | None = None, as_of: date = AS_OF
) -> set:
    """Both evaluators on the same store; returns the (common) finding signature."""
    rulebook = rulebook or load_rulebook()
    durable = signature(find(store, rulebook, as_of, DurableEvaluator(workers=1))[0])
    reference = signature(find(store, rulebook, as_of, ReferenceEvaluator())[0])
    assert durable == reference, {
        "durable only": durable - reference,
        "reference only": reference - durable,
    }
    return durable


def run(
    store: Engine,
    facts: list[dict[str, Any]],
    folder: Path,
    as_of: date = AS_OF,
    name: str = "facts.jsonl",
) -> list[dict[str, Any]]:
    """Ingest, check both evaluators agree, evaluate, and return the stored recommendations
    (each with its explanation)."""
    load(store, facts, folder, name)
    assert_evaluators_agree(store, as_of=as_of)
    evaluate(store, as_of)
    return [get_recommendation(store, i["id"]) for i in list_recommendations(store)]


def by_person(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    result = {}
    for item in items:
        assert item["person"] not in result, f"two recommendations for {item['person']}"
        result[item["person"]] = item
    return result


def table_rows(store: Engine) -> list[dict[str, Any]]:
    table = RecommendationRow.__table__
    with store.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(table).order_by(table.c.id))]


V2_NOT_ACCOUNTABLE = """
  - version: 2
    effective: {from: 2026-06-01}
    basis:
      - document: 某修订后的规定
        article: 第一条
        text: 领导班子不团结且造成严重后果的，应当问责。
    match:
      - fact: disunity
        as: report
        where: {affects_work: true, public_reaction: true, attrs.consequence: grave}
    finding:
      subject: {unit: report.unit}
      team: true
      severity: serious
      proposer: discipline_commission
      conduct_date: report.date
"""


def c1_version_2_not_accountable(tmp_path: Path) -> Path:
    """The county folder with a version 2 of c1 (team disunity) in force from 2026-06-01 that
    holds accountable only grave consequences: conduct before it, under version 1, is no
    longer held accountable (从旧兼从轻)."""
    folder = copy_county(tmp_path / "rules")
    path = folder / "circumstances" / "c1_team_disunity.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "effective: {from: 2016-03-01}", "effective: {from: 2016-03-01, to: 2026-05-31}")
    path.write_text(text + V2_NOT_ACCOUNTABLE, encoding="utf-8")
    return folder
