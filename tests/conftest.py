"""Shared fixtures: real stores (SQLite files, PostgreSQL databases) and facts loaded through ingestion."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

import rules
from facts.ingest import IngestReport, ingest
from facts.store import open_store

# the demo county the incremental-run tests evaluate (its fixtures: exports, base_sqlite, ...)
pytest_plugins = ("tests.incremental_support",)

COUNTY = rules.FOLDER  # the bundled county folder


def copy_county(folder: Path) -> Path:
    """A writable copy of the bundled county folder, for tests that edit its files."""
    shutil.copytree(COUNTY, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return folder

PG_ADMIN_URL = os.environ.get("WENZE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def write_jsonl(path: Path, facts: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(f, ensure_ascii=False, default=str) + "\n" for f in facts),
                    encoding="utf-8")
    return path


def load(store: Engine, facts: list[dict[str, Any]], folder: Path, name: str = "facts.jsonl") -> IngestReport:
    """Load facts through the real ingestion path; fail the test on any bad row."""
    report = ingest(store, [write_jsonl(folder / name, facts)])
    assert not report.errors, [str(e) for e in report.errors]
    return report


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Engine]:
    store = open_store(f"sqlite:///{tmp_path}/wenze.db")
    yield store
    store.dispose()


@contextmanager
def pg_database_url(template: str | None = None) -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, without tables (or a copy of the database
    ``template``, which must have no open connection), dropped afterwards. Under CI=true an
    unreachable server fails the test."""
    name = f"wenze_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def pg_database(template: str | None = None) -> Iterator[Engine]:
    """A fresh PostgreSQL database (see ``pg_database_url``), opened as a store."""
    with pg_database_url(template) as url:
        store = open_store(url)
        try:
            yield store
        finally:
            store.dispose()


@pytest.fixture
def pg_store() -> Iterator[Engine]:
    """A fresh PostgreSQL database per test."""
    with pg_database() as store:
        yield store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Engine:
    """Each test using this runs on real SQLite and on real PostgreSQL."""
    return request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "pg_store")


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A small demo county (scale 0.05), ingested from its JSONL exports and evaluated once."""
    from datetime import date

    from engine.run.evaluate import evaluate
    from facts.demo import write_exports

    folder = tmp_path_factory.mktemp("demo")
    write_exports(folder / "exports", seed=7, scale=0.05, formats=("jsonl",))
    store = open_store(f"sqlite:///{folder}/demo.db")
    report = ingest(store, sorted((folder / "exports").glob("*.jsonl")))
    assert not report.errors
    evaluate(store, date(2026, 11, 25))
    return store
