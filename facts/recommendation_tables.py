"""Stored output of the upper layers: evaluation runs, recommendations and document numbers.

They are defined here, beside the fact tables, so that the store owns its whole schema
(and its migrations) without importing the layers that write these rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class RecommendationRow(SQLModel, table=True):
    """One recommendation: a person, a finding, a proposed form, and the whole explanation.

    ``id`` is derived from what the finding is about (rule, person, the facts that anchor
    it), so evaluating again finds the same row instead of adding one.
    """

    __tablename__ = "recommendation"
    # the review queue filters, sorts and pages inside this index alone, never reading the
    # wide rows (their explanation) until it fetches the page it shows
    __table_args__ = (Index("ix_recommendation_queue", "unit", "conduct_date", "id", "status",
                            "circumstance", "form", "decided_form", "proposer", "review_step",
                            "person_name"),)
    id: str = Field(primary_key=True, max_length=40)
    run_id: int = Field(index=True)
    person: str = Field(index=True)
    person_name: str
    unit: str = Field(index=True)
    circumstance: int = Field(index=True)
    responsibility: str
    degree: str
    form: str  # the heaviest proposed form; all of them are in explanation.forms
    proposer: str
    rule: str = Field(index=True)
    rule_version: int
    conduct_date: date = Field(index=True)
    # pending | returned (for more evidence) | awaiting_second (approved once, a second approver
    # needed) | approved | amended (approved with a changed form) | rejected | withdrawn (a run
    # no longer found it); review.decide moves it, a run only between pending and withdrawn
    status: str = Field(default="pending", index=True)
    # set by review: the forms as amended (the engine's stay in ``form`` and the explanation),
    # the heaviest of them, and the last due-process step recorded
    decided_forms: list[str] | None = Field(default=None, sa_type=JSON)
    decided_form: str | None = Field(default=None, index=True)
    review_step: str | None = Field(default=None, index=True)
    status_reason: str | None = None  # why the status last changed, when a run changed it
    status_run: int | None = None  # the run that last changed the status
    # set by a run when the facts under a decided recommendation changed: what changed, when
    facts_changed: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    evidence: list[str] = Field(sa_type=JSON)  # "kind:id" of every matched fact
    explanation: dict[str, Any] = Field(sa_type=JSON)  # engine.sanction.explanation.Explanation
    rulebook_hash: str = Field(max_length=64)
    created: datetime


class EvaluationRun(SQLModel, table=True):
    """One ``wenze evaluate``: as-of date, rulebook hash, counts and timings."""

    __tablename__ = "evaluation_run"
    id: int | None = Field(default=None, primary_key=True)
    as_of: date
    rulebook_hash: str = Field(max_length=64)
    started: datetime
    finished: datetime | None = None
    status: str = "running"  # running | committed | failed
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    timings: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    # findings that made no recommendation, each with why (skipped, or needs a person's check)
    set_aside: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON,
                                            sa_column_kwargs={"server_default": "[]"})
    # what a committed run saw, for the next run to be incremental (``engine.run.incremental``)
    state: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class PartitionMatch(SQLModel, table=True):
    """The matches of one partition of one rule plan, as the last committed run found them;
    an incremental run re-evaluates only the partitions whose facts or windows changed."""

    __tablename__ = "partition_match"
    plan: str = Field(primary_key=True)  # the rule plan's name, r_<rule>_v<version>
    partition: str = Field(primary_key=True)  # the partition value, as JSON
    matches: list[dict[str, str]] = Field(sa_type=JSON)  # each: clause alias -> "kind:id"


class FindingEvidence(SQLModel, table=True):
    """What the ``evidence:`` clauses of a rule plan found for one finding in the last
    committed run that looked them up; an incremental run takes it over while neither the
    finding's matches nor the facts its lookup could find changed (``engine.run.incremental``)."""

    __tablename__ = "finding_evidence"
    plan: str = Field(primary_key=True)  # the rule plan's name, r_<rule>_v<version>
    key: str = Field(primary_key=True)  # the finding's key, as JSON
    matches: list[dict[str, str]] = Field(sa_type=JSON)  # its matches: clause alias -> "kind:id"
    evidence: list[list[str]] = Field(sa_type=JSON)  # each found: [clause alias, "kind:id"]


class PersonOutcome(SQLModel, table=True):
    """What the last run that explained a person made of him, and a digest of everything it
    read to do so; an incremental run takes it over while the digest holds
    (``engine.run.carry``). Only persons whose stored recommendations all follow that
    outcome have a row."""

    __tablename__ = "person_outcome"
    person: str = Field(primary_key=True)
    digest: str = Field(max_length=64)
    # recommendations: [[id, circumstance], ...]; set_aside: [{"at": [...], "item": {...}}]
    outcome: dict[str, Any] = Field(sa_type=JSON)


class DocumentNumber(SQLModel, table=True):
    """The reference number a recommendation's document was given: one series per issuing body
    (prefix) and year, never repeated."""

    __tablename__ = "document_number"
    __table_args__ = (UniqueConstraint("prefix", "year", "seq", name="uq_document_number_series"),)
    recommendation_id: str = Field(primary_key=True, max_length=40)
    year: int
    seq: int
    prefix: str


class RulebookCopy(SQLModel, table=True):
    """A county folder as a run evaluated with it, keyed by its hash (the one every
    recommendation records): what ``wenze rules show`` prints, and the last good rulebook
    that stays in force when an edit does not check clean."""

    __tablename__ = "rulebook_copy"
    hash: str = Field(primary_key=True, max_length=64)
    files: dict[str, str] = Field(sa_type=JSON)  # path inside the folder -> its text
    stored: datetime  # when the first run with it was committed
