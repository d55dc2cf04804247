"""The fact contract: one model per kind of fact, with the field names and codes of PRODUCT.md.

Other systems export into this contract, so names and codes here are an interface: add
fields and kinds freely, rename none. Each model is a non-table SQLModel, so the same
field definitions validate input (``Model.model_validate``) and define the stored table
(``facts.tables``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date as Date
from datetime import datetime as DateTime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema
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

Source = Literal["inspection", "investigation", "ledger", "evaluation", "petition", "other"]

ID_MAX = 255  # longest id (and reference) a fact may have
# The days a fact (and a command's date option) may name: the engine counts windows of
# days, months and years from them, which must stay within what a date can hold.
DATE_MIN = Date(1900, 1, 1)
DATE_MAX = Date(2199, 12, 31)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What CSV and XLSX cells from Chinese office software carry, besides ISO dates.
_LENIENT_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m0>\d{2})-(?P<d0>\d{2})|(?P<sep>[/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"|年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日)"
    r"(?:\s+(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$"
)
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_TRUE = {"true", "1", "yes", "是"}
_FALSE = {"false", "0", "no", "否"}
_LIST_SEPARATORS = r"[;；、，,]"


def _lenient(info: ValidationInfo | None) -> bool:
    """CSV and XLSX rows are validated with context ``{"lenient": True}``; JSON Lines are not."""
    return bool(info is not None and isinstance(info.context, dict) and info.context.get("lenient"))


def _midnight_date(value: DateTime) -> Date:
    if value.time() != DateTime.min.time():
        raise ValueError(f"expected a date, got a date and time {value:%Y-%m-%d %H:%M:%S} "
                         "(only a time of 00:00 can be read as a date)")
    return value.date()


def _iso_date(value: Any, info: ValidationInfo | None) -> Any:
    parsed = _read_date(value, info)
    if not DATE_MIN <= parsed <= DATE_MAX:
        raise ValueError(f"{parsed} is out of range; dates run from {DATE_MIN} to {DATE_MAX}")
    return parsed


def _read_date(value: Any, info: ValidationInfo | None) -> Date:
    """A date. JSON Lines: ISO ``YYYY-MM-DD`` text only. CSV/XLSX (lenient) also take
    ``2026/05/01``, ``2026/5/1``, ``2026.05.01``, ``2026年5月1日`` and date(-time) cells whose time is 00:00."""
    if isinstance(value, DateTime):
        return _midnight_date(value)
    if isinstance(value, Date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DATE.match(text):
            try:
                return Date.fromisoformat(text)
            except ValueError as exc:
                raise ValueError(f"not a date: {value!r} ({exc})") from None
        match = _LENIENT_DATE.match(text) if _lenient(info) else None
        if match:
            month = match["m0"] or match["m"] or match["m2"]
            day = match["d0"] or match["d"] or match["d2"]
            try:
                parsed = DateTime(int(match["y"]), int(month), int(day))
            except ValueError as exc:
                raise ValueError(f"not a date: {value!r} ({exc})") from None
            if match["time"]:
                parts = [float(p) for p in match["time"].split(":")]
                if any(parts):
                    raise ValueError(f"expected a date, got a date and time {value!r} "
                                     "(only a time of 00:00 can be read as a date)")
            return parsed.date()
        if _lenient(info):
            raise ValueError(f"expected a date (2026-05-01, 2026/5/1, 2026.05.01 or 2026年5月1日), "
                             f"got {value!r}")
    raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")


def _boolean(value: Any, info: ValidationInfo | None) -> Any:
    """JSON Lines: JSON ``true``/``false`` only. CSV/XLSX (lenient) also take 是/否, 1/0,
    true/false and yes/no in any case, and numeric cells 1/0."""
    if isinstance(value, bool):
        return value
    if _lenient(info):
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError(f"expected 是/否, true/false or 1/0, got {value!r}")
    raise ValueError(f"expected JSON true or false, got {value!r}")


def _period_cell(value: Any, info: ValidationInfo) -> Any:
    # Excel turns a typed "2026-05" into a date cell on the 1st of the month.
    if _lenient(info) and isinstance(value, Date) and value.day == 1:
        if isinstance(value, DateTime) and value.time() != DateTime.min.time():
            return value
        return f"{value.year:04d}-{value.month:02d}"
    return value


def _period(value: str) -> str:
    if not _PERIOD.match(value):
        raise ValueError(f"expected a period as YYYY-MM, got {value!r}")
    return value


IsoDate = Annotated[Date, BeforeValidator(_iso_date)]
Boolean = Annotated[bool, BeforeValidator(_boolean)]
Period = Annotated[str, BeforeValidator(_period_cell), AfterValidator(_period)]  # a month, YYYY-MM

# What each validator above accepts most often, as pydantic-core checks it without calling
# Python: the same value from a narrower input (ASCII digits, no spaces, JSON types). A row
# that passes these (``facts.fast_check``) is valid with the same values; one that does not
# is validated again by the functions above, which say what is wrong.
CORE_EQUIVALENTS: dict[Any, core_schema.CoreSchema] = {
    _iso_date: core_schema.chain_schema([
        core_schema.str_schema(strict=True, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        core_schema.date_schema(ge=DATE_MIN, le=DATE_MAX)]),
    _boolean: core_schema.bool_schema(strict=True),
    _period: core_schema.str_schema(strict=True, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
}
FactId = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX)]  # another fact's id


def _default_verified(data: Any) -> Any:
    """``verified`` not given (or empty): false for a petition (信访举报), true otherwise."""
    if isinstance(data, dict) and data.get("verified") in (None, ""):
        source = data.get("source")
        data = {**data, "verified": not (isinstance(source, str) and source.strip() == "petition")}
    return data


class Fact(SQLModel):
    """Fields every fact has: a stable source ``id`` and a free ``attrs`` map rules may read."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(primary_key=True, min_length=1, max_length=ID_MAX)
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
    person: FactId
    period: Period
    task: str = Field(min_length=1)
    status: LedgerStatus = Field(sa_type=String)
    verdict: Verdict = Field(sa_type=String)
    date: IsoDate = Field(index=True)

    @model_validator(mode="after")
    def _filed_after_period_starts(self) -> Ledger:
        if (self.date.year, self.date.month) < (int(self.period[:4]), int(self.period[5:])):
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
    basis: list[str] | None = Field(
        default=None, sa_type=JSON(none_as_null=True), nullable=True,  # type: ignore[call-overload]
        description="The shortfall(s) the reminder is about, each as kind:id (e.g. inspection:I-9); "
                    "in CSV/XLSX one cell, entries separated by ; 、 or ，")

    @field_validator("basis", mode="before")
    @classmethod
    def _split_basis(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and _lenient(info):
            return [b.strip() for b in re.split(_LIST_SEPARATORS, value) if b.strip()]
        return value

    @field_validator("basis")
    @classmethod
    def _basis_references(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        entries = []
        for entry in value:
            kind, colon, fact_id = entry.partition(":")
            kind, fact_id = kind.strip(), fact_id.strip()
            if not colon or not fact_id:
                raise ValueError(f"expected kind:id (e.g. inspection:I-9), got {entry!r}")
            if kind not in KINDS:
                raise ValueError(f"unknown kind {kind!r} in {entry!r}; known: {', '.join(KINDS)}")
            if len(fact_id) > ID_MAX:
                raise ValueError(f"the id in {entry[:40]!r}... is longer than {ID_MAX} characters")
            entries.append(f"{kind}:{fact_id}")
        return entries

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
    case_closed: IsoDate | None = Field(
        default=None, description="The day the case review (立案审查) ended; only with case_filed")
    source: Source | None = Field(default=None, sa_type=String,
                                  description="Where the violation came to light (petition: 信访举报)")
    verified: Boolean = Field(
        default=True, description="Whether the facts were verified; when absent, false for "
                                  "source petition and true otherwise")

    @model_validator(mode="before")
    @classmethod
    def _verified_default(cls, data: Any) -> Any:
        return _default_verified(data)

    @model_validator(mode="after")
    def _case_closed_after_filing(self) -> Violation:
        if self.case_closed is not None:
            if not self.case_filed:
                raise ValueError(f"case_closed: a case review closed on {self.case_closed}, "
                                 "but case_filed is false")
            if self.case_closed < self.date:
                raise ValueError(f"case_closed: the case review closed ({self.case_closed}) before "
                                 f"the violation ({self.date})")
        return self

    @field_validator("actors", mode="before")
    @classmethod
    def _split_actors(cls, value: Any) -> Any:
        # CSV cells carry lists as "p1;p2" (also 、 or ，, as Chinese office software writes).
        if isinstance(value, str):
            value = [a.strip() for a in re.split(r"[;；、，,]", value) if a.strip()]
        if isinstance(value, list) and all(isinstance(a, str) for a in value):
            # actors are persons: one listed twice is one (多名 means two distinct persons)
            return list(dict.fromkeys(a.strip() for a in value))
        return value


class Disunity(Fact):
    unit: FactId = Field(index=True)
    date: IsoDate = Field(index=True)
    affects_work: Boolean
    public_reaction: Boolean
    source: Source | None = Field(default=None, sa_type=String,
                                  description="Where the report came from (petition: 信访举报)")
    verified: Boolean = Field(
        default=True, description="Whether the report was verified; when absent, false for "
                                  "source petition and true otherwise")

    @model_validator(mode="before")
    @classmethod
    def _verified_default(cls, data: Any) -> Any:
        return _default_verified(data)


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

# Fields added to a kind after the first contract (store revision 0001). A fact that leaves
# one at the value it takes when absent hashes as it did before the field existed
# (``unchanged_by_additions``), so loading an old export again into an upgraded store is
# still a no-op. Add every new field of a kind here.
ADDED_FIELDS: dict[type[Fact], tuple[str, ...]] = {
    Reminder: ("basis",),
    Violation: ("case_closed", "source", "verified"),
    Disunity: ("verified",),
}


def _filed_after_period_starts(values: dict[str, Any]) -> dict[str, Any]:
    """``Ledger._filed_after_period_starts`` on the values the twin (``facts.fast_check``)
    gives, which hold a period matching YYYY-MM and a date of 1900 to 2199: the month the
    date falls in then compares as text, without building the ledger or parsing the period."""
    if values["date"].isoformat()[:7] < values["period"]:
        raise ValueError("date: filed before its period began")
    return values


# A model's after-validator as the twin runs it on a row's values, where that is cheaper than
# the model's own run on them as attributes: it refuses what the model's own refuses (the
# model is then asked again, and says why), and accepts the rest.
VALUES_EQUIVALENTS: dict[Any, Any] = {
    Ledger._filed_after_period_starts: _filed_after_period_starts,
}


def unchanged_by_additions(model: type[Fact], values: Mapping[str, Any]) -> set[str]:
    """The added fields of a ``model`` fact with these ``values`` that hold their when-absent
    value (left out of its hash)."""
    absent = set()
    for name in ADDED_FIELDS.get(model, ()):
        if name == "verified":
            default: Any = values.get("source") != "petition"
        else:
            default = model.model_fields[name].get_default(call_default_factory=True)
        if values[name] == default:
            absent.add(name)
    return absent


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
