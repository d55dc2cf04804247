"""Literal terms evaluated in Python: a fact's field against a value known before evaluation.

SQL semantics are kept on purpose: a missing value satisfies no comparison (as NULL
satisfies none in SQL), only ``exists: false``.
"""

from __future__ import annotations

import operator
from typing import Any

from engine.match import coverage
from engine.match.plan import field_value
from engine.rulebook.terms import Term

_COMPARE = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge,
            "lt": operator.lt, "le": operator.le}


def holds(term: Term, fact: dict[str, Any], value: Any = None) -> bool:
    """Whether ``fact`` satisfies ``term``; for a join, ``value`` is the other fact's value."""
    actual = field_value(fact, term.field)
    if term.op == "exists":
        return (actual is not None) == term.value
    if actual is None:
        return False
    if term.op == "size_ge":
        return isinstance(actual, list) and len(actual) >= term.value
    if term.op == "in":
        return actual in term.value
    if term.op == "not_in":
        return actual not in term.value
    expected = value if term.ref is not None else term.value
    if expected is None:
        return False
    try:
        return _COMPARE[term.op](actual, expected)
    except TypeError:
        return False


def all_hold(where: tuple[str, str, str], terms: tuple[Any, ...], fact: dict[str, Any],
             values: list[Any] | None = None) -> bool:
    """Whether ``fact`` meets every term (joins against ``values``). While coverage is
    recorded, every term is evaluated and its outcome noted under ``where`` + its position."""
    if not coverage.active():
        if values is None:
            return all(holds(t, fact) for t in terms)
        return all(holds(t, fact, v) for t, v in zip(terms, values, strict=True))
    values = values if values is not None else [None] * len(terms)
    outcomes = [holds(t, fact, v) for t, v in zip(terms, values, strict=True)]
    for i, held in enumerate(outcomes):
        coverage.condition((*where, i), held)
    return all(outcomes)
