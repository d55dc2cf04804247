"""One recommendation as the detail page and ``wenze review show`` render it: the evidence
chain, the engine's proposal beside any amendment, the due-process steps done and pending,
the decisions, the person's posts and past accountability, what needs a check, and the acts
the user may try."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from documents.numbering import format_number
from engine.rulebook import Rulebook
from facts.recommendation_tables import DocumentNumber, RecommendationRow
from facts.review_tables import DecisionNumber
from facts.tables import AccountabilityRow, PostRow, UnitRow
from review.county import county
from review.decide import allowed_actions, check, deciding_body
from review.errors import ReviewError
from review.state import FINAL, State, needs_two, recordable
from review.users import User


@dataclass(frozen=True)
class StepRecord:
    step: str
    label: str
    day: date
    fields: list[tuple[str, str]]  # (label, value as read) in review.yaml's order
    actor: str
    at: datetime


@dataclass(frozen=True)
class StepState:
    code: str
    label: str
    phase: str  # before_decision | after_decision
    required: bool  # approval waits for it
    records: list[StepRecord]
    can_record: bool  # the status and the steps it requires allow it now
    fields: dict[str, Any]  # review.yaml's fields (label, type, required, options)

    @property
    def done(self) -> bool:
        return bool(self.records)


@dataclass(frozen=True)
class DecisionRecord:
    action: str
    action_label: str
    forms: list[str] | None
    form_labels: list[str]
    reason: str | None
    deciding_body: str | None
    deciding_body_name: str | None
    day: date
    actor: str
    at: datetime


@dataclass(frozen=True)
class RecommendationDetail:
    id: str
    number: str | None  # the recommendation document's reference number
    decision_number: str | None  # the decision document's, once rendered
    status: str
    status_label: str
    version: str  # pass back as ``seen`` to refuse an act on a changed recommendation
    person: str
    person_name: str
    unit: str
    unit_name: str
    explanation: dict[str, Any]  # the whole stored explanation (rule, basis, steps, ...)
    evidence: list[dict[str, Any]]  # kind, id, src (file:line), date, summary, fields
    engine_forms: list[str]
    engine_form_labels: list[str]
    decided_forms: list[str] | None  # as amended (None: as the engine proposed)
    decided_form_labels: list[str]
    steps: list[StepState]
    decisions: list[DecisionRecord]
    posts: list[dict[str, Any]]  # every post of the person: unit, unit_name, role_label, start, end
    past: list[dict[str, Any]]  # earlier accountability of the person: id, date, form, form_label
    needs_check: list[str]  # what a person must look at first (facts changed under it, why withdrawn)
    allowed: list[str]  # the acts the user may try now (step, amend, return, approve, reject)
    allowed_labels: list[str]  # the same, named as labels.yaml review_action names them
    four_eyes: bool  # its forms need two approvers
    first_approver: str | None
    deciding_body: str  # the body an approval would record by default
    deciding_body_name: str
    appeal_last_day: date | None  # the last day to appeal, once served
    decided_on: date | None


def recommendation_detail(store: Engine, user: User, rec_id: str, *,
                          rulebook: Rulebook | None = None) -> RecommendationDetail:
    """The detail, if the user may see it (else ``NotFound`` / ``NotInScope``)."""
    book = county(rulebook)
    with store.connect() as connection:
        state = check(connection, book, user, rec_id, "see")
        return _detail(connection, book, user, state)


def _number(connection: Connection, table: Any, rec_id: str) -> str | None:
    row = connection.execute(select(table).where(table.c.recommendation_id == rec_id)).first()
    return format_number(row.prefix, row.year, row.seq) if row else None


def _detail(connection: Connection, book: Rulebook, user: User, state: State) -> RecommendationDetail:
    labels, bodies = book.labels, book.county.bodies
    forms = lambda codes: [labels.forms.get(f, f) for f in codes or []]  # noqa: E731
    units = UnitRow.__table__
    row = connection.execute(select(RecommendationRow.__table__).where(
        RecommendationRow.__table__.c.id == state.id)).mappings().one()
    unit_names = dict(connection.execute(select(units.c.id, units.c.name)).all())
    steps = []
    for code, spec in book.review.steps.items():
        records = [StepRecord(code, spec.label, s["day"], [
            (f.label, _shown(book, f.options, s["data"][name])) for name, f in spec.fields.items()
            if name in s["data"]], s["actor"], s["at"]) for s in state.recorded(code)]
        steps.append(StepState(code, spec.label, spec.phase, spec.required, records,
                               recordable(book, state, code), spec.model_dump()["fields"]))
    decisions = [DecisionRecord(
        d["action"], labels.review_action.get(d["action"], d["action"]), d["forms"],
        forms(d["forms"]), d["reason"], d["deciding_body"],
        bodies[d["deciding_body"]].name if d["deciding_body"] in bodies else None,
        d["day"], d["actor"], d["at"]) for d in state.decisions]
    posts_table = PostRow.__table__
    posts = [{"id": p.id, "unit": p.unit, "unit_name": unit_names.get(p.unit, p.unit),
              "role": p.role, "role_label": labels.role.get(p.role, p.role), "start": p.start,
              "end": p.end} for p in connection.execute(
        select(posts_table).where(posts_table.c.person == state.person)
        .order_by(posts_table.c.start))]
    acc = AccountabilityRow.__table__
    past = [{"id": a.id, "date": a.date, "form": a.form, "form_label": labels.forms.get(a.form, a.form),
             "recommendation": (a.attrs or {}).get("recommendation"), "src": a.src}
            for a in connection.execute(select(acc).where(acc.c.person == state.person)
                                        .order_by(acc.c.date, acc.c.id))]
    needs_check = list((row["facts_changed"] or {}).get("changes", []))
    if row["status"] == "withdrawn" and row["status_reason"]:
        needs_check.insert(0, row["status_reason"])
    try:
        body = deciding_body(book, state.forms, state.first_body)
    except ReviewError:
        body = book.sanctions.decider[state.forms[0]]
    allowed = allowed_actions(connection, book, user, state)
    served = [s["day"] for s in state.recorded("served")]
    appeal_last = book.review.appeal.last_day.add_to(max(served)) if served else None
    return RecommendationDetail(
        id=state.id, number=_number(connection, DocumentNumber.__table__, state.id),
        decision_number=_number(connection, DecisionNumber.__table__, state.id),
        status=state.status,
        status_label=labels.recommendation_status.get(state.status, state.status),
        version=state.version, person=state.person, person_name=row["person_name"],
        unit=state.unit, unit_name=unit_names.get(state.unit, state.unit),
        explanation=state.explanation, evidence=list(state.explanation["evidence"]),
        engine_forms=state.engine_forms, engine_form_labels=forms(state.engine_forms),
        decided_forms=state.decided_forms, decided_form_labels=forms(state.decided_forms),
        steps=steps, decisions=decisions, posts=posts, past=past, needs_check=needs_check,
        allowed=allowed, allowed_labels=[labels.review_action[a] for a in allowed],
        four_eyes=needs_two(book, state.forms), first_approver=state.first_approver,
        deciding_body=body, deciding_body_name=bodies[body].name if body in bodies else body,
        appeal_last_day=appeal_last, decided_on=state.decided_on() if state.status in FINAL else None)


def _shown(book: Rulebook, options: dict[str, str], value: Any) -> str:
    """A recorded value as read: yes/no, a list joined, a choice by its label."""
    if isinstance(value, bool):
        return book.say.text("review", "yes" if value else "no")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return options.get(str(value), str(value))
