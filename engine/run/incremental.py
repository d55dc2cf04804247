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

Every other partition keeps its stored matches. Findings, their evidence and whom each holds
to account are then found over all matches, as in a full run; only the persons whose inputs
changed are explained again, the others' outcomes taken over (``engine.sanction.carry``);
the commit, with its withdrawals, reconciles what was explained. An incremental run commits
exactly what a full run would.

A run is full when asked (``--full``), when no earlier committed run stored its matches,
when the rulebook or the engine's code changed, when the evaluator cannot evaluate part of
the store (the reference evaluator), or when the number of facts shows that something other
than ``wenze ingest`` wrote to the store.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from engine.match.evaluator import Matches
from engine.match.plan import FactKey, Facts, Match, RulePlan, field_value, plan_rule
from engine.sanction.carry import Touched, code_hash, touched
from facts.contract import DATE_FIELD
from facts.recommendation_tables import EvaluationRun, PartitionMatch
from facts.store import as_dicts, fact_from_content, stream, stream_among
from facts.tables import TABLES, FactVersion, IngestBatch

FORMAT = 2  # of ``state``, ``partition_match`` and ``person_outcome``; another one: full
_CHUNK = 500  # values per IN (...) list

# plan name -> partition values to re-match (None: every partition of the plan)
Partitions = dict[str, set[Any] | None]


@dataclass
class Scope:
    """What a run evaluates: everything (``partitions`` None, ``why_full`` says why) or the
    changed partitions of each plan, the others' matches taken from the last run."""

    state: dict[str, Any]  # what this run sees, stored with it
    partitions: Partitions | None = None
    why_full: str = ""
    touched: Touched | None = None  # what changed beyond the findings (None: a full run)

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
    return Scope(state, _changed(engine, plans, mark, last.as_of, as_of), touched=since)


def _changed(engine: Engine, plans: list[RulePlan], mark: int, before: date,
             as_of: date) -> Partitions:
    """Per plan, the partitions touched by facts loaded or replaced since ingest batch
    ``mark``, or whose windows moved from ``before`` to ``as_of``."""
    changed: Partitions = {plan.name: set() for plan in plans}
    uses: dict[str, list[tuple[str, str]]] = defaultdict(list)  # kind -> (plan, field)
    for plan in plans:
        for clause in plan.clauses:
            for kind in clause.kinds:
                uses[kind].append((plan.name, clause.partition_field))

    def touch(kind: str, facts: Iterable[dict[str, Any]], only: str | None = None) -> None:
        for fact in facts:
            for name, partition_field in uses[kind]:
                values = changed[name]
                if values is not None and (only is None or only == name):
                    value = field_value(fact, partition_field)
                    if value is not None:
                        values.add(value)

    versions = FactVersion.__table__
    for kind in uses:
        table = TABLES[kind].__table__
        touch(kind, as_dicts(stream(engine, select(table).where(table.c.ingest_id > mark))))
        touch(kind, (fact_from_content(kind, r.content) for r in stream(engine, select(versions.c.content)
              .where(versions.c.kind == kind, versions.c.superseded_by_ingest > mark))))
    if before == as_of:
        return changed
    low, high = sorted((before, as_of))
    for plan in plans:
        then = plan_rule(plan.version, before)
        for clause, old in zip(plan.clauses, then.clauses, strict=True):
            edges = [(t.field, *sorted((t_old.value, t.value)))
                     for t, t_old in zip(clause.literals, old.literals, strict=True)
                     if t.value != t_old.value]
            for kind in clause.kinds:
                moved = edges + ([(DATE_FIELD[kind], low, high)] if DATE_FIELD[kind] else [])
                for name, first, last in moved:
                    if name.startswith("attrs."):  # not a column: the whole plan
                        changed[plan.name] = None
                        break
                    table = TABLES[kind].__table__
                    touch(kind, as_dicts(stream(engine, select(table).where(
                        table.c[name].between(first, last)))), only=plan.name)
    return changed


def _fact_keys(match: dict[str, str]) -> Match:
    return {alias: tuple(ref.split(":", 1)) for alias, ref in match.items()}  # type: ignore[misc]


def add_kept(engine: Engine, plans: list[RulePlan], matches: Matches, chosen: Scope) -> None:
    """Add to ``matches`` the stored matches of every partition this run did not re-match,
    and the facts they refer to."""
    assert chosen.partitions is not None
    table = PartitionMatch.__table__
    rematched = {name: None if values is None else {partition_key(v) for v in values}
                 for name, values in chosen.partitions.items()}
    wanted: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as connection:
        for row in connection.execute(select(table).order_by(table.c.plan, table.c.partition)):
            keys = rematched.get(row.plan)
            if keys is None or row.partition in keys:
                continue  # re-matched now (or a plan this rulebook does not have)
            for stored in row.matches:
                match = _fact_keys(stored)
                matches.by_rule[row.plan].append(match)
                for kind, fact_id in match.values():
                    if (kind, fact_id) not in matches.facts:
                        wanted[kind].add(fact_id)
    for kind, ids in wanted.items():
        facts = TABLES[kind].__table__
        for fact in as_dicts(stream_among(engine, select(facts), facts.c.id, ids)):
            key: FactKey = (kind, fact["id"])
            matches.facts[key] = fact


def save(connection: Connection, plans: list[RulePlan], fresh: dict[str, list[Match]],
         facts: Facts, chosen: Scope) -> None:
    """Store the matches of every partition this run matched, in the run's transaction."""
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
            grouped[partition_key(partition_of(plan, match, facts))].append(
                {alias: f"{kind}:{fact_id}" for alias, (kind, fact_id) in match.items()})
        rows = [{"plan": plan.name, "partition": key, "matches": found}
                for key, found in sorted(grouped.items())]
        for i in range(0, len(rows), _CHUNK):
            connection.execute(insert(table), rows[i:i + _CHUNK])
