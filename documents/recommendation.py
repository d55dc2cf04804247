"""The recommendation document (问责建议书) in HTML, PDF and DOCX, all from one context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from documents.environment import environment
from documents.fonts import find_fonts
from documents.formats import Format, from_html
from documents.numbering import assign
from engine.explanation import Explanation
from engine.listing import get_recommendation
from engine.rulebook import load_rulebook

CIRCUMSTANCE_NUMBERS = {1: "一", 2: "二", 3: "三", 4: "四"}


class NotFound(LookupError):
    pass


def context(engine: Engine, rec_id: str) -> dict[str, Any]:
    """Everything a recommendation document shows, read from the stored explanation."""
    item = get_recommendation(engine, rec_id)
    if item is None:
        raise NotFound(f"no recommendation {rec_id}")
    e = Explanation.model_validate(item["explanation"])
    sanctions = load_rulebook().sanctions
    proposer_code = e.proposer if not e.proposer.startswith("person:") else "supervising_leader"
    issuer = sanctions.bodies[proposer_code] if proposer_code != "supervising_leader" else "问责建议书"
    return {
        "rec_id": rec_id,
        "status": item["status"],
        "e": e,
        "number": assign(engine, rec_id, e.as_of.year),
        "issued": e.as_of,
        "issuer": issuer,
        "labels": sanctions.labels,
        "circumstance_number": CIRCUMSTANCE_NUMBERS[e.circumstance],
    }


def render_html(ctx: dict[str, Any], templates_dir: Path | None = None,
                template: str = "recommendation.html") -> str:
    return environment(templates_dir).get_template(template).render(fonts=find_fonts(), **ctx)


def render_recommendation(engine: Engine, rec_id: str, fmt: Format,
                          templates_dir: Path | None = None) -> bytes:
    """The document of one recommendation in the given format."""
    return from_html(render_html(context(engine, rec_id), templates_dir), fmt)
