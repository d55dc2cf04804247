"""The recommendation document (问责建议书) in HTML, PDF and DOCX, all from one context."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from documents.contexts import RecommendationContext, render
from documents.fonts import find_fonts
from documents.formats import Format, from_html
from documents.numbering import assign
from engine.rulebook import Rulebook
from engine.run.read import get_recommendation
from engine.sanction.explanation import Explanation


class NotFound(LookupError):
    pass


def context(engine: Engine, rec_id: str, rulebook: Rulebook) -> RecommendationContext:
    """Everything a recommendation document shows, read from the stored explanation."""
    item = get_recommendation(engine, rec_id)
    if item is None:
        raise NotFound(f"no recommendation {rec_id}")
    e = Explanation.model_validate(item["explanation"])
    bodies = rulebook.county.bodies
    leader = e.proposer.startswith("person:") or e.proposer == "supervising_leader"
    issuer = "supervising_leader" if leader else e.proposer
    # a document goes to the body that decides — never to its own issuer: when the issuer
    # decides itself, to its own decision-making meeting
    addressee = bodies[e.decider].name
    if e.decider == issuer:
        addressee = bodies[issuer].decides_in or addressee
    return RecommendationContext(
        fonts=find_fonts(),
        rec_id=rec_id,
        status=item["status"],
        e=e,
        number=assign(engine, rec_id, e.as_of.year, bodies[issuer].number_prefix),
        issued=e.as_of,
        issuer=rulebook.county.documents.leader_masthead if leader else bodies[issuer].name,
        addressee=addressee,
        labels=rulebook.labels.forms,
    )


def render_html(ctx: RecommendationContext, templates_dir: Path | None = None,
                template: str | None = None) -> str:
    return render(ctx, templates_dir, template)


def render_recommendation(engine: Engine, rec_id: str, fmt: Format, rulebook: Rulebook,
                          templates_dir: Path | None = None) -> bytes:
    """The document of one recommendation in the given format."""
    return from_html(render_html(context(engine, rec_id, rulebook), templates_dir), fmt)
