"""The messages durable_rules is fed for one rule plan: per partition (sid), prefiltered in SQL."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine

from engine.durable.encoding import MessageIds, encode, message_field
from engine.durable.ruleset import joined_fields
from engine.match.plan import FactKey, Facts, RulePlan, field_value
from engine.match.prefilter import clause_facts


@dataclass
class Feed:
    """What one rule plan sends to durable_rules, and how to read its matches back."""

    partitions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sid -> messages
    facts: Facts = field(default_factory=dict)  # every fact read
    decode: dict[str, FactKey] = field(default_factory=dict)  # message id -> fact


def _message(fact: dict[str, Any], sid: str, message_id: str, qualified: set[str],
             fields: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """One fact in one partition: its id, a flag per clause it qualified for, its join fields."""
    msg: dict[str, Any] = {"sid": sid, "id": message_id}
    for alias in sorted(qualified):
        msg["q_" + alias] = 1
        for name in fields[alias]:
            value = encode(field_value(fact, name))
            if value is not None:
                msg[message_field(name)] = value
    return msg


def feed(engine: Engine, plan: RulePlan, as_of: date,
         partitions: Collection[Any] | None = None) -> Feed:
    """Messages per partition, the facts of the absent clause first in each sid; only the
    ``partitions`` given (values of the partition fields), if any."""
    result = Feed()
    qualified: dict[str, dict[FactKey, set[str]]] = {}
    compared = joined_fields(plan, include_absent_refs=False)
    fields = {alias: tuple(sorted(names)) for alias, names in joined_fields(plan).items()}
    for clause in plan.clauses:
        for kind, fact in clause_facts(engine, clause, as_of, partitions):
            value = field_value(fact, clause.partition_field)
            if value is None:
                continue
            if any(field_value(fact, name) is None for name in compared[clause.alias]):
                continue  # a missing value satisfies no comparison (durable_rules would fail)
            key = (kind, fact["id"])
            result.facts.setdefault(key, fact)
            sid = str(encode(value))
            qualified.setdefault(sid, {}).setdefault(key, set()).add(clause.alias)
    absent = plan.absent.alias if plan.absent else None
    for sid, members in qualified.items():
        ordered = sorted(members.items(), key=lambda item: (absent not in item[1], item[0]))
        ids = MessageIds()
        messages = []
        for key, aliases in ordered:
            message_id = ids.assign(f"{key[0]}:{key[1]}")
            result.decode[message_id] = key
            messages.append(_message(result.facts[key], sid, message_id, aliases, fields))
        result.partitions[sid] = messages
    return result
