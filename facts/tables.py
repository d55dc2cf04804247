"""Stored facts: one table per kind, with provenance, plus superseded versions and ingest batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from facts import contract


class Provenance(SQLModel):
    """Where a stored fact came from; not part of its content."""

    src: str = Field(default="", max_length=500)  # "file:line" or "file[sheet]:row"
    content_hash: str = Field(default="", max_length=64)
    ingest_id: int = Field(default=0, index=True)


class UnitRow(contract.Unit, Provenance, table=True):
    __tablename__ = "unit"


class PersonRow(contract.Person, Provenance, table=True):
    __tablename__ = "person"


class PostRow(contract.Post, Provenance, table=True):
    __tablename__ = "post"
    __table_args__ = (Index("ix_post_unit_role", "unit", "role", "start"),)


class LedgerRow(contract.Ledger, Provenance, table=True):
    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_person_period", "person", "period"),)


class InspectionRow(contract.Inspection, Provenance, table=True):
    __tablename__ = "inspection"


class ReminderRow(contract.Reminder, Provenance, table=True):
    __tablename__ = "reminder"


class RectificationRow(contract.Rectification, Provenance, table=True):
    __tablename__ = "rectification"


class ViolationRow(contract.Violation, Provenance, table=True):
    __tablename__ = "violation"


class DisunityRow(contract.Disunity, Provenance, table=True):
    __tablename__ = "disunity"


class EvaluationRow(contract.Evaluation, Provenance, table=True):
    __tablename__ = "evaluation"


class ProposalRow(contract.Proposal, Provenance, table=True):
    __tablename__ = "proposal"


class AccountabilityRow(contract.Accountability, Provenance, table=True):
    __tablename__ = "accountability"


TABLES: dict[str, type[SQLModel]] = {
    "unit": UnitRow,
    "person": PersonRow,
    "post": PostRow,
    "ledger": LedgerRow,
    "inspection": InspectionRow,
    "reminder": ReminderRow,
    "rectification": RectificationRow,
    "violation": ViolationRow,
    "disunity": DisunityRow,
    "evaluation": EvaluationRow,
    "proposal": ProposalRow,
    "accountability": AccountabilityRow,
}
assert TABLES.keys() == contract.KINDS.keys()


class FactVersion(SQLModel, table=True):
    """A fact's earlier content, kept when ``--replace`` loads a new version: nothing is lost."""

    __tablename__ = "fact_version"
    pk: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    id: str = Field(index=True)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    src: str = ""
    content_hash: str = ""
    ingest_id: int = 0
    superseded_by_ingest: int = 0


class IngestBatch(SQLModel, table=True):
    """One ``wenze ingest`` invocation that changed the store."""

    __tablename__ = "ingest_batch"
    id: int | None = Field(default=None, primary_key=True)
    started: datetime
    files: list[str] = Field(sa_column=Column(JSON, nullable=False))
    loaded: dict[str, int] = Field(sa_column=Column(JSON, nullable=False))
    replaced: int = 0
    rejected: int = 0
