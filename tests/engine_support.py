"""Facts for the engine tests, built in Python, and helpers that go through ingestion and evaluation.

Store fixtures (``store``, ``sqlite_store``, ``pg_store``) and ``load`` come from ``conftest``.
"""

from __future__ import annotations

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
from tests.conftest import load

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


def coal() -> list[dict[str, Any]]:
    """The worked case: three coal-bureau staff gamble in the office; the secretary changed in 2025."""
    return [
        unit("U-COUNTY", "中共溆浦县委员会", "county_committee"),
        unit("U-COAL", "县煤炭局", parent="U-COUNTY"),
        person("P-SEC", "张建国", "U-COAL", category="organ_secretary"),
        person("P-DIS", "李纪明", "U-COAL", category="grassroots_committee_member"),
        person("P-OLD", "赵前任", "U-COAL", category="organ_secretary"),
        person("S1", "王一", "U-COAL"),
        person("S2", "王二", "U-COAL"),
        person("S3", "王三", "U-COAL"),
        post("P-OLD", "U-COAL", "secretary", "2019-01-01", "2025-06-30"),
        post("P-SEC", "U-COAL", "secretary", "2025-07-01"),
        post("P-DIS", "U-COAL", "discipline_secretary", "2021-01-01"),
        post("S1", "U-COAL", "member", "2021-01-01"),
        {
            "kind": "inspection",
            "id": "I-1",
            "unit": "U-COAL",
            "date": "2026-02-26",
            "group": "春节后作风纪律专项督查组",
            "mode": "special",
            "problem": "上班时间打牌赌博",
            "severity": "serious",
        },
        violation(
            "V-GAMBLE",
            "U-COAL",
            "2026-02-26",
            ["S1", "S2", "S3"],
            description="工作时间在办公室打牌赌博",
        ),
    ]


def c2(
    *,
    recheck_date: str = "2026-05-12",
    effective: bool = False,
    reminder_person: str = "P1",
    reminder_date: str = "2026-04-10",
    ledger_date: str = "2026-04-02",
) -> list[dict[str, Any]]:
    """A failed ledger check, a reminder by leader L1, and a re-check."""
    return [
        unit("U1", "卢峰镇", "township"),
        person("P1", "刘支书", "U1", category="branch_secretary"),
        person("P2", "邓支书", "U1", category="branch_secretary"),
        person("L1", "向县长", "U1", category="county_leader"),
        post("P1", "U1", "secretary"),
        {
            "kind": "ledger",
            "id": "LG1",
            "person": "P1",
            "period": ledger_date[:7],
            "task": "bs01",
            "status": "partial",
            "verdict": "fail",
            "date": ledger_date,
        },
        {
            "kind": "reminder",
            "id": "RM1",
            "person": reminder_person,
            "issuer": "L1",
            "date": reminder_date,
            "matter": "支部工作计划未按时制定",
            "due": "2026-07-10",
        },
        {
            "kind": "rectification",
            "id": "RC1",
            "reminder": "RM1",
            "person": reminder_person,
            "date": recheck_date,
            "effective": effective,
        },
    ]


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
