"""One recommendation: the detail page, its JSON twin, and the acts its forms post.

A recommendation outside the user's scope answers exactly as one that does not exist
(404), so a URL tells nothing about cases the user may not see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from engine.sanction.explanation import Explanation
from review import decide
from review.detail import RecommendationDetail, recommendation_detail
from review.errors import (
    BadInput,
    Conflict,
    NotFound,
    NotInScope,
    ReviewError,
    StepMissing,
)
from review.users import User
from web.auth import signed_in
from web.contexts import DetailContext
from web.layout import layout
from web.queue import jsonable
from web.sessions import session_of
from web.units import own_unit_names

DOCUMENT_FORMATS = (("HTML", "html"), ("PDF", "pdf"), ("DOCX", "docx"))
DECIDED = ("approved", "amended")


async def read_detail(request: Request, user: User, rec_id: str) -> RecommendationDetail:
    """The detail, or 404 when it does not exist or is not the user's to see."""
    state = request.app.state
    try:
        return await run_in_threadpool(recommendation_detail, state.store, user, rec_id,
                                       rulebook=state.rulebook)
    except (NotFound, NotInScope) as exc:
        raise HTTPException(404) from exc


async def _page(request: Request, user: User, d: RecommendationDetail, *, error: str | None = None,
                error_code: str | None = None, error_action: str | None = None, values: Mapping[str, Any] | None = None,
                status: int = 200) -> Response:
    state = request.app.state
    book = state.rulebook
    session = session_of(request)
    notice = session.data.pop("notice", None)
    names = await run_in_threadpool(own_unit_names, state.store, user)
    base = f"/recommendations/{d.id}"
    ctx = DetailContext(
        **layout(request, user, session.csrf, notice, names),
        d=d, e=Explanation.model_validate(d.explanation), labels=book.labels,
        ladder=book.sanctions.ladder_on(),
        bodies={code: body.name for code, body in book.county.bodies.items()},
        today=date.today().isoformat(), error=error, error_code=error_code,
        error_action=error_action,
        values=values or {},
        documents=[(label, f"{base}/document.{fmt}") for label, fmt in DOCUMENT_FORMATS],
        decision_documents=([(label, f"{base}/decision.{fmt}") for label, fmt in DOCUMENT_FORMATS]
                            if d.status in DECIDED else []),
    )
    return state.pages.response(ctx, status)


@signed_in
async def detail_page(request: Request, user: User) -> Response:
    d = await read_detail(request, user, request.path_params["rec_id"])
    return await _page(request, user, d)


@signed_in
async def detail_api(request: Request, user: User) -> Response:
    d = await read_detail(request, user, request.path_params["rec_id"])
    return JSONResponse(jsonable(dataclasses.asdict(d)))


# ---------------------------------------------------------------- the acts


def _day(form: Mapping[str, Any]) -> date | None:
    """The act's date as the form gave it, None for today; ValueError if it is no date."""
    value = str(form.get("day", "")).strip()
    return date.fromisoformat(value) if value else None


def _reason(form: Mapping[str, Any]) -> str:
    return str(form.get("reason", ""))


def _approve(store: Any, user: User, rec_id: str, form: Any, **kw: Any) -> Any:
    return decide.approve(store, user, rec_id, deciding_body_code=form.get("deciding_body") or None,
                          day=_day(form), reason=_reason(form).strip() or None, **kw)


def _amend(store: Any, user: User, rec_id: str, form: Any, **kw: Any) -> Any:
    return decide.amend(store, user, rec_id, [str(f) for f in form.getlist("forms")], _reason(form),
                        day=_day(form), **kw)


def _reject(store: Any, user: User, rec_id: str, form: Any, **kw: Any) -> Any:
    return decide.reject(store, user, rec_id, _reason(form), day=_day(form), **kw)


def _return(store: Any, user: User, rec_id: str, form: Any, **kw: Any) -> Any:
    return decide.return_for_evidence(store, user, rec_id, _reason(form), day=_day(form), **kw)


def _step(store: Any, user: User, rec_id: str, form: Any, **kw: Any) -> Any:
    data = {key.removeprefix("field_"): (form.getlist(key) if len(form.getlist(key)) > 1
                                         else str(form.get(key)))
            for key in form if key.startswith("field_")}
    return decide.record_step(store, user, rec_id, str(form.get("step", "")), _day(form), data, **kw)


ACTS: dict[str, Callable[..., Any]] = {
    "approve": _approve, "amend": _amend, "reject": _reject, "return": _return, "step": _step,
}


def _status(exc: ReviewError) -> int:
    if isinstance(exc, BadInput | StepMissing):
        return 422
    if isinstance(exc, Conflict):
        return 409
    return 403  # NotAllowed, OwnUnit, FourEyes, NotAuthorised


@signed_in
async def act(request: Request, user: User) -> Response:
    """Every decision form posts here: the act is review's, the refusal is shown on the page."""
    rec_id, action = request.path_params["rec_id"], request.path_params["action"]
    if action not in ACTS:
        raise HTTPException(404)
    form = await request.form()
    state = request.app.state
    values = {key: form.getlist(key) if key == "forms" else str(form.get(key))
              for key in form if key != "csrf_token"}
    error_action = f"step:{values.get('step', '')}" if action == "step" else action
    try:
        await run_in_threadpool(ACTS[action], state.store, user, rec_id, form,
                                seen=str(form.get("seen", "")) or None, rulebook=state.rulebook)
    except (NotFound, NotInScope) as exc:
        raise HTTPException(404) from exc
    except ReviewError as exc:
        d = await read_detail(request, user, rec_id)
        return await _page(request, user, d, error=str(exc), error_action=error_action,
                           values=values, status=_status(exc))
    except ValueError:  # a date field that is no date (a browser's date input sends YYYY-MM-DD)
        d = await read_detail(request, user, rec_id)
        return await _page(request, user, d, error_code="bad_day", error_action=error_action,
                           values=values, status=422)
    session_of(request).data["notice"] = "decided"
    return RedirectResponse(f"/recommendations/{rec_id}", status_code=303)
