"""A small county for the review tests: the coal bureau's case (the secretary P-SEC and the
discipline secretary P-DIS, under the county committee U-COUNTY) and a township U1 under the
county with a circumstance-2 case (P1), evaluated once; and accounts to review them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from engine.match.reference import ReferenceEvaluator
from engine.run.evaluate import evaluate
from engine.run.read import list_recommendations
from review.users import User, add_user
from tests.conftest import load
from tests.engine_support import AS_OF, c2, coal

PASSWORD = "correct horse battery"


def county_cases(store: Engine, folder: Path, as_of: date = AS_OF) -> dict[str, str]:
    """Recommendation ids by person: P-SEC, P-DIS (coal bureau), P1 (township U1)."""
    town = c2()
    for fact in town:
        if fact["kind"] == "unit" and fact["id"] == "U1":
            fact["parent"] = "U-COUNTY"
    load(store, coal() + town, folder)
    evaluate(store, as_of, evaluator=ReferenceEvaluator())  # the engine's own tests use both
    ids = {item["person"]: item["id"] for item in list_recommendations(store)}
    assert set(ids) == {"P-SEC", "P-DIS", "P1"}, ids
    return ids


def accounts(store: Engine) -> dict[str, User]:
    """coal (approver, coal bureau), town (approver, U1), county and county2 (approvers for
    the whole county, working in the county committee), clerk (reviewer, whole county),
    insider (approver for the county who works in the coal bureau), policy."""
    made = [
        ("coal", "approver", ["U-COAL"], None),
        ("town", "approver", ["U1"], None),
        ("county", "approver", ["U-COUNTY"], "U-COUNTY"),
        ("county2", "approver", ["U-COUNTY"], "U-COUNTY"),
        ("clerk", "reviewer", ["U-COUNTY"], None),
        ("insider", "approver", ["U-COUNTY"], "U-COAL"),
        ("policy", "policy", ["U-COUNTY"], None),
    ]
    return {name: add_user(store, name, role, units, PASSWORD, home=home)
            for name, role, units, home in made}


def decide_through_review(store: Engine, rec_id: str, day: date, forms: list[str] | None = None
                          ) -> str:
    """Approve a recommendation as the county would: the steps before the decision, then one
    approver (two where four-eyes applies), all on ``day``; the new status."""
    from engine.run.read import get_recommendation
    from review.decide import amend, approve, record_step
    from review.users import get_user

    unit = get_recommendation(store, rec_id)["unit"]
    users = []
    for name in ("first-approver", "second-approver"):
        users.append(get_user(store, name) or add_user(store, name, "approver", [unit], PASSWORD))
    first, second = users
    record_step(store, first, rec_id, "investigation", day, {"investigators": ["甲", "乙"]})
    record_step(store, first, rec_id, "statement", day, {"text": "无异议", "adopted": False})
    record_step(store, first, rec_id, "collective_decision", day,
                {"attendees": ["甲", "乙", "丙"], "outcome": "同意"})
    if forms:
        amend(store, first, rec_id, forms, "情节较重", day=day)
    status = approve(store, first, rec_id, day=day)
    if status == "awaiting_second":
        status = approve(store, second, rec_id, day=day)
    return status
