"""The figures of the quarterly circulation (一季一通报): tallies, ranks and the quarter as a
whole; what ``documents.quarterly`` computes and ``quarterly.html`` reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

# a category of more persons lists in the appendix its bottom ranks, down from at least this
# many persons; its full ranking is each township's and organ's own circulation (level by level)
APPENDIX_WHOLE = 60
APPENDIX_TAIL = 30


@dataclass
class Tally:
    name: str
    total: int = 0  # 应填报
    passed: int = 0  # 合格
    failed: int = 0  # 不合格
    pending: int = 0  # 待核查: filed, not checked yet
    missing: int = 0  # 未填报

    @property
    def filed(self) -> int:
        return self.total - self.missing

    @property
    def checked(self) -> int:
        return self.total - self.pending

    @property
    def pass_rate(self) -> float:
        return self.passed / self.checked if self.checked else 0.0

    @property
    def order(self) -> tuple[Fraction, int, int]:
        """What ranks: pass rate (exact), then fewer 未填报, then fewer 不合格."""
        rate = Fraction(self.passed, self.checked) if self.checked else Fraction(0)
        return (-rate, self.missing, self.failed)

    def add(self, other: Tally) -> None:
        self.total += other.total
        self.passed += other.passed
        self.failed += other.failed
        self.pending += other.pending
        self.missing += other.missing


@dataclass
class Ranked:
    rank: int  # dense: 1, 1, 2, ...
    tied: int  # how many share the rank (1: nobody else)
    name: str  # a person's name, or a unit's
    place: str  # a person's unit, or for county leaders their post; empty for a unit
    tally: Tally


@dataclass
class Mention:
    """Who the text names at one end of a ranking: whole tie groups that fit in the number
    named; ``shared`` is the first group that did not fit, told as a count instead."""

    named: list[Ranked]
    shared: Ranked | None  # a member of the group too large to name (its rank, tied, rate)


@dataclass
class CategoryRanking:
    code: str
    label: str
    tally: Tally
    ranked: list[Ranked]
    head: Mention
    tail: Mention
    listed: list[Ranked]  # what the appendix lists: everyone, or the bottom ranks

    @property
    def whole(self) -> bool:
        return len(self.listed) == len(self.ranked)


@dataclass
class UnitRanking:
    code: str  # township | county_organ
    label: str  # the unit type's name (labels.yaml unit_type)
    tally: Tally
    ranked: list[Ranked]


@dataclass
class Quarterly:
    year: int
    quarter: int
    start: date
    end: date
    overall: Tally
    categories: list[CategoryRanking]
    units: list[UnitRanking]  # townships, then county organs, each ranked apart
    leaders: Tally  # the county committee's own members (not ranked as a unit)
    trend: list[tuple[date, Tally]]  # the twelve months up to the quarter's end
    decisions: list[dict[str, Any]]  # approved recommendations on conduct in the quarter
    charts: dict[str, str] = field(default_factory=dict)  # name -> data: URI of a PNG
    appendix_whole: int = APPENDIX_WHOLE  # a category of up to this many is listed whole
    appendix_tail: int = APPENDIX_TAIL  # a larger one lists at least this many at the bottom

    @property
    def label(self) -> str:
        return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度"
