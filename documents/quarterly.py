"""The quarterly circulation (一季一通报): ledger compliance, ranking within category, recommendations.

Compliance counts come from SQL aggregates over the quarter's ledger filings: *filed*
(status done or partial), *passed* (verdict pass), *failed* (verdict fail) and *missing*
(status missing). Units are rolled up to their township or county organ.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, case, func, select

from documents.contexts import QuarterlyContext, render
from documents.fonts import FontSet, find_fonts
from documents.formats import Format, from_html
from engine.rulebook import Rulebook
from engine.run.read import list_recommendations
from facts.tables import LedgerRow, PersonRow, UnitRow

TOP_TYPES = ("township", "county_organ", "county_committee")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")


class BadQuarter(ValueError):
    pass


@dataclass
class Tally:
    name: str
    total: int = 0
    filed: int = 0
    passed: int = 0
    failed: int = 0
    missing: int = 0

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def add(self, other: Tally) -> None:
        self.total += other.total
        self.filed += other.filed
        self.passed += other.passed
        self.failed += other.failed
        self.missing += other.missing


@dataclass
class CategoryRanking:
    code: str
    label: str
    tally: Tally
    ranked: list[tuple[int, str, str, Tally]]  # (rank, person name, unit name, tally)


@dataclass
class Quarterly:
    year: int
    quarter: int
    start: date
    end: date
    overall: Tally
    categories: list[CategoryRanking]
    units: list[Tally]  # townships and county organs, best pass rate first
    trend: list[tuple[str, Tally]]  # the twelve months up to the quarter's end
    recommendations: list[dict[str, Any]]
    charts: dict[str, str] = field(default_factory=dict)  # name -> data: URI of a PNG

    @property
    def label(self) -> str:
        return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度"


def parse_quarter(text: str) -> tuple[int, int]:
    match = _QUARTER.match(text.strip())
    if not match:
        raise BadQuarter(f"expected a quarter like 2026Q3, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _periods(year: int, first_month: int, count: int) -> list[str]:
    return [f"{year + (first_month - 1 + i) // 12}-{(first_month - 1 + i) % 12 + 1:02d}"
            for i in range(count)]


def _tallies(engine: Engine, periods: list[str], *group: Any) -> list[tuple[Any, ...]]:
    ledger = LedgerRow.__table__.c
    person = PersonRow.__table__.c

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = (select(*group, func.count(), count(ledger.status.in_(("done", "partial"))),
                    count(ledger.verdict == "pass"), count(ledger.verdict == "fail"),
                    count(ledger.status == "missing"))
             .select_from(LedgerRow.__table__.join(PersonRow.__table__, person.id == ledger.person))
             .where(ledger.period.in_(periods)).group_by(*group))
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(query)]


def _tally(name: str, row: tuple[Any, ...]) -> Tally:
    return Tally(name, *(int(v or 0) for v in row[-5:]))


def quarterly_data(engine: Engine, quarter: str, rulebook: Rulebook) -> Quarterly:
    year, number = parse_quarter(quarter)
    start = date(year, 3 * number - 2, 1)
    end = (date(year + (number == 4), (3 * number) % 12 + 1, 1)) - timedelta(days=1)
    periods = _periods(year, 3 * number - 2, 3)
    ledger = LedgerRow.__table__.c
    person = PersonRow.__table__.c
    responsibility = rulebook.responsibility

    with engine.connect() as connection:
        units = {r.id: r for r in connection.execute(select(UnitRow.__table__))}
        names = {r.id: (r.name, r.unit) for r in connection.execute(
            select(person.id, person.name, person.unit))}

    def top(unit_id: str) -> str:
        seen = set()
        while unit_id in units and units[unit_id].type not in TOP_TYPES and units[unit_id].parent \
                and unit_id not in seen:
            seen.add(unit_id)
            unit_id = units[unit_id].parent
        return unit_id

    overall = Tally(rulebook.county.name)
    by_unit: dict[str, Tally] = {}
    for row in _tallies(engine, periods, person.unit):
        unit_id = top(row[0])
        tally = _tally(units[unit_id].name if unit_id in units else unit_id, row)
        by_unit.setdefault(unit_id, Tally(tally.name)).add(tally)
        overall.add(tally)
    per_person: dict[str | None, list[tuple[str, Tally]]] = {}
    for row in _tallies(engine, periods, person.category, ledger.person):
        per_person.setdefault(row[0], []).append((row[1], _tally(row[1], row)))
    categories = []
    for entry in responsibility.categories:
        people = sorted(per_person.get(entry.code, []),
                        key=lambda p: (-p[1].pass_rate, p[1].failed + p[1].missing, p[0]))
        tally = Tally(entry.label)
        for _, t in people:
            tally.add(t)
        ranked = []
        for i, (person_id, t) in enumerate(people):
            # equal results share a rank (分类排位)
            rank = i + 1 if i == 0 or (t.pass_rate, t.failed + t.missing) != \
                (people[i - 1][1].pass_rate, people[i - 1][1].failed + people[i - 1][1].missing) \
                else ranked[-1][0]
            name, unit_id = names.get(person_id, (person_id, ""))
            unit_name = units[unit_id].name if unit_id in units else unit_id
            ranked.append((rank, name, unit_name, t))
        categories.append(CategoryRanking(entry.code, entry.label, tally, ranked))
    months = _periods(end.year - (end.month < 12), end.month % 12 + 1, 12)
    trend_rows = {r[0]: _tally(r[0], r) for r in _tallies(engine, months, ledger.period)}
    trend = [(m, trend_rows.get(m, Tally(m))) for m in months]
    recommendations = [r for r in list_recommendations(engine)
                       if start.isoformat() <= r["conduct_date"] <= end.isoformat()]
    return Quarterly(year, number, start, end, overall, categories,
                     sorted(by_unit.values(), key=lambda t: (-t.pass_rate, t.name)), trend,
                     recommendations)


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=200, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def draw_charts(data: Quarterly, fonts: FontSet) -> dict[str, str]:
    """Compliance by category (bars) and the monthly trend (lines), as PNG data URIs."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    path = fonts.files[fonts.heading]
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False, "font.size": 10}):
        shown = [c for c in data.categories if c.tally.total]
        fig, ax = plt.subplots(figsize=(6.2, 0.32 * len(shown) + 1))
        ax.barh([c.label for c in shown][::-1], [100 * c.tally.pass_rate for c in shown][::-1],
                color="#b22222")
        ax.set_xlabel("台账核查合格率（%）")
        ax.set_xlim(0, 100)
        for i, c in enumerate(shown[::-1]):
            ax.text(100 * c.tally.pass_rate + 0.5, i, f"{100 * c.tally.pass_rate:.1f}", va="center",
                    fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        by_category = _png(fig)
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(6.2, 2.6))
        months = [m[2:].replace("-", ".") for m, _ in data.trend]
        for label, values, color in (
                ("合格率", [100 * t.pass_rate for _, t in data.trend], "#1f4e79"),
                ("不合格率", [100 * t.failed / t.total if t.total else 0 for _, t in data.trend], "#b22222"),
                ("未填报率", [100 * t.missing / t.total if t.total else 0 for _, t in data.trend], "#999999")):
            ax.plot(months, values, marker="o", markersize=3, label=label, color=color)
        ax.set_ylabel("%")
        ax.legend(loc="center right", frameon=False, fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=7)
        trend = _png(fig)
        plt.close(fig)
    return {"by_category": by_category, "trend": trend}


def render_quarterly(engine: Engine, quarter: str, fmt: Format, rulebook: Rulebook,
                     templates_dir: Path | None = None, issued: date | None = None) -> bytes:
    """The circulation for a quarter as html, pdf or docx."""
    data = quarterly_data(engine, quarter, rulebook)
    fonts = find_fonts()
    data.charts = draw_charts(data, fonts)
    ctx = QuarterlyContext(
        fonts=fonts, q=data, issued=issued or date.today(),
        issuer=rulebook.county.documents.circulation_issuer, top=3, bottom=5,
        labels=rulebook.labels.forms, status_labels=rulebook.labels.recommendation_status)
    return from_html(render(ctx, templates_dir), fmt)
