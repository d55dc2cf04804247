"""What changes between two rulebooks' recommendations, case by case, over as-of dates.

Two replays of the same store on the same date (``engine.run.replay``) are compared by
matter: the same recommendation id (it is derived from rule, person and the facts that
anchor the finding), or else the same person with overlapping evidence (a renamed rule, a
finding that gathered another fact). A case is *added* (only the new rulebook recommends
it), *removed* (only the old one does) or *changed* (both, with another form,
responsibility, degree, proposer or route), with the reason read from what each run
would have written: the escalation steps that differ, or why a finding was set aside.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from engine.run.replay import Replayed
from engine.sanction.accountable import SetAside
from engine.sanction.explanation import EscalationStep, Explanation

# what a case compares; form is all the forms (combined forms included)
COMPARED = ("forms", "responsibility", "degree", "proposer", "route")


@dataclass
class Side:
    """A matter's recommendation under one rulebook."""

    id: str
    rule: str
    rule_version: int
    forms: list[str]
    form_labels: list[str]
    responsibility: str
    degree: str
    degree_label: str
    proposer: str
    proposer_label: str
    route: str
    evidence: list[str]  # "kind:id"
    steps: list[str]  # the escalation, as the explanation says it

    @staticmethod
    def of(rec_id: str, e: Explanation) -> Side:
        return Side(rec_id, e.rule_id, e.rule_version, list(e.forms), list(e.form_labels),
                    e.responsibility, e.degree, e.degree_label, e.proposer, e.proposer_label,
                    e.route, [f"{x.kind}:{x.id}" for x in e.evidence], [s.reason for s in e.steps])


@dataclass
class Reason:
    side: Literal["before", "after"]  # which rulebook said it
    text: str  # Chinese, from the county's wording (a step or a set-aside reason)


@dataclass
class Case:
    kind: Literal["added", "removed", "changed"]
    id: str  # the matter's recommendation id (the old rulebook's, when both have one)
    person: str
    person_name: str
    unit: str  # the person's unit at the time of the conduct
    unit_name: str
    circumstance: int
    circumstance_label: str
    conduct_date: date
    before: Side | None
    after: Side | None
    changed: list[str]  # which of COMPARED differ
    reasons: list[Reason]
    as_of: list[date] = field(default_factory=list)  # the dates on which it differs
    decided: str | None = None  # approved | amended | rejected: a stored decision it would change
    stored_id: str | None = None  # the stored recommendation of the matter, if any

    @property
    def evidence(self) -> set[str]:
        return {*(self.before.evidence if self.before else ()),
                *(self.after.evidence if self.after else ())}


@dataclass
class DatePoint:
    as_of: date
    before: int  # recommendations under the old rulebook
    after: int  # under the new one
    added: int
    removed: int
    changed: int


def _step_key(step: EscalationStep) -> tuple[Any, ...]:
    # a prior is the same step whatever the window its sentence names
    return (step.step, step.ref) if step.ref else (step.step, step.after, step.reason)


def _step_reasons(old: Explanation, new: Explanation) -> list[Reason]:
    before = {_step_key(s) for s in old.steps}
    after = {_step_key(s) for s in new.steps}
    return ([Reason("before", s.reason) for s in old.steps if _step_key(s) not in after]
            + [Reason("after", s.reason) for s in new.steps if _step_key(s) not in before])


def _aside_about(items: list[SetAside], person: str, evidence: set[str]) -> list[str]:
    return sorted({item.detail for item in items if item.person in (None, person)
                   and evidence & set(item.facts)})


def _case(kind: str, rec_id: str, old: Explanation | None, new: Explanation | None,
          reasons: list[Reason]) -> Case:
    e = new or old
    assert e is not None
    before = Side.of(rec_id, old) if old else None
    after = Side.of(rec_id, new) if new else None
    changed = [name for name in COMPARED
               if before and after and getattr(before, name) != getattr(after, name)]
    return Case(kind, rec_id, e.subject.id, e.subject.name, e.post.unit, e.post.unit_name,  # type: ignore[arg-type]
                e.circumstance, e.circumstance_label, e.conduct_date, before, after, changed,
                reasons)


def compare(old: Replayed, new: Replayed) -> list[Case]:
    """Every case that differs between two replays on the same date."""
    before = {k: e for k, (e, _) in old.recommended.chosen.items()}
    after = {k: e for k, (e, _) in new.recommended.chosen.items()}
    pairs = [(k, k) for k in sorted(before.keys() & after.keys())]
    only_after = set(after) - set(before)
    for key in sorted(set(before) - set(after)):  # the same matter under another id
        evidence = {f"{x.kind}:{x.id}" for x in before[key].evidence}
        same = sorted(k for k in only_after if after[k].subject.id == before[key].subject.id
                      and evidence & {f"{x.kind}:{x.id}" for x in after[k].evidence})
        if same:
            pairs.append((key, same[0]))
            only_after.discard(same[0])
    cases = []
    for old_id, new_id in pairs:
        case = _case("changed", old_id, before[old_id], after[new_id],
                     _step_reasons(before[old_id], after[new_id]))
        if old_id != new_id or case.changed:
            cases.append(case)
    paired = {old_id for old_id, _ in pairs}
    for key in sorted(set(before) - paired):
        e = before[key]
        reasons = _aside_about(new.recommended.set_aside, e.subject.id,
                               {f"{x.kind}:{x.id}" for x in e.evidence})
        cases.append(_case("removed", key, e, None, [Reason("after", r) for r in reasons]))
    for key in sorted(only_after):
        e = after[key]
        reasons = _aside_about(old.recommended.set_aside, e.subject.id,
                               {f"{x.kind}:{x.id}" for x in e.evidence})
        cases.append(_case("added", key, None, e, [Reason("before", r) for r in reasons]))
    return cases


@dataclass
class Impact:
    """Two rulebooks over a range of as-of dates: what would change, case by case."""

    before_hash: str
    after_hash: str
    before_source: str  # the folder or git revision it was read from
    after_source: str
    start: date
    end: date
    dates: list[DatePoint] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)  # each once, as on its last differing date
    seconds: float = 0.0

    def add(self, old: Replayed, new: Replayed) -> None:
        """One as-of date's replays."""
        found = compare(old, new)
        kinds = Counter(c.kind for c in found)
        self.dates.append(DatePoint(old.as_of, len(old.recommended.chosen),
                                    len(new.recommended.chosen), kinds["added"],
                                    kinds["removed"], kinds["changed"]))
        known = {c.id: c for c in self.cases}
        for case in found:
            earlier = known.get(case.id)
            case.as_of = [*(earlier.as_of if earlier else []), old.as_of]
            if earlier:
                self.cases[self.cases.index(earlier)] = case
            else:
                self.cases.append(case)
                known[case.id] = case

    def mark_decided(self, stored: list[dict[str, Any]]) -> None:
        """Link each case to the stored recommendation of its matter; note decided ones."""
        by_id = {row["id"]: row for row in stored}
        for case in self.cases:
            row = by_id.get(case.id) or next(
                (r for r in stored if r["person"] == case.person
                 and case.evidence & set(r["evidence"])), None)
            if row is not None:
                case.stored_id = row["id"]
                if row["status"] in ("approved", "amended", "rejected"):
                    case.decided = row["status"]

    @property
    def decided(self) -> list[Case]:
        return [c for c in self.cases if c.decided]

    def totals(self, by: str) -> dict[str, Counter]:
        """Cases per circumstance, unit or form, each split into added, removed, changed."""
        result: dict[str, Counter] = {}
        for case in self.cases:
            if by == "circumstance":
                key = f"{case.circumstance} {case.circumstance_label}"
            elif by == "unit":
                key = case.unit_name
            else:
                before = "＋".join(case.before.form_labels) if case.before else "—"
                after = "＋".join(case.after.form_labels) if case.after else "—"
                key = f"{before} → {after}"
            result.setdefault(key, Counter())[case.kind] += 1
        return dict(sorted(result.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))
