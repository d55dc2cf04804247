"""Stored output of review: accounts, decisions, due-process steps, the audit log and the
decision documents' numbers.

Defined here, beside the other tables, so that the store owns its whole schema (and its
migrations) without importing ``review``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel


class ReviewUser(SQLModel, table=True):
    """A person who reads and decides recommendations: role, the units whose subtree they
    see, and the unit they belong to (whose own cases they never decide)."""

    __tablename__ = "review_user"
    name: str = Field(primary_key=True, max_length=64)
    role: str  # reviewer | approver | policy | admin
    units: list[str] = Field(sa_type=JSON)
    home: str | None = None
    password_hash: str
    created: datetime


class ReviewDecision(SQLModel, table=True):
    """One act on a recommendation: approve (first or second), amend, reject, return."""

    __tablename__ = "review_decision"
    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: str = Field(index=True, max_length=40)
    action: str  # approve | amend | reject | return
    forms: list[str] | None = Field(default=None, sa_type=JSON)  # the forms it decides on
    reason: str | None = None
    deciding_body: str | None = None  # the body whose decision an approval records
    day: date  # the date of the act (the decision's date for an approval)
    actor: str
    at: datetime


class ReviewStep(SQLModel, table=True):
    """One due-process step recorded on a recommendation (which steps exist: rules/review.yaml)."""

    __tablename__ = "review_step"
    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: str = Field(index=True, max_length=40)
    step: str
    day: date  # when the step took place (investigated, stated, met, served, appealed, ...)
    data: dict[str, Any] = Field(sa_type=JSON)  # its fields, as review.yaml names them
    actor: str  # who recorded it
    at: datetime


class AuditEntry(SQLModel, table=True):
    """The append-only log: each entry hashed over its canonical JSON and chained to the one
    before (``review.audit``). Never updated or deleted."""

    __tablename__ = "audit_entry"
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: str  # ISO timestamp, UTC, as hashed
    actor: str
    action: str
    target: str  # "recommendation:R…" or "user:NAME"
    reason: str | None = None
    data: dict[str, Any] = Field(sa_type=JSON)
    prev: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The chain's head (one row): how many entries and the last hash, written in the same
    transaction as each entry, so a cut tail is seen."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    count: int
    last_hash: str = Field(max_length=64)


class DecisionNumber(SQLModel, table=True):
    """The reference number of a recommendation's decision document (问责决定书): one series
    per deciding body (prefix) and year, apart from the recommendation documents'."""

    __tablename__ = "decision_number"
    __table_args__ = (UniqueConstraint("prefix", "year", "seq", name="uq_decision_number_series"),)
    recommendation_id: str = Field(primary_key=True, max_length=40)
    year: int
    seq: int
    prefix: str
