"""From a finding about one person to the proposed form(s), one recorded step at a time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from engine.match import coverage
from engine.rulebook.spec import Sanctions, SanctionValues
from engine.rulebook.terms import Period
from engine.rulebook.wording import Sayings
from engine.sanction.explanation import EscalationStep, Factor, SanctionsChoice


@dataclass
class Outcome:
    base_form: str
    forms: list[str]
    steps: list[EscalationStep]
    factors: list[Factor]
    exempt: bool
    case_review: str | None = None  # the ground on which a case review (立案审查) is proposed
    choice: SanctionsChoice | None = None  # set when the values changed since the conduct


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes", "1"))


def read_factors(sanctions: Sanctions, values: SanctionValues, say: Sayings,
                 person: dict[str, Any], evidence: list[tuple[str, dict[str, Any]]]
                 ) -> list[Factor]:
    """Aggravating, mitigating and exempting factors (as in force in ``values``) from attrs of
    the person and the evidence."""
    found: list[Factor] = []
    sources = [(f"person:{person['id']}", person.get("attrs") or {})]
    sources += [(f"{kind}:{fact['id']}", fact.get("attrs") or {}) for kind, fact in evidence]
    for kind, factors in (("exempt", values.exempt), ("aggravating", values.aggravating),
                          ("mitigating", values.mitigating)):
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


def lookback_start(lookback: Period, conduct_date: date) -> date:
    """The first day of the look-back window before the conduct (counted as terms count)."""
    return Period(-lookback.amount, lookback.unit).add_to(conduct_date)


def decide_forms(sanctions: Sanctions, values: SanctionValues, say: Sayings, *,
                 circumstance: int, severity: str, responsibility: str, degree: str,
                 conduct_date: date, priors: list[dict[str, Any]], factors: list[Factor], rule_id: str
                 ) -> Outcome:
    """Base form, then responsibility and degree, priors in the look-back window, factors;
    clamped to the ladder — all as ``values`` say. A party sanction is never among the forms:
    where the county's rules see grounds for one, the outcome proposes a case review instead."""
    record = coverage.sanction
    ladder = values.ladder
    base = values.base[circumstance][severity]
    record(f"base:{values.sources['base']}:{circumstance}:{severity}")
    steps = [EscalationStep(step="base", before=None, after=base, reason=say.step(
        "base", circumstance=circumstance, severity=severity, form=base))]
    for factor in factors:
        if factor.code != "dissent":
            record(f"{factor.type}:{values.sources[factor.type]}:{factor.code}")
        else:
            record("dissent")
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
    delta = values.degree_steps.get(degree, 0)
    if delta:
        record(f"degree_steps:{values.sources['degree_steps']}:{degree}")
        move("degree", delta, say.step("degree", degree=degree, delta=delta))
    window_start = lookback_start(values.lookback, conduct_date)
    lookback = say.period(values.lookback)
    for fact in sorted(priors, key=lambda f: (f["date"], f["id"])):
        if fact["date"] < conduct_date:
            held = window_start <= fact["date"]
            record(f"lookback:{values.sources['lookback']}:{'held' if held else 'failed'}")
            if held:
                move("prior", 1, say.step("prior_accountability", date=fact["date"],
                                          form=fact["form"], id=fact["id"], lookback=lookback),
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
    record(f"ladder:{values.sources['ladder']}:{ladder[clamped]}")
    for n, combined in enumerate(values.combined):
        when = combined.get("when", {})
        if _applies(when, circumstance=circumstance, severity=severity, rule=rule_id):
            record(f"combined:{values.sources['combined']}:{n}")
            added = combined["add"]
            if added not in forms:
                forms.append(added)
                steps.append(EscalationStep(step="combined", before=forms[0], after=added,
                                            reason=combined.get("reason") or say.step(
                                                "combined", form=added)))
    case_review = None
    for n, rule in enumerate(sanctions.case_review):
        if _applies(rule.when, circumstance=circumstance, severity=severity, rule=rule_id):
            record(f"case_review:{n}")
            case_review = rule.reason
            break
    return Outcome(base, forms, steps, factors, exempt=False, case_review=case_review)


def judge(sanctions: Sanctions, say: Sayings, *, person: dict[str, Any],
          evidence: list[tuple[str, dict[str, Any]]], conduct_date: date, as_of: date,
          **finding: Any) -> Outcome:
    """The outcome under the sanction values in force at the conduct, or under the current
    ones when they are lighter (从旧兼从轻); with one set of values, simply that outcome.

    Exemption is the lightest of all; equal weight keeps the values of the conduct's time.
    When the two differ the outcome carries both (``choice``) and a step saying which applies.
    """
    then_values, now_values = sanctions.at(conduct_date), sanctions.at(as_of)

    def outcome(values: SanctionValues) -> Outcome:
        factors = read_factors(sanctions, values, say, person, evidence)
        return decide_forms(sanctions, values, say, conduct_date=conduct_date, priors=finding[
            "priors"], factors=factors, **{k: v for k, v in finding.items() if k != "priors"})

    then = outcome(then_values)
    if then_values.sources == now_values.sources:
        return then
    now = outcome(now_values)

    def weight(result: Outcome) -> tuple[int, int]:
        if result.exempt:
            return (-1, 0)
        ladder = now_values.ladder if result.forms[0] in now_values.ladder else then_values.ladder
        return (ladder.index(result.forms[0]), len(result.forms))

    lighter_now = weight(now) < weight(then)
    chosen = now if lighter_now else then
    changed = [name for name in now_values.sources
               if now_values.sources[name] != then_values.sources.get(name)]
    choice = SanctionsChoice(
        conduct_date=conduct_date, as_of=as_of, changed=changed,
        then_from={n: sanctions.dated(n)[then_values.sources[n]].effective.from_ for n in changed},
        now_from={n: sanctions.dated(n)[now_values.sources[n]].effective.from_ for n in changed},
        then_forms=then.forms, now_forms=now.forms, chosen="now" if lighter_now else "then",
        reason="")
    choice.reason = say.step(
        "sanctions", choice=choice.chosen, changed=changed, then=then.forms, now=now.forms,
        then_from=choice.then_from, now_from=choice.now_from, conduct_date=conduct_date,
        as_of=as_of, then_lookback=say.period(then_values.lookback),
        now_lookback=say.period(now_values.lookback))
    if chosen.exempt:
        return replace(chosen, choice=choice)
    step = EscalationStep(step="sanctions", before=(then.forms or chosen.forms)[0],
                          after=chosen.forms[0], reason=choice.reason)
    return replace(chosen, steps=[*chosen.steps, step], choice=choice)


def _applies(when: dict[str, Any], **facts: Any) -> bool:
    for name, expected in when.items():
        options = expected if isinstance(expected, list) else [expected]
        if facts.get(name) not in options:
            return False
    return True


def authority(sanctions: Sanctions, ladder: list[str], proposer: str, forms: list[str]
              ) -> tuple[bool, str]:
    """Whether the proposer may impose every form itself, and the body that decides."""
    may_impose = all(form in sanctions.impose.get(proposer, []) for form in forms)
    if may_impose:
        return True, proposer
    heaviest = max(forms, key=lambda f: ladder.index(f) if f in ladder else -1)
    deciders = [sanctions.decider[f] for f in forms if f not in sanctions.impose.get(proposer, [])]
    return False, deciders[0] if len(set(deciders)) == 1 else sanctions.decider[heaviest]
