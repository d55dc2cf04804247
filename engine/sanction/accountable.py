"""Who is held to account for a finding: a person finding names them; a unit finding maps to
whoever held the unit's posts on the date of the conduct (not today)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.match.findings import Finding
from engine.match.plan import Facts
from engine.rulebook import Rulebook
from engine.sanction.roster import Roster


@dataclass
class Accountable:
    person: str
    responsibility: str
    degree: str
    post: dict[str, Any] | None


@dataclass
class Skipped:
    """Someone a finding points at who gets no recommendation, and why (counted per run)."""

    person: str
    reason: str  # direct_wrongdoer | exempt | no_post


def accountable_persons(finding: Finding, rulebook: Rulebook, roster: Roster,
                        facts: Facts) -> tuple[list[Accountable], list[Skipped]]:
    """A person finding names its person; a unit finding maps to who held its posts at the time."""
    spec = finding.rule.version.spec.finding
    if finding.subject_kind == "person":
        post = roster.post_of(finding.subject, finding.conduct_date)
        return [Accountable(finding.subject, spec.responsibility or "principal",
                            spec.degree or "main", post)], []
    # a direct wrongdoer is disciplined directly: excluded when the finding is all their own
    # conduct; for a cluster where others also did wrong, they still bear leadership duty
    actor_sets = [roster.actors(facts[key]) for _, key in finding.evidence if key[0] == "violation"]
    wrongdoers = set.intersection(*actor_sets) if actor_sets else set()
    chosen: list[Accountable] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for post in roster.holders(finding.subject, finding.conduct_date):
        duty = rulebook.sanctions.unit_roles.get(post["role"])
        if duty is None or post["person"] in seen:
            continue
        if duty.team_only and not spec.team:
            continue
        seen.add(post["person"])
        if post["person"] in wrongdoers:  # disciplined directly, not held accountable
            skipped.append(Skipped(post["person"], "direct_wrongdoer"))
            continue
        chosen.append(Accountable(post["person"], duty.responsibility, duty.degree, post))
    return chosen, skipped
