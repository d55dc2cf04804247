"""What an operator may set for the web application; the defaults suit one county office."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SecureCookies = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class WebConfig:
    # "auto": the session cookie is Secure when the request came over https (directly, or
    # through a proxy uvicorn trusts with X-Forwarded-Proto); "always" behind a proxy that
    # does not say; "never" only for plain-http testing.
    secure_cookies: SecureCookies = "auto"
    session_idle_s: int = 30 * 60  # signed out after half an hour without a request
    session_max_s: int = 10 * 60 * 60  # and after a working day, whatever happens
    anonymous_session_s: int = 15 * 60  # a login page's session, before anyone signs in
    max_sessions: int = 10_000  # the oldest anonymous sessions go first beyond this
    # login throttling: failures counted in a sliding window, per account and per address
    login_window_s: int = 15 * 60
    login_failures_per_name: int = 5
    login_failures_per_address: int = 20
    max_form_bytes: int = 256 * 1024  # a decision form is a few KB; more is refused (413)
    per_page: int = 50
    rules_dir: Path | None = None
    templates_dir: Path | None = None
