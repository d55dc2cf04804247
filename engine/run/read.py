"""Reading recommendations and runs back out of the store: the read model every view uses.

One query per call, whatever the number of recommendations: the list carries each
recommendation's explanation when asked, so no caller fetches them one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from facts.recommendation_tables import EvaluationRun, RecommendationRow


def _public(row: dict[str, Any], with_explanation: bool) -> dict[str, Any]:
    explanation = row["explanation"]
    item = {
        "id": row["id"], "person": row["person"], "person_name": row["person_name"],
        "unit": row["unit"], "unit_name": explanation["post"]["unit_name"],
        "circumstance": row["circumstance"], "responsibility": row["responsibility"],
        "degree": row["degree"], "form": row["form"], "forms": explanation["forms"],
        "decided_forms": row.get("decided_forms"),
        "proposer": row["proposer"], "decider": explanation["decider"],
        "route": explanation["route"], "rule": row["rule"], "rule_version": row["rule_version"],
        "conduct_date": row["conduct_date"].isoformat(), "evidence": row["evidence"],
        "status": row["status"], "status_reason": row["status_reason"],
        "status_run": row["status_run"], "facts_changed": row["facts_changed"],
        "rulebook_hash": row["rulebook_hash"],
    }
    if with_explanation:
        item["explanation"] = explanation
    return item


def list_recommendations(engine: Engine, status: str | None = None,
                         circumstance: int | None = None, ids: Iterable[str] | None = None,
                         with_explanation: bool = False,
                         conducted: tuple[date, date] | None = None) -> list[dict[str, Any]]:
    """The JSON view of recommendations, by conduct date; the whole explanation if asked;
    with ``conducted``, those whose conduct falls between its two dates (both included)."""
    table = RecommendationRow.__table__
    query = select(table).order_by(table.c.conduct_date, table.c.id)
    if status:
        query = query.where(table.c.status == status)
    if conducted:
        query = query.where(table.c.conduct_date.between(*conducted))
    if circumstance:
        query = query.where(table.c.circumstance == circumstance)
    if ids is not None:
        query = query.where(table.c.id.in_(list(ids)))
    with engine.connect() as connection:
        return [_public(dict(r._mapping), with_explanation) for r in connection.execute(query)]


def get_recommendation(engine: Engine, rec_id: str) -> dict[str, Any] | None:
    """One recommendation with its whole explanation, or None."""
    found = list_recommendations(engine, ids=[rec_id], with_explanation=True)
    return found[0] if found else None


def list_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """The latest evaluation runs, newest first: what the operator checks in the morning."""
    table = EvaluationRun.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.id.desc()).limit(limit))
        return [{**dict(r._mapping), "as_of": r.as_of.isoformat(),
                 "started": r.started.isoformat(timespec="seconds"),
                 "finished": r.finished.isoformat(timespec="seconds") if r.finished else None}
                for r in rows]
