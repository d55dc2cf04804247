"""``wenze rules impact``: a rule change replayed over stored cases, before anything is written."""

from __future__ import annotations

import calendar
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import SQLModel

from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from facts.recommendation_tables import RecommendationRow
from facts.tables import AccountabilityRow
from tests.conftest import copy_county, load
from tests.engine_support import AS_OF, c2
from usecases.impact import as_of_dates, impact, impact_html, impact_of_folders

ROOT = Path(__file__).resolve().parent.parent


def lookback_36_months(folder: Path) -> Path:
    """The county folder with the look-back window moved from 24 to 36 months."""
    copy_county(folder)
    sanctions = folder / "sanctions.yaml"
    text = sanctions.read_text(encoding="utf-8")
    assert "\nlookback: 24m\n" in text
    sanctions.write_text(text.replace("\nlookback: 24m\n", "\nlookback: 36m\n"),
                         encoding="utf-8")
    return folder


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, or that month's last day when it has none."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def dump(store: Engine, whole: set[str] | None = None) -> dict[str, Any]:
    """Every row of every table (or of the tables in ``whole``; the others by count)."""
    found: dict[str, Any] = {}
    with store.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[table.name] = ([tuple(r) for r in rows] if whole is None or table.name in whole
                                 else len(rows))
    return found


def test_look_back_24_to_36_months_shows_exactly_which_demo_recommendations_change(
        demo_store: Engine, tmp_path: Path) -> None:
    before = dump(demo_store, {"recommendation", "evaluation_run", "document_number"})
    result = impact(demo_store, load_rulebook(), load_rulebook(lookback_36_months(tmp_path / "r")),
                    [AS_OF])
    assert dump(demo_store, {"recommendation", "evaluation_run", "document_number"}) == before
    # independently: stored recommendations of persons with an earlier accountability between
    # 36 and 24 months before the conduct, whose form can still go up
    table = RecommendationRow.__table__
    with demo_store.connect() as connection:
        priors: dict[str, list[date]] = {}
        for row in connection.execute(select(AccountabilityRow.__table__)):
            priors.setdefault(row.person, []).append(row.date)
        expected = {row.id for row in connection.execute(select(table))
                    if row.form != "removal" and any(
                        months_before(row.conduct_date, 36) <= day
                        < months_before(row.conduct_date, 24)
                        for day in priors.get(row.person, []))}
    assert expected, "the demo county has a case the longer window reaches"
    assert {c.id for c in result.cases} == expected
    ladder = load_rulebook().sanctions.ladder[0].value  # one ladder, in force always
    for case in result.cases:
        assert case.kind == "changed" and case.changed == ["forms"]
        assert case.before and case.after
        assert ladder.index(case.after.forms[0]) == ladder.index(case.before.forms[0]) + 1
        assert [r.side for r in case.reasons] == ["after"] and "36个月" in case.reasons[0].text
        assert case.as_of == [AS_OF] and case.decided is None
    assert result.dates[0].before == result.dates[0].after  # changed, none added or removed


def test_nothing_is_written_and_a_decided_recommendation_that_would_differ_is_named(
        store: Engine, tmp_path: Path) -> None:
    # the reminder chain (conduct: the due date 2026-07-10) and an admonition 30 months before
    facts = [*c2(), {"kind": "accountability", "id": "A1", "person": "P1", "date": "2024-01-10",
                     "form": "admonition"}]
    load(store, facts, tmp_path)
    evaluate(store, AS_OF)
    with store.begin() as connection:
        connection.execute(update(RecommendationRow.__table__).values(status="approved"))
    before = dump(store)
    new = load_rulebook(lookback_36_months(tmp_path / "r"))
    result = impact(store, load_rulebook(), new, as_of_dates(date(2026, 5, 25), AS_OF))
    assert dump(store) == before  # no run row, no recommendation, nothing else
    assert [d.as_of for d in result.dates] == [date(2026, m, 25) for m in range(5, 12)]
    (case,) = result.cases
    assert (case.kind, case.person, case.decided) == ("changed", "P1", "approved")
    assert case.before.forms == ["admonition"] and case.after.forms == ["circulated_criticism"]
    assert "A1" in case.reasons[0].text
    assert case.as_of == [date(2026, m, 25) for m in range(7, 12)]  # once the due date passed
    assert [c.id for c in result.decided] == [case.id]
    # the other way round, the same case, the other way
    (back,) = impact(store, new, load_rulebook(), [AS_OF]).cases
    assert back.before.forms == ["circulated_criticism"] and back.reasons[0].side == "before"
    html = impact_html(result)
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "已批准" in html and "通报批评" in html and "36个月" in html


def test_added_and_removed_cases_say_why(store: Engine, tmp_path: Path) -> None:
    load(store, c2(), tmp_path)
    new = copy_county(tmp_path / "r")
    rule = new / "circumstances" / "c2_reminder_ineffective.yaml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("effective: {from: 2016-03-01}",
                                 "effective: {from: 2016-03-01, to: 2016-12-31}"), encoding="utf-8")
    (case,) = impact(store, load_rulebook(), load_rulebook(new), [AS_OF]).cases
    assert (case.kind, case.person, case.after) == ("removed", "P1", None)
    (case,) = impact(store, load_rulebook(new), load_rulebook(), [AS_OF]).cases
    assert (case.kind, case.before) == ("added", None)
    # a condition changed in the same version number: matched apart, not mixed up
    other = copy_county(tmp_path / "r2")
    rule = other / "circumstances" / "c2_reminder_ineffective.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace(
        "due: {exists: true, before: as_of}", "due: {exists: true, before: as_of - 365d}"),
        encoding="utf-8")
    (case,) = impact(store, load_rulebook(), load_rulebook(other), [AS_OF]).cases
    assert (case.kind, case.person, case.before.rule) == ("removed", "P1", "c2-reminder-ineffective")


def test_against_a_git_revision_reads_its_rules_folder(sqlite_store: Engine, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    load(sqlite_store, [*c2(), {"kind": "accountability", "id": "A1", "person": "P1",
                                "date": "2024-01-10", "form": "admonition"}], tmp_path)
    repo = tmp_path / "county"
    copy_county(repo / "rules")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "rules"], check=True)
    subprocess.run([*git, "commit", "-qm", "county"], check=True)
    shutil.rmtree(repo / "rules")
    lookback_36_months(repo / "rules")  # the working copy: edited, not committed
    monkeypatch.chdir(repo)
    result = impact_of_folders(sqlite_store, repo / "rules", "HEAD", AS_OF, AS_OF)
    assert result.before_hash == load_rulebook().hash and result.before_source == "git HEAD:rules/"
    assert [c.kind for c in result.cases] == ["changed"]


def test_cli(demo_store: Engine, tmp_path: Path) -> None:
    url = demo_store.url.render_as_string(hide_password=False)
    new = lookback_36_months(tmp_path / "r")
    wenze = [sys.executable, "-m", "cli", "rules", "impact", "--rules", str(new), "--db", url,
             "--from", "2026-10-25", "--to", "2026-11-25"]
    done = subprocess.run([*wenze, "--json", "--html", str(tmp_path / "impact.html")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [d["as_of"] for d in data["dates"]] == ["2026-10-25", "2026-11-25"]
    assert data["cases"] and set(data["totals"]) == {"circumstance", "unit", "form"}
    assert "规则库修改对已有事项的影响分析" in (tmp_path / "impact.html").read_text(encoding="utf-8")
    text = subprocess.run(wenze, capture_output=True, text=True, cwd=ROOT)
    assert text.returncode == 0 and "[变化]" in text.stdout and "未写入任何数据" in text.stdout
    bad = subprocess.run([*wenze, "--against", "no-such-revision"], capture_output=True,
                         text=True, cwd=ROOT)
    assert bad.returncode == 64 and "no-such-revision" in bad.stderr
