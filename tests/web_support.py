"""A county for the review application's tests: two bureaus under the county committee, each
with its case, and an account of every role; the application served on 127.0.0.1 for Chromium.

The coal bureau's case is the worked case of the county (张建国, its party secretary); the
water bureau's violation description carries markup, which every page must show as text.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine
from starlette.testclient import TestClient

from engine.run.evaluate import evaluate
from review.users import add_user
from tests.conftest import load

AS_OF = date(2026, 11, 25)
PASSWORD = "correct horse 12"
MARKUP = '<script>alert("x")</script><img src=x onerror="alert(1)">打牌'

FACTS = [
    {"kind": "unit", "id": "U-COUNTY", "name": "中共溆浦县委员会", "type": "county_committee"},
    {"kind": "unit", "id": "U-DISC", "name": "县纪委监委", "type": "county_organ", "parent": "U-COUNTY"},
    {"kind": "unit", "id": "U-COAL", "name": "县煤炭局", "type": "county_organ", "parent": "U-COUNTY"},
    {"kind": "unit", "id": "U-WATER", "name": "县水利局", "type": "county_organ", "parent": "U-COUNTY"},
    {"kind": "person", "id": "P-SEC", "name": "张建国", "unit": "U-COAL", "category": "organ_secretary"},
    {"kind": "person", "id": "P-DIS", "name": "李纪明", "unit": "U-COAL",
     "category": "grassroots_committee_member"},
    {"kind": "person", "id": "S1", "name": "王一", "unit": "U-COAL"},
    {"kind": "person", "id": "S2", "name": "王二", "unit": "U-COAL"},
    {"kind": "person", "id": "S3", "name": "王三", "unit": "U-COAL"},
    {"kind": "post", "id": "PO-SEC", "person": "P-SEC", "unit": "U-COAL", "role": "secretary",
     "start": "2025-07-01"},
    {"kind": "post", "id": "PO-DIS", "person": "P-DIS", "unit": "U-COAL", "role": "discipline_secretary",
     "start": "2021-01-01"},
    {"kind": "violation", "id": "V-GAMBLE", "unit": "U-COAL", "actors": ["S1", "S2", "S3"],
     "date": "2026-02-26", "category": "work_discipline", "severity": "serious", "case_filed": False,
     "description": "工作时间在办公室打牌赌博"},
    {"kind": "person", "id": "P-W1", "name": "陈水生", "unit": "U-WATER", "category": "organ_secretary"},
    {"kind": "person", "id": "P-W2", "name": "吴纪委", "unit": "U-WATER"},
    {"kind": "person", "id": "W-S1", "name": "周某", "unit": "U-WATER"},
    {"kind": "post", "id": "PO-W1", "person": "P-W1", "unit": "U-WATER", "role": "secretary",
     "start": "2020-01-01"},
    {"kind": "post", "id": "PO-W2", "person": "P-W2", "unit": "U-WATER", "role": "discipline_secretary",
     "start": "2020-01-01"},
    {"kind": "violation", "id": "V-WATER", "unit": "U-WATER", "actors": ["W-S1"], "date": "2026-06-10",
     "category": "corruption", "severity": "serious", "case_filed": False, "description": MARKUP},
]

# name -> (role, units, home): the commission's two leaders see the whole county; each
# bureau's reviewer sees only their bureau
USERS = {
    "coal": ("reviewer", ["U-COAL"], "U-DISC"),
    "water": ("reviewer", ["U-WATER"], "U-DISC"),
    "lead1": ("approver", ["U-COUNTY"], "U-DISC"),
    "lead2": ("approver", ["U-COUNTY"], "U-DISC"),
    "policy": ("policy", ["U-COUNTY"], "U-DISC"),
    "admin": ("admin", ["U-COUNTY"], "U-DISC"),
    "insider": ("approver", ["U-COUNTY"], "U-COAL"),  # sees the county, works in the coal bureau
}


def build_county(store: Engine, folder: Path) -> Engine:
    """Load the facts, evaluate them and add the accounts; the store is returned."""
    load(store, FACTS, folder, "county.jsonl")
    evaluate(store, AS_OF)
    for name, (role, units, home) in USERS.items():
        add_user(store, name, role, units, PASSWORD, home=home)
    return store


def chromium_path() -> str:
    """Debian's chromium (``make system-deps`` installs it); without it the browser tests skip,
    except under CI=true, where they fail."""
    path = os.environ.get("WENZE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium is required under CI=true (apt-get install chromium): {path}")
        pytest.skip(f"chromium not installed at {path}")
    return path


@contextmanager
def served(app: object) -> Iterator[str]:
    """The application under uvicorn on a free port of 127.0.0.1, in a thread; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_SEEN = re.compile(r'name="seen" value="([^"]+)"')


class Client:
    """A browser as the HTTP tests need it: cookies, and the hidden fields of the last page seen
    (the CSRF token; ``seen``, the version of the recommendation the page showed)."""

    def __init__(self, app: Any, *, https: bool = False):
        self.http = TestClient(app, base_url=f"{'https' if https else 'http'}://testserver")
        self.csrf = ""
        self.seen = ""

    def _seen(self, response: Any) -> Any:
        found = _TOKEN.search(response.text) if "html" in response.headers.get("content-type", "") else None
        if found:
            self.csrf = html.unescape(found.group(1))
            seen = _SEEN.search(response.text)
            self.seen = seen.group(1) if seen else ""
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self._seen(self.http.get(path, **kw))

    def post(self, path: str, data: Any = None, *, token: bool = True, **kw: Any) -> Any:
        data = dict(data or {})
        if token:
            data.setdefault("csrf_token", self.csrf)
        if self.seen and path.startswith("/recommendations/"):
            data.setdefault("seen", self.seen)
        return self._seen(self.http.post(path, data=data, **kw))

    def login(self, name: str, password: str = PASSWORD) -> Any:
        self.get("/login")
        return self.post("/login", {"name": name, "password": password, "next": "/queue"})


def client(app: Any, name: str | None = None, **kw: Any) -> Client:
    c = Client(app, **kw)
    if name:
        assert c.login(name).url.path == "/queue"
    return c


@contextmanager
def cheap_passwords() -> Iterator[None]:
    """argon2 at its cheapest while a test module builds accounts and signs in dozens of
    times (the real parameters cost most of a second per hash on this machine); the
    application verifies whatever parameters a stored hash names, so nothing else changes."""
    from argon2 import PasswordHasher, profiles

    import review.users

    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(review.users, "_HASHER", cheap)
        patch.setattr(review.users, "_DUMMY", cheap.hash("not a password of anyone"))
        yield
