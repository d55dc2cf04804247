"""Which field of each clause's facts splits the work into small independent partitions.

durable_rules slows down more than linearly as one session (sid) grows, and allows at most
1024 sids per ruleset, so each person's or unit's facts are evaluated as their own sid.
A rule's clauses must therefore all be joined on one shared value (a person, a unit, ...):
that value, read from each clause's own field, is the partition.
"""

from __future__ import annotations

from engine.rulebook.terms import Term


def partition_fields(clauses: list[tuple[str, tuple[Term, ...]]]) -> dict[str, str] | None:
    """alias -> field whose value is the partition, or None if no shared join exists.

    ``clauses`` are (alias, terms) of every clause, the absent one included.
    """
    if len(clauses) == 1:
        return {clauses[0][0]: "id"}
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(node: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    order: list[tuple[str, str]] = []
    for alias, terms in clauses:
        for term in terms:
            if term.ref is not None and term.op == "eq" and not term.ref.offset_days:
                a, b = (alias, term.field), (term.ref.alias, term.ref.field)
                order.extend([b, a])
                parent[find(a)] = find(b)
    aliases = [alias for alias, _ in clauses]
    for node in order:  # the first join written decides among candidates
        root = find(node)
        members = [n for n in parent if find(n) == root]
        chosen: dict[str, str] = {}
        for alias in aliases:
            fields = sorted(f for a, f in members if a == alias)
            if not fields:
                break
            chosen[alias] = fields[0]
        else:
            return chosen
    return None
