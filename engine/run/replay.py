"""Replaying the store under one or more rulebooks on a date, writing nothing.

A run (``engine.run.evaluate``) is: match every rule plan, turn matches into findings, look up
their evidence, then recommend. Replaying is the same steps without the commit: ``wenze
explain`` asks it why a rule did or did not fire for a person, ``wenze rules impact`` asks
it what another rulebook would recommend. Rule versions that two rulebooks share are
matched once (a change of sanctions values alone matches nothing twice).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine

from engine.durable import DurableEvaluator
from engine.match.evaluator import Evaluator, Matches
from engine.match.evidence import Kept, with_evidence
from engine.match.findings import Finding, findings
from engine.match.plan import Facts, RulePlan, plan_rule
from engine.rulebook import Rulebook
from engine.sanction.recommend import Recommended, recommend
from facts.collector import collected_rarely


@dataclass
class Found:
    """What one rulebook's plans found on a date, before anything is recommended."""

    plans: list[RulePlan]
    findings: list[Finding]
    facts: Facts
    matches: dict[str, list]  # plan name -> its matches
    stats: dict[str, int] = field(default_factory=dict)


@dataclass
class Replayed:
    """One rulebook replayed on one date: what a run would have committed, uncommitted."""

    rulebook: Rulebook
    as_of: date
    found: Found
    recommended: Recommended
    counts: Counter


def find_all(engine: Engine, rulebooks: list[Rulebook], as_of: date,
             evaluator: Evaluator | None = None) -> list[Found]:
    """Every finding of every rule version of each rulebook, with one evaluator pass over the
    distinct plans of all of them."""
    evaluator = evaluator or DurableEvaluator()
    own = [[plan_rule(v, as_of) for v in rulebook.versions] for rulebook in rulebooks]
    distinct: list[tuple[str, RulePlan]] = []  # (the rule version's own name, plan matched)
    matched_as: list[list[str]] = []  # per rulebook, per plan: the name it is matched under
    for plans in own:
        names = []
        for plan in plans:
            same = next((d for base, d in distinct
                         if base == plan.name and d.clauses == plan.clauses), None)
            if same is None:
                taken = {d.name for _, d in distinct}
                name = plan.name
                while name in taken:  # another rulebook's version of the same number, changed
                    name += "_x"
                same = dataclasses.replace(plan, name=name)
                distinct.append((plan.name, same))
            names.append(same.name)
        matched_as.append(names)
    matches: Matches = evaluator.match(engine, [d for _, d in distinct], as_of)
    result = []
    for plans, names in zip(own, matched_as, strict=True):
        by_rule = {plan.name: matches.by_rule[name] for plan, name in zip(plans, names, strict=True)}
        found = findings_of(engine, plans, by_rule, matches.facts, as_of)
        result.append(Found(plans, found, matches.facts, by_rule, dict(matches.stats)))
    return result


def findings_of(engine: Engine, plans: list[RulePlan], by_rule: dict[str, list], facts: Facts,
                as_of: date, kept: Kept | None = None) -> list[Finding]:
    """The findings of each plan's matches, with their evidence: looked up once, after either
    evaluator matched (not a matching step), unless ``kept`` gives it."""
    result = []
    for plan in plans:
        found = findings(plan, by_rule[plan.name], facts, as_of)
        result.extend(with_evidence(engine, plan, found, facts, as_of, kept))
    return result


def replay(engine: Engine, rulebooks: list[Rulebook], as_of: date,
           evaluator: Evaluator | None = None) -> list[Replayed]:
    """Each rulebook's recommendations on ``as_of``, as a run would make them; nothing is
    written (``recommend`` only reads the roster and the approved recommendations)."""
    result = []
    with collected_rarely():
        for rulebook, found in zip(rulebooks, find_all(engine, rulebooks, as_of, evaluator),
                                   strict=True):
            counts: Counter = Counter(findings=len(found.findings), facts_matched=len(found.facts),
                                      **found.stats)
            recommended = recommend(engine, rulebook, found.findings, found.facts, as_of, counts)
            result.append(Replayed(rulebook, as_of, found, recommended, counts))
    return result
