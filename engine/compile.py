"""Compiling a rule version for evaluation: SQL-side literal terms and a durable_rules ruleset.

durable_rules is fed only what needs a join. Every literal term (a field against a value)
is evaluated before durable_rules sees a fact; each fact sent carries a flag ``q_<alias>``
per clause it qualified for, and the fields that joins compare. The ruleset is ASCII only:
strings are encoded, dates are day numbers, numbers are scaled integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.partition import partition_fields
from engine.rulebook import RuleVersion
from engine.terms import Term

_PLAIN = re.compile(r"^[A-Za-z0-9_.:-]*$")
NUMBER_SCALE = 10**6
_DURABLE_OP = {"ne": "$neq", "gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte"}


def encode(value: Any) -> Any:
    """A fact value as durable_rules can hold it without loss: ASCII strings and integers.

    Injective per type and order-preserving: every string becomes ``~`` and its UTF-8 bytes
    in hex, which sort as the strings do (a plain string left as it was would sort before
    every encoded one, so ``before``/``after`` joins on text compared wrongly). Floats in
    exponent form break durable_rules, so every number becomes an integer in millionths
    (``true`` is the number 1, as in Python); dates become day numbers.
    """
    if value is None:
        return None
    if isinstance(value, date):
        return value.toordinal()
    if isinstance(value, int | float):
        return int(round(value * NUMBER_SCALE))
    return "~" + str(value).encode().hex()


def message_key(text: str) -> str:
    """An ASCII message id or sid for ``text``: itself when plain, else ``~`` and hex."""
    return text if _PLAIN.match(text) else "~" + text.encode().hex()


def field_value(fact: dict[str, Any], name: str) -> Any:
    """A field of a fact, ``attrs.key`` reading the attrs map."""
    if name.startswith("attrs."):
        return (fact.get("attrs") or {}).get(name.removeprefix("attrs."))
    return fact.get(name)


def _msg_field(name: str) -> str:
    """Message key for a fact field (attrs keys may be non-ASCII, so they are encoded)."""
    if name.startswith("attrs."):
        return "a_" + name.removeprefix("attrs.").encode().hex()
    return "f_" + name


@dataclass(frozen=True)
class CompiledClause:
    alias: str
    kind: str
    literals: tuple[Term, ...]
    joins: tuple[Term, ...]
    partition_field: str
    negated: bool


@dataclass(frozen=True)
class CompiledRule:
    version: RuleVersion
    ruleset_name: str
    clauses: tuple[CompiledClause, ...]  # positive clauses, then the absent one if any
    message_fields: dict[str, tuple[str, ...]]  # alias -> fact fields its messages carry
    definition: dict[str, Any]  # the durable_rules ruleset, JSON-ready, ASCII only

    @property
    def positive(self) -> tuple[CompiledClause, ...]:
        return tuple(c for c in self.clauses if not c.negated)

    @property
    def absent(self) -> CompiledClause | None:
        return next((c for c in self.clauses if c.negated), None)


def _durable_join(term: Term) -> dict[str, Any]:
    assert term.ref is not None
    rhs: Any = {"a_" + term.ref.alias: _msg_field(term.ref.field)}
    if term.ref.offset_days:
        op = "$add" if term.ref.offset_days > 0 else "$sub"
        rhs = {op: {"$l": rhs, "$r": abs(term.ref.offset_days)}}
    lhs = _msg_field(term.field)
    if term.op == "eq":
        return {lhs: rhs}
    return {_DURABLE_OP[term.op]: {lhs: rhs}}


def _durable_clause(clause: CompiledClause) -> dict[str, Any]:
    # the equality joins go last in $and (durable_rules mis-evaluates them elsewhere)
    joins = sorted(clause.joins, key=lambda t: t.op == "eq")
    conditions = [{"q_" + clause.alias: 1}] + [_durable_join(t) for t in joins]
    name = "a_" + clause.alias + ("$not" if clause.negated else "")
    return {name: {"$and": conditions} if len(conditions) > 1 else conditions[0]}


def compile_rule(version: RuleVersion, as_of: date) -> CompiledRule:
    partitions = partition_fields(version)
    assert partitions is not None, "checked when the rulebook was loaded"
    sources = [(c, t, False) for c, t in version.clauses]
    if version.absent is not None:
        sources.append((version.absent[0], version.absent[1], True))
    clauses = tuple(
        CompiledClause(
            alias=clause.alias,
            kind=clause.fact,
            literals=tuple(t.resolved(as_of) for t in terms if not t.is_join),
            joins=tuple(t for t in terms if t.is_join),
            partition_field=partitions[clause.alias],
            negated=negated,
        )
        for clause, terms, negated in sources
    )
    needed: dict[str, set[str]] = {c.alias: set() for c in clauses}
    for clause in clauses:
        for term in clause.joins:
            assert term.ref is not None
            needed[clause.alias].add(term.field)
            needed[term.ref.alias].add(term.ref.field)
    name = "r_" + re.sub(r"[^a-z0-9]", "_", version.rule_id) + f"_v{version.version}"
    definition = {name: {"m": {"all": [_durable_clause(c) for c in clauses], "run": "matched"}}}
    return CompiledRule(
        version=version,
        ruleset_name=name,
        clauses=clauses,
        message_fields={alias: tuple(sorted(f)) for alias, f in needed.items()},
        definition=definition,
    )


def durable_hash(message_id: str) -> int:
    """The 32-bit FNV-1a hash durable_rules keys a stored message by (signed chars, as in C).

    durable_rules refuses a message whose id hashes like one already in its sid, without
    comparing the ids (``storeMessage`` in state.c): a distinct fact would be lost. The feed
    uses this to give such a fact another id before it is sent.
    """
    value = 0x811C9DC5
    for byte in message_id.encode():
        value ^= byte - 256 if byte > 127 else byte
        value = (value * 16777619) & 0xFFFFFFFF
    return value


def message(rule: CompiledRule, fact: dict[str, Any], sid: str, qualified: set[str],
            message_id: str) -> dict[str, Any]:
    """The durable_rules message for one fact in one partition: its id, flags and join fields."""
    msg: dict[str, Any] = {"sid": sid, "id": message_id}
    for alias in sorted(qualified):
        msg["q_" + alias] = 1
        for name in rule.message_fields[alias]:
            value = encode(field_value(fact, name))
            if value is not None:
                msg[_msg_field(name)] = value
    return msg
