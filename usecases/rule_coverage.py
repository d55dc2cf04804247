"""What the rule tests exercise, in four measures, each item pointing at its line.

- **rules**: each rule version made a recommendation (or a ground of one) in some case;
- **conditions**: each condition of each clause — ``where`` terms of ``match``, ``absent``
  and ``evidence``, the ``absent`` clause itself, ``named_by``, ``count``, ``same_problem``,
  ``since`` — both held and failed at least once, as the reference evaluator recorded while
  evaluating the compiled plans (``engine.match.coverage``);
- **sanctions**: each base form a rule can reach, each rung of the ladder proposed, each
  factor, the look-back window holding and failing, each non-zero degree step, each combined
  form and case-review ground, recorded by the ladder (per dated value);
- **provisions**: each quoted legal provision (``basis``) cited by some recommendation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.match.coverage import Record
from engine.match.plan import plan_name
from engine.rulebook import Rulebook, RuleVersion
from engine.rulebook.lint import describe
from engine.rulebook.load import position, read_tree
from engine.rulebook.spec import DATED, is_dated
from engine.rulebook.terms import Term, parse_ref
from usecases.terminal import literal

MEASURES = ("rules", "conditions", "sanctions", "provisions")
SEVERITIES = ("minor", "serious", "grave")


@dataclass
class Item:
    measure: str
    what: str  # in words: "c2-reminder-ineffective v1 recheck: date on or after reminder.due"
    file: str
    line: int
    column: int
    missing: str = ""  # "" when covered; else what no test did ("never failed", "never used")


@dataclass
class Coverage:
    items: list[Item] = field(default_factory=list)
    unreachable: list[Item] = field(default_factory=list)  # base forms no rule can reach

    def percent(self, measure: str) -> float:
        mine = [i for i in self.items if i.measure == measure]
        if not mine:
            return 100.0
        return round(100 * sum(not i.missing for i in mine) / len(mine), 1)

    def counts(self, measure: str) -> tuple[int, int]:
        mine = [i for i in self.items if i.measure == measure]
        return sum(not i.missing for i in mine), len(mine)

    def missing(self) -> list[Item]:
        return [i for i in self.items if i.missing]

    def to_json(self) -> dict[str, Any]:
        return {m: {"covered": self.counts(m)[0], "total": self.counts(m)[1],
                    "percent": self.percent(m),
                    "missing": [asdict(i) for i in self.items if i.measure == m and i.missing]}
                for m in MEASURES} | {"unreachable": [asdict(i) for i in self.unreachable]}

    def lines(self) -> list[str]:
        out = ["coverage: " + ", ".join(
            f"{m} {self.counts(m)[0]}/{self.counts(m)[1]} ({self.percent(m):g}%)" for m in MEASURES)]
        if self.missing():
            out.append("not exercised by any test:")
            out += [f"  {i.file}:{i.line}:{i.column}: [{i.measure}] {i.what} — {i.missing}"
                    for i in self.missing()]
        if self.unreachable:
            out.append("not counted (no rule can reach them):")
            out += [f"  {i.file}:{i.line}:{i.column}: {i.what}" for i in self.unreachable]
        return [literal(line) for line in out]


def _shown(file: str) -> str:
    """A path as a reader in the working folder would type it (absolute when outside it)."""
    relative = os.path.relpath(file)
    return file if relative.startswith("..") else relative


class _Locator:
    """Positions in the county files, each file read once."""

    def __init__(self) -> None:
        self._trees: dict[str, Any] = {}

    def tree(self, file: str) -> Any:
        if file not in self._trees:
            self._trees[file] = read_tree(Path(file))
        return self._trees[file]

    def item(self, measure: str, what: str, file: str, path: tuple[Any, ...],
             missing: str = "") -> Item:
        line, column = position(self.tree(file), path)
        return Item(measure, what, _shown(file), line, column, missing)

    def version_index(self, version: RuleVersion) -> int:
        """Where a rule version is in its file's list of versions."""
        return next(i for i, v in enumerate(self.tree(version.file)["versions"])
                    if v.get("version") == version.version)


def _outcomes(seen: set[bool]) -> str:
    if seen == {True, False}:
        return ""
    if not seen:
        return "never evaluated"
    return "never failed" if True in seen else "never held"


def _terms(section: tuple[Any, ...], terms: Iterable[Term]) -> list[tuple[str, int, Term,
                                                                            tuple[Any, ...]]]:
    """(literal|join, index among those, term, YAML path) in the order the plan keeps them."""
    counters = {"literal": 0, "join": 0}
    out = []
    for term in terms:
        part = "join" if term.is_join else "literal"
        out.append((part, counters[part], term, section + ("where", term.field)))
        counters[part] += 1
    return out


def _conditions(version: RuleVersion, record: Record, at: _Locator) -> list[Item]:
    name, index = plan_name(version), at.version_index(version)
    base = ("versions", index)
    label = f"{version.rule_id} v{version.version}"
    items: list[Item] = []

    def add(key: tuple[str, str, str, int], what: str, path: tuple[Any, ...]) -> None:
        items.append(at.item("conditions", f"{label} {what}", version.file, path,
                             _outcomes(record.conditions.get(key, set()))))

    sections = [(clause, terms, base + ("match", i)) for i, (clause, terms)
                in enumerate(version.clauses)]
    if version.absent is not None:
        sections.append((version.absent[0], version.absent[1], base + ("absent",)))
    sections += [(clause, terms, base + ("evidence", i)) for i, (clause, terms)
                 in enumerate(version.evidence)]
    for clause, terms, section in sections:
        for part, i, term, path in _terms(section, terms):
            add((name, clause.alias, part, i), f"{clause.alias}: {describe(term)}", path)
        if clause.named_by:
            add((name, clause.alias, "named_by", 0),
                f"{clause.alias}: the facts {clause.named_by} names", section + ("named_by",))
    if version.absent is not None:
        alias = version.absent[0].alias
        add((name, alias, "absent", 0), f"absent: no such {alias} fact", base + ("absent",))
    count = version.spec.count
    if count is not None:
        add((name, "count", "count", 0), f"count: at least {count.at_least} within {count.period}",
            base + ("count", "at_least"))
        if count.same_problem:
            ref = parse_ref(count.date)
            assert ref is not None
            add((name, ref.alias, "same_problem", 0),
                f"same_problem: a later kind's fact with the same {', '.join(count.same_problem)}",
                base + ("count", "same_problem"))
    if version.spec.finding.since is not None:
        add((name, "finding", "since", 0), f"since: {version.spec.finding.since}",
            base + ("finding", "since"))
    return items


def _severities(version: RuleVersion) -> set[str]:
    """The severities a rule version's findings can have."""
    written = version.spec.finding.severity
    if written in SEVERITIES:
        return {written}
    ref = parse_ref(written)
    assert ref is not None
    terms = next((t for c, t in version.clauses if c.alias == ref.alias), ())
    allowed = set(SEVERITIES)
    for term in terms:
        if term.field == ref.field and not term.is_join:
            if term.op == "eq":
                allowed &= {term.value}
            elif term.op == "in":
                allowed &= set(term.value)
            elif term.op == "ne":
                allowed -= {term.value}
            elif term.op == "not_in":
                allowed -= set(term.value)
    return allowed


def _sanctions(rulebook: Rulebook, record: Record, at: _Locator) -> tuple[list[Item], list[Item]]:
    file = str(rulebook.folder / "sanctions.yaml")
    raw = at.tree(file)
    sanctions = rulebook.sanctions
    reachable = {(v.circumstance, s) for v in rulebook.versions for s in _severities(v)}
    items: list[Item] = []
    unreachable: list[Item] = []

    def add(key: str, what: str, path: tuple[Any, ...]) -> None:
        items.append(at.item("sanctions", what, file, path,
                             "" if key in record.sanctions else "never used"))

    for name in DATED:
        for i, dated in enumerate(sanctions.dated(name)):
            where = (name, i, "value") if is_dated(raw.get(name)) else (name,)
            since = f" (from {dated.effective.from_})" if is_dated(raw.get(name)) else ""
            value = dated.value
            if name == "base":
                for circumstance, forms in sorted(value.items()):
                    for severity, form in forms.items():
                        what = f"base{since}: circumstance {circumstance}, {severity} → {form}"
                        path = where + (circumstance, severity)
                        if (circumstance, severity) in reachable:
                            add(f"base:{i}:{circumstance}:{severity}", what, path)
                        else:
                            unreachable.append(at.item("sanctions", what, file, path))
            elif name == "ladder":
                for n, form in enumerate(value):
                    add(f"ladder:{i}:{form}", f"ladder{since}: {form} proposed", where + (n,))
            elif name in ("aggravating", "mitigating", "exempt"):
                for n, factor in enumerate(value):
                    add(f"{name}:{i}:{factor.attr}", f"{name}{since}: {factor.attr}", where + (n,))
            elif name == "lookback":
                add(f"lookback:{i}:held", f"lookback {value}{since}: a prior inside it", where)
                add(f"lookback:{i}:failed", f"lookback {value}{since}: a prior before it", where)
            elif name == "degree_steps":
                for degree, delta in value.items():
                    if delta:
                        add(f"degree_steps:{i}:{degree}", f"degree_steps{since}: {degree} {delta:+d}",
                            where + (degree,))
            elif name == "combined":
                for n, entry in enumerate(value):
                    add(f"combined:{i}:{n}", f"combined{since}: {entry.get('add')}", where + (n,))
    for n, rule in enumerate(sanctions.case_review):
        add(f"case_review:{n}", f"case_review: when {rule.when}", ("case_review", n))
    add("dissent", f"dissent_attr: {sanctions.dissent_attr}", ("dissent_attr",))
    return items, unreachable


def coverage(rulebook: Rulebook, record: Record, cited: set[tuple[str, int]],
             quoted: set[tuple[str, int, str, str, str]]) -> Coverage:
    """Coverage of the rulebook by what the cases recorded: ``cited`` (rule id, version) of
    every recommendation and ground, ``quoted`` (rule id, version, document, article, text)."""
    at = _Locator()
    result = Coverage()
    for version in rulebook.versions:
        index = at.version_index(version)
        result.items.append(at.item(
            "rules", f"{version.rule_id} v{version.version}", version.file, ("versions", index),
            "" if (version.rule_id, version.version) in cited else "made no recommendation"))
        result.items += _conditions(version, record, at)
        for n, basis in enumerate(version.spec.basis):
            key = (version.rule_id, version.version, basis.document, basis.article, basis.text)
            result.items.append(at.item(
                "provisions", f"{version.rule_id} v{version.version}: {basis.document}{basis.article}",
                version.file, ("versions", index, "basis", n),
                "" if key in quoted else "quoted by no recommendation"))
    items, unreachable = _sanctions(rulebook, record, at)
    result.items += items
    result.unreachable = unreachable
    return result
