"""What each file of the county folder may say: the schema of rules, sanctions, labels,
county settings and wording, as a policy officer writes them in YAML.

These are the *specs*, as written; ``engine.rulebook.load`` checks them against each other
and turns rule versions into ``RuleVersion`` with parsed terms.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import Field, PlainValidator, PrivateAttr, field_validator, model_validator

from engine.rulebook.terms import Period, parse_period
from facts.contract import (
    DATE_MIN,
    Category,
    Form,
    Grade,
    InspectionMode,
    LedgerStatus,
    Role,
    Severity,
    UnitType,
    Verdict,
    ViolationCategory,
)
from facts.validation import StrictModel

Proposer = Literal["supervising_leader", "discipline_commission", "organization_department",
                   "assessment_office"]
PROPOSERS: tuple[str, ...] = Proposer.__args__  # type: ignore[attr-defined]
Responsibility = Literal["leadership", "supervisory", "principal"]
Degree = Literal["main", "important", "overall"]
Source = Literal["inspection", "investigation", "ledger", "evaluation", "petition", "other"]
ReviewRole = Literal["reviewer", "approver", "policy", "admin"]
ReviewAction = Literal["see", "step", "amend", "return", "approve", "reject"]
RecommendationStatus = Literal["pending", "returned", "awaiting_second", "approved", "amended",
                               "rejected", "withdrawn"]
# accountability decided: approved as proposed, or approved with amended forms
DECIDED: tuple[RecommendationStatus, ...] = ("approved", "amended")


# ---------------------------------------------------------------- rule files


class Basis(StrictModel):
    document: str = Field(min_length=1)
    article: str = Field(min_length=1)
    text: str = Field(min_length=1)
    # cited only for findings that show what the provision asks for: severity (情节) and
    # responsibility, each a value or a list (e.g. a provision "造成恶劣影响的" only for grave)
    when: dict[Literal["severity", "responsibility"], str | list[str]] | None = None

    def applies(self, severity: str, responsibility: str) -> bool:
        """Whether this provision is cited for a finding of this severity and responsibility."""
        wanted = {"severity": severity, "responsibility": responsibility}
        return all(wanted[key] in ([value] if isinstance(value, str) else value)
                   for key, value in (self.when or {}).items())


class Effective(StrictModel):
    from_: date = Field(alias="from")
    to: date | None = None


class Clause(StrictModel):
    # one kind, or several ([violation, inspection]): a fact of any of them may match, and
    # every field the clause uses (or a later clause reads from it) must exist on each
    fact: str | list[str]
    as_: str | None = Field(default=None, alias="as", pattern=r"^[a-z][a-z0-9_]*$")
    where: dict[str, Any] = Field(default_factory=dict)
    # evidence clauses only: alias.field of a matched fact listing "kind:id" references (such
    # as reminder.basis); when it lists any, those facts are this clause's evidence, exactly
    named_by: str | None = None

    @model_validator(mode="after")
    def _named(self) -> Clause:
        if isinstance(self.fact, list):
            if not self.fact or len(set(self.fact)) != len(self.fact):
                raise ValueError("fact: a list of different kinds, e.g. [violation, inspection]")
            if self.as_ is None:
                raise ValueError("as: a clause on several kinds needs a name")
        return self

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.fact) if isinstance(self.fact, list) else (self.fact,)

    @property
    def alias(self) -> str:
        return self.as_ or str(self.fact)


class Count(StrictModel):
    """At least ``at_least`` matches per ``per`` value within a period counted from the first.

    ``within`` is a period (365d, 12m, 1y), counted as the Civil Code counts it (see
    ``engine.rulebook.terms``: the last day is included); ``within_days: N`` is kept as a
    synonym of ``within: Nd``. Write one of them.
    """

    at_least: int = Field(ge=2)
    within: str | None = None
    within_days: int | None = Field(default=None, ge=1)
    per: str  # alias.field the matches are grouped by, e.g. v.unit
    date: str  # alias.field that places a match in time
    # for a clause on several kinds: fields whose equal values make a fact of a later kind
    # the same problem as a fact of an earlier kind, counted once (as the earlier kind's)
    same_problem: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_period(self) -> Count:
        if (self.within is None) == (self.within_days is None):
            raise ValueError("write the period once: within: 365d (or 12m, 1y); "
                             "within_days: 365 is the same as within: 365d")
        if self.within is not None:
            parse_period(self.within)  # raises ValueError with what to write
        return self

    @property
    def period(self) -> Period:
        if self.within is not None:
            return parse_period(self.within)
        assert self.within_days is not None
        return Period(self.within_days, "d")


class Subject(StrictModel):
    person: str | None = None  # alias.field holding a person id
    unit: str | None = None  # alias.field holding a unit id: mapped to its post holders


class FindingSpec(StrictModel):
    """What a rule says its finding is (the finding itself is ``engine.match.findings.Finding``)."""

    subject: Subject
    responsibility: Responsibility | None = None
    degree: Degree | None = None
    team: bool = False  # unit findings: other team members bear important leadership responsibility
    severity: str  # a severity code, or alias.field holding one
    proposer: Proposer
    proposer_person: str | None = None  # alias.field naming the proposing leader
    conduct_date: str  # alias.field: the date of the conduct
    since: str | None = None  # report only conduct on or after this date, e.g. "as_of - 2y"
    key: list[str] | None = None  # aliases whose facts identify the finding (default: all)


class Duties(StrictModel):
    """The accountable person's own duty in a finding: what the document says he failed to do."""

    # task codes of the responsibility list this circumstance is about; each person is held to
    # those of his own category (and to the tasks of his ledgers among the evidence)
    tasks: list[str] = Field(default_factory=list)
    # his own record before the conduct, within this period: failed ledger checks of those
    # tasks, reminders to him, inspections that named him (e.g. 180d; none when not written)
    record: str | None = None
    # his failure in one sentence, by responsibility or responsibility.degree
    # (leadership, leadership.important, supervisory, principal)
    failure: dict[str, str] = Field(default_factory=dict)

    @field_validator("record")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is not None:
            parse_period(value)  # raises ValueError with what to write
        return value


class VersionSpec(StrictModel):
    version: int = Field(ge=1)
    effective: Effective
    # the circumstance in the branch this rule finds, in the list's words (问责情形第三项 has three)
    branch: str | None = None
    basis: list[Basis] = Field(min_length=1)
    duties: Duties | None = None
    match: list[Clause] = Field(min_length=1)
    absent: Clause | None = None
    # looked up after matching, never a condition: facts that bear on a finding, when found
    evidence: list[Clause] = Field(default_factory=list)
    count: Count | None = None
    finding: FindingSpec


class RuleFile(StrictModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str = Field(min_length=1)
    circumstance: int = Field(ge=1, le=4)
    description: str | None = None
    versions: list[VersionSpec] = Field(min_length=1)

    @field_validator("versions")
    @classmethod
    def _ordered(cls, versions: list[VersionSpec]) -> list[VersionSpec]:
        numbers = [v.version for v in versions]
        if numbers != sorted(set(numbers)):
            raise ValueError("versions must be numbered in increasing order without repeats")
        return versions


# ---------------------------------------------------------------- sanctions.yaml


class FactorSpec(StrictModel):
    attr: str  # key in attrs of the person or of an evidence fact
    label: str


class UnitDuty(StrictModel):
    """Which responsibility the holder of a role in a unit bears when the unit fails."""

    responsibility: Responsibility
    degree: Degree
    team_only: bool = False  # only when the rule holds the whole team to account


class Leadership(StrictModel):
    """Who leads whom (主管领导): a reminder or proposal from anyone else founds nothing."""

    roles: list[Role]  # leading roles: over lower-ranked members of the unit and units below
    county_leaders: list[Category]  # county-level leaders: over everyone who is not one
    top: Category  # over everyone


# party discipline (纪律处分): rests on the person's own violation, decided by the party's
# disciplinary procedure — never proposed by the engine itself (see ``case_review``)
PARTY_SANCTIONS = ("warning", "serious_warning", "dismissal_from_party_posts", "probation",
                   "expulsion")


class CaseReviewRule(StrictModel):
    """When to propose that the discipline commission open a case review (立案审查)."""

    when: dict[str, Any]  # circumstance, severity, rule: a value or a list of values
    reason: str = Field(min_length=1)


class ResponsibilityWeights(StrictModel):
    """How each responsibility type moves the form, and why (written into every explanation)."""

    steps: dict[Responsibility, int]
    reasons: dict[Responsibility, str]


def _period(value: Any) -> Period:
    return value if isinstance(value, Period) else parse_period(value)


PeriodText = Annotated[Period, PlainValidator(_period)]  # 730d, 24m, 2y
T = TypeVar("T")


class Dated(StrictModel, Generic[T]):
    """One value of a sanctions entry and the dates it is in force, like a rule version's."""

    effective: Effective
    value: T

    def in_force(self, day: date) -> bool:
        return self.effective.from_ <= day and (self.effective.to is None or day <= self.effective.to)


class SanctionValues(StrictModel):
    """The values of the dated sanctions entries in force on one day (``Sanctions.at``)."""

    ladder: list[Form] = Field(min_length=2)
    base: dict[int, dict[Severity, Form]]
    lookback: PeriodText  # one step up per prior accountability within this period before the conduct
    degree_steps: dict[Degree, int]
    aggravating: list[FactorSpec] = Field(default_factory=list)
    mitigating: list[FactorSpec] = Field(default_factory=list)
    exempt: list[FactorSpec] = Field(default_factory=list)
    combined: list[dict[str, Any]] = Field(default_factory=list)
    # entry name -> position of the dated value in force (0 for an undated entry): two days
    # with the same sources are judged under the same values
    sources: dict[str, int] = Field(default_factory=dict)

    def weight(self, forms: list[str]) -> tuple[int, int]:
        """How heavy proposed forms are on this ladder: the first form's rung, then how many."""
        return (self.ladder.index(forms[0]) if forms and forms[0] in self.ladder else -1,
                len(forms))


SanctionsEntry = Literal["ladder", "base", "lookback", "degree_steps", "aggravating",
                         "mitigating", "exempt", "combined"]


# the entries of sanctions.yaml that may change over time, each either one value (in force
# always) or a list of dated values: [{effective: {from: ..., to: ...}, value: ...}, ...]
DATED: tuple[str, ...] = SanctionsEntry.__args__  # type: ignore[attr-defined]


def is_dated(raw: Any) -> bool:
    """Whether an entry as written is a list of dated values (rather than one value)."""
    return isinstance(raw, list) and bool(raw) and all(
        isinstance(item, dict) and "effective" in item for item in raw)


class Sanctions(StrictModel):
    """The ladder, base forms, escalation, factors and authority.

    The entries in ``DATED`` carry effective dates: a finding is judged under the values in
    force on the date of its conduct, and under the current ones when they are lighter
    (从旧兼从轻, ``engine.sanction.ladder.judge``).
    """

    reference: list[Basis] = Field(default_factory=list)
    ladder: list[Dated[list[Form]]] = Field(min_length=1)
    base: list[Dated[dict[int, dict[Severity, Form]]]] = Field(min_length=1)
    lookback: list[Dated[PeriodText]] = Field(min_length=1)
    degree_steps: list[Dated[dict[Degree, int]]] = Field(min_length=1)
    aggravating: list[Dated[list[FactorSpec]]] = Field(default_factory=list)
    mitigating: list[Dated[list[FactorSpec]]] = Field(default_factory=list)
    exempt: list[Dated[list[FactorSpec]]] = Field(default_factory=list)
    dissent_attr: str = "dissent"
    combined: list[Dated[list[dict[str, Any]]]] = Field(default_factory=list)
    case_review: list[CaseReviewRule] = Field(default_factory=list)
    responsibility: ResponsibilityWeights
    impose: dict[str, list[Form]]  # which proposer may impose which forms itself
    decider: dict[str, str]  # form -> the body that decides it when the proposer may not
    unit_roles: dict[Role, UnitDuty]
    leadership: Leadership
    _at: dict[date, SanctionValues] = PrivateAttr(default_factory=dict)  # ``at``, by day

    @model_validator(mode="before")
    @classmethod
    def _undated(cls, data: Any) -> Any:
        """An entry written as one value is in force always: one dated value from the start."""
        if isinstance(data, dict):
            data = dict(data)
            for name in DATED:
                if name in data and not is_dated(data[name]):
                    data[name] = [{"effective": {"from": DATE_MIN}, "value": data[name]}]
        return data

    def dated(self, name: str) -> list[Dated[Any]]:
        return getattr(self, name)

    def ladder_on(self, day: date | None = None) -> list[str]:
        """The ladder in force on ``day`` (today by default): what a reviewer may choose from
        and how heavy each form is when a decision is taken."""
        day = day or date.today()
        entry = next((d for d in self.ladder if d.in_force(day)), self.ladder[-1])
        return list(entry.value)

    def at(self, day: date) -> SanctionValues:
        """The values in force on ``day``; ``LookupError`` names an entry with none. Asked
        several times for every recommendation, of a few dates: each day's are made once."""
        found = self._at.get(day)
        if found is None:
            found = self._at[day] = self._values_at(day)
        return found

    def _values_at(self, day: date) -> SanctionValues:
        values: dict[str, Any] = {}
        sources: dict[str, int] = {}
        for name in DATED:
            entries = self.dated(name)
            index = next((i for i, d in enumerate(entries) if d.in_force(day)), None)
            if index is None:
                if entries:
                    raise LookupError(f"{name}: no value in force on {day}")
                continue
            values[name], sources[name] = entries[index].value, index
        return SanctionValues.model_validate({**values, "sources": sources})

    def boundaries(self) -> list[date]:
        """Every day on which some dated value starts or follows one that ended."""
        days = {DATE_MIN}
        for name in DATED:
            for entry in self.dated(name):
                days.add(entry.effective.from_)
                if entry.effective.to is not None:
                    days.add(entry.effective.to + timedelta(days=1))
        return sorted(days)


# ---------------------------------------------------------------- labels.yaml


class Labels(StrictModel):
    """The Chinese name of every code that reaches a reader: one table, one place."""

    forms: dict[Form, str]
    severity: dict[Severity, str]
    degree: dict[Degree, str]
    responsibility: dict[Responsibility, str]
    responsibility_degree: dict[str, str]  # "leadership.main" -> 主要领导责任
    circumstance: dict[int, str]
    role: dict[Role, str]
    unit_type: dict[UnitType, str]
    recommendation_status: dict[RecommendationStatus, str]
    review_role: dict[ReviewRole, str]
    review_action: dict[ReviewAction, str]
    ledger_status: dict[LedgerStatus, str]
    verdict: dict[Verdict, str]
    inspection_mode: dict[InspectionMode, str]
    violation_category: dict[ViolationCategory, str]
    source: dict[Source, str]
    grade: dict[Grade, str]
    period_unit: dict[Literal["d", "m", "y"], str]  # 730日, 24个月, 2年
    sanctions_entry: dict[SanctionsEntry, str]  # the dated entries of sanctions.yaml


# ---------------------------------------------------------------- county.yaml


class Body(StrictModel):
    """A body that proposes or decides: its name, its number series, where it decides."""

    name: str = Field(min_length=1)
    number_prefix: str = Field(min_length=1)  # 县纪建 in 县纪建〔2026〕7号: one series per body
    decides_in: str | None = None  # its own decision-making meeting, when it decides itself


class PartyOrganisations(StrictModel):
    """How posts are titled: by the kind of party organisation a unit has (党委, 党组, ...)."""

    # unit type -> kind of party organisation it has unless its unit fact says otherwise
    # (attrs.party_organisation), e.g. county_organ: party_group
    by_unit_type: dict[UnitType, str]
    # kind of party organisation -> role -> title after the unit's name (党委书记, 党组书记, 书记)
    titles: dict[str, dict[Role, str]]

    @model_validator(mode="after")
    def _known(self) -> PartyOrganisations:
        for unit_type, kind in self.by_unit_type.items():
            if kind not in self.titles:
                raise ValueError(f"by_unit_type: {unit_type}: no titles for {kind!r}")
        return self


class DocumentSettings(StrictModel):
    leader_masthead: str = Field(min_length=1)  # masthead when a supervising leader proposes
    circulation_issuer: str = Field(min_length=1)  # who signs the quarterly circulation


class County(StrictModel):
    name: str = Field(min_length=1)
    bodies: dict[str, Body]  # code -> the proposing and deciding bodies
    party_organisations: PartyOrganisations
    documents: DocumentSettings


# ---------------------------------------------------------------- wording.yaml


class Wording(StrictModel):
    """Sentences the engine writes into explanations, as Jinja templates (see wording.yaml)."""

    steps: dict[str, str]  # escalation step -> sentence
    posts: dict[str, str]  # how a post is named in running text
    evidence: dict[str, str]  # fact kind -> one-line summary of such a fact
    set_aside: dict[str, str]  # why a finding made no recommendation
    statement: dict[str, str]  # the sentences of 主要事实: duties, record, unverified report
    changes: dict[str, str]  # what changed under a recommendation since it was made
    review: dict[str, str]  # what review says when it refuses an act
    case_review_note: str
    dissent_label: str
    proposer_with_leader: str


# ---------------------------------------------------------------- review.yaml

class StepField(StrictModel):
    """One thing a due-process step records (its date and who recorded it are always kept)."""

    label: str = Field(min_length=1)
    type: Literal["text", "date", "bool", "list", "choice"]
    required: bool = True
    options: dict[str, str] = Field(default_factory=dict)  # choice: code -> label

    @model_validator(mode="after")
    def _options_for_choice(self) -> StepField:
        if (self.type == "choice") != bool(self.options):
            raise ValueError("options: give them for type choice, and only for it")
        return self


class StepSpec(StrictModel):
    """A due-process step: before or after the decision, whether approval waits for it, and
    which steps must come first."""

    label: str = Field(min_length=1)
    phase: Literal["before_decision", "after_decision"]
    required: bool = False
    requires: list[str] = Field(default_factory=list)
    fields: dict[str, StepField]

    @model_validator(mode="after")
    def _required_before(self) -> StepSpec:
        if self.required and self.phase != "before_decision":
            raise ValueError("required: only a before_decision step can be required before approval")
        return self


class AppealSpec(StrictModel):
    period: str  # from the day the decision is served: 1m, 15d (《民法典》 periods)
    body: str  # deciding (the body that made the decision) or a body code of county.yaml

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        parse_period(value)
        return value

    @property
    def last_day(self) -> Period:
        return parse_period(self.period)


class Review(StrictModel):
    """Who may do what, the due-process steps, four-eyes, the appeal and decision numbers."""

    roles: dict[ReviewRole, list[ReviewAction]]
    steps: dict[str, StepSpec]
    four_eyes_above: Form
    appeal: AppealSpec
    decision_numbers: dict[str, str]  # deciding body -> prefix of its decision documents
