"""From matches (either evaluator's) to findings: what happened, to whom, when, on what evidence.

A rule with ``count`` groups its matches by the ``per`` value and reports each cluster of
at least ``at_least`` matches within the count's period of the cluster's first match, the
period's last day included, as the Civil Code counts (``Period.add_to``: within 365d of X
includes X + 365d; 1m from 01-31 ends on 02-28, or 02-29); otherwise each match (merged by
the rule's ``key`` aliases) is a finding. ``since`` drops findings whose conduct is older:
a count rule should use it rather than a date condition on its facts, so that its clusters
are formed over the whole history and do not re-form as old facts leave the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.match import coverage
from engine.match.plan import FactKey, Facts, Match, RulePlan, field_value
from engine.rulebook.terms import AsOf, parse_operand, parse_ref


@dataclass(frozen=True)
class Finding:
    """What one rule version found: about whom, when, how grave, on which facts."""

    rule: RulePlan
    key: tuple[str, ...]  # identifies the finding across runs
    evidence: tuple[tuple[str, FactKey], ...]  # (alias, fact) in clause order, no repeats
    conduct_date: date
    subject_kind: str  # "person" | "unit"
    subject: str  # person or unit id
    severity: str
    proposer_person: str | None
    # the matches merged into this finding (``engine.match.evidence`` joins to them)
    matches: tuple[Match, ...] = field(default=(), compare=False)

    @property
    def fact_ids(self) -> tuple[str, ...]:
        return tuple(f"{kind}:{fid}" for _, (kind, fid) in self.evidence)


def _read(ref_text: str, match: Match, facts: Facts) -> Any:
    ref = parse_ref(ref_text)
    assert ref is not None
    return field_value(facts[match[ref.alias]], ref.field)


def _finding(rule: RulePlan, matches: list[Match], facts: Facts,
             key: tuple[str, ...]) -> Finding:
    spec = rule.version.spec.finding
    evidence: list[tuple[str, FactKey]] = []
    for clause in rule.positive:
        for match in matches:
            item = (clause.alias, match[clause.alias])
            if item not in evidence:
                evidence.append(item)
    last = max(matches, key=lambda m: _read(spec.conduct_date, m, facts))
    subject_kind = "person" if spec.subject.person else "unit"
    severity = spec.severity
    if severity not in ("minor", "serious", "grave"):
        ranks = {"minor": 0, "serious": 1, "grave": 2}
        severity = max((_read(spec.severity, m, facts) for m in matches), key=ranks.__getitem__)
    return Finding(
        rule=rule,
        key=key,
        evidence=tuple(evidence),
        conduct_date=_read(spec.conduct_date, last, facts),
        subject_kind=subject_kind,
        subject=_read(spec.subject.person or spec.subject.unit or "", last, facts),
        severity=severity,
        proposer_person=_read(spec.proposer_person, last, facts) if spec.proposer_person else None,
        matches=tuple(matches),
    )


def findings(rule: RulePlan, matches: list[Match], facts: Facts,
             as_of: date) -> list[Finding]:
    """Findings of one rule version, in a stable order, without those older than ``since``."""
    found = _all_findings(rule, matches, facts)
    since = rule.version.spec.finding.since
    if since is None:
        return found
    start = parse_operand(since, date_op=True)
    start = start.resolve(as_of) if isinstance(start, AsOf) else start
    for finding in found:
        coverage.condition((rule.name, "finding", "since", 0), finding.conduct_date >= start)
    return [f for f in found if f.conduct_date >= start]


def _all_findings(rule: RulePlan, matches: list[Match], facts: Facts) -> list[Finding]:
    version = rule.version.spec
    if version.count is not None:
        return _counted(rule, matches, facts)
    key_aliases = version.finding.key or [c.alias for c in rule.positive]
    grouped: dict[tuple[str, ...], list[Match]] = {}
    for match in matches:
        key = tuple(f"{match[a][0]}:{match[a][1]}" for a in key_aliases)
        grouped.setdefault(key, []).append(match)
    return [_finding(rule, sorted(group, key=lambda m: sorted(m.items())), facts, key)
            for key, group in sorted(grouped.items())]


def _one_per_problem(rule: RulePlan, matches: list[Match], facts: Facts) -> list[Match]:
    """Without the matches whose counted fact is of a later kind of its clause than another
    match's counted fact with the same ``same_problem`` values: one problem, counted once,
    as the earlier kind's (an inspection that found what a violation records)."""
    count = rule.version.spec.count
    assert count is not None
    if not count.same_problem:
        return matches
    ref = parse_ref(count.date)
    assert ref is not None
    kinds = next(c.kinds for c in rule.positive if c.alias == ref.alias)
    rank = {kind: i for i, kind in enumerate(kinds)}

    def problem(match: Match) -> tuple[Any, ...] | None:
        values = tuple(field_value(facts[match[ref.alias]], f) for f in count.same_problem)
        return None if None in values else values

    first: dict[tuple[Any, ...], int] = {}
    for match in matches:
        key = problem(match)
        if key is not None:
            first[key] = min(first.get(key, len(kinds)), rank[match[ref.alias][0]])
    kept = []
    for match in matches:
        key, own = problem(match), rank[match[ref.alias][0]]
        if own > 0:  # a later kind: the same problem as an earlier kind's fact, or not
            coverage.condition((rule.name, ref.alias, "same_problem", 0),
                               key is not None and own != first[key])
        if key is None or own == first[key]:
            kept.append(match)
    return kept


def _counted(rule: RulePlan, matches: list[Match], facts: Facts) -> list[Finding]:
    """Clusters of at least N matches within D days per group; each match counts once."""
    count = rule.version.spec.count
    assert count is not None
    period = count.period
    groups: dict[Any, list[tuple[date, Match]]] = {}
    for match in _one_per_problem(rule, matches, facts):
        groups.setdefault(_read(count.per, match, facts), []).append(
            (_read(count.date, match, facts), match))
    result = []
    for per in sorted(groups, key=str):
        window: list[tuple[date, Match]] = []
        for day, match in sorted(groups[per], key=lambda item: (item[0], sorted(item[1].items()))):
            # within the period of d: its last day, period.add_to(d), is included
            window = [(d, m) for d, m in window if day <= period.add_to(d)]
            window.append((day, match))
            if len(window) >= count.at_least:
                cluster = [m for _, m in window]
                first = cluster[0]
                key = (str(per), *(f"{k}:{i}" for k, i in sorted(first.values())))
                result.append(_finding(rule, cluster, facts, key))
                coverage.condition((rule.name, "count", "count", 0), True)
                window = []
        if window:  # matches of this group that made no cluster of at_least
            coverage.condition((rule.name, "count", "count", 0), False)
    return result
