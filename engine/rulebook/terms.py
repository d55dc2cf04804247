"""The conditions of a rule clause, parsed from ``where:`` into terms both evaluators share.

A term is either *literal* (a field against a value known before evaluation — pushed into
SQL, or checked in Python for ``attrs``) or a *join* (a field against a field of an earlier
clause's fact — evaluated by durable_rules, and independently by the reference evaluator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
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

_REF = re.compile(r"^\s*([a-z][a-z0-9_]*)\.((?:attrs\.)?[A-Za-z_][A-Za-z0-9_]*)\s*(?:([+-])\s*(\d+)\s*d)?\s*$")
_AS_OF = re.compile(r"^\s*as_of\s*(?:([+-])\s*(\d+)\s*d)?\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    offset_days: int = 0

    def resolve(self, as_of: date) -> date:
        return as_of + timedelta(days=self.offset_days)


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


def parse_ref(text: str) -> Ref | None:
    match = _REF.match(text)
    if not match:
        return None
    alias, field, sign, days = match.groups()
    offset = int(days or 0) * (-1 if sign == "-" else 1)
    return Ref(alias, field, offset)


def parse_operand(value: Any, *, date_op: bool) -> Any:
    """A value after an operator: ``alias.field [± Nd]``, ``as_of [± Nd]``, a date, or a literal."""
    if isinstance(value, str):
        ref = parse_ref(value)
        if ref is not None:
            return ref
        match = _AS_OF.match(value)
        if match:
            sign, days = match.groups()
            return AsOf(int(days or 0) * (-1 if sign == "-" else 1))
        if date_op or _DATE.match(value.strip()):
            if not _DATE.match(value.strip()):
                raise ValueError(
                    f"expected a date (YYYY-MM-DD), as_of [± Nd] or alias.field [± Nd], got {value!r}"
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
