"""Committing a run: the recommendations it made, reconciled with those already stored.

A recommendation follows its facts. Its identity is the matter: a new finding whose
evidence overlaps a stored recommendation about the same person *is* that recommendation
(a backdated fact joining a cluster, a second failed re-check of one reminder). A pending
recommendation the run no longer finds is withdrawn, with the reason and the run; one the
run finds again is reinstated. One a person has acted on beyond returning it for evidence
(awaiting a second approval, approved, amended, rejected) is never changed by a run: it is
flagged ``facts_changed`` with what changed, for a reviewer to look at. Nothing is ever deleted.

A reviewer may decide while a run commits: every update of a row the run read as pending
(or returned) says so in its WHERE, so a decision committed in between is never overwritten;
the run leaves that row as it is and the next run flags what changed under it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from engine.match.findings import Finding
from engine.rulebook import Rulebook
from engine.sanction.accountable import SetAside
from engine.sanction.carry import Carry
from engine.sanction.explanation import Explanation
from engine.sanction.recommend import Recommended
from facts.recommendation_tables import EvaluationRun, RecommendationRow
from facts.store import fact_content
from facts.tables import TABLES

FOLLOWS = ("pending", "returned")  # statuses a run updates and withdraws; withdrawn: reinstates
_BATCH = 500  # new recommendations per INSERT


@dataclass
class RunResult:
    run_id: int
    as_of: date
    rulebook_hash: str
    counts: dict[str, Any]
    timings: dict[str, float]
    new: list[str] = field(default_factory=list)  # recommendations this run created
    changed: list[str] = field(default_factory=list)  # pending ones whose explanation changed
    unchanged: list[str] = field(default_factory=list)
    reinstated: list[str] = field(default_factory=list)  # withdrawn before, found again
    withdrawn: list[str] = field(default_factory=list)  # pending, no longer found
    flagged: list[str] = field(default_factory=list)  # decided, whose facts changed
    set_aside: list[dict[str, Any]] = field(default_factory=list)  # findings without one
    findings: list[Finding] = field(default_factory=list)  # what the rules found (not stored)


def _comparable(explanation: dict[str, Any]) -> bytes:
    """An explanation as another is compared with it: every field but the evaluation date,
    keys sorted (orjson: the standard library's encoder took a tenth of a nightly full run
    over a store whose recommendations were made before), or as the standard library
    writes what orjson refuses."""
    fields = {k: v for k, v in explanation.items() if k != "as_of"}
    try:
        return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:
        return json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str).encode()


def _values(explanation: Explanation, rulebook: Rulebook) -> dict[str, Any]:
    return dict(
        person=explanation.subject.id, person_name=explanation.subject.name,
        unit=explanation.post.unit, circumstance=explanation.circumstance,
        responsibility=explanation.responsibility, degree=explanation.degree,
        form=explanation.forms[0], proposer=explanation.proposer,
        rule=explanation.rule_id, rule_version=explanation.rule_version,
        conduct_date=explanation.conduct_date,
        evidence=[f"{e.kind}:{e.id}" for e in explanation.evidence],
        explanation=explanation.model_dump(mode="json"), rulebook_hash=rulebook.hash)


def _continuity(chosen: dict[str, tuple[Explanation, Finding]], stored: dict[str, Any]
                ) -> dict[str, tuple[Explanation, Finding]]:
    """New ids of matters already stored under another id take the stored id."""
    result = {rec_id: item for rec_id, item in chosen.items() if rec_id in stored}
    by_person: dict[str, list[Any]] = {}
    for row in stored.values():
        by_person.setdefault(row.person, []).append(row)
    for rec_id in sorted(set(chosen) - set(stored)):
        explanation = chosen[rec_id][0]
        evidence = {f"{e.kind}:{e.id}" for e in explanation.evidence}
        same = [row for row in by_person.get(explanation.subject.id, [])
                if row.id not in chosen and row.id not in result and evidence & set(row.evidence)]
        if same:
            best = max(same, key=lambda row: (len(evidence & set(row.evidence)), row.created))
            result[best.id] = chosen[rec_id]
        else:
            result[rec_id] = chosen[rec_id]
    return result


def _changes(old: dict[str, Any], new: dict[str, Any] | None, current: dict[str, dict[str, Any]],
             rulebook: Rulebook) -> list[str]:
    """What changed under a recommendation, in Chinese: evidence, corrected facts, forms, rule."""
    say = rulebook.say.text
    labels = rulebook.labels.forms
    before = {f"{e['kind']}:{e['id']}": e.get("fields", {}) for e in old["evidence"]}
    after = {f"{e['kind']}:{e['id']}": e.get("fields", {}) for e in new["evidence"]} if new else {}
    found: list[str] = []
    for ref, fields in before.items():
        now = after.get(ref) or current.get(ref)
        if now is None:
            found.append(say("changes", "fact_gone", ref=ref))
            continue
        corrected = [f"{name}：{fields.get(name)}→{now.get(name)}" for name in sorted(fields)
                     if name != "attrs" and fields.get(name) != now.get(name)]
        if corrected:
            found.append(say("changes", "fact_corrected", ref=ref, fields="，".join(corrected)))
        elif new is not None and ref not in after:
            found.append(say("changes", "evidence_removed", ref=ref))
    found += [say("changes", "evidence_added", ref=ref) for ref in after if ref not in before]
    if new is not None:
        if old["forms"] != new["forms"]:
            found.append(say("changes", "forms",
                             before="＋".join(labels.get(f, f) for f in old["forms"]),
                             after="＋".join(labels.get(f, f) for f in new["forms"])))
        if (old["rule_id"], old["rule_version"]) != (new["rule_id"], new["rule_version"]):
            found.append(say("changes", "rule_version", before=old["rule_version"],
                             after=new["rule_version"]))
    else:
        found.insert(0, say("changes", "not_found"))
    return found


def _current_facts(connection: Connection, refs: set[str]) -> dict[str, dict[str, Any]]:
    """The stored content of the facts named "kind:id", as they are now."""
    by_kind: dict[str, list[str]] = {}
    for ref in refs:
        kind, _, fact_id = ref.partition(":")
        if kind in TABLES:
            by_kind.setdefault(kind, []).append(fact_id)
    found: dict[str, dict[str, Any]] = {}
    for kind, ids in by_kind.items():
        table = TABLES[kind].__table__
        for row in connection.execute(select(table).where(table.c.id.in_(ids))).mappings():
            found[f"{kind}:{row['id']}"] = fact_content(row)
    return found


def _decided(status: str) -> bool:
    return status not in FOLLOWS and status != "withdrawn"


def _update(connection: Connection, rec_id: str, was: str, done: list[str],
            untouched: list[str], **values: Any) -> bool:
    """Update the row only if its status is still the one the run read (see the docstring)."""
    table = RecommendationRow.__table__
    changed = connection.execute(update(table).where(
        table.c.id == rec_id, table.c.status == was).values(**values)).rowcount
    (done if changed else untouched).append(rec_id)
    return bool(changed)


def commit(connection: Connection, run_id: int, parts: Iterable[Recommended],
           rulebook: Rulebook, result: RunResult, carry: Carry | None = None) -> Counter:
    """Write the run's recommendations inside the run's transaction, a part of a few hundred
    persons at a time (see the module docstring); the recommendations by circumstance.
    Persons carried over (``engine.sanction.carry``) are left as they are; with ``carry``,
    the outcome of each person explained is stored for the next run to take over."""
    table = RecommendationRow.__table__
    asides: list[SetAside] = []
    seen: set[str] = set()
    by_circumstance: Counter = Counter()
    for part in parts:
        asides.extend(part.set_aside)
        seen |= part.persons
        by_circumstance.update(e.circumstance for e, _ in part.chosen.values())
        for recommendations in part.carried.values():
            result.unchanged.extend(rec_id for rec_id, _ in recommendations)
            by_circumstance.update(circumstance for _, circumstance in recommendations)
        if part.persons and not part.carried:
            made, unsettled = _commit_persons(connection, run_id, part, asides, rulebook, result)
            if carry is not None:
                carry.store(connection, part.digests, made, part.set_aside, unsettled)
    if carry is not None:
        carry.forget_others(connection, seen)
    # those with stored recommendations whom no finding holds to account any more
    gone = sorted(set(connection.execute(select(table.c.person).where(
        table.c.status != "withdrawn").distinct()).scalars()) - seen)
    for i in range(0, len(gone), _BATCH):
        _commit_persons(connection, run_id, Recommended(persons=set(gone[i:i + _BATCH])),
                        asides, rulebook, result)
    asides.sort(key=lambda item: item.order)
    result.set_aside = [item.as_json() for item in asides]
    for ids in (result.new, result.changed, result.unchanged, result.reinstated,
                result.withdrawn, result.flagged):
        ids.sort()
    return by_circumstance


def _commit_persons(connection: Connection, run_id: int, part: Recommended,
                    asides: list[SetAside], rulebook: Rulebook, result: RunResult
                    ) -> tuple[dict[str, list[list[Any]]], set[str]]:
    """Reconcile the stored recommendations of ``part.persons`` with what the run made of them.

    Returns each person's recommendations ([id, circumstance]) and the persons some of whose
    stored recommendations are not what the run made of them: a decided one it no longer
    finds, or whose stored explanation is not the new one (a run only flags what changed
    under it; once a reviewer returns it, the next run brings it up to date, and the
    changes it flags meanwhile read the facts as they are then), or one a reviewer decided
    while the run committed. Those persons are explained again by every run."""
    table = RecommendationRow.__table__
    stored = {r.id: r for r in connection.execute(select(
        table.c.id, table.c.status, table.c.person, table.c.evidence, table.c.explanation,
        table.c.facts_changed, table.c.created).where(table.c.person.in_(sorted(part.persons))))}
    chosen = _continuity(part.chosen, stored)
    missing = [row for rec_id, row in stored.items()
               if rec_id not in chosen and row.status != "withdrawn"]
    # the facts as they are now, for what changed under a recommendation that is not pending
    looked_at = [*missing, *(row for row in stored.values() if _decided(row.status))]
    current = _current_facts(connection, {ref for row in looked_at for ref in row.evidence})
    now = datetime.now(UTC)
    new_rows: list[dict[str, Any]] = []
    made: dict[str, list[list[Any]]] = {}
    unsettled = {row.person for row in missing if _decided(row.status)}
    for rec_id in sorted(chosen):
        explanation, _ = chosen[rec_id]
        made.setdefault(explanation.subject.id, []).append([rec_id, explanation.circumstance])
        values = _values(explanation, rulebook)
        previous = stored.get(rec_id)
        if previous is None:
            new_rows.append(dict(id=rec_id, run_id=run_id, status="pending", created=now,
                                 **values))
            result.new.append(rec_id)
        elif previous.status == "withdrawn":
            if not _update(connection, rec_id, previous.status, result.reinstated,
                           result.unchanged, status="pending", status_run=run_id,
                           status_reason=rulebook.say.text("changes", "reinstated"), **values):
                unsettled.add(previous.person)
        elif _decided(previous.status):
            if _comparable(previous.explanation) != _comparable(values["explanation"]):
                unsettled.add(previous.person)  # left as it is (see the docstring)
            changes = _changes(previous.explanation, values["explanation"], current, rulebook)
            if changes and (previous.facts_changed or {}).get("changes") != changes:
                connection.execute(update(table).where(table.c.id == rec_id).values(
                    facts_changed={"run": run_id, "changes": changes}))
                result.flagged.append(rec_id)
            else:
                result.unchanged.append(rec_id)
        elif _comparable(previous.explanation) != _comparable(values["explanation"]):
            if not _update(connection, rec_id, previous.status, result.changed,
                           result.unchanged, **values):
                unsettled.add(previous.person)
        else:
            result.unchanged.append(rec_id)
    if new_rows:
        connection.execute(insert(table), new_rows)
    said = sorted((item for item in asides if item.person in (None, *part.persons)),
                  key=lambda item: item.order)  # why some of theirs may no longer be found
    kept = {rec_id: (item[0].subject.id, {f"{e.kind}:{e.id}" for e in item[0].evidence})
            for rec_id, item in chosen.items()}
    for row in missing:
        evidence = set(row.evidence)
        changes = [rulebook.say.text("changes", "merged", into=rec_id)
                   for rec_id, (person, facts) in sorted(kept.items())
                   if person == row.person and evidence & facts]
        if not changes:  # not merged into another: say why it is no longer found
            changes = [item.detail for item in said
                       if evidence & set(item.facts) and item.person in (None, row.person)]
            changes += _changes(row.explanation, None, current, rulebook)
        if row.status in FOLLOWS:
            if not _update(connection, row.id, row.status, result.withdrawn, result.unchanged,
                           status="withdrawn", status_run=run_id,
                           status_reason="；".join(changes)):
                unsettled.add(row.person)
        elif (row.facts_changed or {}).get("changes") != changes:
            connection.execute(update(table).where(table.c.id == row.id).values(
                facts_changed={"run": run_id, "changes": changes}))
            result.flagged.append(row.id)
    return made, unsettled


def record(connection: Connection, result: RunResult, counts: Counter,
           by_circumstance: Counter) -> None:
    """The run's counts and set-aside findings, on its row; the run is committed with them."""
    counts.update(recommendations=sum(by_circumstance.values()), new=len(result.new),
                  changed=len(result.changed),
                  unchanged=len(result.unchanged), reinstated=len(result.reinstated),
                  withdrawn=len(result.withdrawn), facts_changed=len(result.flagged),
                  set_aside=len(result.set_aside))
    result.counts = {**dict(counts),
                     "by_circumstance": {str(k): v for k, v in sorted(by_circumstance.items())}}
    connection.execute(update(EvaluationRun.__table__).where(
        EvaluationRun.__table__.c.id == result.run_id).values(
        status="committed", finished=datetime.now(UTC), counts=result.counts,
        timings=result.timings, set_aside=result.set_aside))
