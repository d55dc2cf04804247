"""``--executor dask``: the durable_rules batches as tasks on a Dask cluster of several worker
processes, against a shared PostgreSQL store, commit what the local run commits."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

import cli
from engine.run.evaluate import evaluate
from engine.run.read import list_runs
from facts.demo import write_exports
from facts.ingest import ingest
from facts.recommendation_tables import RecommendationRow

distributed = pytest.importorskip("distributed")

AS_OF = date(2026, 11, 25)


def _recommendations(store: Engine) -> list[dict]:
    table = RecommendationRow.__table__
    with store.connect() as connection:
        return [dict(r) for r in connection.execute(
            select(table.c.id, table.c.status, table.c.form, table.c.evidence,
                   table.c.explanation).order_by(table.c.id)).mappings()]


@pytest.mark.postgres
def test_dask_run_equals_the_local_run(pg_store: Engine, tmp_path: Path) -> None:
    write_exports(tmp_path / "exports", seed=5, scale=0.02, formats=("jsonl",))
    assert not ingest(pg_store, sorted((tmp_path / "exports").glob("*.jsonl"))).errors
    local = evaluate(pg_store, AS_OF)
    assert local.counts["recommendations"] > 0
    before = _recommendations(pg_store)
    url = pg_store.url.render_as_string(hide_password=False)
    with distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = CliRunner().invoke(cli.main, [
            "evaluate", "--as-of", AS_OF.isoformat(), "--full", "--executor", "dask",
            "--scheduler", cluster.scheduler_address, "--db", url])
        assert result.exit_code == 0, result.output
        workers = len(cluster.scheduler_info["workers"])
    assert workers == 3
    run = list_runs(pg_store, 1)[0]
    assert run["state"]["full"] == "asked for a full run"
    # the same recommendations, none new, changed or withdrawn
    assert run["counts"]["unchanged"] == run["counts"]["recommendations"] == \
        local.counts["recommendations"]
    assert _recommendations(pg_store) == before
    assert run["set_aside"] == local.set_aside


def test_scheduler_needs_the_dask_executor(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, [
        "evaluate", "--scheduler", "tcp://127.0.0.1:8786", "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 64, result.output
    assert "--scheduler goes with --executor dask" in result.output
