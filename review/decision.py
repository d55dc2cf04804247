"""The decision document (问责决定书) of an approved recommendation: its context, from the
stored explanation and what review recorded, rendered like every document (HTML, then PDF
and DOCX from that HTML), numbered in the deciding body's own series."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from documents.contexts import DecisionContext, Statement, render
from documents.environment import chinese_period
from documents.fonts import find_fonts
from documents.formats import Format, from_html
from documents.numbering import assign
from documents.recommendation import render_recommendation
from engine.rulebook import Rulebook
from engine.sanction.explanation import Explanation
from facts.review_tables import DecisionNumber
from review.county import county
from review.decide import check
from review.errors import NotDecided, NotFound
from review.state import FINAL, load_state
from review.users import User


def decision_context(store: Engine, rec_id: str, rulebook: Rulebook | None = None,
                     user: User | None = None) -> DecisionContext:
    """Everything the decision shows; ``user``: only within their scope (web downloads)."""
    book = county(rulebook)
    with store.connect() as connection:
        state = (check(connection, book, user, rec_id, "see") if user is not None
                 else load_state(connection, rec_id))
    if state is None:
        raise NotFound(book, id=rec_id)
    if state.status not in FINAL:
        raise NotDecided(book, id=rec_id)
    approval = next(d for d in reversed(state.decisions) if d["action"] == "approve")
    bodies = book.county.bodies
    body = bodies[approval["deciding_body"]]
    meetings = state.recorded("collective_decision")
    appeal = book.review.appeal
    return DecisionContext(
        fonts=find_fonts(),
        rec_id=rec_id,
        e=Explanation.model_validate(state.explanation),
        number=assign(store, rec_id, approval["day"].year,
                      book.review.decision_numbers[approval["deciding_body"]],
                      DecisionNumber.__table__),
        issued=approval["day"],
        issuer=body.name,
        decided_in=body.decides_in,
        meeting=meetings[-1]["day"] if meetings else None,
        form_labels=[book.labels.forms.get(f, f) for f in state.forms],
        amended=state.forms != state.engine_forms,
        statements=[Statement(s["day"], s["data"]["text"], s["data"]["adopted"],
                              s["data"].get("reason")) for s in state.recorded("statement")],
        appeal_period=chinese_period(appeal.period, book.labels.period_unit),
        appeal_body=body.name if appeal.body == "deciding" else bodies[appeal.body].name,
    )


def render_for(store: Engine, user: User, rec_id: str, document: str, fmt: Format,
               rulebook: Rulebook | None = None, templates_dir: Path | None = None) -> bytes:
    """A download for a user: the recommendation document (``recommendation``) or the
    decision (``decision``), only within the user's scope (else ``NotFound`` / ``NotInScope``)."""
    book = county(rulebook)
    if document == "decision":
        return render_decision(store, rec_id, fmt, book, templates_dir, user)
    with store.connect() as connection:
        check(connection, book, user, rec_id, "see")
    return render_recommendation(store, rec_id, fmt, book, templates_dir)


def render_decision(store: Engine, rec_id: str, fmt: Format, rulebook: Rulebook | None = None,
                    templates_dir: Path | None = None, user: User | None = None) -> bytes:
    """The decision document in one format (``wenze render ID --document decision``)."""
    ctx = decision_context(store, rec_id, rulebook, user)
    return from_html(render(ctx, templates_dir), fmt)
