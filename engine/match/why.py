"""Why a rule version matched or did not match a person's facts: its compiled plan walked
clause by clause, each fact looked at with every term's values compared.

The walk reads the same ``RulePlan`` the evaluators match and checks terms with the same
``predicates.holds``, so it cannot disagree with them about a term. It starts from the
clause the finding is about (``finding.subject``), narrowed to the person (a person rule)
or to the units the person holds posts in (a unit rule); each later clause is narrowed by
its plain equality joins, as both evaluators narrow it. A clause with no fact among those
is *missing*; one whose facts each fail a term is *false*; a term whose field is empty is
*missing* (a missing value satisfies no comparison, as in SQL). The absent clause
(``absent:``) *blocks* the match when a fact satisfies it, and that fact is named.

Whether a match became a recommendation (count, ``since``, who is accountable, the ladder)
is not decided here: ``usecases.explain`` reads that from a replay of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Engine

from engine.match.plan import ClausePlan, RulePlan, field_value
from engine.match.predicates import holds
from engine.match.prefilter import clause_query
from engine.rulebook.terms import Term, parse_ref
from facts.contract import DATE_FIELD
from facts.store import as_dicts, known_on, stream
from facts.tables import TABLES

LOOKED_AT_LIMIT = 20  # facts listed per clause step (the others are counted)
PATHS_LIMIT = 40  # paths listed per rule version (the others are counted)

Result = Literal["held", "false", "missing"]
Status = Literal["matched", "missing", "false", "blocked", "clear"]


@dataclass
class TermCheck:
    """One term of a clause on one fact: the values compared and what came of it."""

    field: str
    op: str  # eq ne in not_in gt ge lt le size_ge exists
    expected: Any  # the literal value, or the joined fact's value
    ref: str | None  # the joined field (``reminder.person``), for a join
    actual: Any
    result: Result


@dataclass
class LookedAt:
    kind: str
    id: str
    src: str  # the export file:line the fact came from
    date: date | None
    checks: list[TermCheck]

    @property
    def holds(self) -> bool:
        return all(c.result == "held" for c in self.checks)


@dataclass
class Step:
    """One clause on the way of one path: which facts were looked at, and what came of it."""

    alias: str
    kinds: tuple[str, ...]
    negated: bool
    status: Status
    narrowed_by: list[str]  # "person = P0001": how the facts looked at were chosen
    looked_at: list[LookedAt]
    more: int = 0  # facts looked at but not listed


@dataclass
class ClausePath:
    """One way through the clauses: each step, and where it stopped."""

    steps: list[Step]

    @property
    def matched(self) -> bool:
        return all(s.status in ("matched", "clear") for s in self.steps)


@dataclass
class VersionWhy:
    rule_id: str
    version: int
    effective_from: date
    effective_to: date | None
    scope: list[str]  # what the subject clause was narrowed to
    matched: int = 0  # complete matches among the paths (all, not only those listed)
    paths: list[ClausePath] = field(default_factory=list)
    more_paths: int = 0


def _check(term: Term, fact: dict[str, Any], value: Any = None) -> TermCheck:
    actual = field_value(fact, term.field)
    expected = value if term.ref is not None else term.value
    if holds(term, fact, value):
        result: Result = "held"
    elif (actual is None and term.op != "exists") or (term.ref is not None and value is None):
        result = "missing"
    else:
        result = "false"
    return TermCheck(term.field, term.op, expected, str(term.ref) if term.ref else None,
                     actual, result)


def _join_value(term: Term, bound: dict[str, dict[str, Any]]) -> Any:
    assert term.ref is not None
    value = field_value(bound[term.ref.alias], term.ref.field)
    if value is not None and term.ref.offset_days:
        value = value + timedelta(days=term.ref.offset_days)
    return value


def _looked_at(kind: str, fact: dict[str, Any], clause: ClausePlan,
               bound: dict[str, dict[str, Any]]) -> LookedAt:
    checks = [_check(t, fact) for t in clause.literals]
    checks += [_check(t, fact, _join_value(t, bound)) for t in clause.joins]
    day = fact.get(DATE_FIELD[kind]) if DATE_FIELD[kind] else None
    return LookedAt(kind, fact["id"], fact.get("src") or "", day, checks)


class _Walk:
    def __init__(self, engine: Engine, plan: RulePlan, as_of: date,
                 scope: tuple[str, str, list[str]] | None):
        self.engine, self.plan, self.as_of = engine, plan, as_of
        self.scope = scope  # (alias, field, values) the subject clause is narrowed to
        self.cache: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def _read(self, kind: str, narrow: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        key = (kind, repr(narrow))
        if key not in self.cache:
            table = TABLES[kind].__table__
            query = known_on(kind, self.as_of)
            for name, values in narrow:
                query = query.where(table.c[name].in_(values))
            order = [table.c[DATE_FIELD[kind]]] if DATE_FIELD[kind] else []
            self.cache[key] = list(as_dicts(stream(self.engine,
                                                  query.order_by(*order, table.c.id))))
        return self.cache[key]

    def pool(self, clause: ClausePlan, bound: dict[str, dict[str, Any]]
             ) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
        """The facts a clause is tried on here, and how they were chosen."""
        narrow: list[tuple[str, list[Any]]] = []
        said: list[str] = []
        if self.scope is not None and clause.alias == self.scope[0]:
            narrow.append((self.scope[1], self.scope[2]))
            said.append(f"{self.scope[1]} = {' | '.join(map(str, self.scope[2]))}")
        for term in clause.joins:
            if term.op == "eq" and not term.ref.offset_days and not term.field.startswith("attrs."):  # type: ignore[union-attr]
                value = _join_value(term, bound)
                narrow.append((term.field, [value]))
                said.append(f"{term.field} = {term.ref} = {value}")
        facts = []
        for kind in clause.kinds:
            if not narrow:  # neither the subject nor a plain equality join: what the literals let through
                query = clause_query(clause, kind, self.as_of).limit(LOOKED_AT_LIMIT)
                rows = list(as_dicts(stream(self.engine, query)))
            else:
                rows = self._read(kind, narrow)
            facts.extend((kind, f) for f in rows)
        return facts, said

    def paths(self) -> tuple[list[ClausePath], int]:
        """Every path through the clauses (capped), and how many complete matches there are."""
        positive = self.plan.positive
        absent = self.plan.absent
        paths: list[ClausePath] = []
        matched = 0

        def step(clause: ClausePlan, status: Status, said: list[str],
                 looked: list[LookedAt]) -> Step:
            return Step(clause.alias, clause.kinds, clause.negated, status, said,
                        looked[:LOOKED_AT_LIMIT], max(0, len(looked) - LOOKED_AT_LIMIT))

        def extend(i: int, bound: dict[str, dict[str, Any]], steps: list[Step]) -> None:
            nonlocal matched
            if i == len(positive):
                if absent is not None:
                    pool, said = self.pool(absent, bound)
                    looked = [_looked_at(k, f, absent, bound) for k, f in pool]
                    blocking = [x for x in looked if x.holds]
                    if blocking:
                        paths.append(ClausePath([*steps, step(absent, "blocked", said, blocking)]))
                        return
                    steps = [*steps, step(absent, "clear", said, looked)]
                matched += 1
                paths.append(ClausePath(steps))
                return
            clause = positive[i]
            pool, said = self.pool(clause, bound)
            used = {(x.kind, x.id) for s in steps for x in s.looked_at if s.status == "matched"}
            pool = [(k, f) for k, f in pool if (k, f["id"]) not in used]
            if not pool:
                paths.append(ClausePath([*steps, step(clause, "missing", said, [])]))
                return
            for kind, fact in pool:
                looked = _looked_at(kind, fact, clause, bound)
                if not looked.holds:
                    status: Status = "missing" if any(
                        c.result == "missing" for c in looked.checks) else "false"
                    paths.append(ClausePath([*steps, step(clause, status, said, [looked])]))
                    continue
                bound[clause.alias] = fact
                extend(i + 1, bound, [*steps, step(clause, "matched", said, [looked])])
                del bound[clause.alias]

        extend(0, {}, [])
        # matches first, then the paths that went furthest
        paths.sort(key=lambda p: (not p.matched, -len(p.steps)))
        return paths, matched


def subject_ref(plan: RulePlan) -> tuple[str, str, str]:
    """(``person`` or ``unit``, alias, field) of what the rule's findings are about."""
    subject = plan.version.spec.finding.subject
    kind, text = ("person", subject.person) if subject.person else ("unit", subject.unit or "")
    ref = parse_ref(text)
    assert ref is not None
    return kind, ref.alias, ref.field


def why(engine: Engine, plan: RulePlan, as_of: date, person: str,
        units: list[str]) -> VersionWhy:
    """The plan walked for one person: from the person's facts (a person rule) or those of
    the units the person holds posts in (a unit rule)."""
    kind, alias, name = subject_ref(plan)
    values = [person] if kind == "person" else units
    effective = plan.version.spec.effective
    result = VersionWhy(plan.version.rule_id, plan.version.version, effective.from_,
                        effective.to, [f"{alias}.{name} = {v}" for v in values])
    if not values:
        return result
    paths, matched = _Walk(engine, plan, as_of, (alias, name, values)).paths()
    result.matched = matched
    result.paths = paths[:PATHS_LIMIT]
    result.more_paths = max(0, len(paths) - PATHS_LIMIT)
    return result
