"""The queue page and its JSON twin: filters read from the URL, so a link can be shared.

A value that is not one of its field's choices is left out and named on the page, never
guessed at; the links on the page (columns, pages) carry the same filters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine.rulebook import Rulebook
from review.queue import NO_STEP, SORTS, QueueFilter, QueuePage, list_queue
from review.users import User
from web.auth import signed_in
from web.contexts import QueueContext
from web.layout import layout
from web.sessions import session_of
from web.units import Unit, unit_choices

PER_PAGE = (20, 50, 100, 200)
# the columns a user can sort by, in the table's order (the queue's sort keys)
SORTABLE = ("conduct_date", "person", "unit", "form", "status", "circumstance")


def parse_filter(query: Mapping[str, str], book: Rulebook, units: set[str],
                 per_page: int) -> tuple[QueueFilter, list[str]]:
    """The filter a URL says, and the names of the fields whose values were refused."""
    bad: list[str] = []
    labels = book.labels

    def choice(name: str, allowed: Any) -> str | None:
        value = query.get(name) or None
        if value is not None and value not in allowed:
            bad.append(name)
            return None
        return value

    def day(name: str) -> date | None:
        value = query.get(name) or None
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            bad.append(name)
            return None

    def number(name: str, default: int, allowed: Any = None) -> int:
        value = query.get(name) or None
        try:
            n = int(value) if value else default
        except ValueError:
            n = 0
        if n < 1 or (allowed is not None and n not in allowed):
            bad.append(name)
            return default
        return n

    circumstance = choice("circumstance", {str(c) for c in labels.circumstance})
    sort = choice("sort", {p + k for k in SORTS for p in ("", "-")})
    flt = QueueFilter(
        status=choice("status", labels.recommendation_status),
        unit=choice("unit", units),
        circumstance=int(circumstance) if circumstance else None,
        form=choice("form", labels.forms),
        proposer=choice("proposer", book.county.bodies),
        date_from=day("date_from"),
        date_to=day("date_to"),
        step=choice("step", {*book.review.steps, NO_STEP}),
        sort=sort or QueueFilter.sort,
        page=number("page", 1),
        per_page=number("per_page", per_page, PER_PAGE),
    )
    order = [f.name for f in dataclasses.fields(QueueFilter)]
    return flt, sorted(bad, key=order.index)


def query_of(flt: QueueFilter, default_per_page: int, **changes: Any) -> str:
    """The URL query of a filter (only what differs from the defaults), with changes."""
    values = dataclasses.asdict(dataclasses.replace(flt, **changes))
    defaults = {"sort": QueueFilter.sort, "page": 1, "per_page": default_per_page}
    pairs = [(k, v.isoformat() if isinstance(v, date) else v) for k, v in values.items()
             if v not in (None, "") and defaults.get(k) != v]
    return urlencode(pairs)


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """First, last and a window around the current page; None where pages are skipped."""
    shown = sorted({1, pages, *range(max(1, page - 3), min(pages, page + 3) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and out[-1] is not None and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


async def _read(request: Request, user: User) -> tuple[QueueFilter, list[str], QueuePage, list[Unit]]:
    state = request.app.state
    units = await run_in_threadpool(unit_choices, state.store, user)
    flt, bad = parse_filter(request.query_params, state.rulebook, {u.id for u in units},
                            state.config.per_page)
    result = await run_in_threadpool(list_queue, state.store, user, flt, rulebook=state.rulebook)
    return flt, bad, result, units


@signed_in
async def queue_page(request: Request, user: User) -> Response:
    flt, bad, result, units = await _read(request, user)
    state = request.app.state
    default = state.config.per_page

    def link(**changes: Any) -> str:
        query = query_of(flt, default, **changes)
        return "/queue" + (f"?{query}" if query else "")

    sorts = {}
    for key in SORTABLE:
        mark = "desc" if flt.sort == f"-{key}" else "asc" if flt.sort == key else ""
        sorts[key] = (link(sort=key if mark == "desc" else f"-{key}", page=1), mark)
    book = state.rulebook
    ctx = QueueContext(
        **layout(request, user, session_of(request).csrf, _notice(request),
                 tuple(u.name for u in units if u.id in user.units)),
        filter=flt, bad_fields=bad, page=result,
        units=units,
        statuses=dict(book.labels.recommendation_status),
        circumstances={str(k): v for k, v in book.labels.circumstance.items()},
        forms={code: book.labels.forms[code] for code in book.sanctions.ladder_on()},
        proposers={code: body.name for code, body in book.county.bodies.items()},
        steps={code: step.label for code, step in book.review.steps.items()},
        no_step=NO_STEP,
        sorts=sorts,
        per_page_choices=PER_PAGE,
        page_links=[(n, link(page=n) if n else "") for n in _page_numbers(result.page, result.pages)],
        previous=link(page=result.page - 1) if result.page > 1 else "",
        following=link(page=result.page + 1) if result.page < result.pages else "",
        api=f"/api/recommendations?{query_of(flt, default)}",
    )
    return state.pages.response(ctx)


def _notice(request: Request) -> str | None:
    session = session_of(request)
    return session.data.pop("notice", None) if session else None


@signed_in
async def queue_api(request: Request, user: User) -> Response:
    flt, bad, result, _units = await _read(request, user)
    return JSONResponse({
        "total": result.total, "page": result.page, "pages": result.pages,
        "ignored": bad,
        "items": [jsonable(dataclasses.asdict(item)) for item in result.items],
    })


def jsonable(value: Any) -> Any:
    """Dates and times as ISO text, tuples as lists, all the way down."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
