"""Decisions and due-process steps: every act on a recommendation, checked the same way for
the web app and the CLI, written with its audit entry in one transaction.

Every act first takes the recommendation's row (an UPDATE that changes nothing: a row lock on
PostgreSQL, the write lock on SQLite), so a nightly run or another reviewer committing at the
same moment is either seen whole or waits; the state is read after that.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import OperationalError

from engine.rulebook import Rulebook
from facts.errors import StoreBusy
from facts.recommendation_tables import RecommendationRow
from facts.review_tables import ReviewDecision, ReviewStep
from facts.tables import AccountabilityRow, UnitRow
from review import audit
from review.county import county
from review.errors import (
    BadInput,
    Conflict,
    FourEyes,
    NotAllowed,
    NotAuthorised,
    NotFound,
    NotInScope,
    OwnUnit,
    StepMissing,
)
from review.scope import subtree
from review.state import (
    BY_STATUS,
    FINAL,
    State,
    load_state,
    missing_before_decision,
    needs_two,
)
from review.users import User

_REC = RecommendationRow.__table__
_LIST_SPLIT = re.compile(r"[;；,，、\n]")


# ---------------------------------------------------------------- checks shared by every act


def check(connection: Connection, book: Rulebook, user: User, rec_id: str, action: str,
          seen: str | None = None) -> State:
    """The recommendation's state, if the user may do ``action`` on it now; else the refusal,
    in this order: exists, in scope, role, own unit, unchanged since seen, status."""
    state = load_state(connection, rec_id)
    if state is None:
        raise NotFound(book, id=rec_id)
    if state.unit not in subtree(connection, user.units):
        raise NotInScope(book, id=rec_id, user=user.name)
    labels = book.labels
    if action not in book.review.roles.get(user.role.value, []):
        raise NotAllowed(book, "role", user=user.name, role=labels.review_role[user.role.value],
                         action=labels.review_action[action])
    if action != "see" and user.home is not None and user.home == state.unit:
        raise OwnUnit(book, user=user.name, unit=_unit_name(connection, state.unit))
    if seen is not None and seen != state.version:
        raise Conflict(book, id=rec_id)
    if action != "see" and action not in BY_STATUS.get(state.status, ()):
        raise NotAllowed(book, "state", id=rec_id, action=labels.review_action[action],
                         status=labels.recommendation_status.get(state.status, state.status))
    return state


def allowed_actions(connection: Connection, book: Rulebook, user: User, state: State) -> list[str]:
    """The acts the user may try now (the detail page's buttons); the acts themselves still
    check steps, authority and four-eyes and say why when they refuse."""
    found = []
    for action in ("step", "amend", "return", "approve", "reject"):
        try:
            check(connection, book, user, state.id, action)
        except (NotAllowed, OwnUnit, NotInScope):
            continue
        if action == "approve" and state.first_approver == user.name:
            continue
        found.append(action)
    return found


def _unit_name(connection: Connection, unit: str) -> str:
    table = UnitRow.__table__
    return connection.execute(select(table.c.name).where(table.c.id == unit)).scalar() or unit


@contextmanager
def _act(store: Engine, book: Rulebook, user: User, rec_id: str, action: str,
         seen: str | None) -> Iterator[tuple[Connection, State]]:
    try:
        with store.begin() as connection:
            # take the row before reading it (see the module docstring)
            connection.execute(update(_REC).where(_REC.c.id == rec_id).values(
                status=_REC.c.status))
            yield connection, check(connection, book, user, rec_id, action, seen)
    except OperationalError as exc:  # SQLite: another writer kept the store past busy_timeout
        if "locked" not in str(exc.orig):
            raise
        raise StoreBusy("the store is busy (another writer held it for 30 s); nothing was "
                        "changed, try again") from exc


def _day(book: Rulebook, day: date | None) -> date:
    today = date.today()
    day = day or today
    if day > today:
        raise BadInput(book, "day_future", day=day)
    return day


def _reason(book: Rulebook, action: str, reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise BadInput(book, "reason_required", action=book.labels.review_action[action])
    return reason.strip()


def _decision(connection: Connection, state: State, user: User, action: str, day: date,
              reason: str | None, forms: list[str] | None = None,
              body: str | None = None) -> None:
    connection.execute(insert(ReviewDecision.__table__).values(
        recommendation_id=state.id, action=action, forms=forms, reason=reason,
        deciding_body=body, day=day, actor=user.name, at=datetime.now(UTC)))
    audit.append(connection, user.name, action, f"recommendation:{state.id}", reason,
                 {"status_before": state.status, "forms": forms, "deciding_body": body,
                  "day": day.isoformat()})


def _set(connection: Connection, state: State, **values: Any) -> None:
    connection.execute(update(_REC).where(_REC.c.id == state.id).values(**values))


# ---------------------------------------------------------------- authority


def deciders(book: Rulebook, form: str) -> list[str]:
    """The bodies that may decide a form: the one sanctions.yaml names for it, and each
    proposer allowed to impose it itself."""
    found = [book.sanctions.decider[form]] if form in book.sanctions.decider else []
    return found + [b for b, forms in book.sanctions.impose.items() if form in forms and b not in found]


def deciding_body(book: Rulebook, forms: list[str], body: str | None = None) -> str:
    """The body whose decision an approval records: the one given, if it may decide every
    form; by default the body sanctions.yaml names for the heaviest form."""
    bodies = book.county.bodies
    if body is None:
        return book.sanctions.decider[forms[0]]
    if body not in bodies:
        raise BadInput(book, "body_unknown", body=body,
                       bodies="、".join(f"{code}（{b.name}）" for code, b in bodies.items()))
    for form in forms:
        if body not in deciders(book, form):
            decider = book.sanctions.decider[form]
            raise NotAuthorised(book, body=bodies[body].name,
                                form=book.labels.forms.get(form, form),
                                decider=bodies[decider].name if decider in bodies else decider)
    return body


# ---------------------------------------------------------------- the acts


def approve(store: Engine, user: User, rec_id: str, *, deciding_body_code: str | None = None,
            day: date | None = None, reason: str | None = None, seen: str | None = None,
            rulebook: Rulebook | None = None) -> str:
    """Approve the recommendation's forms (as amended, else as proposed); the new status.

    Forms heavier than review.yaml ``four_eyes_above`` take two approvers: the first approval
    leaves it ``awaiting_second``; the same person cannot give the second. The final approval
    records the deciding body and writes the ``accountability`` fact later runs count.
    """
    book = county(rulebook)
    day = _day(book, day)
    with _act(store, book, user, rec_id, "approve", seen) as (connection, state):
        missing = missing_before_decision(book, state)
        if missing:
            raise StepMissing(book, "steps_missing",
                              steps="、".join(book.review.steps[s].label for s in missing))
        body = deciding_body(book, state.forms, deciding_body_code or state.first_body)
        labels = "、".join(book.labels.forms.get(f, f) for f in state.forms)
        if state.first_approver == user.name:
            raise FourEyes(book, forms=labels, user=user.name)
        if needs_two(book, state.forms) and state.status != "awaiting_second":
            status = "awaiting_second"
        else:
            status = "amended" if state.decided_forms and state.decided_forms != state.engine_forms \
                else "approved"
        _decision(connection, state, user, "approve", day, reason, state.forms, body)
        _set(connection, state, status=status)
        if status in FINAL:
            _accountability(connection, state, day, body)
    return status


def amend(store: Engine, user: User, rec_id: str, forms: list[str], reason: str, *,
          day: date | None = None, seen: str | None = None,
          rulebook: Rulebook | None = None) -> list[str]:
    """Change or add forms (reason required); the engine's proposal stays beside them. Any
    first approval is void: the amended forms are approved afresh."""
    book = county(rulebook)
    day = _day(book, day)
    reason = _reason(book, "amend", reason)
    ladder = book.sanctions.ladder_on(day)
    for form in forms:
        if form not in ladder:
            raise BadInput(book, "form_unknown", form=form, forms="、".join(
                f"{f}（{book.labels.forms.get(f, f)}）" for f in ladder))
    if not forms:
        raise BadInput(book, "form_unknown", form="", forms="、".join(ladder))
    ordered = sorted(dict.fromkeys(forms), key=ladder.index, reverse=True)  # heaviest first
    with _act(store, book, user, rec_id, "amend", seen) as (connection, state):
        if ordered == state.forms:
            raise BadInput(book, "forms_unchanged")
        _decision(connection, state, user, "amend", day, reason, ordered)
        status = "pending" if state.status == "awaiting_second" else state.status
        same = ordered == state.engine_forms
        _set(connection, state, status=status, decided_forms=None if same else ordered,
             decided_form=None if same else ordered[0])
    return ordered


def _with_reason(store: Engine, user: User, rec_id: str, reason: str, action: str, status: str,
                 day: date | None, seen: str | None, rulebook: Rulebook | None) -> str:
    """An act that needs only a reason and sets a status (reject, return)."""
    book = county(rulebook)
    day = _day(book, day)
    reason = _reason(book, action, reason)
    with _act(store, book, user, rec_id, action, seen) as (connection, state):
        _decision(connection, state, user, action, day, reason)
        _set(connection, state, status=status)
    return status


def reject(store: Engine, user: User, rec_id: str, reason: str, *, day: date | None = None,
           seen: str | None = None, rulebook: Rulebook | None = None) -> str:
    """No accountability (reason required)."""
    return _with_reason(store, user, rec_id, reason, "reject", "rejected", day, seen, rulebook)


def return_for_evidence(store: Engine, user: User, rec_id: str, reason: str, *,
                        day: date | None = None, seen: str | None = None,
                        rulebook: Rulebook | None = None) -> str:
    """Back for more evidence (reason required); a step recorded afterwards reopens it."""
    return _with_reason(store, user, rec_id, reason, "return", "returned", day, seen, rulebook)


def record_step(store: Engine, user: User, rec_id: str, step: str, day: date | None,
                data: Mapping[str, Any], *, seen: str | None = None,
                rulebook: Rulebook | None = None) -> int:
    """Record a due-process step (rules/review.yaml ``steps``) with its date; the entry's id."""
    book = county(rulebook)
    steps = book.review.steps
    if step not in steps:
        raise BadInput(book, "step_unknown", step=step,
                       steps="、".join(f"{code}（{s.label}）" for code, s in steps.items()))
    spec = steps[step]
    day = _day(book, day)
    values = _step_fields(book, step, data)
    with _act(store, book, user, rec_id, "step", seen) as (connection, state):
        if spec.phase == "before_decision" and state.status not in ("pending", "returned"):
            raise NotAllowed(book, "step_before_decision", step=spec.label)
        if spec.phase == "after_decision" and state.status not in FINAL:
            raise NotAllowed(book, "step_after_decision", step=spec.label)
        missing = [needed for needed in spec.requires if not state.recorded(needed)]
        if missing:
            raise StepMissing(book, "step_requires", step=spec.label,
                              steps="、".join(steps[s].label for s in missing))
        if step == "appeal":
            served = max(s["day"] for s in state.recorded("served"))
            last = book.review.appeal.last_day.add_to(served)
            if day > last:
                raise BadInput(book, "appeal_late", last=last)
        entry = connection.execute(insert(ReviewStep.__table__).values(
            recommendation_id=state.id, step=step, day=day, data=values, actor=user.name,
            at=datetime.now(UTC))).inserted_primary_key[0]
        audit.append(connection, user.name, "step", f"recommendation:{state.id}", None,
                     {"step": step, "day": day.isoformat(), "data": values,
                      "status_before": state.status})
        status = "pending" if state.status == "returned" else state.status
        _set(connection, state, status=status, review_step=step)
    return int(entry)


def _step_fields(book: Rulebook, step: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The step's fields as review.yaml says: required ones present, each of its type."""
    spec = book.review.steps[step]
    values: dict[str, Any] = {}
    for name in data:
        if name not in spec.fields:
            raise BadInput(book, "field_unknown", step=spec.label, field=name,
                           fields="、".join(f"{k}（{f.label}）" for k, f in spec.fields.items()))
    for name, field in spec.fields.items():
        raw = data.get(name)
        if raw is None or (isinstance(raw, str | list) and not raw):
            if field.required:
                raise BadInput(book, "field_required", step=spec.label, field=field.label)
            continue
        value = _typed(book, field.type, raw, field.options)
        if value is None:
            expected = ("、".join(field.options.values()) if field.type == "choice"
                        else book.say.text("review", f"type_{field.type}"))
            raise BadInput(book, "field_bad", step=spec.label, field=field.label,
                           expected=expected)
        values[name] = value
    return values


def _typed(book: Rulebook, kind: str, raw: Any, options: Mapping[str, str]) -> Any:
    """The value as stored, or None when it is not of its type."""
    if kind == "text":
        return raw.strip() if isinstance(raw, str) and raw.strip() else None
    if kind == "bool":  # true/false, yes/no, 1/0, or the county's words for yes and no
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        yes, no = book.say.text("review", "yes"), book.say.text("review", "no")
        return (True if text in ("true", "yes", "1", yes) else
                False if text in ("false", "no", "0", no) else None)
    if kind == "date":
        try:
            return (raw if isinstance(raw, date) else date.fromisoformat(str(raw))).isoformat()
        except ValueError:
            return None
    if kind == "list":
        items = raw if isinstance(raw, list) else _LIST_SPLIT.split(str(raw))
        items = [str(i).strip() for i in items if str(i).strip()]
        return items or None
    choice = str(raw).strip()
    return choice if choice in options else next(
        (code for code, label in options.items() if label == choice), None)


# ---------------------------------------------------------------- the accountability fact


def _accountability(connection: Connection, state: State, day: date, body: str) -> None:
    """The decided outcome as an ``accountability`` fact, which later runs count as a prior;
    its ``attrs.evidence`` names the matter, which is never its own prior."""
    fact = {"id": state.id, "person": state.person, "date": day.isoformat(),
            "form": state.forms[0],
            "attrs": {"recommendation": state.id, "evidence": state.evidence,
                      "forms": state.forms, "deciding_body": body}}
    digest = hashlib.sha256(json.dumps(fact, sort_keys=True, ensure_ascii=False).encode())
    connection.execute(insert(AccountabilityRow.__table__).values(
        id=state.id, person=state.person, date=day, form=state.forms[0], attrs=fact["attrs"],
        src=f"review:{state.id}", content_hash=digest.hexdigest(), ingest_id=0))
