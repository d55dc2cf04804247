"""The store schema is versioned: older stores upgrade in place, nothing is lost, new stores match the models."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text
from sqlmodel import Session, SQLModel

import cli
from facts import migrate
from facts.errors import StoreVersionError
from facts.recommendation_tables import DocumentNumber, EvaluationRun, RecommendationRow
from facts.store import connect, open_store
from facts.tables import PersonRow
from tests.conftest import pg_database_url

DATA = Path(__file__).parent / "data"
# What tests/data/store-v0.*.sql holds, table by table.
V0_COUNTS = {
    "unit": 3, "person": 9, "post": 5, "ledger": 1, "inspection": 1, "reminder": 1,
    "rectification": 1, "violation": 1, "disunity": 0, "evaluation": 0, "proposal": 0,
    "accountability": 0, "fact_version": 0, "ingest_batch": 1, "recommendation": 3,
    "evaluation_run": 1, "document_number": 1,
}


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no tables). Under CI=true an unreachable server fails."""
    with pg_database_url() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a store that does not exist yet (SQLite file) or has no tables (PostgreSQL)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/wenze.db"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def v0_url(empty_url: str) -> str:
    """A store at the schema before migrations, with its facts, recommendations and numbers."""
    if empty_url.startswith("sqlite"):
        with sqlite3.connect(empty_url.removeprefix("sqlite:///")) as connection:
            connection.executescript((DATA / "store-v0.sqlite.sql").read_text(encoding="utf-8"))
        connection.close()
    else:
        conninfo = empty_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo) as connection:
            connection.execute((DATA / "store-v0.postgresql.sql").read_text(encoding="utf-8"))
    return empty_url


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but alembic_version, as stored, in primary-key order."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        rows = {
            name: [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
            for name, table in metadata.tables.items() if name != migrate.VERSION_TABLE
        }
    engine.dispose()
    return rows


def as_before(rows: dict[str, list[tuple[Any, ...]]], before: dict[str, list[tuple[Any, ...]]]
              ) -> dict[str, list[tuple[Any, ...]]]:
    """``rows`` cut to the columns ``before`` had: later revisions add columns at the end."""
    width = {name: len(table[0]) for name, table in before.items() if table}
    return {name: [row[:width[name]] if name in width else row for row in table]
            for name, table in rows.items() if name in before}


# Columns later revisions add to the v0 tables, with the value each v0 row gets.
ADDED_VALUES = {
    "reminder": {"basis": None},
    "violation": {"case_closed": None, "source": None, "verified": True},
}


def version_rows(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_v0_store_upgrades_in_place_and_keeps_everything(v0_url: str) -> None:
    before = snapshot(v0_url)
    assert {name: len(rows) for name, rows in before.items()} == V0_COUNTS
    assert migrate.current(connect(v0_url)) is None

    store = open_store(v0_url)
    assert version_rows(store) == [migrate.head()]
    after = snapshot(v0_url)
    assert as_before(after, before) == before
    assert set(after) >= set(before)
    assert schema_differences(store) == []
    with store.connect() as connection:
        for name, added in ADDED_VALUES.items():
            rows = connection.execute(text(f"SELECT {', '.join(added)} FROM {name}")).all()
            assert rows and all(dict(zip(added, row, strict=True)) == added for row in rows)

    # The product reads the old rows as it wrote them.
    with Session(store) as session:
        recommendations = {r.id: r for r in session.exec(select(RecommendationRow)).scalars()}
        assert sorted(recommendations) == ["R0226F433E0BF665", "R5C77D08DBBB602D", "R6E10B33169A9C4E"]
        coal = recommendations["R0226F433E0BF665"]
        assert (coal.person, coal.person_name, coal.unit, coal.circumstance, coal.form) == (
            "P-DIS", "李纪明", "U-COAL", 3, "circulated_criticism")
        assert coal.run_id == 1 and coal.status == "pending"
        assert isinstance(coal.explanation, dict) and coal.explanation
        assert all(":" in evidence for evidence in coal.evidence)
        assert isinstance(coal.created, datetime) and coal.created.utcoffset() is not None
        (number,) = session.exec(select(DocumentNumber)).scalars()
        assert (number.recommendation_id, number.year, number.seq, number.prefix) == (
            "R0226F433E0BF665", 2026, 1, "县纪建")
        (run,) = session.exec(select(EvaluationRun)).scalars()
        assert (run.id, run.as_of, run.status) == (1, date(2026, 11, 25), "committed")
        assert run.rulebook_hash == coal.rulebook_hash
        assert session.get(PersonRow, "P-DIS").name == "李纪明"

    # Opening or upgrading again changes nothing.
    assert migrate.upgrade(store) == (migrate.head(), migrate.head())
    store.dispose()
    open_store(v0_url).dispose()
    assert snapshot(v0_url) == after
    assert version_rows(connect(v0_url)) == [migrate.head()]


def test_new_store_is_built_by_the_migrations_and_matches_the_models(empty_url: str) -> None:
    store = open_store(empty_url)
    assert version_rows(store) == [migrate.head()]
    # A table or column changed in facts/ without a revision fails here.
    assert schema_differences(store) == []
    store.dispose()


def ledger_indexes(engine: Engine) -> dict[str, list[str]]:
    return {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("ledger")}


def test_the_ledger_keeps_one_index_by_person_upgraded_or_new(v0_url: str, tmp_path: Path) -> None:
    """0008 drops ix_ledger_person: (person, period) serves the lookups by person; 0009 drops
    the indexes by verdict and by task, which serve no query and slow every ingest; 0012 the
    index by period, which made the quarterly circulation of one county read every county's."""
    dropped = ("ix_ledger_person", "ix_ledger_verdict", "ix_ledger_task", "ix_ledger_period")
    assert set(dropped) <= set(ledger_indexes(connect(v0_url)))
    upgraded = open_store(v0_url)
    fresh = open_store(f"sqlite:///{tmp_path}/fresh.db")
    assert not set(dropped) & set(ledger_indexes(upgraded))
    assert ledger_indexes(upgraded)["ix_ledger_person_period"] == ["person", "period"]
    assert ledger_indexes(upgraded) == ledger_indexes(fresh)
    upgraded.dispose()
    fresh.dispose()


def test_the_migration_chain_is_linear_and_read_without_alembic() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_heads() == [migrate.head()]
    assert {s.revision: s.down_revision for s in scripts.walk_revisions()} == migrate.revisions()
    assert migrate.revisions()[migrate.BASELINE] is None


def test_an_up_to_date_store_opens_without_alembic(tmp_path: Path) -> None:
    """Opening a store at head is one query: Alembic is not imported for it."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/wenze.db"
    open_store(url).dispose()
    code = ("import sys; from facts.store import open_store; open_store(sys.argv[1]).dispose(); "
            "assert 'alembic' not in sys.modules, 'alembic imported'")
    subprocess.run([sys.executable, "-c", code, url], check=True,
                   cwd=Path(__file__).parent.parent, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})


def test_a_store_from_a_newer_wenze_is_refused(v0_url: str) -> None:
    open_store(v0_url).dispose()
    engine = connect(v0_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe9999'"))
    engine.dispose()
    with pytest.raises(StoreVersionError, match="f00dcafe9999"):
        open_store(v0_url)
    result = CliRunner().invoke(cli.main, ["facts", "stats", "--db", v0_url])
    assert result.exit_code == cli.EXIT_STORE
    assert "f00dcafe9999" in result.output
    result = CliRunner().invoke(cli.main, ["db", "current", "--db", v0_url])
    assert result.exit_code == 0 and "f00dcafe9999 (unknown to this wenze" in result.output


def test_db_current_and_upgrade_commands(v0_url: str) -> None:
    head = migrate.head()
    runner = CliRunner()
    result = runner.invoke(cli.main, ["db", "current", "--db", v0_url])
    assert result.exit_code == 0, result.output
    assert result.output == f"none (not at head {head}: wenze db upgrade)\n"

    result = runner.invoke(cli.main, ["db", "upgrade", "--db", v0_url])
    assert result.exit_code == 0, result.output
    assert result.output == f"before: none\nafter:  {head}\n"

    result = runner.invoke(cli.main, ["db", "current"], env={"WENZE_DB": v0_url})
    assert result.output == f"{head} (head)\n"
    result = runner.invoke(cli.main, ["db", "upgrade", "--db", v0_url])
    assert result.output == f"before: {head}\nafter:  {head}\n"
    # the v0 tables keep their rows; tables later revisions add start empty, but for the audit
    # log's head, which exists from the start (count 0)
    counts = {n: len(r) for n, r in snapshot(v0_url).items()}
    assert {n: c for n, c in counts.items() if n in V0_COUNTS} == V0_COUNTS
    assert {n: c for n, c in counts.items() if n not in V0_COUNTS and c} == {"audit_head": 1}


def test_db_current_does_not_create_a_sqlite_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["db", "current", "--db", f"sqlite:///{tmp_path}/no.db"])
    assert result.exit_code == 0 and result.output.startswith("none (not at head")
    assert not (tmp_path / "no.db").exists()


def _open_and_report(barrier: Any, results: Any, url: str) -> None:
    try:
        barrier.wait(timeout=60)
        engine = open_store(url)
        results.put(("ok", version_rows(engine)))
        engine.dispose()
    except BaseException as exc:  # noqa: BLE001
        results.put(("error", repr(exc)))


@pytest.mark.parametrize("kind", ["empty", "v0"])
def test_processes_opening_one_store_at_once_migrate_it_once(
        kind: str, empty_url: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("v0_url") if kind == "v0" else empty_url
    before = snapshot(url) if kind == "v0" else None
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(3), context.Queue()
    workers = [context.Process(target=_open_and_report, args=(barrier, results, url))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes == [("ok", [migrate.head()])] * 3
    if before is not None:
        assert as_before(snapshot(url), before) == before
