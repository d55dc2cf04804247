"""Loading and checking the rulebook: rule files and the sanctions file, all errors at once.

Every error names file, line and column and says what to write instead. A rulebook with
any error is never evaluated (``load_rulebook`` raises ``RulebookError``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

import rules
from engine.errors import RulebookError, RuleError
from engine.rulebook.partition import partition_fields
from engine.rulebook.spec import (
    PARTY_SANCTIONS,
    PROPOSERS,
    Clause,
    County,
    Labels,
    RuleFile,
    Sanctions,
    VersionSpec,
    Wording,
)
from engine.rulebook.terms import Ref, Term, parse_condition, parse_operand, parse_ref
from engine.rulebook.wording import GROUPS, Sayings, syntax_error
from facts.contract import KINDS
from facts.responsibility import FILE_NAME as RESPONSIBILITY_FILE
from facts.responsibility import ResponsibilityList
from facts.validation import validation_errors

# the sentences wording.yaml must have for what the engine reports
SET_ASIDE_REASONS = ("direct_wrongdoer", "exempt", "no_post", "ambiguous_actor", "self_proposer",
                     "unauthorised_proposer", "unverified_report", "lighter_current_version")
CHANGES = ("not_found", "fact_gone", "fact_corrected", "evidence_added", "evidence_removed",
           "forms", "rule_version", "reinstated", "merged")

# The county files besides the rules in circumstances/; each is required.
COUNTY_FILES: dict[str, type[BaseModel]] = {
    "sanctions.yaml": Sanctions,
    "labels.yaml": Labels,
    "county.yaml": County,
    "wording.yaml": Wording,
    RESPONSIBILITY_FILE: ResponsibilityList,
}


@dataclass(frozen=True)
class RuleVersion:
    """One version of one rule, checked and with its conditions parsed into terms."""

    rule_id: str
    title: str
    circumstance: int
    file: str
    spec: VersionSpec
    clauses: tuple[tuple[Clause, tuple[Term, ...]], ...]
    absent: tuple[Clause, tuple[Term, ...]] | None
    partitions: dict[str, str]  # alias -> the field whose value is the partition (a person, a unit)
    # looked up after matching (``engine.match.evidence``), never deciding a finding
    evidence: tuple[tuple[Clause, tuple[Term, ...]], ...] = ()

    @property
    def version(self) -> int:
        return self.spec.version

    def in_force(self, day: date) -> bool:
        eff = self.spec.effective
        return eff.from_ <= day and (eff.to is None or day <= eff.to)


@dataclass(frozen=True)
class Rulebook:
    """The whole county folder, checked: loaded once per command and handed down."""

    folder: Path
    versions: list[RuleVersion]
    sanctions: Sanctions
    labels: Labels
    county: County
    wording: Wording
    responsibility: ResponsibilityList
    hash: str  # of every county file: each recommendation records it

    @cached_property
    def say(self) -> Sayings:
        return Sayings(self.wording, self.labels)


def _position(node: Any, path: tuple[Any, ...]) -> tuple[int, int]:
    """Line and column (1-based) of the deepest node of ``path`` found in the YAML tree."""
    line, col = 0, 0
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line, col = node.lc.key(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, col = node.lc.item(part)
            node = node[part]
        else:
            break
    return line + 1, col + 1


class _FileChecker:
    def __init__(self, file: str, tree: Any):
        self.file = file
        self.tree = tree
        self.errors: list[RuleError] = []

    def error(self, path: tuple[Any, ...], message: str) -> None:
        line, col = _position(self.tree, path)
        self.errors.append(RuleError(self.file, line, col, message))

    def pydantic(self, exc: ValidationError) -> None:
        for path, message in validation_errors(exc):
            where = ".".join(str(p) for p in path)
            self.error(path, f"{where}: {message}" if where else message)


def _kind_fields(kind: str) -> set[str]:
    return set(KINDS[kind].model_fields)


def _check_field(checker: _FileChecker, path: tuple[Any, ...], kinds: tuple[str, ...],
                 name: str) -> bool:
    """Whether every kind of a clause has the field (a clause on several kinds may use only
    the fields all of them have)."""
    if any(kind not in KINDS for kind in kinds):
        return False  # the unknown kind itself is already reported
    if name.startswith("attrs."):
        return True
    for kind in kinds:
        if name not in _kind_fields(kind):
            shared = set.intersection(*(_kind_fields(k) for k in kinds))
            checker.error(path, f"{kind} has no field {name!r}; its fields are "
                                f"{', '.join(sorted(_kind_fields(kind)))} (or attrs.<key>)"
                          + (f"; a clause on {', '.join(kinds)} may use only the fields they "
                             f"all have: {', '.join(sorted(shared))}" if len(kinds) > 1 else ""))
            return False
    return True


def _always_present(kinds: tuple[str, ...], name: str, terms: tuple[Term, ...]) -> bool:
    """Whether every fact matching a clause has the field: required, or the clause says exists."""
    if not name.startswith("attrs.") and all(
            KINDS[kind].model_fields[name].is_required() for kind in kinds):
        return True
    return any(t.field == name and t.op == "exists" and t.value is True for t in terms)


def _check_ref(checker: _FileChecker, path: tuple[Any, ...], text: str | None,
               kinds: dict[str, tuple[str, ...]], what: str) -> Ref | None:
    if text is None:
        return None
    try:
        ref = parse_ref(text)
    except ValueError as exc:
        checker.error(path, f"{what}: {exc}")
        return None
    if ref is None or ref.offset_days:
        checker.error(path, f"{what}: expected alias.field, got {text!r}")
        return None
    if ref.alias not in kinds:
        checker.error(path, f"{what}: no clause named {ref.alias!r} (clauses: {', '.join(kinds)})")
        return None
    _check_field(checker, path, kinds[ref.alias], ref.field)
    return ref


def _check_version(checker: _FileChecker, rule: RuleFile, index: int) -> RuleVersion | None:
    spec = rule.versions[index]
    base = ("versions", index)
    kinds: dict[str, tuple[str, ...]] = {}
    parsed: list[tuple[Clause, tuple[Term, ...]]] = []
    before = len(checker.errors)

    def clause_terms(clause: Clause, path: tuple[Any, ...],
                     known: dict[str, tuple[str, ...]]) -> tuple[Term, ...]:
        unknown = [kind for kind in clause.kinds if kind not in KINDS]
        for kind in unknown:
            checker.error(path + ("fact",), f"unknown fact kind {kind!r}; "
                                            f"known: {', '.join(KINDS)}")
        if unknown:
            return ()
        terms: list[Term] = []
        for name, spec_value in clause.where.items():
            where_path = path + ("where", name)
            if not _check_field(checker, where_path, clause.kinds, name):
                continue
            try:
                new_terms = parse_condition(name, spec_value)
            except ValueError as exc:
                checker.error(where_path, f"{name}: {exc}")
                continue
            for term in new_terms:
                if term.ref is not None:
                    if term.ref.alias not in known:
                        checker.error(where_path, f"{name}: {term.ref.alias!r} is not an earlier "
                                                  f"clause (earlier: {', '.join(known) or 'none'})")
                        continue
                    if not _check_field(checker, where_path, known[term.ref.alias], term.ref.field):
                        continue
                    if term.op not in ("eq", "ne", "gt", "ge", "lt", "le"):
                        checker.error(where_path, f"{name}: cannot compare with another fact here")
                        continue
                terms.append(term)
        return tuple(terms)

    for i, clause in enumerate([*spec.match, *([spec.absent] if spec.absent else [])]):
        if clause.named_by is not None:
            checker.error(base + ("match" if i < len(spec.match) else "absent",) + (
                (i,) if i < len(spec.match) else ()) + ("named_by",),
                "named_by: only an evidence clause may take its facts from a list of references")
    for i, clause in enumerate(spec.match):
        path = base + ("match", i)
        if clause.alias in kinds:
            checker.error(path, f"two clauses are named {clause.alias!r}; give one an 'as:' name")
        terms = clause_terms(clause, path, dict(kinds))
        kinds[clause.alias] = clause.kinds
        parsed.append((clause, terms))
    absent = None
    if spec.absent is not None:
        absent = (spec.absent, clause_terms(spec.absent, base + ("absent",), dict(kinds)))
        if not any(t.is_join for t in absent[1]):
            checker.error(base + ("absent",), "absent: say which facts it is about, e.g. "
                                              "reminder: {same: reminder.id}")
        for term in absent[1]:
            # durable_rules fails the run when an ordered or 'different' comparison in an
            # absent clause meets a fact without the field: the field must be sure to exist
            if term.ref is None or term.op == "eq" or _always_present(
                    kinds[term.ref.alias], term.ref.field,
                    next(t for c, t in parsed if c.alias == term.ref.alias)):
                continue
            checker.error(base + ("absent", "where", term.field),
                          f"{term.field}: {term.ref.alias}.{term.ref.field} may be missing; "
                          f"add {term.ref.field}: {{exists: true}} to the {term.ref.alias!r} clause")
    evidence: list[tuple[Clause, tuple[Term, ...]]] = []
    named = set(kinds)
    for i, clause in enumerate(spec.evidence):
        path = base + ("evidence", i)
        if clause.alias in named:
            checker.error(path, f"two clauses are named {clause.alias!r}; give one an 'as:' name")
        named.add(clause.alias)
        # joined to the matched facts only: evidence is looked up finding by finding
        terms = clause_terms(clause, path, dict(kinds))
        if all(k in KINDS for k in clause.kinds) and not any(t.is_join for t in terms):
            checker.error(path, "evidence: say which matched facts it is about, e.g. "
                                "person: {same: reminder.person}")
        if clause.named_by is not None:
            _check_ref(checker, path + ("named_by",), clause.named_by, kinds, "named_by")
        evidence.append((clause, terms))
    finding = spec.finding
    fpath = base + ("finding",)
    subject = finding.subject
    if (subject.person is None) == (subject.unit is None):
        checker.error(fpath + ("subject",), "subject: give exactly one of person: or unit:")
    _check_ref(checker, fpath + ("subject",), subject.person or subject.unit, kinds, "subject")
    if subject.person is not None and finding.responsibility is None:
        checker.error(fpath, "responsibility: required when the subject is a person")
    _check_ref(checker, fpath + ("conduct_date",), finding.conduct_date, kinds, "conduct_date")
    if finding.since is not None:
        try:
            since = parse_operand(finding.since, date_op=True)
        except ValueError as exc:
            checker.error(fpath + ("since",), f"since: {exc}")
        else:
            if isinstance(since, Ref):
                checker.error(fpath + ("since",), "since: expected as_of - Nd, as_of - Nm, "
                                                  "as_of - Ny or a date")
    _check_ref(checker, fpath + ("proposer_person",), finding.proposer_person, kinds,
               "proposer_person")
    if finding.severity not in ("minor", "serious", "grave"):
        _check_ref(checker, fpath + ("severity",), finding.severity, kinds, "severity")
    for alias in finding.key or []:
        if alias not in kinds:
            checker.error(fpath + ("key",), f"key: no clause named {alias!r}")
    if spec.count is not None:
        _check_ref(checker, base + ("count", "per"), spec.count.per, kinds, "per")
        counted = _check_ref(checker, base + ("count", "date"), spec.count.date, kinds, "date")
        if spec.count.same_problem and counted is not None:
            if len(kinds[counted.alias]) < 2:
                checker.error(base + ("count", "same_problem"),
                              f"same_problem: only for a clause on several kinds "
                              f"(fact: [violation, inspection]); {counted.alias!r} has one")
            for name in spec.count.same_problem:
                _check_field(checker, base + ("count", "same_problem"), kinds[counted.alias], name)
    if spec.effective.to is not None and spec.effective.to < spec.effective.from_:
        checker.error(base + ("effective",), "effective: 'to' is before 'from'")
    if index > 0:
        previous = rule.versions[index - 1].effective
        if previous.to is None or previous.to >= spec.effective.from_:
            checker.error(base + ("effective", "from"), "effective: the previous version must "
                          "end ('to') before this one starts ('from')")
    if len(checker.errors) > before:
        return None
    partitions = partition_fields([(c.alias, t) for c, t in parsed]
                                  + ([(absent[0].alias, absent[1])] if absent else []))
    if partitions is None:
        checker.error(base + ("match",), "the clauses are not all joined on one shared field "
                      "(e.g. person: {same: shortfall.person}); the engine evaluates each "
                      "person or unit separately and needs that join")
        return None
    return RuleVersion(rule.id, rule.title, rule.circumstance, checker.file, spec,
                       tuple(parsed), absent, partitions, tuple(evidence))


def _check_duties(checker: _FileChecker, rule: RuleFile, codes: set[str]) -> None:
    """Every task a rule holds people to is a task of the responsibility list."""
    for index, version in enumerate(rule.versions):
        for n, code in enumerate(version.duties.tasks if version.duties else []):
            if code not in codes:
                checker.error(("versions", index, "duties", "tasks", n),
                              f"duties.tasks: {code} is no task of {RESPONSIBILITY_FILE}")


def _check_sanctions(checker: _FileChecker, sanctions: Sanctions, bodies: dict[str, Any]) -> None:
    """What the schema cannot see: every form, body and circumstance the engine will look up."""
    ladder = set(sanctions.ladder)
    for circumstance in (1, 2, 3, 4):
        if circumstance not in sanctions.base:
            checker.error(("base",), f"base: no base forms for circumstance {circumstance}")
            continue
        for severity in ("minor", "serious", "grave"):
            form = sanctions.base[circumstance].get(severity)
            if form is None:
                checker.error(("base", circumstance), f"base: circumstance {circumstance} has no "
                                                      f"form for severity {severity}")
            elif form not in ladder:
                checker.error(("base", circumstance, severity), f"base: {form} is not on the ladder "
                                                                f"({', '.join(sanctions.ladder)})")
    for i, combined in enumerate(sanctions.combined):
        if "add" not in combined:
            checker.error(("combined", i), "combined: each entry needs add: <form>")
        elif combined["add"] in PARTY_SANCTIONS:
            checker.error(("combined", i, "add"), f"combined: {combined['add']} is a party sanction; "
                          "it rests on the person's own violation and follows the disciplinary "
                          "procedure — write the grounds under case_review instead")
    for name in ("steps", "reasons"):
        for responsibility in ("leadership", "supervisory", "principal"):
            if responsibility not in getattr(sanctions.responsibility, name):
                checker.error(("responsibility", name),
                              f"responsibility.{name}: nothing for {responsibility}")
    forms = ladder | {c.get("add") for c in sanctions.combined}
    for form in sorted(f for f in forms if f):
        if form not in sanctions.decider:
            checker.error(("decider",), f"decider: no deciding body for {form}")
    for body in sorted({*PROPOSERS, *sanctions.decider.values()}):
        if body not in bodies:
            checker.error(("decider",), f"{body}: no such body in county.yaml (bodies: "
                                        f"{', '.join(bodies)})")
    for proposer, forms in sanctions.impose.items():
        decides_self = any(sanctions.decider.get(f) == proposer for f in forms)
        if forms and decides_self and proposer in bodies and not bodies[proposer].decides_in:
            checker.error(("impose", proposer), f"impose: {proposer} decides what it proposes; "
                          "county.yaml must say where (bodies: decides_in), since a document "
                          "is never addressed to its own issuer")


def _check_labels(checker: _FileChecker, labels: Labels) -> None:
    """Every code a reader may see has its Chinese name (a missing one would show as code)."""
    for name, info in Labels.model_fields.items():
        codes = get_args(get_args(info.annotation)[0])
        table = getattr(labels, name)
        for code in codes:
            if code not in table:
                checker.error((name,), f"{name}: no label for {code}")
    for circumstance in (1, 2, 3, 4):
        if circumstance not in labels.circumstance:
            checker.error(("circumstance",), f"circumstance: no label for {circumstance}")
    for responsibility in labels.responsibility:
        for degree in labels.degree:
            key = f"{responsibility}.{degree}"
            if key not in labels.responsibility_degree and degree != "overall":
                checker.error(("responsibility_degree",), f"responsibility_degree: no label for {key}")


def _check_wording(checker: _FileChecker, wording: Wording) -> None:
    """Each sentence compiles; every kind of fact has its evidence summary."""
    for group in GROUPS:
        for key, source in getattr(wording, group).items():
            problem = syntax_error(source)
            if problem:
                checker.error((group, key), f"{group}.{key}: {problem}")
    for key in ("case_review_note", "proposer_with_leader"):
        problem = syntax_error(getattr(wording, key))
        if problem:
            checker.error((key,), f"{key}: {problem}")
    for kind in KINDS:
        if kind not in wording.evidence:
            checker.error(("evidence",), f"evidence: no summary for {kind} facts")
    needed = ("base", "degree", "prior_accountability", "prior_recommendation", "aggravating",
              "mitigating", "cap_heaviest", "cap_lightest", "combined", "lighter_current_version")
    for key in needed:
        if key not in wording.steps:
            checker.error(("steps",), f"steps: no sentence for {key}")
    if "none" not in wording.posts:
        checker.error(("posts",), "posts: no wording for none")
    for key in ("duties", "failure", "unverified"):
        if key not in wording.statement:
            checker.error(("statement",), f"statement: no sentence for {key}")
    for group, keys in (("set_aside", SET_ASIDE_REASONS), ("changes", CHANGES)):
        for key in keys:
            if key not in getattr(wording, group):
                checker.error((group,), f"{group}: no sentence for {key}")


def _read_yaml(path: Path, display: str, errors: list[RuleError]) -> Any:
    try:
        return YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        errors.append(RuleError(display, line, col, f"not valid YAML: {exc.problem}"))
    except UnicodeDecodeError as exc:
        errors.append(RuleError(display, 1, 1, f"not UTF-8 text: {exc}"))
    return None


def _plain(node: Any) -> Any:
    """ruamel's commented containers to plain dicts and lists (pydantic wants those)."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _load_file(path: Path, model: type[BaseModel], errors: list[RuleError]
               ) -> tuple[Any, _FileChecker | None]:
    """The file validated against its model, and its checker for further checks."""
    display = str(path)
    if not path.exists():
        errors.append(RuleError(display, 1, 1, f"{path.name} is missing from the county folder"))
        return None, None
    tree = _read_yaml(path, display, errors)
    if tree is None:
        return None, None
    checker = _FileChecker(display, tree)
    try:
        return model.model_validate(_plain(tree)), checker
    except ValidationError as exc:
        checker.pydantic(exc)
        errors.extend(checker.errors)
        return None, None


def county_files(directory: Path) -> list[Path]:
    """Every file of a county folder that changes what the engine recommends, in hash order."""
    rule_paths = sorted((directory / "circumstances").glob("*.yaml"))
    return [directory / name for name in sorted(COUNTY_FILES)] + rule_paths


def rulebook_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in county_files(directory):
        if path.exists():
            digest.update(str(path.relative_to(directory)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def load_rulebook(directory: Path | None = None) -> Rulebook:
    """Load and check the whole county folder; raise ``RulebookError`` with every error."""
    directory = directory or rules.FOLDER
    errors: list[RuleError] = []
    loaded: dict[str, Any] = {}
    checkers: dict[str, _FileChecker] = {}
    for name, model in COUNTY_FILES.items():
        value, checker = _load_file(directory / name, model, errors)
        if checker is not None:
            loaded[name], checkers[name] = value, checker
    sanctions, labels, county, wording = (loaded.get(n) for n in (
        "sanctions.yaml", "labels.yaml", "county.yaml", "wording.yaml"))
    if sanctions is not None and county is not None:
        _check_sanctions(checkers["sanctions.yaml"], sanctions, county.bodies)
    if labels is not None:
        _check_labels(checkers["labels.yaml"], labels)
    if wording is not None:
        _check_wording(checkers["wording.yaml"], wording)
    errors.extend(e for checker in checkers.values() for e in checker.errors)
    rule_paths = sorted((directory / "circumstances").glob("*.yaml"))
    if not rule_paths:
        errors.append(RuleError(str(directory / "circumstances"), 1, 1, "no rule files (*.yaml)"))
    versions: list[RuleVersion] = []
    seen: dict[str, str] = {}
    for path in rule_paths:
        rule, checker = _load_file(path, RuleFile, errors)
        if rule is None or checker is None:
            continue
        if rule.id in seen:
            checker.error(("id",), f"rule id {rule.id!r} is also used by {seen[rule.id]}")
        seen[rule.id] = str(path)
        for index in range(len(rule.versions)):
            version = _check_version(checker, rule, index)
            if version is not None:
                versions.append(version)
        tasks = loaded.get(RESPONSIBILITY_FILE)
        if tasks is not None:
            _check_duties(checker, rule, tasks.task_codes)
        errors.extend(checker.errors)
    if errors:
        raise RulebookError(errors)
    return Rulebook(directory, versions, sanctions, labels, county, wording,
                    loaded[RESPONSIBILITY_FILE], rulebook_hash(directory))
