"""What each page template of the review application is given: one frozen dataclass per page.

As for documents (``documents.contexts``), a template may read exactly its context's fields;
``tests/test_web_http.py`` checks both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from documents.contexts import PageContext


@dataclass(frozen=True)
class LayoutContext(PageContext):
    """``web/layout.html``: the frame of every page."""

    TEMPLATE: ClassVar[str] = "web/layout.html"

    user: Any  # review.users.User (name, role, units), or None before signing in
    role_label: str  # the user's role in Chinese (labels.yaml review_role)
    unit_names: tuple[str, ...]  # the names of the user's units
    csrf: str  # the session's CSRF token, a hidden field of every form
    notice: str | None  # a one-shot notice code (web/notices.html), or None


@dataclass(frozen=True)
class LoginContext(LayoutContext):
    """``web/login.html``: the sign-in form."""

    TEMPLATE: ClassVar[str] = "web/login.html"

    name: str  # the name typed last time, kept after a failed attempt
    next: str  # the page to go to after signing in (a local path)
    error: str | None  # "bad_login" or "throttled" (web/notices.html), or None
    retry_after: int  # seconds until another attempt, when throttled


@dataclass(frozen=True)
class ErrorContext(LayoutContext):
    """``web/error.html``: a refusal or failure, in a sentence."""

    TEMPLATE: ClassVar[str] = "web/error.html"

    status: int  # the HTTP status, e.g. 404
    code: str  # what to say (web/notices.html): not_found, csrf, forbidden, server_error, …


@dataclass(frozen=True)
class QueueContext(LayoutContext):
    """``web/queue.html``: one page of the recommendations in the user's scope."""

    TEMPLATE: ClassVar[str] = "web/queue.html"

    filter: Any  # review.queue.QueueFilter as the URL said it (refused values left out)
    bad_fields: list[str]  # the URL's fields whose values were refused
    page: Any  # review.queue.QueuePage: items, total, page, pages
    units: list[Any]  # web.units.Unit (id, name, depth) in the user's scope, as a tree
    statuses: Mapping[str, str]  # status code -> name
    circumstances: Mapping[str, str]  # "1".."4" -> the circumstance
    forms: Mapping[str, str]  # form code -> name, light to heavy
    proposers: Mapping[str, str]  # body code -> name
    steps: Mapping[str, str]  # due-process step code -> name
    no_step: str  # the step filter's value for "no step recorded yet"
    sorts: Mapping[str, tuple[str, str]]  # column -> (link that sorts by it, "asc"/"desc"/"")
    per_page_choices: tuple[int, ...]  # rows per page a user may choose
    page_links: list[tuple[int | None, str]]  # (page number or None for a gap, its link)
    previous: str  # the previous page's link, "" on the first
    following: str  # the next page's link, "" on the last
    api: str  # the same filter as JSON (/api/recommendations?...)


@dataclass(frozen=True)
class DetailContext(LayoutContext):
    """``web/detail.html``: one recommendation, its evidence and its decision forms."""

    TEMPLATE: ClassVar[str] = "web/detail.html"

    d: Any  # review.detail.RecommendationDetail: status, steps, decisions, posts, past, allowed, …
    e: Any  # engine.sanction.explanation.Explanation of it: rule, basis, evidence, escalation steps
    labels: Any  # engine.rulebook.spec.Labels: the Chinese name of every code
    ladder: list[str]  # every form code that may be decided, light to heavy
    bodies: Mapping[str, str]  # body code -> name, for the deciding body of an approval
    today: str  # today's date (YYYY-MM-DD), the default date of every act
    error: str | None  # why the last act was refused (review's Chinese message), or None
    error_code: str | None  # or the page's own reason (web/notices.html), e.g. bad_day
    error_action: str | None  # the act refused ("approve", "step:statement", …), to reopen its form
    values: Mapping[str, Any]  # what the refused form said, to fill it again
    documents: list[tuple[str, str]]  # (label, link) of the recommendation document's formats
    decision_documents: list[tuple[str, str]]  # the same for the decision document, once decided
