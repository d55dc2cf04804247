"""Documents by URL, scoped as pages are: out of scope is not found (404), never the file.

The HTML form is the preview the detail page frames; PDF and DOCX are downloads named after
the recommendation. Every read goes through ``review.decision.render_for``, which checks scope.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from documents.formats import FORMATS
from review.decision import render_for
from review.errors import NotDecided, NotFound, NotInScope
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


# the URL's name of each document -> review's
DOCUMENTS = {"document": "recommendation", "decision": "decision"}


@signed_in
async def download(request: Request, user: User) -> Response:
    """The recommendation document (问责建议书, ``document.FMT``) or, once approved, the
    decision document (问责决定书, ``decision.FMT``); out of scope or not yet decided: 404."""
    rec_id, name, fmt = (request.path_params[k] for k in ("rec_id", "document", "fmt"))
    if name not in DOCUMENTS or fmt not in FORMATS:
        raise HTTPException(404)
    state = request.app.state
    try:
        data = await run_in_threadpool(render_for, state.store, user, rec_id, DOCUMENTS[name], fmt,
                                       state.rulebook, state.config.templates_dir)
    except (NotFound, NotInScope, NotDecided) as exc:
        raise HTTPException(404) from exc
    return _send(data, fmt, rec_id if name == "document" else f"{rec_id}-decision")
