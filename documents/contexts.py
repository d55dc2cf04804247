"""What each bundled template is given: one frozen dataclass per page template.

A template may use exactly the fields of its context and nothing else (``tests/test_templates.py``
checks both ways). Staff who copy or extend a template (``{% extends "bundled:recommendation.html" %}``)
have the same fields to work with. County wording comes from the county folder
(``rules/county.yaml``, ``rules/labels.yaml``) through these fields, never written into a template.

Rendering is shallow: each field is handed to the template as it is (an ``Explanation``
stays a model, a ``Quarterly`` stays a dataclass), so templates read ``e.subject.name`` or
``q.overall.passed`` as attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from documents.environment import environment, visible_controls
from documents.errors import template_problem
from documents.fonts import FontSet
from engine.sanction.explanation import Explanation

if TYPE_CHECKING:
    from collections import Counter

    from documents.quarterly_figures import Quarterly
    from engine.run.compare import Impact

# field metadata: why a field the bundled template does not read is still given
UNUSED = "unused_by_bundled"


@dataclass(frozen=True)
class PageContext:
    """What every page gets: ``base.html`` and the ``print.css`` it includes."""

    TEMPLATE: ClassVar[str] = "base.html"

    fonts: FontSet  # the CJK faces print.css sets: fonts.css_stack("body" | "title" | "heading" | "page")

    def variables(self) -> dict[str, Any]:
        """The fields as template variables, shallow: nested models stay objects."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class RecommendationContext(PageContext):
    """``recommendation.html``: the 问责建议书 of one recommendation."""

    TEMPLATE: ClassVar[str] = "recommendation.html"

    rec_id: str  # the recommendation's id, e.g. R0226F433E0BF665 (in the attachment's footnote)
    status: str = field(metadata={UNUSED: "the review status (pending, approved, …), for staff "
                                          "templates that mark a draft; the bundled document "
                                          "does not show it"})
    e: Explanation  # everything the evaluation found: subject, post, evidence, basis, steps, forms
    number: str  # the reference number, 县纪建〔2026〕7号 (the issuer's county.yaml number_prefix)
    issued: date  # the document's date (the evaluation's as-of date), shown with |cn_date
    issuer: str  # the masthead: the proposing body from county.yaml bodies, or leader_masthead
    addressee: str  # 主送: the deciding body, or its decides_in when it is the issuer itself
    labels: Mapping[str, str]  # form code -> name (labels.yaml forms), for the escalation steps


@dataclass(frozen=True)
class Statement:
    """One 陈述和申辩 of the person, as recorded in review."""

    day: date  # when the person stated
    text: str  # what the person said
    adopted: bool  # whether it was adopted
    reason: str | None  # why it was or was not adopted


@dataclass(frozen=True)
class DecisionContext(PageContext):
    """``decision.html``: the 问责决定书 of an approved recommendation."""

    TEMPLATE: ClassVar[str] = "decision.html"

    rec_id: str  # the recommendation's id (in the closing note)
    e: Explanation  # what the evaluation found: subject, post, evidence, basis, circumstance
    number: str  # the decision's reference number, its own series per deciding body (review.yaml)
    issued: date  # the decision's date (the final approval), shown with |cn_date
    issuer: str  # the deciding body's full name (county.yaml bodies)
    decided_in: str | None  # its decision-making meeting (county.yaml decides_in), if it has one
    meeting: date | None  # the day of the 集体讨论决定 step, if recorded
    form_labels: list[str]  # the forms decided (as amended, else as proposed), heaviest first
    amended: bool  # the forms differ from the engine's proposal (e.form_labels)
    statements: list[Statement]  # the person's 陈述和申辩, oldest first
    appeal_period: str  # how long the person may appeal, worded: 一个月 (review.yaml appeal.period)
    appeal_body: str  # the body that receives appeals (review.yaml appeal.body)


@dataclass(frozen=True)
class QuarterlyContext(PageContext):
    """``quarterly.html``: the quarterly circulation (一季一通报) of ledger checks."""

    TEMPLATE: ClassVar[str] = "quarterly.html"

    q: Quarterly  # the quarter's tallies, rankings by category, units, charts, recommendations
    issued: date  # the circulation's date, shown with |cn_date
    issuer: str  # the signing body (county.yaml documents.circulation_issuer)
    top: int  # how many best-ranked people each category names
    bottom: int  # how many worst-ranked people each category names
    labels: Mapping[str, str]  # form code -> name (labels.yaml forms)
    status_labels: Mapping[str, str]  # recommendation status -> name (labels.yaml recommendation_status)


@dataclass(frozen=True)
class IndexRow:
    """One recommendation written by a nightly run, as a row of ``index.html``."""

    id: str  # the recommendation's id; its documents are <id>.<format> beside the index
    number: str  # the reference number, 县纪建〔2026〕7号
    e: Explanation  # the stored explanation (subject, post, circumstance, degree, forms, route)
    formats: tuple[str, ...]  # the formats written, e.g. ("html", "pdf", "docx")


@dataclass(frozen=True)
class IndexContext(PageContext):
    """``index.html``: the page listing what one nightly run wrote."""

    TEMPLATE: ClassVar[str] = "index.html"

    rows: list[IndexRow]  # the recommendations written this run, in id order
    as_of: date  # the evaluation's as-of date
    rulebook: str  # the rulebook hash the run evaluated with (the page shows 12 characters)
    run_id: int  # the evaluation run's number
    counts: Mapping[str, Any]  # the run's counts: recommendations, new, …


@dataclass(frozen=True)
class ImpactContext(PageContext):
    """``impact.html``: what a rule change would do to the stored cases (``wenze rules impact``)."""

    TEMPLATE: ClassVar[str] = "impact.html"

    r: Impact  # both rulebooks (hash, source), the as-of dates with counts, every case that differs
    totals: Mapping[str, Mapping[str, Counter]]  # "circumstance" | "unit" | "form" -> key -> added/removed/changed
    generated: date  # the day the report was made, shown with |cn_date


CONTEXTS: tuple[type[PageContext], ...] = (RecommendationContext, DecisionContext,
                                           QuarterlyContext, IndexContext, ImpactContext)


def render(ctx: PageContext, templates_dir: Path | None = None, template: str | None = None) -> str:
    """The page of a context, from the staff folder if it has the template, else the bundle.

    Control characters in it are shown as ``[U+001A]`` (``visible_controls``); a template that
    cannot be used raises ``TemplateProblem``, one line naming the template and its line.
    """
    name = template or ctx.TEMPLATE
    try:
        page = environment(templates_dir).get_template(name).render(ctx.variables())
    except Exception as exc:
        problem = template_problem(exc, name)
        if problem is None:
            raise
        raise problem from exc
    return visible_controls(page)
