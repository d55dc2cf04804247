"""The quarterly circulation (一季一通报): ledger compliance, ranking within category, decisions.

Compliance counts come from SQL aggregates over the quarter's ledger entries, each counted
once: 未填报 (status missing, whatever its verdict), and of the filed ones (done or partial)
合格 (verdict pass), 不合格 (fail) and 待核查 (not checked yet) — so they add up to 应填报.
The pass rate is over the checked entries (应填报 less 待核查): an entry not yet checked is
neither a pass nor a failure.

Ranking (分类排位) is dense: higher pass rate first; at the same rate fewer 未填报, then fewer
不合格; whoever is equal on all three shares the rank, and the next rank follows without a
gap. Persons are ranked within their category of the responsibility list; units are ranked
within their type (townships, county organs), each with the branches under it; the county
committee, whose members are ranked as persons, is not ranked as a unit. The text names the
persons at the top and bottom of a category only where a whole tie group fits in the number
named; a larger group is given as how many share the rank. Only approved decisions are
published; pending recommendations are not.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, case, func, select

from documents.contexts import QuarterlyContext, render
from documents.fonts import FontSet, find_fonts
from documents.formats import Format, from_html
from documents.quarterly_figures import (
    APPENDIX_TAIL,
    APPENDIX_WHOLE,
    CategoryRanking,
    Mention,
    Quarterly,
    Ranked,
    Tally,
    UnitRanking,
)
from engine.rulebook import Rulebook
from engine.rulebook.spec import DECIDED
from engine.run.read import list_recommendations
from engine.sanction.counties import Counties
from facts.tables import LedgerRow, PersonRow, UnitRow

RANKED_TYPES = ("township", "county_organ")  # units ranked, each type apart (分类)
TOP_TYPES = (*RANKED_TYPES, "county_committee")  # where a unit's tallies roll up to
NAMED_TOP = 3  # at most this many persons named at the top of a category
NAMED_BOTTOM = 5  # and at the bottom
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")


class BadQuarter(ValueError):
    pass


class WhichCounty(ValueError):
    """The store holds several counties, and the circulation is one county's."""


def last_quarter(day: date) -> str:
    """The last quarter that ended before ``day``, as 2026Q3."""
    number = (day.month - 1) // 3  # quarters wholly before this month's quarter
    return f"{day.year}Q{number}" if number else f"{day.year - 1}Q4"


def parse_quarter(text: str) -> tuple[int, int]:
    match = _QUARTER.match(text.strip())
    if not match:
        raise BadQuarter(f"expected a quarter like 2026Q3, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _tallies(engine: Engine, periods: list[str], units: list[str] | None,
             *group: Any) -> list[tuple[Any, ...]]:
    """Per group: 应填报, 合格, 不合格, 待核查, 未填报 — each entry in exactly one of the last four;
    of the persons of ``units`` only, if given."""
    ledger = LedgerRow.__table__.c
    person = PersonRow.__table__.c
    filed = ledger.status != "missing"

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (select(*group, func.count(), count(and_(filed, ledger.verdict == "pass")),
                    count(and_(filed, ledger.verdict == "fail")),
                    count(and_(filed, ledger.verdict.not_in(("pass", "fail")))),
                    count(ledger.status == "missing"))
             .select_from(LedgerRow.__table__.join(PersonRow.__table__, person.id == ledger.person))
             .where(ledger.period.in_(periods), *_among(person.unit, units)).group_by(*group))
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(query)]


def _tally(name: str, row: tuple[Any, ...]) -> Tally:
    return Tally(name, *(int(v or 0) for v in row[-5:]))


def dense_ranks(entries: Iterable[tuple[str, str, Tally]]) -> list[Ranked]:
    """(name, place, tally) ranked densely by ``Tally.order``; within a rank by place and name."""
    ordered = sorted(entries, key=lambda e: (e[2].order, e[1], e[0]))
    ranked: list[Ranked] = []
    for rank, (_, group) in enumerate(groupby(ordered, key=lambda e: e[2].order), 1):
        members = list(group)
        ranked += [Ranked(rank, len(members), name, place, t) for name, place, t in members]
    return ranked


def _groups(ranked: list[Ranked]) -> list[list[Ranked]]:
    return [list(g) for _, g in groupby(ranked, key=lambda r: r.rank)]


def _mention(groups: list[list[Ranked]], limit: int) -> Mention:
    named: list[Ranked] = []
    for group in groups:
        if len(named) + len(group) > limit:
            return Mention(named, None if named else group[0])
        named += group
    return Mention(named, None)


def _ends(ranked: list[Ranked]) -> tuple[Mention, Mention]:
    """Who is named at the top and at the bottom; never the same rank at both ends."""
    groups = _groups(ranked)
    if len(groups) < 2:
        return Mention([], None), Mention([], None)
    head = _mention(groups, NAMED_TOP)
    shown = {r.rank for r in head.named} | ({head.shared.rank} if head.shared else set())
    tail = _mention([g for g in reversed(groups) if g[0].rank not in shown], NAMED_BOTTOM)
    return head, tail


def _listed(ranked: list[Ranked]) -> list[Ranked]:
    if len(ranked) <= APPENDIX_WHOLE:
        return ranked
    listed: list[Ranked] = []
    for group in reversed(_groups(ranked)):
        if len(listed) >= APPENDIX_TAIL:
            break
        listed = group + listed
    return listed


def _months(end: date, count: int) -> list[date]:
    """The first day of each of ``count`` months up to ``end``'s."""
    months = []
    year, month = end.year, end.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _among(column: Any, units: list[str] | None) -> list[Any]:
    return [] if units is None else [column.in_(units)]


def county_units(engine: Engine, county: str | None) -> list[str] | None:
    """The units of the county a circulation is about: all of them (None) in a store of one
    county; in a store of several, those of ``county`` (its county committee's id)."""
    counties = Counties.load(engine)
    if len(counties.units) <= 1:
        return None
    if county not in counties.units:
        named = sorted(c for c in counties.units if c)
        shown = "、".join(named[:5]) + ("……" if len(named) > 5 else "")
        raise WhichCounty(f"the store holds {len(named)} counties ({shown}); name one with "
                          f"--county" if county is None else
                          f"no county {county} in the store: {shown}")
    return counties.units[county]


def quarterly_data(engine: Engine, quarter: str, rulebook: Rulebook,
                   county: str | None = None) -> Quarterly:
    """The circulation's figures; a county's own (``county_units``), so a store holding a
    province is circulated county by county, one county's ranks in memory at a time."""
    year, number = parse_quarter(quarter)
    start = date(year, 3 * number - 2, 1)
    end = (date(year + (number == 4), (3 * number) % 12 + 1, 1)) - timedelta(days=1)
    periods = [m.strftime("%Y-%m") for m in _months(end, 3)]
    ledger = LedgerRow.__table__.c
    person = PersonRow.__table__.c
    labels = rulebook.labels

    within = county_units(engine, county)
    with engine.connect() as connection:
        units = {r.id: r for r in connection.execute(select(UnitRow.__table__).where(
            *_among(UnitRow.__table__.c.id, within)))}
        persons = {r.id: r for r in connection.execute(
            select(person.id, person.name, person.unit, person.category, person.attrs).where(
                *_among(person.unit, within)))}
    top = _top(units)

    overall = Tally(rulebook.county.name)
    by_unit: dict[str, Tally] = {}
    for row in _tallies(engine, periods, within, person.unit):
        unit_id = top(row[0])
        tally = _tally(units[unit_id].name if unit_id in units else unit_id, row)
        by_unit.setdefault(unit_id, Tally(tally.name)).add(tally)
        overall.add(tally)
    unit_rankings = []
    for code in RANKED_TYPES:
        ours = [(t.name, "", t) for u, t in by_unit.items() if u in units and units[u].type == code]
        tally = Tally(labels.unit_type.get(code, code))
        for _, _, t in ours:
            tally.add(t)
        unit_rankings.append(UnitRanking(code, tally.name, tally, dense_ranks(ours)))
    leaders = Tally(rulebook.county.name)
    for unit_id, t in by_unit.items():
        if unit_id in units and units[unit_id].type == "county_committee":
            leaders.add(t)

    def place(person_id: str, category_label: str) -> str:
        """A person's unit; for a member of the county committee, the post held (attrs.post,
        else the category, which names the post: 县委书记, 县委副书记, ...)."""
        row = persons.get(person_id)
        if row is None:
            return ""
        unit = units.get(row.unit)
        if unit is not None and top(unit.id) in units and units[top(unit.id)].type == "county_committee":
            return str((row.attrs or {}).get("post") or category_label)
        return unit.name if unit is not None else row.unit

    per_person: dict[str | None, list[tuple[str, Tally]]] = {}
    for row in _tallies(engine, periods, within, person.category, ledger.person):
        per_person.setdefault(row[0], []).append((row[1], _tally(row[1], row)))
    categories = []
    for entry in rulebook.responsibility.categories:
        people = per_person.get(entry.code, [])
        tally = Tally(entry.label)
        for _, t in people:
            tally.add(t)
        ranked = dense_ranks((persons[p].name if p in persons else p, place(p, entry.label), t)
                             for p, t in people)
        head, tail = _ends(ranked)
        categories.append(CategoryRanking(entry.code, entry.label, tally, ranked, head, tail,
                                          _listed(ranked)))
    months = _months(end, 12)
    trend_rows = {r[0]: _tally(r[0], r) for r in _tallies(
        engine, [m.strftime("%Y-%m") for m in months], within, ledger.period)}
    trend = [(m, trend_rows.get(m.strftime("%Y-%m"), Tally(m.strftime("%Y-%m")))) for m in months]
    # decided ones only, with the forms decided (an amended approval's own forms)
    decisions = sorted(({**r, "forms": r["decided_forms"] or r["forms"]}
                        for status in DECIDED
                        for r in list_recommendations(engine, status=status, conducted=(start, end))
                        if within is None or r["unit"] in units),
                       key=lambda r: (r["conduct_date"], r["id"]))
    return Quarterly(year, number, start, end, overall, categories, unit_rankings, leaders, trend,
                     decisions)


def _top(units: dict[str, Any]) -> Callable[[str], str]:
    """A unit -> the township, county organ or county committee it is under (itself if one)."""
    def top(unit_id: str) -> str:
        seen = set()
        while unit_id in units and units[unit_id].type not in TOP_TYPES and units[unit_id].parent \
                and unit_id not in seen:
            seen.add(unit_id)
            unit_id = units[unit_id].parent
        return unit_id

    return top


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=200, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _floor(values: list[float], step: float = 2.0) -> float:
    """Where a percentage axis starts so that differences show: a little under the lowest
    value, on a multiple of ``step``; 0 when the values spread widely."""
    low = min(values, default=0.0)
    start = step * int((low - step) // step)
    return 0.0 if start < 50 else start


def _month(day: date) -> str:
    return f"{day.year}年{day.month}月"


def draw_charts(data: Quarterly, fonts: FontSet, labels: Any) -> dict[str, str]:
    """Compliance by category (bars, the county's rate dashed) and the monthly trend (lines),
    as PNG data URIs. Each percentage axis starts just under its lowest value (the axis says
    where), so that 88% and 100% look different; the series are named with the county's
    labels (labels.yaml)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt
    from matplotlib.ticker import PercentFormatter

    path = fonts.files[fonts.heading]
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    passed, failed = labels.verdict["pass"], labels.verdict["fail"]
    missing = labels.ledger_status["missing"]
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False, "font.size": 10}):
        shown = [c for c in data.categories if c.tally.total]
        rates = [100 * c.tally.pass_rate for c in shown]
        fig, ax = plt.subplots(figsize=(6.2, 0.2 * len(shown) + 0.6))
        low = _floor(rates + [100 * data.overall.pass_rate])
        ax.barh([c.label for c in shown][::-1], [r - low for r in rates][::-1], left=low,
                color="#b22222")
        ax.set_xlim(low, 100.5)
        ax.axvline(100 * data.overall.pass_rate, color="#1f4e79", linestyle="--", linewidth=0.8)
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
        for i, rate in enumerate(rates[::-1]):
            ax.text(rate + 0.1, i, f"{rate:.1f}%", va="center", fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        by_category = _png(fig)
        plt.close(fig)

        months = [_month(m) for m, _ in data.trend]
        checked = [t.checked for _, t in data.trend]
        fig, (upper, lower) = plt.subplots(2, 1, figsize=(6.2, 3.6), sharex=True,
                                           gridspec_kw={"height_ratios": [3, 2]})
        pass_rates = [100 * t.pass_rate for _, t in data.trend if t.checked]
        upper.plot([m for m, n in zip(months, checked, strict=True) if n], pass_rates,
                   marker="o", markersize=3, color="#1f4e79", label=passed)
        upper.set_ylim(_floor(pass_rates, 1.0), 100.5)
        upper.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        upper.legend(loc="lower left", frameon=False, fontsize=8)
        for name, values, color in (
                (failed, [100 * t.failed / t.checked if t.checked else 0 for _, t in data.trend], "#b22222"),
                (missing, [100 * t.missing / t.checked if t.checked else 0 for _, t in data.trend], "#888888")):
            lower.plot(months, values, marker="o", markersize=3, color=color, label=name)
        highest = max((100 * (t.failed + t.missing) / t.checked for _, t in data.trend if t.checked),
                      default=1.0)
        lower.set_ylim(0, 1.6 * highest)  # room above the lines for the legend
        lower.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        lower.legend(loc="upper left", frameon=False, fontsize=8, ncols=2)
        for axis in (upper, lower):
            axis.spines[["top", "right"]].set_visible(False)
            axis.grid(axis="y", color="#dddddd", linewidth=0.5)
        lower.tick_params(axis="x", labelsize=7, labelrotation=45)
        for tick in lower.get_xticklabels():
            tick.set_horizontalalignment("right")
        trend = _png(fig)
        plt.close(fig)
    return {"by_category": by_category, "trend": trend}


def render_quarterly(engine: Engine, quarter: str, fmt: Format, rulebook: Rulebook,
                     templates_dir: Path | None = None, issued: date | None = None,
                     county: str | None = None) -> bytes:
    """The circulation for a quarter as html, pdf or docx (of ``county``: ``quarterly_data``)."""
    data = quarterly_data(engine, quarter, rulebook, county)
    fonts = find_fonts()
    data.charts = draw_charts(data, fonts, rulebook.labels)
    ctx = QuarterlyContext(
        fonts=fonts, q=data, issued=issued or date.today(),
        issuer=rulebook.county.documents.circulation_issuer, top=NAMED_TOP, bottom=NAMED_BOTTOM,
        labels=rulebook.labels.forms, status_labels=rulebook.labels.recommendation_status)
    return from_html(render(ctx, templates_dir), fmt)
