"""The explanation a recommendation carries: everything the evaluation that made it looked at.

It is built only from what the evaluator matched and what the sanctions ladder applied,
never written separately, and it is what documents and review pages render.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

Responsibility = Literal["leadership", "supervisory", "principal"]
Route = Literal["accountability", "discipline_handling"]


class LegalBasis(BaseModel):
    document: str  # 《中国共产党问责条例》
    article: str  # 第七条第（一）项
    text: str  # the quoted text


class EvidenceFact(BaseModel):
    alias: str  # the clause of the rule it matched, e.g. "reminder"
    kind: str  # fact kind, e.g. "reminder"
    id: str  # the fact's source id
    src: str  # provenance: "file:line" of the export it was loaded from
    date: date | None
    summary: str  # one line in Chinese, e.g. "2025-03-02 县委书记张某对李某提醒：……"
    fields: dict[str, Any]  # the fact as it was evaluated


class Duty(BaseModel):
    """A task of the responsibility list the person carried (责任清单)."""

    code: str  # os05
    name: str  # 落实党风廉政建设主体责任，加强干部作风管理


class Statement(BaseModel):
    """One sentence of 主要事实, built from the facts it names (never written apart from them)."""

    part: Literal["evidence", "duties", "record", "failure"]
    text: str  # Chinese, from wording.yaml (evidence summaries, statement sentences)
    refs: list[str] = []  # "kind:id" of the evidence or record facts it rests on


class PostAtTime(BaseModel):
    """The post the person held on the date of the conduct (not today's)."""

    post_id: str
    unit: str
    unit_name: str
    role: str  # secretary | deputy_secretary | discipline_secretary | member
    role_label: str  # the title after the unit's name: 党委书记, 党组书记, 纪检组长, 书记 (county.yaml)
    start: date
    end: date | None


class Factor(BaseModel):
    type: Literal["aggravating", "mitigating", "exempt"]
    code: str  # e.g. obstruction
    label: str  # 从重：阻挠调查
    source: str  # where it was read: "person:P0012 attrs.obstruction" or a fact id


class EscalationStep(BaseModel):
    """One step from the base form to the proposed form, in the order applied."""

    step: Literal["base", "responsibility", "prior", "aggravating", "mitigating", "degree",
                  "cap", "combined", "sanctions"]
    before: str | None  # form code before this step (None for base)
    after: str  # form code after this step
    reason: str  # Chinese, e.g. "2025-06-01 曾受诫勉谈话（A-0031），回溯期730日内，加重一档"
    ref: str | None = None  # fact id that caused it, when a fact did


class SanctionsChoice(BaseModel):
    """The sanction values changed between the conduct and the evaluation (从旧兼从轻): the
    outcome under each, and which applies."""

    conduct_date: date
    as_of: date
    changed: list[str]  # the sanctions.yaml entries whose values differ, e.g. ["lookback"]
    then_from: dict[str, date]  # entry -> since when the value in force at the conduct applied
    now_from: dict[str, date]  # entry -> since when the current value applies
    then_forms: list[str]  # under the values of the conduct's time ([] when exempt)
    now_forms: list[str]  # under the current values ([] when exempt)
    chosen: Literal["then", "now"]  # now only when lighter
    reason: str  # Chinese, also the last escalation step


class SubjectPerson(BaseModel):
    """The person a recommendation is about."""

    id: str
    name: str
    category: str | None
    category_label: str | None


class Ground(BaseModel):
    """Another rule that found the same matter about the same person (one recommendation)."""

    rule_id: str
    rule_version: int
    rule_title: str
    rule_file: str
    circumstance: int
    circumstance_label: str
    branch: str | None = None  # the circumstance in the branch this ground found
    basis: list[LegalBasis]
    forms: list[str]  # what this ground alone would have proposed


class Explanation(BaseModel):
    rule_id: str
    rule_version: int
    rule_title: str  # Chinese
    rule_file: str
    circumstance: int  # 1..4
    circumstance_label: str  # Chinese
    severity: str
    basis: list[LegalBasis]
    conduct_date: date
    as_of: date
    subject: SubjectPerson
    post: PostAtTime
    responsibility: Responsibility
    responsibility_label: str  # 领导责任 / 监督责任 / 主体责任
    degree: str  # main | important | overall
    degree_label: str  # 主要领导责任 / 重要领导责任 / 全面领导责任
    evidence: list[EvidenceFact]
    factors: list[Factor]
    steps: list[EscalationStep]
    base_form: str
    forms: list[str]  # the proposed form(s); combined forms have several
    form_labels: list[str]  # Chinese
    proposer: str  # supervising_leader | discipline_commission | organization_department | assessment_office | person:<id>
    proposer_label: str
    decider: str  # the body that decides
    decider_label: str
    proposer_may_impose: bool  # False: the proposer may only propose it to the decider
    route: Route
    route_note: str | None  # Chinese; set when routed to discipline handling
    rulebook_hash: str
    # proposed to the discipline commission: open a case review (立案审查), on this ground;
    # party discipline rests on the person's own violation and is decided there, never here
    case_review: str | None = None
    grounds: list[Ground] = []  # the other rules that found this matter; the form is the heaviest
    # set only when the sanction values in force at the conduct differ from the current ones
    sanctions: SanctionsChoice | None = None
    # the circumstance in the branch that applies, in the list's words (rule file ``branch``)
    branch: str | None = None
    duties: list[Duty] = []  # his tasks in the responsibility list this finding is about
    # his own record before the conduct: failed ledger checks of those tasks, reminders to him,
    # inspections naming him (rule file ``duties.record``); listed after the evidence
    record: list[EvidenceFact] = []
    statement: list[Statement] = []  # 主要事实: conduct, how it was found, his own failure

    @property
    def exhibits(self) -> list[EvidenceFact]:
        """The facts a document lists as its evidence (证据1, 证据2, ...): in the order 主要事实
        first cites them, then any it does not cite (evidence, then record)."""
        cited: dict[str, int] = {}
        for statement in self.statement:
            for ref in statement.refs:
                cited.setdefault(ref, len(cited))
        facts = [*self.evidence, *self.record]
        return sorted(facts, key=lambda x: cited.get(f"{x.kind}:{x.id}", len(cited)))

    @property
    def exhibit_numbers(self) -> dict[str, int]:
        """"kind:id" -> its number among the exhibits."""
        return {f"{x.kind}:{x.id}": n for n, x in enumerate(self.exhibits, 1)}
