"""A recommendation as review sees it, and the state machine: which acts its status allows.

    pending ──approve (form up to four_eyes_above)──▶ approved / amended
    pending ──approve (heavier form)──▶ awaiting_second ──approve (another approver)──▶ approved / amended
    pending / awaiting_second ──return──▶ returned ──step before the decision──▶ pending
    pending / returned / awaiting_second ──reject──▶ rejected
    pending / returned / awaiting_second ──amend──▶ pending / returned (a first approval is void)
    approved / amended: only the steps after the decision (送达, 申诉, 执行)

``amended`` is an approval whose forms differ from the engine's proposal. A run moves only
pending and withdrawn recommendations (``engine.run.commit``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from engine.rulebook import Rulebook
from engine.rulebook.spec import DECIDED
from facts.recommendation_tables import RecommendationRow
from facts.review_tables import ReviewDecision, ReviewStep

OPEN = ("pending", "returned", "awaiting_second")
FINAL = DECIDED
# what each status allows, before roles, scope and the steps are looked at
BY_STATUS: dict[str, tuple[str, ...]] = {
    "pending": ("step", "amend", "return", "approve", "reject"),
    "returned": ("step", "amend", "reject"),
    "awaiting_second": ("amend", "return", "approve", "reject"),
    "approved": ("step",),
    "amended": ("step",),
    "rejected": (),
    "withdrawn": (),
}


@dataclass
class State:
    id: str
    status: str
    unit: str
    person: str
    conduct_date: date
    evidence: list[str]
    explanation: dict[str, Any]
    engine_forms: list[str]
    decided_forms: list[str] | None
    steps: list[dict[str, Any]]  # review_step rows, oldest first
    decisions: list[dict[str, Any]]  # review_decision rows, oldest first
    version: str  # changes whenever anything a reviewer reads or decides on changes

    @property
    def forms(self) -> list[str]:
        """The forms a decision is about: as amended, else as the engine proposed."""
        return self.decided_forms or self.engine_forms

    @property
    def first_approver(self) -> str | None:
        """Who gave the first of two approvals, while the second is awaited."""
        if self.status != "awaiting_second":
            return None
        return next(d["actor"] for d in reversed(self.decisions) if d["action"] == "approve")

    @property
    def first_body(self) -> str | None:
        if self.status != "awaiting_second":
            return None
        return next(d["deciding_body"] for d in reversed(self.decisions) if d["action"] == "approve")

    def recorded(self, step: str) -> list[dict[str, Any]]:
        return [s for s in self.steps if s["step"] == step]

    def decided_on(self) -> date | None:
        """The date of the approval that decided it."""
        if self.status not in FINAL:
            return None
        return next(d["day"] for d in reversed(self.decisions) if d["action"] == "approve")


def load_state(connection: Connection, rec_id: str) -> State | None:
    table = RecommendationRow.__table__
    row = connection.execute(select(table).where(table.c.id == rec_id)).mappings().first()
    if row is None:
        return None
    steps, decisions = ReviewStep.__table__, ReviewDecision.__table__
    step_rows = [dict(r) for r in connection.execute(
        select(steps).where(steps.c.recommendation_id == rec_id).order_by(steps.c.id)).mappings()]
    decision_rows = [dict(r) for r in connection.execute(
        select(decisions).where(decisions.c.recommendation_id == rec_id)
        .order_by(decisions.c.id)).mappings()]
    version = hashlib.sha256(json.dumps(
        [row["status"], row["explanation"], row["decided_forms"], len(step_rows),
         len(decision_rows)], sort_keys=True, default=str).encode()).hexdigest()[:16]
    return State(row["id"], row["status"], row["unit"], row["person"], row["conduct_date"],
                 list(row["evidence"]), row["explanation"], list(row["explanation"]["forms"]),
                 row["decided_forms"], step_rows, decision_rows, version)


def needs_two(book: Rulebook, forms: list[str]) -> bool:
    """Four-eyes: any form heavier than ``four_eyes_above`` needs a second approver."""
    ladder = book.sanctions.ladder_on()
    limit = ladder.index(book.review.four_eyes_above)
    return any(f in ladder and ladder.index(f) > limit for f in forms)


def missing_before_decision(book: Rulebook, state: State) -> list[str]:
    """Required steps not yet recorded (approval waits for them)."""
    return [code for code, spec in book.review.steps.items()
            if spec.phase == "before_decision" and spec.required and not state.recorded(code)]


def recordable(book: Rulebook, state: State, step: str) -> bool:
    """Whether the step fits the status and the steps it requires are recorded."""
    spec = book.review.steps[step]
    phase_ok = (state.status in ("pending", "returned") if spec.phase == "before_decision"
                else state.status in FINAL)
    return phase_ok and all(state.recorded(needed) for needed in spec.requires)
