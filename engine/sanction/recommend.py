"""From findings to explained recommendations, one per person and matter, after choosing
between rule versions by the date of the conduct (从旧兼从轻)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import Engine, select

from engine.match.findings import Finding
from engine.match.plan import Facts
from engine.rulebook import Rulebook
from engine.sanction.accountable import accountable_persons
from engine.sanction.explain import explain, recommendation_id
from engine.sanction.explanation import EscalationStep, Explanation
from engine.sanction.roster import Roster
from facts.recommendation_tables import RecommendationRow

Chosen = dict[str, tuple[Explanation, Finding]]  # recommendation id -> explanation, finding


def _ladder_weight(rulebook: Rulebook, explanation: Explanation) -> tuple[int, int]:
    ladder = rulebook.sanctions.ladder
    return (ladder.index(explanation.forms[0]), len(explanation.forms))


def _approved(engine: Engine) -> dict[str, list[tuple[str, date, str]]]:
    """Approved recommendations per person: (id, conduct date, form), priors for escalation."""
    table = RecommendationRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.id, table.c.person, table.c.conduct_date,
                                         table.c.form).where(table.c.status == "approved"))
        result: dict[str, list[tuple[str, date, str]]] = {}
        for row in rows:
            result.setdefault(row.person, []).append((row.id, row.conduct_date, row.form))
    return result


def recommend(engine: Engine, rulebook: Rulebook, found: list[Finding], facts: Facts,
              as_of: date, counts: Counter) -> Chosen:
    """Explanations by recommendation id. The version in force at the conduct decides, unless
    the current version treats the same matter more lightly (then the current one applies)."""
    roster = Roster.load(engine, as_of)
    approved = _approved(engine)
    current = {v.rule_id: v.version for v in rulebook.versions if v.in_force(as_of)}
    chosen: Chosen = {}
    alternatives: dict[str, list[tuple[Explanation, Finding]]] = {}
    for finding in found:
        version = finding.rule.version
        in_force_then = version.in_force(finding.conduct_date)
        is_current = current.get(version.rule_id) == version.version
        if not in_force_then and not is_current:
            continue
        persons, skipped = accountable_persons(finding, rulebook, roster, facts)
        if in_force_then:
            for skip in skipped:
                counts[f"skipped_{skip.reason}"] += 1
        for who in persons:
            rec_id = recommendation_id(version.rule_id, who.person, finding.key)
            explanation = explain(finding, who, rulebook, roster, facts, as_of,
                                  [a for a in approved.get(who.person, []) if a[0] != rec_id])
            if explanation is None:
                if in_force_then:
                    counts["skipped_exempt"] += 1
                continue
            if in_force_then:
                chosen[rec_id] = (explanation, finding)
            else:
                alternatives.setdefault(rec_id, []).append((explanation, finding))
    for rec_id, options in alternatives.items():
        if rec_id not in chosen:
            continue  # the version in force at the time of the conduct did not find it
        old, _ = chosen[rec_id]
        for new, finding in options:
            if _ladder_weight(rulebook, new) < _ladder_weight(rulebook, old):
                new.steps.append(EscalationStep(
                    step="mitigating", before=old.forms[0], after=new.forms[0],
                    reason=rulebook.say.step("lighter_current_version", old=old.rule_version,
                                             new=new.rule_version)))
                chosen[rec_id] = (new, finding)
    return chosen
