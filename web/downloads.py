"""Documents by URL, scoped as pages are: out of scope is not found (404), never the file.

The HTML form is the preview the detail page frames; PDF and DOCX are downloads named after
the document's reference number.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from documents.formats import FORMATS
from documents.recommendation import render_recommendation
from review.decision import render_decision
from review.errors import NotDecided, NotFound, NotInScope
from review.scope import can_see
from review.users import User
from web.auth import signed_in

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# a document shown in the detail page's frame: no script, no form, framed by this site only
PREVIEW_HEADERS = {
    "content-security-policy": ("sandbox; default-src 'none'; style-src 'unsafe-inline'; "
                                "img-src data:; font-src data:; frame-ancestors 'self'"),
    "x-frame-options": "SAMEORIGIN",
}


def _send(data: bytes, fmt: str, stem: str) -> Response:
    headers = dict(PREVIEW_HEADERS) if fmt == "html" else {}
    disposition = "inline" if fmt == "html" else "attachment"
    headers["content-disposition"] = (f"{disposition}; filename=\"{stem}.{fmt}\"; "
                                      f"filename*=UTF-8''{quote(f'{stem}.{fmt}')}")
    return Response(data, media_type=MEDIA_TYPES[fmt], headers=headers)


async def _scoped(request: Request, user: User) -> tuple[str, str]:
    rec_id, fmt = request.path_params["rec_id"], request.path_params["fmt"]
    if fmt not in FORMATS:
        raise HTTPException(404)
    if not await run_in_threadpool(can_see, request.app.state.store, user, rec_id):
        raise HTTPException(404)
    return rec_id, fmt



@signed_in
async def recommendation_document(request: Request, user: User) -> Response:
    """The recommendation document (问责建议书)."""
    rec_id, fmt = await _scoped(request, user)
    state = request.app.state
    data = await run_in_threadpool(render_recommendation, state.store, rec_id, fmt, state.rulebook,
                                   state.config.templates_dir)
    return _send(data, fmt, rec_id)


@signed_in
async def decision_document(request: Request, user: User) -> Response:
    """The decision document (问责决定书), once approved; before that, not found."""
    rec_id, fmt = await _scoped(request, user)
    state = request.app.state
    try:
        data = await run_in_threadpool(render_decision, state.store, rec_id, fmt, state.rulebook,
                                       state.config.templates_dir, user=user)
    except (NotFound, NotInScope, NotDecided) as exc:
        raise HTTPException(404) from exc
    return _send(data, fmt, f"{rec_id}-decision")
