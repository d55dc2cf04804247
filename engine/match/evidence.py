"""Evidence looked up after matching: facts that bear on a finding, never whether there is one.

A rule version's ``evidence:`` clauses have the shape of ``match:`` clauses and are joined
to the matched facts (e.g. a failed ledger of the reminded person in the 60 days before the
reminder). They are looked up here, finding by finding, once matching is over, and what is
found is appended to the finding's evidence; a clause that finds nothing changes nothing.

This is not a matching step, so the independence of the two evaluators is not at stake:
durable_rules and the reference evaluator still share nothing but the plans when they
match, and every finding of either goes through this one lookup, which reads the store
through ``facts.store`` queries (``known_on``, ``stream``) like the prefilter does. Both
therefore give the same evidence whenever they give the same matches.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from engine.match import coverage
from engine.match.findings import Finding
from engine.match.plan import ClausePlan, FactKey, Facts, Match, RulePlan, field_value
from engine.match.predicates import all_hold, holds
from engine.match.prefilter import clause_query
from engine.rulebook.terms import Term
from facts.contract import DATE_FIELD
from facts.store import as_dicts, known_on, read_facts, stream, stream_among
from facts.tables import TABLES


def _join_value(term: Term, match: Match, facts: Facts) -> Any:
    assert term.ref is not None
    value = field_value(facts[match[term.ref.alias]], term.ref.field)
    if value is not None and term.ref.offset_days:
        value = value + timedelta(days=term.ref.offset_days)
    return value


def _narrowing_join(clause: ClausePlan) -> Term | None:
    """The clause's first plain equality join on a stored column: its values for the
    findings at hand narrow the lookup in SQL."""
    return next((t for t in clause.joins if t.op == "eq" and not t.ref.offset_days  # type: ignore[union-attr]
                 and not t.field.startswith("attrs.")), None)


def _candidates(engine: Engine, rule: RulePlan, clause: ClausePlan, found: list[Finding],
                facts: Facts, as_of: date) -> list[tuple[str, dict[str, Any]]]:
    """(kind, fact) of the clause's facts known on ``as_of`` that satisfy its literal terms,
    narrowed in SQL to the values its first plain equality join can take for these findings;
    by kind, then date and id. While coverage is recorded, every fact known on ``as_of`` is
    read and each literal term checked here (and noted), not in SQL."""
    return [item for kind in clause.kinds
            for item in _of_kind(engine, rule, clause, kind, found, facts, as_of)]


def _of_kind(engine: Engine, rule: RulePlan, clause: ClausePlan, kind: str, found: list[Finding],
             facts: Facts, as_of: date) -> list[tuple[str, dict[str, Any]]]:
    recording = coverage.active()
    where = (rule.name, clause.alias, "literal")
    eq = _narrowing_join(clause)
    # narrowed to the join's values, which lead the query plan: the literal terms may not
    # (SQLite would read the store's every failed check through the verdict index instead
    # of these persons', a province's millions once per 500 values)
    narrowed = eq is not None and not recording
    query = known_on(kind, as_of) if recording else clause_query(clause, kind, as_of,
                                                                  lead=not narrowed)
    python_terms = clause.literals if recording else tuple(
        t for t in clause.literals if t.field.startswith("attrs."))
    if narrowed:
        found_rows = stream_among(engine, query, TABLES[kind].__table__.c[eq.field], {
            v for f in found for m in f.matches if (v := _join_value(eq, m, facts)) is not None})
    else:
        found_rows = stream(engine, query)
    rows: dict[str, dict[str, Any]] = {}
    for fact in as_dicts(found_rows):
        if recording and not all_hold(where, clause.literals, fact):
            continue
        if not recording and not all(holds(t, fact) for t in python_terms):
            continue
        rows[fact["id"]] = fact
    date_field = DATE_FIELD[kind]
    return [(kind, f) for f in sorted(rows.values(), key=lambda f: (
        str(f.get(date_field) or "") if date_field else "", f["id"]))]


def _named(engine: Engine, clause: ClausePlan, found: list[Finding], which: list[int],
           facts: Facts) -> dict[int, list[FactKey]]:
    """Per finding (by position), the facts its matched facts name in ``clause.named_by``
    (e.g. ``reminder.basis``: the shortfalls a reminder says it is about), read from the store
    into ``facts``; findings whose matched facts name none are left to the lookup."""
    ref = clause.named_by
    assert ref is not None
    named: dict[int, list[FactKey]] = {}
    for n in which:
        finding = found[n]
        keys: list[FactKey] = []
        for match in finding.matches:
            for text in field_value(facts[match[ref.alias]], ref.field) or []:
                kind, _, fact_id = str(text).partition(":")
                if kind in TABLES and (kind, fact_id) not in keys:
                    keys.append((kind, fact_id))
        if keys:
            named[n] = keys
    read_facts(engine, (key for keys in named.values() for key in keys), facts)
    return {n: [k for k in keys if k in facts] for n, keys in named.items()}


FINDINGS_PER_LOOKUP = 500  # findings whose evidence is read from the store together


# The evidence a finding's clauses found before, when it still holds (``engine.run.incremental``).
Kept = Callable[[Finding], list[tuple[str, FactKey]] | None]


def with_evidence(engine: Engine, rule: RulePlan, found: list[Finding], facts: Facts,
                  as_of: date, kept: Kept | None = None) -> list[Finding]:
    """Each finding with the facts its rule's ``evidence:`` clauses find for its matches
    appended to its evidence (clause order, then date and id); ``facts`` gains them.

    A clause narrowed to its join's values is looked up ``FINDINGS_PER_LOOKUP`` findings at
    a time, so the candidates in memory are those of a few hundred findings, not of a
    province's; a finding's evidence does not depend on the others looked up with it. A
    finding whose evidence ``kept`` gives is not looked up: that evidence is read back."""
    clauses = rule.evidence
    if not clauses or not found:
        return found
    extra: dict[int, list[tuple[str, FactKey]]] = defaultdict(list)
    for n, finding in enumerate(found):
        before = kept(finding) if kept is not None else None
        if before is not None:
            extra[n] = list(before)
    read_facts(engine, (key for items in extra.values() for _, key in items), facts)
    asked = [n for n in range(len(found)) if n not in extra]
    for clause in clauses:
        named = _named(engine, clause, found, asked, facts) if clause.named_by else {}
        if clause.named_by:
            for n in asked:
                coverage.condition((rule.name, clause.alias, "named_by", 0), n in named)
        for n, keys in named.items():
            seen = {key for _, key in found[n].evidence} | {key for _, key in extra[n]}
            extra[n].extend((clause.alias, key) for key in keys if key not in seen)
        looked_up = [n for n in asked if n not in named]
        step = FINDINGS_PER_LOOKUP if _narrowing_join(clause) and not coverage.active() \
            else max(1, len(looked_up))  # unnarrowed, each lookup would read every candidate
        for start in range(0, len(looked_up), step):
            _look_up(engine, rule, clause, found, looked_up[start:start + step], facts, as_of,
                     extra)
    return [dataclasses.replace(f, evidence=f.evidence + tuple(extra[n])) if extra[n] else f
            for n, f in enumerate(found)]


def narrowing_field(clause: ClausePlan) -> str | None:
    """The field by which the clause's lookups are narrowed (``join_values``), or None."""
    eq = _narrowing_join(clause)
    return eq.field if eq is not None else None


def join_values(clause: ClausePlan, finding: Finding, facts: Facts) -> set[Any]:
    """The values the clause's ``narrowing_field`` may take in this finding's evidence: a
    fact whose field has none of them is never looked up for it."""
    eq = _narrowing_join(clause)
    assert eq is not None
    return {v for m in finding.matches if (v := _join_value(eq, m, facts)) is not None}


def _look_up(engine: Engine, rule: RulePlan, clause: ClausePlan, found: list[Finding],
             which: list[int], facts: Facts, as_of: date,
             extra: dict[int, list[tuple[str, FactKey]]]) -> None:
    """The clause's evidence of the findings at the places ``which``, appended to ``extra``."""
    pool = _candidates(engine, rule, clause, [found[n] for n in which], facts, as_of)
    eq = next((t for t in clause.joins if t.op == "eq" and not t.ref.offset_days  # type: ignore[union-attr]
               ), None)
    index: dict[Any, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    order = {(kind, fact["id"]): n for n, (kind, fact) in enumerate(pool)}
    for kind, fact in pool:
        index[field_value(fact, eq.field) if eq is not None else None].append((kind, fact))
    for n in which:
        finding = found[n]
        seen = {key for _, key in finding.evidence} | {key for _, key in extra[n]}
        hits: dict[FactKey, dict[str, Any]] = {}
        for match in finding.matches:
            if coverage.active():  # every fact meets every join, to see each one fail too
                options = [f for facts_of in index.values() for f in facts_of]
            else:
                options = index.get(_join_value(eq, match, facts), []) if eq is not None \
                    else index.get(None, [])
            values = [_join_value(t, match, facts) for t in clause.joins]
            for kind, fact in options:
                key = (kind, fact["id"])
                if key not in seen and key not in hits and all_hold(
                        (rule.name, clause.alias, "join"), clause.joins, fact, values):
                    hits[key] = fact
        for key in sorted(hits, key=order.__getitem__):  # the pool's order: kind, date, id
            facts.setdefault(key, hits[key])
            extra[n].append((clause.alias, key))
