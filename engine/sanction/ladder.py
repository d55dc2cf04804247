"""From a finding about one person to the proposed form(s), one recorded step at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from engine.rulebook.spec import Sanctions
from engine.rulebook.wording import Sayings
from engine.sanction.explanation import EscalationStep, Factor


@dataclass
class Outcome:
    base_form: str
    forms: list[str]
    steps: list[EscalationStep]
    factors: list[Factor]
    exempt: bool
    case_review: str | None = None  # the ground on which a case review (立案审查) is proposed


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes", "1"))


def read_factors(sanctions: Sanctions, say: Sayings, person: dict[str, Any],
                 evidence: list[tuple[str, dict[str, Any]]]) -> list[Factor]:
    """Aggravating, mitigating and exempting factors from attrs of the person and the evidence."""
    found: list[Factor] = []
    sources = [(f"person:{person['id']}", person.get("attrs") or {})]
    sources += [(f"{kind}:{fact['id']}", fact.get("attrs") or {}) for kind, fact in evidence]
    for kind, factors in (("exempt", sanctions.exempt), ("aggravating", sanctions.aggravating),
                          ("mitigating", sanctions.mitigating)):
        for factor in factors:
            for source, attrs in sources:
                if _truthy(attrs.get(factor.attr)):
                    found.append(Factor(type=kind, code=factor.attr, label=factor.label,
                                        source=f"{source} attrs.{factor.attr}"))
                    break
    for source, attrs in sources[1:]:
        dissent = attrs.get(sanctions.dissent_attr) or []
        if person["id"] in dissent or person["name"] in dissent:
            found.append(Factor(type="exempt", code="dissent", label=say.dissent_label,
                                source=f"{source} attrs.{sanctions.dissent_attr}"))
    return found


def decide_forms(sanctions: Sanctions, say: Sayings, *, circumstance: int, severity: str,
                 responsibility: str, degree: str, conduct_date: date, priors: list[dict[str, Any]],
                 factors: list[Factor], rule_id: str) -> Outcome:
    """Base form, then responsibility and degree, priors in the look-back window, factors;
    clamped to the ladder. A party sanction is never among the forms: where the county's
    rules see grounds for one, the outcome proposes a case review instead."""
    ladder = sanctions.ladder
    base = sanctions.base[circumstance][severity]
    steps = [EscalationStep(step="base", before=None, after=base, reason=say.step(
        "base", circumstance=circumstance, severity=severity, form=base))]
    if any(f.type == "exempt" for f in factors):
        return Outcome(base, [], steps, factors, exempt=True)
    level = ladder.index(base)

    def move(step: str, delta: int, reason: str, ref: str | None = None) -> None:
        nonlocal level
        before = ladder[max(0, min(level, len(ladder) - 1))]
        level += delta
        after = ladder[max(0, min(level, len(ladder) - 1))]
        steps.append(EscalationStep(step=step, before=before, after=after, reason=reason, ref=ref))

    # each type of responsibility is weighed on its own, and says why (even when it moves nothing)
    weights = sanctions.responsibility
    move("responsibility", weights.steps.get(responsibility, 0),
         weights.reasons[responsibility])
    delta = sanctions.degree_steps.get(degree, 0)
    if delta:
        move("degree", delta, say.step("degree", degree=degree, delta=delta))
    window_start = conduct_date - timedelta(days=sanctions.lookback_days)
    for fact in sorted(priors, key=lambda f: (f["date"], f["id"])):
        if window_start <= fact["date"] < conduct_date:
            move("prior", 1, say.step("prior_accountability", date=fact["date"], form=fact["form"],
                                      id=fact["id"], lookback_days=sanctions.lookback_days),
                 f"accountability:{fact['id']}")
    for factor in factors:
        if factor.type == "aggravating":
            move("aggravating", 1, say.step("aggravating", label=factor.label), factor.source)
        elif factor.type == "mitigating":
            move("mitigating", -1, say.step("mitigating", label=factor.label), factor.source)
    clamped = max(0, min(level, len(ladder) - 1))
    if clamped != level:
        which = "cap_heaviest" if level > clamped else "cap_lightest"
        steps.append(EscalationStep(step="cap", before=ladder[clamped], after=ladder[clamped],
                                    reason=say.step(which, form=ladder[clamped])))
    forms = [ladder[clamped]]
    for combined in sanctions.combined:
        when = combined.get("when", {})
        if _applies(when, circumstance=circumstance, severity=severity, rule=rule_id):
            added = combined["add"]
            if added not in forms:
                forms.append(added)
                steps.append(EscalationStep(step="combined", before=forms[0], after=added,
                                            reason=combined.get("reason") or say.step(
                                                "combined", form=added)))
    case_review = next((rule.reason for rule in sanctions.case_review if _applies(
        rule.when, circumstance=circumstance, severity=severity, rule=rule_id)), None)
    return Outcome(base, forms, steps, factors, exempt=False, case_review=case_review)


def _applies(when: dict[str, Any], **facts: Any) -> bool:
    for name, expected in when.items():
        options = expected if isinstance(expected, list) else [expected]
        if facts.get(name) not in options:
            return False
    return True


def authority(sanctions: Sanctions, proposer: str, forms: list[str]) -> tuple[bool, str]:
    """Whether the proposer may impose every form itself, and the body that decides."""
    may_impose = all(form in sanctions.impose.get(proposer, []) for form in forms)
    if may_impose:
        return True, proposer
    heaviest = max(forms, key=lambda f: sanctions.ladder.index(f) if f in sanctions.ladder else -1)
    deciders = [sanctions.decider[f] for f in forms if f not in sanctions.impose.get(proposer, [])]
    return False, deciders[0] if len(set(deciders)) == 1 else sanctions.decider[heaviest]
