"""Incremental evaluation: re-match only the partitions whose facts or time windows changed.

A rule plan's matches fall into partitions (``engine.rulebook.partition``): every fact of a
match shares one value, a person or a unit, and no match crosses two. The matches of a
partition are a pure function of its facts and of the evaluation date, so each committed
run stores them (``partition_match``) with what it saw (``evaluation_run.state``: the last
ingest batch, the number of facts, its as-of date). The next run re-matches a partition
only if

- a fact of one of its clauses' kinds was loaded or replaced since (``ingest_id`` above the
  last run's batch; the replaced version's partition too, from ``fact_version``), or
- the evaluation date moved a window edge over one of its facts: a fact dated between the
  two as-of dates (``known_on``), or whose field lies between a literal term's two
  resolutions (``date >= as_of - 12m``).

Every other partition keeps its stored matches. Findings and whom each holds to account are
then found over all matches, as in a full run. A finding's ``evidence:`` lookup is taken over
from the last run (``finding_evidence``) when it would find the same: the same matches, none
of their facts loaded or replaced, and no fact of the clause's kinds changed (loaded,
replaced, or over a moved window edge) whose narrowing join field has one of the finding's
join values (``KeptEvidence``). Only the persons whose inputs changed are explained again,
the others' outcomes taken over (``engine.sanction.carry``); the commit, with its
withdrawals, reconciles what was explained. An incremental run commits exactly what a full
run would.

A run is full when asked (``--full``), when no earlier committed run stored its matches,
when the rulebook or the engine's code changed, when the evaluator cannot evaluate part of
the store (the reference evaluator), or when the number of facts shows that something other
than ``wenze ingest`` wrote to the store.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from engine.match import coverage
from engine.match.evaluator import Matches
from engine.match.evidence import join_values, narrowing_field
from engine.match.findings import Finding
from engine.match.plan import (
    ClausePlan,
    FactKey,
    Facts,
    Match,
    RulePlan,
    field_value,
    plan_rule,
)
from engine.sanction.carry import Touched, code_hash, touched
from facts.contract import DATE_FIELD
from facts.recommendation_tables import EvaluationRun, FindingEvidence, PartitionMatch
from facts.store import as_dicts, fact_from_content, read_facts, stream, unindexed
from facts.tables import TABLES, FactVersion, IngestBatch

FORMAT = 2  # of ``state``, ``partition_match``, ``finding_evidence``, ``person_outcome``; another: full
_CHUNK = 500  # values per IN (...) list

# plan name -> partition values to re-match (None: every partition of the plan)
Partitions = dict[str, set[Any] | None]
# (plan name, evidence clause alias) -> values of its narrowing field that changed (None: any)
EvidenceChanges = dict[tuple[str, str], set[Any] | None]


@dataclass
class Scope:
    """What a run evaluates: everything (``partitions`` None, ``why_full`` says why) or the
    changed partitions of each plan, the others' matches taken from the last run."""

    state: dict[str, Any]  # what this run sees, stored with it
    partitions: Partitions | None = None
    why_full: str = ""
    touched: Touched | None = None  # what changed beyond the findings (None: a full run)
    # per (plan, evidence clause alias): the changed values of its narrowing field (None: any)
    evidence: EvidenceChanges = field(default_factory=dict)
    # facts of the kinds the rules match, loaded or replaced since
    loaded: set[FactKey] = field(default_factory=set)

    def summary(self) -> dict[str, Any]:
        """The state stored with the run, and how much of the store it re-matched."""
        if self.partitions is None:
            return {**self.state, "full": self.why_full}
        assert self.touched is not None
        return {**self.state, "full": None, "partitions": sum(
            len(v) for v in self.partitions.values() if v is not None), "whole_plans": sorted(
            name for name, v in self.partitions.items() if v is None),
            "everyone_explained": self.touched.everyone or None}


def partition_key(value: Any) -> str:
    """A partition value as stored text (a person's or unit's id, as JSON)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def partition_of(plan: RulePlan, match: Match, facts: Facts) -> Any:
    """The partition a match belongs to: its first clause's fact's partition field."""
    clause = plan.positive[0]
    return field_value(facts[match[clause.alias]], clause.partition_field)


def _snapshot(connection: Connection) -> dict[str, Any]:
    facts = sum(connection.execute(select(func.count()).select_from(t.__table__)).scalar_one()
                for t in TABLES.values())
    batch = connection.execute(select(func.max(IngestBatch.__table__.c.id))).scalar() or 0
    return {"format": FORMAT, "ingest_batch": batch, "facts": facts, "code": code_hash()}


def _last_run(connection: Connection) -> Any:
    table = EvaluationRun.__table__
    return connection.execute(select(table).where(table.c.status == "committed")
                              .order_by(table.c.id.desc()).limit(1)).first()


def _written_outside_ingest(connection: Connection, before: dict[str, Any],
                            now: dict[str, Any]) -> bool:
    """Whether the number of facts is not what the ingest batches since explain."""
    mark = before["ingest_batch"]
    loaded = sum(connection.execute(select(func.count()).select_from(t.__table__).where(
        t.__table__.c.ingest_id > mark)).scalar_one() for t in TABLES.values())
    versions = FactVersion.__table__
    replaced = connection.execute(select(func.count()).select_from(
        select(versions.c.kind, versions.c.id).where(versions.c.superseded_by_ingest > mark,
                                                     versions.c.ingest_id <= mark)
        .distinct().subquery())).scalar_one()
    return now["facts"] != before["facts"] + loaded - replaced


def scope(engine: Engine, plans: list[RulePlan], rulebook_hash: str, as_of: date, *,
          full: bool = False, partial: bool = True) -> Scope:
    """What this run must evaluate (see the module docstring). ``partial``: whether the
    evaluator can evaluate part of the store."""
    with engine.connect() as connection:
        state = _snapshot(connection)
        last = _last_run(connection)
        why = ("asked for a full run" if full else
               "the evaluator evaluates everything" if not partial else
               "no earlier run stored its matches" if last is None or not last.state
               or last.state.get("format") != FORMAT else
               "the rulebook changed" if last.rulebook_hash != rulebook_hash else
               "the engine's code changed" if last.state.get("code") != state["code"] else
               "facts were written other than by wenze ingest"
               if _written_outside_ingest(connection, last.state, state) else "")
        if why:
            return Scope(state, None, why)
        mark = last.state["ingest_batch"]
        since = touched(connection, mark, last.as_of, as_of)
    partitions, evidence, loaded = _changed(engine, plans, mark, last.as_of, as_of)
    return Scope(state, partitions, touched=since, evidence=evidence, loaded=loaded)


@dataclass
class _Watch:
    """One clause whose changed facts are looked for: the values of ``field`` among them go
    into ``into[key]``; with no field, any changed fact makes it None (every value)."""

    into: dict[Any, Any]
    key: Any
    clause: ClausePlan  # as planned on this run's date
    then: ClausePlan  # as planned on the last run's
    field: str | None

    def touch(self, facts: Iterable[dict[str, Any]]) -> None:
        for fact in facts:
            values = self.into[self.key]
            if values is None:
                return
            if self.field is None:
                self.into[self.key] = None
                return
            value = field_value(fact, self.field)
            if value is not None:
                values.add(value)


def _changed(engine: Engine, plans: list[RulePlan], mark: int, before: date,
             as_of: date) -> tuple[Partitions, EvidenceChanges, set[FactKey]]:
    """Per plan, the partitions touched by facts loaded or replaced since ingest batch
    ``mark``, or whose windows moved from ``before`` to ``as_of``; per evidence clause, the
    values of its narrowing field among its facts changed so; and the facts loaded or
    replaced (each kind read once, whatever number of clauses read it)."""
    changed: Partitions = {plan.name: set() for plan in plans}
    evidence: EvidenceChanges = {}
    watches: list[_Watch] = []
    for plan in plans:
        then = plan_rule(plan.version, before) if before != as_of else plan
        watches += [_Watch(changed, plan.name, clause, old, clause.partition_field)
                    for clause, old in zip(plan.clauses, then.clauses, strict=True)]
        for clause, old in zip(plan.evidence, then.evidence, strict=True):
            evidence[(plan.name, clause.alias)] = set()
            watches.append(_Watch(evidence, (plan.name, clause.alias), clause, old,
                                  narrowing_field(clause)))
    by_kind: dict[str, list[_Watch]] = defaultdict(list)
    for watch in watches:
        for kind in watch.clause.kinds:
            by_kind[kind].append(watch)
    loaded: set[FactKey] = set()
    versions = FactVersion.__table__
    for kind, kind_watches in by_kind.items():
        table = TABLES[kind].__table__
        # of a day's thousands of new filings only the columns the watches read, each value
        # once (not through its own index, which SQLite would scan whole for DISTINCT; not
        # of a JSON column, which PostgreSQL cannot compare); a kind only evidence clauses
        # read needs no ids
        matched = any(w.into is changed for w in kind_watches)
        read = sorted({*(["id"] if matched else []),
                       *(w.field.split(".")[0] for w in kind_watches if w.field)})
        query = select(*(unindexed(table.c[n]).label(n) for n in read)) if read \
            else select(table.c.id).limit(1)  # whether any
        if read and "attrs" not in read:
            query = query.distinct()
        new = list(as_dicts(stream(engine, query.where(table.c.ingest_id > mark))))
        if matched:
            loaded.update((kind, fact["id"]) for fact in new)
        old = [fact_from_content(kind, r.content) for r in stream(engine, select(
            versions.c.content).where(versions.c.kind == kind,
                                      versions.c.superseded_by_ingest > mark))]
        for watch in kind_watches:
            watch.touch(new)
            watch.touch(old)
    if before == as_of:
        return changed, evidence, loaded
    low, high = sorted((before, as_of))
    for watch in watches:
        edges = [(t.field, *sorted((t_old.value, t.value)))
                 for t, t_old in zip(watch.clause.literals, watch.then.literals, strict=True)
                 if t.value != t_old.value]
        for kind in watch.clause.kinds:
            moved = edges + ([(DATE_FIELD[kind], low, high)] if DATE_FIELD[kind] else [])
            for name, first, last in moved:
                if watch.into[watch.key] is None:
                    break
                if name.startswith("attrs."):  # not a column: every value
                    watch.into[watch.key] = None
                    break
                table = TABLES[kind].__table__
                watch.touch(as_dicts(stream(engine, select(table).where(
                    table.c[name].between(first, last)))))
    return changed, evidence, loaded


class KeptEvidence:
    """The evidence the last run's lookups found, for the findings whose lookup would find
    the same now (``engine.match.evidence.with_evidence``): the same matches, none of their
    facts loaded or replaced since, and no fact of an evidence clause's kinds changed (loaded,
    replaced, or over a moved window edge) whose narrowing field has one of the finding's
    join values (for a clause without such a field: none changed at all)."""

    def __init__(self, engine: Engine, chosen: Scope, facts: Facts):
        table = FindingEvidence.__table__
        with engine.connect() as connection:
            self.stored = {(row.plan, row.key): (row.matches, row.evidence)
                           for row in connection.execute(select(table))}
        self.changes, self.loaded, self.facts = chosen.evidence, chosen.loaded, facts
        self.carried: set[tuple[str, str]] = set()

    def __call__(self, finding: Finding) -> list[tuple[str, FactKey]] | None:
        key = (finding.rule.name, _key_text(finding.key))
        stored = self.stored.get(key)
        if stored is None or coverage.active() or stored[0] != _match_texts(finding.matches) \
                or any(fact in self.loaded for m in finding.matches for fact in m.values()):
            return None
        for clause in finding.rule.evidence:
            values = self.changes.get((finding.rule.name, clause.alias))
            if values is None or (values and not values.isdisjoint(
                    join_values(clause, finding, self.facts))):
                return None
        self.carried.add(key)
        return [(alias, _fact_key(ref)) for alias, ref in stored[1]]


def _key_text(key: tuple[str, ...]) -> str:
    return json.dumps(list(key), ensure_ascii=False)


def _fact_key(ref: str) -> FactKey:
    """A stored ``kind:id`` as the fact's key."""
    kind, _, fact_id = ref.partition(":")
    return kind, fact_id


def _match_text(match: Match) -> dict[str, str]:
    """A match as stored: clause alias -> ``kind:id``."""
    return {alias: f"{kind}:{fact_id}" for alias, (kind, fact_id) in match.items()}


def _match_texts(matches: Iterable[Match]) -> list[dict[str, str]]:
    return [_match_text(m) for m in matches]


def _fact_keys(match: dict[str, str]) -> Match:
    return {alias: _fact_key(ref) for alias, ref in match.items()}


def add_kept(engine: Engine, plans: list[RulePlan], matches: Matches, chosen: Scope) -> None:
    """Add to ``matches`` the stored matches of every partition this run did not re-match,
    and the facts they refer to."""
    assert chosen.partitions is not None
    table = PartitionMatch.__table__
    rematched = {name: None if values is None else {partition_key(v) for v in values}
                 for name, values in chosen.partitions.items()}
    kept: list[FactKey] = []
    with engine.connect() as connection:
        for row in connection.execute(select(table).order_by(table.c.plan, table.c.partition)):
            keys = rematched.get(row.plan)
            if keys is None or row.partition in keys:
                continue  # re-matched now (or a plan this rulebook does not have)
            for stored in row.matches:
                match = _fact_keys(stored)
                matches.by_rule[row.plan].append(match)
                kept += match.values()
    read_facts(engine, kept, matches.facts)


def save(connection: Connection, plans: list[RulePlan], fresh: dict[str, list[Match]],
         facts: Facts, chosen: Scope, found: list[Finding], kept: KeptEvidence | None) -> None:
    """Store the matches of every partition this run matched, and the evidence of every
    finding it looked up, in the run's transaction."""
    _save_evidence(connection, found, kept)
    table = PartitionMatch.__table__
    if chosen.partitions is None:
        connection.execute(delete(table))
    for plan in plans:
        values = None if chosen.partitions is None else chosen.partitions[plan.name]
        if chosen.partitions is not None:
            if values is None:
                connection.execute(delete(table).where(table.c.plan == plan.name))
            else:
                keys = sorted(partition_key(v) for v in values)
                for i in range(0, len(keys), _CHUNK):
                    connection.execute(delete(table).where(
                        table.c.plan == plan.name, table.c.partition.in_(keys[i:i + _CHUNK])))
        grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
        for match in fresh.get(plan.name, []):
            grouped[partition_key(partition_of(plan, match, facts))].append(_match_text(match))
        rows = [{"plan": plan.name, "partition": key, "matches": found}
                for key, found in sorted(grouped.items())]
        for i in range(0, len(rows), _CHUNK):
            connection.execute(insert(table), rows[i:i + _CHUNK])


def _save_evidence(connection: Connection, found: list[Finding], kept: KeptEvidence | None) -> None:
    """The evidence of the findings of rules with ``evidence:`` clauses that this run looked
    up (all of them in a full run), and none for findings it no longer has."""
    table = FindingEvidence.__table__
    carried = kept.carried if kept is not None else set()
    fresh = []
    for finding in found:
        key = (finding.rule.name, _key_text(finding.key))
        if finding.rule.evidence and key not in carried:
            aliases = {clause.alias for clause in finding.rule.evidence}
            fresh.append({"plan": key[0], "key": key[1],
                          "matches": _match_texts(finding.matches),
                          "evidence": [[alias, f"{kind}:{fact_id}"] for alias, (kind, fact_id)
                                       in finding.evidence if alias in aliases]})
    if kept is None:
        connection.execute(delete(table))
    else:  # every stored row but those taken over: gone, or written again now
        by_plan: dict[str, list[str]] = defaultdict(list)
        for plan, key in sorted(kept.stored.keys() - carried):
            by_plan[plan].append(key)
        for plan, keys in by_plan.items():
            for i in range(0, len(keys), _CHUNK):
                connection.execute(delete(table).where(table.c.plan == plan,
                                                       table.c.key.in_(keys[i:i + _CHUNK])))
    fresh.sort(key=lambda row: (row["plan"], row["key"]))
    for i in range(0, len(fresh), _CHUNK):
        connection.execute(insert(table), fresh[i:i + _CHUNK])
