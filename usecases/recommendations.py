"""Recommendations as discipline staff look them up: with their document's reference number,
found by id or by that number."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from documents.numbering import numbered, numbers
from engine.run.read import get_recommendation, list_recommendations


def listed(engine: Engine, status: str | None = None, circumstance: int | None = None,
           with_explanation: bool = False) -> list[dict[str, Any]]:
    """The recommendations, each with ``number``: its document's reference number, or None
    while no document has been written."""
    given = numbers(engine)
    items = list_recommendations(engine, status, circumstance, with_explanation=with_explanation)
    return [{**item, "number": given.get(item["id"])} for item in items]


def found(engine: Engine, key: str) -> dict[str, Any] | None:
    """One recommendation with its explanation and number, by id (R…) or by its document's
    reference number (县纪建〔2026〕7号); None when neither names one."""
    rec_id = numbered(engine, key) or key
    item = get_recommendation(engine, rec_id)
    if item is None:
        return None
    return {**item, "number": numbers(engine).get(rec_id)}
