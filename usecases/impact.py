"""``wenze rules impact``: what a rule change would do to every stored case, before it goes live.

The stored facts are replayed under the rulebook in force (``--against``: a folder, or the
``rules/`` folder of a git revision) and the edited one, at each as-of date of a range
(monthly, ending on the last run's date), with the same code a run uses — and nothing is
written: no run row, no recommendation, no document number (``engine.run.replay``). The
cases that differ are reported once each, with their dates, and the decided ones
(approved, amended, rejected) whose outcome the change would alter are named.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from documents.contexts import ImpactContext, render
from documents.environment import environment
from documents.fonts import find_fonts
from engine.rulebook import Rulebook, load_rulebook
from engine.rulebook.terms import Period
from engine.run.compare import Impact
from engine.run.read import list_recommendations
from engine.run.replay import replay
from usecases.explain import last_run
from usecases.terminal import literal

MONTHLY = Period(1, "m")


class BadRevision(ValueError):
    """``--against`` is neither a folder nor a git revision with a ``rules/`` folder."""


def rules_at_revision(revision: str, into: Path, repository: Path | None = None) -> Path:
    """The ``rules/`` folder of a git revision, written under ``into`` (``git archive``)."""
    where = repository or Path.cwd()
    top = subprocess.run(["git", "-C", str(where), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True)
    if top.returncode != 0:
        raise BadRevision(f"{revision!r} is not a folder, and {where} is not in a git repository")
    archive = subprocess.run(["git", "-C", top.stdout.strip(), "archive", "--format=tar",
                              revision, "rules"], capture_output=True)
    if archive.returncode != 0:
        raise BadRevision(f"{revision!r} is not a folder, nor a git revision with a rules/ "
                          f"folder: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "rules"


def as_of_dates(start: date, end: date, every: Period = MONTHLY) -> list[date]:
    """``end`` and every ``every`` before it down to ``start``, oldest first (each counted
    from ``end``, so 31 May steps to 30 April and 31 March)."""
    dates = []
    n = 0
    while (day := Period(-every.amount * n, every.unit).add_to(end)) >= start:
        dates.append(day)
        n += 1
    return dates[::-1]


def default_range(engine: Engine) -> tuple[date, date]:
    """Twelve monthly dates ending on the last run's as-of date (or today)."""
    run = last_run(engine)
    end = run[1] if run else date.today()
    return Period(-11, "m").add_to(end), end


def impact(engine: Engine, before: Rulebook, after: Rulebook, dates: list[date],
           sources: tuple[str, str] = ("", ""),
           progress: Callable[[date], None] | None = None) -> Impact:
    """Both rulebooks replayed on each date; every case that differs. Writes nothing."""
    clock = time.perf_counter()
    result = Impact(before.hash, after.hash, sources[0], sources[1], dates[0], dates[-1])
    for day in dates:
        old, new = replay(engine, [before, after], day)
        result.add(old, new)
        if progress:
            progress(day)
    result.mark_decided(list_recommendations(engine))
    result.seconds = round(time.perf_counter() - clock, 2)
    return result


def impact_of_folders(engine: Engine, new_dir: Path, against: str | None,
                      start: date | None, end: date | None, every: Period = MONTHLY,
                      progress: Callable[[date], None] | None = None) -> Impact:
    """``wenze rules impact``: the edited folder against a folder, a git revision's
    ``rules/`` or (by default) the bundled county folder. Raises ``RulebookError`` when
    either has errors, ``BadRevision`` when ``against`` cannot be read."""
    default_start, default_end = default_range(engine)
    start, end = start or default_start, end or default_end
    if start > end:
        raise BadRevision(f"--from {start} is after --to {end}")
    with tempfile.TemporaryDirectory(prefix="wenze-against-") as tmp:
        if against is None:
            old_dir, label = None, "rules/"
        elif Path(against).is_dir():
            old_dir, label = Path(against), against
        else:
            old_dir, label = rules_at_revision(against, Path(tmp)), f"git {against}:rules/"
        before = load_rulebook(old_dir)
        after = load_rulebook(new_dir)
    return impact(engine, before, after, as_of_dates(start, end, every), (label, str(new_dir)),
                  progress)


def impact_json(result: Impact) -> str:
    data: dict[str, Any] = asdict(result)
    data["totals"] = {by: {k: dict(v) for k, v in result.totals(by).items()}
                      for by in ("circumstance", "unit", "form")}
    data["decided"] = [c.id for c in result.decided]
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)


def impact_html(result: Impact, templates_dir: Path | None = None) -> str:
    """The one-page report for a policy meeting (``templates/impact.html``)."""
    totals = {by: result.totals(by) for by in ("circumstance", "unit", "form")}
    return render(ImpactContext(fonts=find_fonts(), r=result, totals=totals,
                                generated=date.today()), templates_dir)


def format_impact(result: Impact, limit: int = 200, templates_dir: Path | None = None) -> str:
    """The impact as plain Chinese text (``templates/impact.txt``), at most ``limit`` cases."""
    text = environment(templates_dir).get_template("impact.txt").render(r=result, limit=limit)
    return literal(text)
