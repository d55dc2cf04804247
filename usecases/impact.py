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


# ---- what the terminal prints (Chinese, for policy staff) ----

_KIND = {"added": "新增", "removed": "不再建议", "changed": "变化"}
_FIELD = {"forms": "问责方式", "responsibility": "责任", "degree": "责任程度", "proposer": "提议",
          "route": "处理途径"}


def format_impact(result: Impact, limit: int = 200) -> str:
    out = [f"规则库 {result.before_hash[:12]}（{result.before_source}）→ "
           f"{result.after_hash[:12]}（{result.after_source}）",
           f"评估日期 {result.start} 至 {result.end}，共 {len(result.dates)} 个；用时 {result.seconds} 秒；"
           "未写入任何数据"]
    for point in result.dates:
        out.append(f"  {point.as_of}：{point.before} → {point.after} 条（新增 {point.added}，"
                   f"不再建议 {point.removed}，变化 {point.changed}）")
    kinds = {k: sum(c.kind == k for c in result.cases) for k in _KIND}
    out.append(f"涉及 {len(result.cases)} 件：" + "，".join(f"{_KIND[k]} {n}" for k, n in kinds.items()))
    for case in result.cases[:limit]:
        b, a = case.before, case.after
        what = ("、".join(_FIELD[f] for f in case.changed) or "同一事项，编号不同") \
            if case.kind == "changed" else ""
        out.append(f"[{_KIND[case.kind]}] {case.id} {case.person_name}（{case.person}）"
                   f"{case.unit_name} 情形{case.circumstance} 行为日期 {case.conduct_date}"
                   + (f"　{what}" if what else ""))
        if b:
            out.append(f"    原：{'＋'.join(b.form_labels)}，{b.degree_label}，{b.proposer_label}"
                       f"（{b.rule} 第{b.rule_version}版）")
        if a:
            out.append(f"    新：{'＋'.join(a.form_labels)}，{a.degree_label}，{a.proposer_label}"
                       f"（{a.rule} 第{a.rule_version}版）")
        for reason in case.reasons:
            out.append(f"    {'新规则' if reason.side == 'after' else '原规则'}：{reason.text}")
        if case.decided:
            out.append(f"    已决定（{case.decided}）的问责建议 {case.stored_id} 将不同")
        out.append(f"    评估日期：{'、'.join(map(str, case.as_of))}")
    if len(result.cases) > limit:
        out.append(f"……另有 {len(result.cases) - limit} 件（--json 或 --html 查看全部）")
    for by, title in (("circumstance", "按问责情形"), ("unit", "按单位"), ("form", "按问责方式")):
        out.append(f"{title}：")
        for key, counts in list(result.totals(by).items())[:15]:
            out.append(f"  {key}：" + "，".join(f"{_KIND[k]} {n}" for k, n in counts.items()))
    decided = result.decided
    out.append(f"已决定的问责建议将不同：{len(decided)} 件"
               + (f"（{'、'.join(c.stored_id or c.id for c in decided)}）" if decided else ""))
    return literal("\n".join(out))
