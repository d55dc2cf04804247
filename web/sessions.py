"""Server-side sessions: the browser holds only a random id in an HttpOnly, SameSite cookie.

The session itself (who signed in, the CSRF token, when) stays in this process, so signing
out or an expiry ends it for certain, and nothing a browser sends can change it. A server
restart signs everyone out, which a county office running one process accepts.

Every visitor gets a session before signing in (the login form needs a CSRF token too);
signing in replaces it with a new one (no session fixation), signing out deletes it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.config import WebConfig

COOKIE = "wenze_session"


@dataclass
class Session:
    id: str
    csrf: str
    user: str | None  # the signed-in user's name; None before signing in
    created: float
    seen: float
    data: dict[str, str] = field(default_factory=dict)  # one-shot notices between pages


class SessionStore:
    """Sessions by id, thread-safe (sync endpoints run in a thread pool), bounded in number."""

    def __init__(self, config: WebConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def new(self, user: str | None = None) -> Session:
        now = self.clock()
        session = Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32),
                          user=user, created=now, seen=now)
        with self._lock:
            self._sessions[session.id] = session
            self._evict()
        return session

    def get(self, session_id: str) -> Session | None:
        """The live session of that id, its idle clock restarted; None if unknown or expired."""
        now = self.clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[session_id]
                return None
            session.seen = now
            self._sessions.move_to_end(session_id)
            return session

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def _expired(self, session: Session, now: float) -> bool:
        c = self.config
        if session.user is None:
            return now - session.created > c.anonymous_session_s
        return now - session.seen > c.session_idle_s or now - session.created > c.session_max_s

    def _evict(self) -> None:
        """Beyond the limit, drop expired sessions, then the least recently used anonymous
        ones; a signed-in user is never pushed out by someone fetching the login page."""
        if len(self._sessions) <= self.config.max_sessions:
            return
        now = self.clock()
        for sid in [s.id for s in self._sessions.values() if self._expired(s, now)]:
            del self._sessions[sid]
        anonymous = (s.id for s in list(self._sessions.values()) if s.user is None)
        while len(self._sessions) > self.config.max_sessions:
            sid = next(anonymous, None)
            if sid is None:
                break
            del self._sessions[sid]


def session_of(request: Request) -> Session | None:
    return request.scope.get("session")


def ensure_session(request: Request) -> Session:
    """The visitor's session, started now if they have none (the cookie goes with the response)."""
    session = session_of(request)
    if session is None:
        session = request.app.state.sessions.new()
        request.scope["session"] = session
        request.scope["session_cookie"] = session.id
    return session


def sign_in(request: Request, user: str) -> Session:
    """Replace the visitor's session with a new one for ``user`` (new id, new CSRF token)."""
    store: SessionStore = request.app.state.sessions
    old = session_of(request)
    if old is not None:
        store.delete(old.id)
    session = store.new(user)
    request.scope["session"] = session
    request.scope["session_cookie"] = session.id
    return session


def sign_out(request: Request) -> None:
    session = session_of(request)
    if session is not None:
        request.app.state.sessions.delete(session.id)
    request.scope["session"] = None
    request.scope["session_cookie"] = ""


def is_https(scope: Scope) -> bool:
    return scope.get("scheme") == "https"


class SessionMiddleware:
    """Finds the request's session from its cookie; writes the cookie when a page changed it."""

    def __init__(self, app: ASGIApp, store: SessionStore):
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["session"] = None
        cookie = SimpleCookie()
        for name, value in scope["headers"]:
            if name == b"cookie":
                try:
                    cookie.load(value.decode("latin-1"))
                except Exception:  # noqa: BLE001 - a malformed cookie header means no session
                    cookie = SimpleCookie()
        if COOKIE in cookie:
            scope["session"] = self.store.get(cookie[COOKIE].value)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and "session_cookie" in scope:
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", self._cookie(scope, scope["session_cookie"]))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, scope: Scope, value: str) -> str:
        mode = self.store.config.secure_cookies
        secure = mode == "always" or (mode == "auto" and is_https(scope))
        parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if not value:
            parts.append("Max-Age=0")
        if secure:
            parts.append("Secure")
        return "; ".join(parts)
