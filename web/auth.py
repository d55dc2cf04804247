"""Signing in and out, and who the request is from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from review.users import User, authenticate, get_user
from web.contexts import LoginContext
from web.layout import layout
from web.sessions import ensure_session, session_of, sign_in, sign_out

Handler = Callable[..., Awaitable[Response]]


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else (another site, ``//host``,
    ``/\\host``) is the queue."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return "/queue"
    return target


async def current_user(request: Request) -> User | None:
    """The signed-in user, read afresh (a removed account or changed units take effect at once)."""
    session = session_of(request)
    if session is None or session.user is None:
        return None
    user = await run_in_threadpool(get_user, request.app.state.store, session.user)
    if user is None:
        sign_out(request)
    return user


def signed_in(handler: Handler) -> Handler:
    """Pages and API calls need a signed-in user: pages send the browser to the login page
    (and back afterwards), the API answers 401."""

    @wraps(handler)
    async def wrapper(request: Request, **kwargs: Any) -> Response:
        user = await current_user(request)
        if user is None:
            if request.url.path.startswith("/api/"):
                return JSONResponse({"error": "not signed in"}, status_code=401)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return await handler(request, user, **kwargs)

    return wrapper


async def login_page(request: Request) -> Response:
    if await current_user(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    session = ensure_session(request)
    notice = "signed_out" if "signed_out" in request.query_params else None
    return _login(request, session.csrf, notice=notice)


async def login(request: Request) -> Response:
    form = await request.form()
    name = str(form.get("name", ""))[:64]
    password = str(form.get("password", ""))[:1024]
    target = safe_next(str(form.get("next", "")))
    address = request.client.host if request.client else "-"
    throttle = request.app.state.throttle
    wait = throttle.retry_after(name, address)
    if wait:
        return _login(request, session_of(request).csrf, name=name, target=target,
                      error="throttled", retry_after=wait, status=429)
    user = await run_in_threadpool(authenticate, request.app.state.store, name, password)
    if user is None:
        throttle.failed(name, address)
        return _login(request, session_of(request).csrf, name=name, target=target,
                      error="bad_login", status=401)
    throttle.succeeded(name)
    sign_in(request, user.name)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    sign_out(request)
    return RedirectResponse("/login?signed_out", status_code=303)


def _login(request: Request, csrf: str, *, name: str = "", target: str | None = None,
           error: str | None = None, retry_after: int = 0, notice: str | None = None,
           status: int = 200) -> Response:
    ctx = LoginContext(**layout(request, None, csrf, notice), name=name,
                       next=target or safe_next(request.query_params.get("next")),
                       error=error, retry_after=retry_after)
    return request.app.state.pages.response(ctx, status)
