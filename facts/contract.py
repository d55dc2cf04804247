"""The fact contract: one model per kind of fact, with the field names and codes of PRODUCT.md.

Other systems export into this contract, so names and codes here are an interface: add
fields and kinds freely, rename none. Each model is a non-table SQLModel, so the same
field definitions validate input (``Model.model_validate``) and define the stored table
(``facts.tables``).
"""

from __future__ import annotations

import re
from datetime import date as Date
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    field_validator,
    model_validator,
)
from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

UnitType = Literal["county_committee", "township", "county_organ", "grassroots_committee", "branch"]
Category = Literal[
    "county_secretary",
    "county_deputy_secretary",
    "organization_head",
    "office_director",
    "county_discipline_secretary",
    "publicity_head",
    "political_legal_secretary",
    "county_leader",
    "township_secretary",
    "organ_secretary",
    "grassroots_committee_member",
    "branch_secretary",
]
Role = Literal["secretary", "deputy_secretary", "discipline_secretary", "member"]
LedgerStatus = Literal["done", "partial", "missing"]
Verdict = Literal["pass", "fail", "pending"]
InspectionMode = Literal["immediate", "periodic", "unannounced", "special"]
Severity = Literal["minor", "serious", "grave"]
ViolationCategory = Literal["work_discipline", "conduct", "integrity", "corruption", "other"]
Grade = Literal["excellent", "competent", "basically_competent", "incompetent"]
Form = Literal[
    "admonition",
    "circulated_criticism",
    "suspension",
    "removal",
    "warning",
    "serious_warning",
    "dismissal_from_party_posts",
    "probation",
    "expulsion",
]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _iso_date(value: Any) -> Any:
    """Accept dates and ISO ``YYYY-MM-DD`` strings only (no timestamps, no other orders)."""
    if isinstance(value, Date):
        return value.date() if hasattr(value, "date") and callable(value.date) else value
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.match(text):
            raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
        return Date.fromisoformat(text)
    raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


IsoDate = Annotated[Date, BeforeValidator(_iso_date)]
Boolean = Annotated[bool, BeforeValidator(_boolean)]
FactId = Annotated[str, StringConstraints(min_length=1, max_length=64)]  # another fact's id


class Fact(SQLModel):
    """Fields every fact has: a stable source ``id`` and a free ``attrs`` map rules may read."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(primary_key=True, min_length=1, max_length=64)
    attrs: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)


class Unit(Fact):
    name: str = Field(min_length=1)
    type: UnitType = Field(sa_type=String)
    parent: FactId | None = Field(default=None, index=True)


class Person(Fact):
    name: str = Field(min_length=1)
    unit: FactId = Field(index=True)
    category: Category | None = Field(default=None, sa_type=String)


class Post(Fact):
    person: FactId = Field(index=True)
    unit: FactId = Field(index=True)
    role: Role = Field(sa_type=String)
    start: IsoDate
    end: IsoDate | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> Post:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end: the post ends ({self.end}) before it starts ({self.start})")
        return self


class Ledger(Fact):
    person: FactId = Field(index=True)
    period: str = Field(index=True)
    task: str = Field(min_length=1, index=True)
    status: LedgerStatus = Field(sa_type=String)
    verdict: Verdict = Field(sa_type=String, index=True)
    date: IsoDate = Field(index=True)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if not _PERIOD.match(value):
            raise ValueError(f"expected a period as YYYY-MM, got {value!r}")
        return value

    @model_validator(mode="after")
    def _filed_after_period_starts(self) -> Ledger:
        year, month = (int(p) for p in self.period.split("-"))
        if self.date < Date(year, month, 1):
            raise ValueError(f"date: filed on {self.date}, before its period {self.period} began")
        return self


class Inspection(Fact):
    unit: FactId = Field(index=True)
    person: FactId | None = Field(default=None, index=True)
    date: IsoDate = Field(index=True)
    group: str = Field(min_length=1)
    mode: InspectionMode = Field(sa_type=String)
    problem: str = Field(min_length=1)
    severity: Severity = Field(sa_type=String)


class Reminder(Fact):
    person: FactId = Field(index=True)
    issuer: FactId
    date: IsoDate = Field(index=True)
    matter: str = Field(min_length=1)
    due: IsoDate | None = None

    @model_validator(mode="after")
    def _due_after_date(self) -> Reminder:
        if self.due is not None and self.due < self.date:
            raise ValueError(f"due: due ({self.due}) before the reminder was issued ({self.date})")
        return self


class Rectification(Fact):
    reminder: FactId = Field(index=True)
    person: FactId = Field(index=True)
    date: IsoDate = Field(index=True)
    effective: Boolean


class Violation(Fact):
    unit: FactId = Field(index=True)
    actors: list[str] = Field(min_length=1, sa_type=JSON, nullable=False)
    date: IsoDate = Field(index=True)
    category: ViolationCategory = Field(sa_type=String)
    severity: Severity = Field(sa_type=String)
    case_filed: Boolean
    description: str | None = None

    @field_validator("actors", mode="before")
    @classmethod
    def _split_actors(cls, value: Any) -> Any:
        # CSV cells carry lists as "p1;p2" (also 、 or ，, as Chinese office software writes).
        if isinstance(value, str):
            return [a.strip() for a in re.split(r"[;；、，,]", value) if a.strip()]
        return value


class Disunity(Fact):
    unit: FactId = Field(index=True)
    date: IsoDate = Field(index=True)
    affects_work: Boolean
    public_reaction: Boolean
    source: str | None = None


class Evaluation(Fact):
    person: FactId = Field(index=True)
    year: int = Field(ge=1949, le=2200, index=True)
    approval: float = Field(ge=0, le=1)
    rank: int | None = Field(default=None, ge=1)
    grade: Grade = Field(sa_type=String)


class Proposal(Fact):
    person: FactId = Field(index=True)
    proposer: FactId
    date: IsoDate = Field(index=True)
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _not_self(self) -> Proposal:
        if self.proposer == self.person:
            raise ValueError("proposer: a leader cannot propose accountability of themselves")
        return self


class Accountability(Fact):
    person: FactId = Field(index=True)
    date: IsoDate = Field(index=True)
    form: Form = Field(sa_type=String)


KINDS: dict[str, type[Fact]] = {
    "unit": Unit,
    "person": Person,
    "post": Post,
    "ledger": Ledger,
    "inspection": Inspection,
    "reminder": Reminder,
    "rectification": Rectification,
    "violation": Violation,
    "disunity": Disunity,
    "evaluation": Evaluation,
    "proposal": Proposal,
    "accountability": Accountability,
}

# Which fields point at another fact, and the kind they point at. Checked at ingestion.
REFERENCES: dict[str, dict[str, str]] = {
    "unit": {"parent": "unit"},
    "person": {"unit": "unit"},
    "post": {"person": "person", "unit": "unit"},
    "ledger": {"person": "person"},
    "inspection": {"unit": "unit", "person": "person"},
    "reminder": {"person": "person", "issuer": "person"},
    "rectification": {"reminder": "reminder", "person": "person"},
    "violation": {"unit": "unit"},
    "disunity": {"unit": "unit"},
    "evaluation": {"person": "person"},
    "proposal": {"person": "person", "proposer": "person"},
    "accountability": {"person": "person"},
}

# The date a fact of each kind is "about", used for date-range queries and explanations.
DATE_FIELD: dict[str, str | None] = {
    "unit": None,
    "person": None,
    "post": "start",
    "ledger": "date",
    "inspection": "date",
    "reminder": "date",
    "rectification": "date",
    "violation": "date",
    "disunity": "date",
    "evaluation": None,
    "proposal": "date",
    "accountability": "date",
}


def json_schema() -> dict[str, Any]:
    """The contract as one JSON Schema document: a ``oneOf`` over kinds, keyed by ``kind``."""
    defs: dict[str, Any] = {}
    for kind, model in KINDS.items():
        schema = model.model_json_schema()
        schema.setdefault("properties", {})["kind"] = {"const": kind}
        schema["required"] = ["kind", *schema.get("required", [])]
        defs.update(schema.pop("$defs", {}))
        defs[kind] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "wenze fact",
        "description": "One fact per JSON Lines line; CSV/XLSX carry one kind per file or sheet.",
        "oneOf": [{"$ref": f"#/$defs/{kind}"} for kind in KINDS],
        "discriminator": {"propertyName": "kind"},
        "$defs": defs,
    }
