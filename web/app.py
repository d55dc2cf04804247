"""The review application: middleware, routes and error pages, over one opened store.

Middleware, outermost first: security headers on every response; the server-side session
from its cookie; CSRF, which refuses every state-changing request without the session's
token before any route sees it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from documents.fonts import find_fonts
from engine.rulebook import load_rulebook
from web import auth, detail, downloads, queue
from web.config import WebConfig
from web.contexts import ErrorContext
from web.csrf import CSRFMiddleware, Refused
from web.headers import SecurityHeaders
from web.render import Pages
from web.sessions import SessionMiddleware, SessionStore
from web.throttle import LoginThrottle

_CODES = {403: "forbidden", 404: "not_found", 413: "too_large"}


def _error(request_or_scope: Request | Scope, status: int, code: str, pages: Pages,
           fonts: object) -> Response:
    scope = request_or_scope.scope if isinstance(request_or_scope, Request) else request_or_scope
    if scope["path"].startswith("/api/"):
        return JSONResponse({"error": code}, status_code=status)
    session = scope.get("session")
    ctx = ErrorContext(fonts=fonts, user=None, role_label="", unit_names=(),
                       csrf=session.csrf if session else "", notice=None, status=status, code=code)
    return pages.response(ctx, status)


def create_app(store: Engine, config: WebConfig | None = None,
               clock: Callable[[], float] = time.monotonic) -> Starlette:
    """The application for one store; ``clock`` drives session expiry and login throttling."""
    config = config or WebConfig()
    pages = Pages(config.templates_dir)
    fonts = find_fonts()
    sessions = SessionStore(config, clock)

    def refuse(scope: Scope, refused: Refused) -> Response:
        code = "too_large" if refused.status == 413 else "csrf"
        return _error(scope, refused.status, code, pages, fonts)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return _error(request, status, _CODES.get(status, "server_error"), pages, fonts)

    async def home(_request: Request) -> Response:
        return RedirectResponse("/queue", status_code=303)

    routes = [
        Route("/", home),
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/queue", queue.queue_page),
        Route("/api/recommendations", queue.queue_api),
        Route("/api/recommendations/{rec_id}", detail.detail_api),
        Route("/recommendations/{rec_id}", detail.detail_page),
        Route("/recommendations/{rec_id}/{action}", detail.act, methods=["POST"]),
        Route("/recommendations/{rec_id}/document.{fmt}", downloads.recommendation_document),
        Route("/recommendations/{rec_id}/decision.{fmt}", downloads.decision_document),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SessionMiddleware, store=sessions),
            Middleware(CSRFMiddleware, refuse=refuse, max_body=config.max_form_bytes),
        ],
        exception_handlers={HTTPException: http_error, Exception: http_error},
    )
    app.state.store = store
    app.state.config = config
    app.state.rulebook = load_rulebook(config.rules_dir)
    app.state.pages = pages
    app.state.fonts = fonts
    app.state.sessions = sessions
    app.state.throttle = LoginThrottle(config, clock)
    return app
