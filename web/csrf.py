"""CSRF protection for every state-changing request, as middleware: it fails closed.

Any method but GET, HEAD and OPTIONS is refused (403) unless all of these hold:
- the request belongs to a live server-side session;
- it carries that session's token, in the ``X-CSRF-Token`` header or in the
  ``csrf_token`` field of a url-encoded form (the only body type our forms send);
- it does not come from another site (``Origin``, when sent, is this server;
  ``Sec-Fetch-Site``, when sent, is not ``cross-site``).

Nothing is exempt — no route can forget it, because routes never see a request that failed.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIELD = "csrf_token"
HEADER = "x-csrf-token"
FORM_TYPE = "application/x-www-form-urlencoded"


class Refused(Exception):
    def __init__(self, reason: str, status: int = 403):
        super().__init__(reason)
        self.status = status


class CSRFMiddleware:
    """Checks every unsafe request before any route sees it (see the module docstring)."""

    def __init__(self, app: ASGIApp, refuse: Callable[[Scope, Refused], Response],
                 max_body: int):
        self.app = app
        self.refuse = refuse
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._check(scope, receive)
        except Refused as refused:
            await self.refuse(scope, refused)(scope, receive, send)
            return
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, the request does not pass
            await self.refuse(scope, Refused(f"check failed: {type(exc).__name__}"))(
                scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _check(self, scope: Scope, receive: Receive) -> bytes:
        session = scope.get("session")
        if session is None:
            raise Refused("no session")
        headers = Headers(scope=scope)
        if headers.get("sec-fetch-site") == "cross-site":
            raise Refused("cross-site request")
        origin = headers.get("origin")
        if origin is not None and origin != _own_origin(scope, headers):
            raise Refused(f"foreign origin {origin!r}")
        body = await _read_body(receive, self.max_body)
        token = headers.get(HEADER)
        if token is None:
            media_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != FORM_TYPE:
                raise Refused("no token")
            values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FIELD, [])
            if len(values) != 1:
                raise Refused("no token")
            token = values[0]
        if not hmac.compare_digest(token.encode("utf-8"), session.csrf.encode("utf-8")):
            raise Refused("wrong token")
        return body


def _own_origin(scope: Scope, headers: Headers) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused("client went away", 400)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refused("body too large", 413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the route the body the check already read, then waits on the
    client as before (for its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
