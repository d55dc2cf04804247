"""A drop folder as the operator meets it: what has settled is loaded and moved to done/ or
rejected/ with its report; what is still being written (.part, dotfiles, just modified) is
left alone; the order files arrive in does not matter; taking the same export again is a no-op."""

from __future__ import annotations

import os
import time
from pathlib import Path

from click.testing import CliRunner

import cli
from facts.store import counts
from tests.conftest import write_jsonl
from tests.test_ingest import PERSONS, UNITS, ledger


def _settled(*paths: Path) -> None:
    """As if written ten minutes ago."""
    old = time.time() - 600
    for path in paths:
        os.utime(path, (old, old))


def _drop(store, folder: Path, *args: str):
    return CliRunner().invoke(cli.main, ["ingest", "--drop", str(folder), *args, "--db", str(store.url)])


def test_settled_files_are_loaded_or_rejected_and_the_rest_waits(store, tmp_path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    roster = write_jsonl(drop / "roster.jsonl", UNITS + PERSONS)
    good = write_jsonl(drop / "ledger-03.jsonl", [ledger(1), ledger(2)])
    bad = write_jsonl(drop / "ledger-04.jsonl", [ledger(3), ledger(4, verdict="maybe")])
    part = write_jsonl(drop / "ledger-05.jsonl.part", [ledger(5)])
    hidden = write_jsonl(drop / ".ledger-06.jsonl", [ledger(6)])
    _settled(roster, good, bad, part, hidden)
    fresh = write_jsonl(drop / "ledger-07.jsonl", [ledger(7)])  # the exporter is still at it

    result = _drop(store, drop)

    assert result.exit_code == cli.EXIT_BAD_INPUT, result.output
    assert "Traceback" not in result.output
    assert counts(store)["ledger"] == 2 and counts(store)["person"] == len(PERSONS)
    done = sorted(p.name.split("-", 2)[2] for p in (drop / "done").iterdir())  # after the stamp
    assert done == ["ledger-03.jsonl", "ledger-03.jsonl.report.txt", "roster.jsonl",
                    "roster.jsonl.report.txt"]
    [report] = (drop / "rejected").glob("*-ledger-04.jsonl.report.txt")
    text = report.read_text(encoding="utf-8")
    assert "ledger-04.jsonl:2: verdict: Input should be 'pass', 'fail' or 'pending'" in text
    assert "nothing of this file was loaded" in text
    assert (report.parent / report.name.removesuffix(".report.txt")).is_file()
    assert sorted(p.name for p in drop.iterdir() if p.is_file() and not p.name.endswith(".lock")) == \
        [".ledger-06.jsonl", "ledger-05.jsonl.part", "ledger-07.jsonl"]
    assert "waiting   ledger-07.jsonl" in result.output

    _settled(fresh)
    again = _drop(store, drop)
    assert again.exit_code == 0, again.output
    assert counts(store)["ledger"] == 3


def test_a_ledger_dropped_before_its_roster_loads_and_the_same_export_again_is_a_no_op(
        store, tmp_path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    ledgers = write_jsonl(drop / "a-export.jsonl", [ledger(1), ledger(2)])  # older, taken first
    roster = write_jsonl(drop / "b-export.jsonl", UNITS + PERSONS)
    _settled(ledgers)
    os.utime(roster, (time.time() - 300, time.time() - 300))
    result = _drop(store, drop, "--settle", "60")
    assert result.exit_code == 0, result.output
    assert counts(store)["ledger"] == 2
    assert not (drop / "rejected").exists()

    write_jsonl(drop / "a-export.jsonl", [ledger(1), ledger(2)])
    _settled(drop / "a-export.jsonl")
    result = _drop(store, drop)
    assert result.exit_code == 0, result.output
    reports = [" ".join(p.read_text(encoding="utf-8").split())
               for p in (drop / "done").glob("*a-export.jsonl.report.txt")]
    assert len(reports) == 2 and any("ledger 0 new 2 unchanged" in r for r in reports)


def test_skip_bad_loads_the_good_rows_and_keeps_the_rejects_beside_the_file(sqlite_store, tmp_path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    _settled(write_jsonl(drop / "county.jsonl", UNITS + PERSONS + [ledger(1), ledger(2, person="NOBODY")]))
    result = _drop(sqlite_store, drop, "--skip-bad")
    assert result.exit_code == 0, result.output
    [rejects] = (drop / "done").glob("*-county.jsonl.rejects.jsonl")
    assert '"line": 6' in rejects.read_text(encoding="utf-8")
    assert counts(sqlite_store)["ledger"] == 1


def test_drop_and_files_together_is_a_usage_error(sqlite_store, tmp_path) -> None:
    path = write_jsonl(tmp_path / "roster.jsonl", UNITS)
    result = CliRunner().invoke(cli.main, ["ingest", str(path), "--drop", str(tmp_path),
                                           "--db", str(sqlite_store.url)])
    assert result.exit_code == cli.EXIT_USAGE
    assert CliRunner().invoke(cli.main, ["ingest", "--db", str(sqlite_store.url)]).exit_code == cli.EXIT_USAGE


def test_nightly_takes_the_drop_folder_first_and_a_rejected_file_exits_1_after_the_run(
        sqlite_store, tmp_path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    _settled(write_jsonl(drop / "ledger.jsonl", [ledger(1, person="NOBODY")]))
    result = CliRunner().invoke(cli.main, ["nightly", "--drop", str(drop), "--as-of", "2026-11-25",
                                           "--out", str(tmp_path / "out"), "--db", str(sqlite_store.url)])
    assert result.exit_code == cli.EXIT_BAD_INPUT, result.output
    assert "1 dropped files rejected" in result.output and "评估日期 2026-11-25" in result.output
    assert len(list((drop / "rejected").glob("*ledger.jsonl.report.txt"))) == 1
