"""The conditions of a rule clause, parsed from ``where:`` into terms both evaluators share.

Periods are counted as the Civil Code counts them (《民法典》第二百零一条、第二百零二条): a
period of N days, months or years from a day X starts the day after X and its last day is
included, so "within 365 days of X" includes X + 365d; for months and years the last day is
the corresponding day of the final month, or that month's last day when it has none
(01-31 + 1m is 02-28, or 02-29 in a leap year). ``Period.add_to`` is that count.

A term is either *literal* (a field against a value known before evaluation — pushed into
SQL, or checked in Python for ``attrs``) or a *join* (a field against a field of an earlier
clause's fact — evaluated by durable_rules, and independently by the reference evaluator).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

# operator words a policy officer writes -> comparison
OPERATORS = {
    "eq": "eq",
    "not": "ne",
    "in": "in",
    "not_in": "not_in",
    "gt": "gt",
    "gte": "ge",
    "lt": "lt",
    "lte": "le",
    "after": "gt",
    "on_or_after": "ge",
    "before": "lt",
    "on_or_before": "le",
    "same": "eq",
    "different": "ne",
    "size_at_least": "size_ge",
    "exists": "exists",
}
DATE_OPERATORS = {"after", "on_or_after", "before", "on_or_before"}

_REF = re.compile(r"^\s*([a-z][a-z0-9_]*)\.((?:attrs\.)?[A-Za-z_][A-Za-z0-9_]*)\s*"
                  r"(?:([+-])\s*(\d+)\s*([dmy]))?\s*$")
_AS_OF = re.compile(r"^\s*as_of\s*(?:([+-])\s*(\d+)\s*([dmy]))?\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^\s*(\d+)\s*([dmy])\s*$")
UNITS = {"d": "days", "m": "months", "y": "years"}


@dataclass(frozen=True)
class Period:
    """N days, months or years (``amount`` may be negative: counting back)."""

    amount: int
    unit: str = "d"  # d | m | y

    def add_to(self, day: date) -> date:
        """The last day of the period counted from ``day`` (《民法典》第二百零一、二百零二条)."""
        if self.unit == "d":
            return day + timedelta(days=self.amount)
        months = self.amount * (12 if self.unit == "y" else 1)
        year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
        last = calendar.monthrange(year, month + 1)[1]
        return date(year, month + 1, min(day.day, last))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def parse_period(text: Any) -> Period:
    """``365d``, ``12m``, ``2y`` (a positive whole number and d, m or y)."""
    match = _PERIOD.match(str(text)) if isinstance(text, str | int) else None
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"expected a period such as 365d, 12m or 2y, got {text!r}")
    return Period(int(match.group(1)), match.group(2))


def join_months_error(text: str) -> str:
    return (f"{text.strip()}: a month or year offset cannot be compared with another fact "
            f"(durable_rules compares dates as day numbers and can only add days inside a "
            f"join); write the offset in days, e.g. reminder.date + 60d, or compare with "
            f"as_of - 12m, which is counted before evaluation")


@dataclass(frozen=True)
class Ref:
    alias: str
    field: str
    offset_days: int = 0

    def __str__(self) -> str:
        if not self.offset_days:
            return f"{self.alias}.{self.field}"
        sign = "+" if self.offset_days > 0 else "-"
        return f"{self.alias}.{self.field} {sign} {abs(self.offset_days)}d"


@dataclass(frozen=True)
class AsOf:
    offset: Period = Period(0)

    def resolve(self, as_of: date) -> date:
        return self.offset.add_to(as_of)


@dataclass(frozen=True)
class Term:
    field: str  # a field of the clause's fact: "date", "attrs.level"
    op: str  # eq ne in not_in gt ge lt le size_ge exists
    value: Any = None  # literal value (resolved against as_of by ``resolved``)
    ref: Ref | None = None  # set for joins

    @property
    def is_join(self) -> bool:
        return self.ref is not None

    def resolved(self, as_of: date) -> Term:
        if isinstance(self.value, AsOf):
            return Term(self.field, self.op, self.value.resolve(as_of))
        return self


@lru_cache(maxsize=4096)
def parse_ref(text: str) -> Ref | None:
    """``alias.field [± Nd]``; None if ``text`` is not that. A month or year offset raises
    ValueError: a join is compared inside durable_rules, on day numbers. Read again for
    every match a finding is made of: each text is parsed once."""
    match = _REF.match(text)
    if not match:
        return None
    alias, field, sign, amount, unit = match.groups()
    if unit in ("m", "y"):
        raise ValueError(join_months_error(text))
    offset = int(amount or 0) * (-1 if sign == "-" else 1)
    return Ref(alias, field, offset)


def parse_operand(value: Any, *, date_op: bool) -> Any:
    """A value after an operator: ``alias.field [± Nd]``, ``as_of [± N d|m|y]``, a date, or a
    literal."""
    if isinstance(value, str):
        ref = parse_ref(value)
        if ref is not None:
            return ref
        match = _AS_OF.match(value)
        if match:
            sign, amount, unit = match.groups()
            return AsOf(Period(int(amount or 0) * (-1 if sign == "-" else 1), unit or "d"))
        if date_op or _DATE.match(value.strip()):
            if not _DATE.match(value.strip()):
                raise ValueError(
                    f"expected a date (YYYY-MM-DD), as_of [± Nd] (or as_of - 12m, as_of - 2y) "
                    f"or alias.field [± Nd], got {value!r}"
                )
            return date.fromisoformat(value.strip())
    return value


def parse_condition(field: str, spec: Any) -> list[Term]:
    """``where: {field: spec}`` to terms. Raises ValueError with a message for a policy officer."""
    if not isinstance(spec, dict):
        if isinstance(spec, list):
            return [Term(field, "in", tuple(spec))]
        operand = parse_operand(spec, date_op=False)
        if isinstance(operand, Ref):
            return [Term(field, "eq", ref=operand)]
        return [Term(field, "eq", operand)]
    terms = []
    for word, raw in spec.items():
        if word not in OPERATORS:
            raise ValueError(f"unknown operator {word!r}; use one of: {', '.join(OPERATORS)}")
        op = OPERATORS[word]
        if op in ("in", "not_in"):
            if not isinstance(raw, list) or not raw:
                raise ValueError(f"{word}: expected a list of values")
            terms.append(Term(field, op, tuple(raw)))
            continue
        if op == "exists":
            if not isinstance(raw, bool):
                raise ValueError("exists: expected true or false")
            terms.append(Term(field, op, raw))
            continue
        if op == "size_ge":
            if not isinstance(raw, int) or raw < 1:
                raise ValueError("size_at_least: expected a whole number of at least 1")
            terms.append(Term(field, op, raw))
            continue
        operand = parse_operand(raw, date_op=word in DATE_OPERATORS)
        if word in ("same", "different") and not isinstance(operand, Ref):
            raise ValueError(f"{word}: expected alias.field of an earlier fact, got {raw!r}")
        if isinstance(operand, Ref):
            terms.append(Term(field, op, ref=operand))
        else:
            terms.append(Term(field, op, operand))
    return terms
