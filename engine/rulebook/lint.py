"""Static checks of a county folder that has no schema error: dates, impossible rules,
rules that add nothing, in words a policy officer reads.

Errors (the rulebook is refused): a condition no fact can meet — a code that does not exist,
a value of the wrong type, two conditions that contradict each other, ``exists: false`` on a
field every fact has; sanctions values whose dates overlap, leave a gap, stop, or start after
the first rule. Warnings (``wenze rules check --strict`` refuses them too): a gap between two
versions of a rule (no version in force in between), and a rule every one of whose findings
another rule of the same circumstance also finds.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Literal, Protocol, Union, get_args, get_origin

from engine.rulebook.spec import DATED, Effective, RuleFile, Sanctions, is_dated
from engine.rulebook.terms import AsOf, Ref, Term
from facts.contract import KINDS

# as_of-relative bounds are compared on these days (month ends, a leap day, an ordinary day)
_SAMPLE_DAYS = (date(2024, 2, 29), date(2025, 1, 31), date(2026, 11, 25), date(2027, 3, 31))
_WORDS = {"eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of", "gt": "after",
          "ge": "on or after", "lt": "before", "le": "on or before", "size_ge": "has at least",
          "exists": "exists"}


class Reporter(Protocol):
    def error(self, path: tuple[Any, ...], message: str) -> None: ...
    def warning(self, path: tuple[Any, ...], message: str) -> None: ...


def describe(term: Term) -> str:
    """A condition as a policy officer wrote it, in words: ``date after reminder.date``."""
    if term.op == "exists":
        return f"{term.field} {'is filled in' if term.value else 'is empty'}"
    value: Any = term.ref if term.ref is not None else term.value
    if isinstance(value, AsOf):
        value = "as_of" + (f" {'+' if value.offset.amount > 0 else '-'} "
                           f"{abs(value.offset.amount)}{value.offset.unit}"
                           if value.offset.amount else "")
    elif isinstance(value, tuple):
        value = "[" + ", ".join(map(str, value)) + "]"
    elif isinstance(value, bool):
        value = "true" if value else "false"  # as written in YAML
    return f"{term.field} {_WORDS[term.op]} {value}"


# ---------------------------------------------------------------- effective dates


def _span(effective: Effective) -> str:
    return f"{effective.from_}..{effective.to or ''}"


def check_version_dates(reporter: Reporter, rule: RuleFile) -> None:
    """A gap between consecutive versions: conduct in it is judged by no version (a warning:
    a rule may be repealed for a while; overlaps are errors of the loader)."""
    for i in range(1, len(rule.versions)):
        previous, this = rule.versions[i - 1].effective, rule.versions[i].effective
        if previous.to is not None and previous.to + timedelta(days=1) < this.from_:
            reporter.warning(("versions", i, "effective", "from"),
                             f"effective: version {rule.versions[i - 1].version} ends on "
                             f"{previous.to} and version {rule.versions[i].version} starts on "
                             f"{this.from_}; conduct from {previous.to + timedelta(days=1)} to "
                             f"{this.from_ - timedelta(days=1)} is judged by no version of this "
                             f"rule — if that is meant, ignore this; otherwise end version "
                             f"{rule.versions[i - 1].version} the day before")


def check_sanction_dates(reporter: Reporter, tree: Any, sanctions: Sanctions,
                         first_rule_day: date | None) -> None:
    """Each dated sanctions entry has exactly one value in force on every day from the first
    rule's start on: in order, no overlap, no gap, the last one open."""
    for name in DATED:
        if not is_dated(tree.get(name) if isinstance(tree, dict) else None):
            continue
        entries = sanctions.dated(name)
        for i, entry in enumerate(entries):
            span = entry.effective
            if span.to is not None and span.to < span.from_:
                reporter.error((name, i, "effective"), f"{name}: 'to' ({span.to}) is before "
                                                       f"'from' ({span.from_})")
            if i == 0:
                if first_rule_day is not None and span.from_ > first_rule_day:
                    reporter.error((name, 0, "effective", "from"),
                                   f"{name}: the first value starts on {span.from_}, but rules are "
                                   f"in force from {first_rule_day}; conduct before "
                                   f"{span.from_} would have no {name} to be judged by — start "
                                   f"the first value on {first_rule_day} or earlier")
                continue
            before = entries[i - 1].effective
            if before.to is None or before.to >= span.from_:
                reporter.error((name, i, "effective", "from"),
                               f"{name}: this value ({_span(span)}) overlaps the one before it "
                               f"({_span(before)}); end that one ('to') on "
                               f"{span.from_ - timedelta(days=1)}")
            elif before.to + timedelta(days=1) < span.from_:
                reporter.error((name, i, "effective", "from"),
                               f"{name}: no value is in force from {before.to + timedelta(days=1)} "
                               f"to {span.from_ - timedelta(days=1)} (between {_span(before)} "
                               f"and {_span(span)}); conduct then could not be judged")
        if entries and entries[-1].effective.to is not None:
            reporter.error((name, len(entries) - 1, "effective", "to"),
                           f"{name}: the last value ends on {entries[-1].effective.to}; leave out "
                           f"'to' on the last value, so that some value is always in force")


# ---------------------------------------------------------------- conditions no fact can meet


def _field_type(kind: str, field: str) -> Any:
    annotation = KINDS[kind].model_fields[field].annotation
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
    return annotation


def _value_problem(kind: str, field: str, op: str, value: Any) -> str | None:
    """Why no ``kind`` fact's ``field`` can stand in ``op`` to ``value``, or None."""
    if field.startswith("attrs.") or isinstance(value, AsOf | Ref):
        return None
    kind_type = _field_type(kind, field)
    if op == "size_ge":
        return None if get_origin(kind_type) is list else f"{field} is not a list"
    values = value if op in ("in", "not_in") else (value,)
    for one in values:
        if get_origin(kind_type) is Literal:
            codes = get_args(kind_type)
            if one not in codes:
                return (f"{one!r} is not a code of {kind}.{field}; the codes are "
                        f"{', '.join(map(str, codes))}")
        elif kind_type is bool and not isinstance(one, bool):
            return f"{kind}.{field} is true or false, not {one!r}"
        elif kind_type is date and not isinstance(one, date):
            return f"{kind}.{field} is a date (YYYY-MM-DD), not {one!r}"
        elif kind_type in (int, float) and (isinstance(one, bool) or not isinstance(one, int | float)):
            return f"{kind}.{field} is a number, not {one!r}"
    if op in ("gt", "ge", "lt", "le") and kind_type not in (date, int, float):
        return f"{kind}.{field} has no order: 'after', 'before', 'gt' and the like need a date or number"
    return None


def _resolved(value: Any) -> tuple[Any, ...] | None:
    """The bound on each sample day (as_of-relative values move with the evaluation date)."""
    if isinstance(value, AsOf):
        return tuple(value.resolve(day) for day in _SAMPLE_DAYS)
    if isinstance(value, date) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return (value,) * len(_SAMPLE_DAYS)
    return None


def _empty_range(low: Term, high: Term) -> bool:
    """Whether a lower bound (gt/ge) and an upper bound (lt/le) leave nothing between them."""
    if low.ref is not None or high.ref is not None:
        if low.ref is None or high.ref is None or (low.ref.alias, low.ref.field) != (
                high.ref.alias, high.ref.field):
            return False
        a, b = low.ref.offset_days, high.ref.offset_days  # days: integers
        return (a + (low.op == "gt")) > (b - (high.op == "lt"))
    if isinstance(low.value, AsOf) != isinstance(high.value, AsOf):
        return False  # a fixed date against as_of: empty on some evaluation dates only
    lows, highs = _resolved(low.value), _resolved(high.value)
    if lows is None or highs is None:
        return False
    if any(type(x) is not type(y) and not (isinstance(x, int | float) and isinstance(y, int | float))
           for x, y in zip(lows, highs, strict=True)):
        return False
    strict = low.op == "gt" or high.op == "lt"
    return all(x >= y if strict else x > y for x, y in zip(lows, highs, strict=True))


def _contradiction(terms: list[Term]) -> tuple[Term, Term] | None:
    """Two conditions on one field that no value meets together."""
    for i, a in enumerate(terms):
        for b in terms[i + 1:]:
            if _exclusive(a, b) or _exclusive(b, a):
                return a, b
    return None


def _exclusive(a: Term, b: Term) -> bool:
    if a.op == "exists" and a.value is False:
        return not (b.op == "exists" and b.value is False)
    if a.op in ("gt", "ge") and b.op in ("lt", "le"):
        return _empty_range(a, b)
    if a.ref is not None or b.ref is not None:
        return a.ref == b.ref and {a.op, b.op} == {"eq", "ne"}
    if a.op == "eq":
        if b.op == "eq":
            return a.value != b.value
        if b.op == "ne":
            return a.value == b.value
        if b.op == "in":
            return a.value not in b.value
        if b.op == "not_in":
            return a.value in b.value
        if b.op in ("gt", "ge", "lt", "le") and _resolved(a.value) and _resolved(b.value):
            return _empty_range(Term(a.field, "ge", a.value), b) if b.op in ("lt", "le") \
                else _empty_range(b, Term(a.field, "le", a.value))
    if a.op == "in" and b.op == "not_in":
        return set(a.value) <= set(b.value)
    return False


def check_clause(reporter: Reporter, path: tuple[Any, ...], alias: str, kinds: tuple[str, ...],
                 terms: Iterable[Term]) -> None:
    """Errors for a clause no fact can satisfy: a wrong code or type, or contradicting terms."""
    by_field: dict[str, list[Term]] = {}
    for term in terms:
        by_field.setdefault(term.field, []).append(term)
        for kind in kinds:
            if term.op == "exists" and term.value is False and not term.field.startswith(
                    "attrs.") and KINDS[kind].model_fields[term.field].is_required():
                reporter.error(path + ("where", term.field),
                               f"{alias}: {term.field} is never empty on a {kind} fact (it is "
                               f"required), so 'exists: false' means this rule never finds anything")
                continue
            problem = _value_problem(kind, term.field, term.op, term.ref or term.value)
            if problem:
                reporter.error(path + ("where", term.field),
                               f"{alias}: {describe(term)} — no fact can match: {problem}")
    for field, same in by_field.items():
        pair = _contradiction(same)
        if pair:
            reporter.error(path + ("where", field),
                           f"{alias}: '{describe(pair[0])}' and '{describe(pair[1])}' cannot both "
                           f"hold, so this rule never finds anything")


# ---------------------------------------------------------------- rules that add nothing


def _implied(b: Term, terms: list[Term]) -> bool:
    """Whether the conditions ``terms`` (on b's field) guarantee condition ``b``."""
    return any(_implies(a, b) for a in terms if a.field == b.field)


def _implies(a: Term, b: Term) -> bool:
    if a == b:
        return True
    if b.op == "exists" and b.value is True:
        return not (a.op == "exists" and a.value is False)
    if (a.ref is None) != (b.ref is None):
        return False
    if a.ref is not None and b.ref is not None:
        if (a.ref.alias, a.ref.field) != (b.ref.alias, b.ref.field):
            return False
        x, y = a.ref.offset_days, b.ref.offset_days
        return ((b.op in ("ge", "gt") and a.op in ("ge", "gt", "eq")
                 and x + (a.op == "gt") >= y + (b.op == "gt"))
                or (b.op in ("le", "lt") and a.op in ("le", "lt", "eq")
                    and x - (a.op == "lt") <= y - (b.op == "lt")))
    if b.op in ("in", "not_in", "eq", "ne"):
        inside = {"eq": lambda v: {v}, "in": set}.get(a.op)
        if inside is None:
            return b.op == "not_in" and a.op == "not_in" and set(b.value) <= set(a.value)
        values = inside(a.value)
        return {"in": lambda: values <= set(b.value), "not_in": lambda: not values & set(b.value),
                "eq": lambda: values == {b.value}, "ne": lambda: b.value not in values}[b.op]()
    if b.op == "size_ge":
        return a.op == "size_ge" and a.value >= b.value
    if b.op in ("ge", "gt", "le", "lt") and a.op in ("ge", "gt", "le", "lt", "eq"):
        if isinstance(a.value, AsOf) != isinstance(b.value, AsOf):
            return False
        lows, highs = _resolved(a.value), _resolved(b.value)
        if lows is None or highs is None or any(type(x) is not type(y) for x, y in zip(
                lows, highs, strict=True)):
            return False
        if b.op in ("ge", "gt") and a.op in ("ge", "gt", "eq"):
            return all(x > y or (x == y and (b.op == "ge" or a.op == "gt"))
                       for x, y in zip(lows, highs, strict=True))
        if b.op in ("le", "lt") and a.op in ("le", "lt", "eq"):
            return all(x < y or (x == y and (b.op == "le" or a.op == "lt"))
                       for x, y in zip(lows, highs, strict=True))
    return False


def _positional(terms: Iterable[Term], order: dict[str, int]) -> list[Term]:
    """Terms with each join's clause named by its position, so two rules can be compared."""
    return [Term(t.field, t.op, t.value, Ref(str(order.get(t.ref.alias, -1)), t.ref.field,
                                             t.ref.offset_days)) if t.ref else t for t in terms]


def _overlap(a: Effective, b: Effective) -> bool:
    return (a.to is None or b.from_ <= a.to) and (b.to is None or a.from_ <= b.to)


def subsumes(broad: Any, narrow: Any) -> bool:
    """Whether every finding of rule version ``narrow`` is also a finding of ``broad``: same
    facts in the same order, each of broad's conditions guaranteed by narrow's, broad's
    'absent' at least as narrow, the same subject, count and reporting window."""
    a, b = narrow, broad
    if len(a.clauses) != len(b.clauses) or not _overlap(a.spec.effective, b.spec.effective):
        return False
    order_a = {c.alias: i for i, (c, _) in enumerate(a.clauses)}
    order_b = {c.alias: i for i, (c, _) in enumerate(b.clauses)}
    for (ca, ta), (cb, tb) in zip(a.clauses, b.clauses, strict=True):
        if set(ca.kinds) != set(cb.kinds):
            return False
        mine = _positional(ta, order_a)
        if not all(_implied(t, mine) for t in _positional(tb, order_b)):
            return False
    if b.absent is not None:
        if a.absent is None or set(a.absent[0].kinds) != set(b.absent[0].kinds):
            return False
        theirs = _positional(b.absent[1], order_b)
        if not all(_implied(t, theirs) for t in _positional(a.absent[1], order_a)):
            return False
    fa, fb = a.spec.finding, b.spec.finding

    def at(text: str, order: dict[str, int]) -> tuple[int | None, str]:
        alias, _, field = text.partition(".")
        return order.get(alias), field

    if (fa.subject.person is None) != (fb.subject.person is None) or at(
            fa.subject.person or fa.subject.unit or "", order_a) != at(
            fb.subject.person or fb.subject.unit or "", order_b):
        return False
    if fb.since is not None and fa.since != fb.since:
        return False
    if (a.spec.count is None) != (b.spec.count is None):
        return False
    if a.spec.count is not None:
        ca, cb = a.spec.count, b.spec.count
        if (ca.period.unit != cb.period.unit or ca.same_problem != cb.same_problem
                or at(ca.per, order_a) != at(cb.per, order_b)
                or at(ca.date, order_a) != at(cb.date, order_b)):
            return False
        return ca.at_least >= cb.at_least and ca.period.amount <= cb.period.amount
    return True
