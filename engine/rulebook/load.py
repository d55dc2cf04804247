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
from engine.rulebook import lint
from engine.rulebook.partition import partition_fields
from engine.rulebook.spec import (
    DATED,
    PARTY_SANCTIONS,
    PROPOSERS,
    Clause,
    County,
    Labels,
    Review,
    RuleFile,
    Sanctions,
    SanctionValues,
    VersionSpec,
    Wording,
    is_dated,
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
REVIEW_SAYINGS = ("not_found", "not_in_scope", "role", "own_unit", "state", "steps_missing",
                  "step_requires", "step_before_decision", "step_after_decision", "step_unknown",
                  "field_required", "field_unknown", "field_bad", "reason_required", "four_eyes",
                  "authority", "body_unknown", "form_unknown", "forms_unchanged", "appeal_late",
                  "day_future", "conflict", "user_exists", "user_unknown", "unit_unknown",
                  "units_required", "password_short", "name_bad", "not_decided", "type_text",
                  "type_date", "type_bool", "type_list", "yes", "no")
CHANGES = ("not_found", "fact_gone", "fact_corrected", "evidence_added", "evidence_removed",
           "forms", "rule_version", "reinstated", "merged")

# The county files besides the rules in circumstances/; each is required.
REVIEW_FILE = "review.yaml"
COUNTY_FILES: dict[str, type[BaseModel]] = {
    "sanctions.yaml": Sanctions,
    "labels.yaml": Labels,
    "county.yaml": County,
    "wording.yaml": Wording,
    RESPONSIBILITY_FILE: ResponsibilityList,
    # How people review and decide. It changes no recommendation, but it is in the hash and the
    # stored copy all the same: a decision is replayed under the procedure it was taken under.
    REVIEW_FILE: Review,
}
# steps review reads by name, with the fields it reads: the decision document quotes the
# statement and dates the meeting; an appeal is counted from the day the decision was served
READ_STEPS = {"statement": ("text", "adopted"), "collective_decision": (), "served": (),
              "appeal": ()}


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


@dataclass
class CheckReport:
    """What ``wenze rules check`` reports: the rulebook when it has no error, every error,
    and the warnings (``--strict`` refuses those too)."""

    rulebook: Rulebook | None
    errors: list[RuleError]
    warnings: list[RuleError]


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
    review: Review

    @cached_property
    def say(self) -> Sayings:
        return Sayings(self.wording, self.labels)


def read_tree(file: Path) -> Any:
    """A county file as ruamel's round-trip tree, which keeps every node's line and column."""
    return YAML(typ="rt").load(file.read_text(encoding="utf-8"))


def position(node: Any, path: tuple[Any, ...]) -> tuple[int, int]:
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
        self.warnings: list[RuleError] = []

    def error(self, path: tuple[Any, ...], message: str) -> None:
        line, col = position(self.tree, path)
        self.errors.append(RuleError(self.file, line, col, message))

    def warning(self, path: tuple[Any, ...], message: str) -> None:
        line, col = position(self.tree, path)
        self.warnings.append(RuleError(self.file, line, col, message))

    def pydantic(self, exc: ValidationError) -> None:
        for path, message in validation_errors(exc):
            if len(path) >= 3 and path[0] in DATED and path[1:3] == (0, "value") \
                    and isinstance(self.tree, dict) and not is_dated(self.tree.get(path[0])):
                path = (path[0], *path[3:])  # a sanctions entry written as one undated value
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


def _value_path(tree: Any, name: str, index: int) -> tuple[Any, ...]:
    """Where the index-th value of a sanctions entry is written: in its dated list, or the
    entry itself when it is written as one undated value."""
    return (name, index, "value") if is_dated(tree.get(name)) else (name,)


def _check_duties(checker: _FileChecker, rule: RuleFile, codes: set[str]) -> None:
    """Every task a rule holds people to is a task of the responsibility list."""
    for index, version in enumerate(rule.versions):
        for n, code in enumerate(version.duties.tasks if version.duties else []):
            if code not in codes:
                checker.error(("versions", index, "duties", "tasks", n),
                              f"duties.tasks: {code} is no task of {RESPONSIBILITY_FILE}")


def _check_sanctions(checker: _FileChecker, sanctions: Sanctions, bodies: dict[str, Any]) -> None:
    """What the schema cannot see: every form, body and circumstance the engine will look up,
    in each set of values in force over time (the dates themselves: ``engine.rulebook.lint``)."""
    tree = checker.tree
    for day in sanctions.boundaries():
        try:
            values = sanctions.at(day)
        except LookupError:
            continue  # a gap in the dates: reported by the date checks
        paths = {name: _value_path(tree, name, i) for name, i in values.sources.items()}
        _check_sanction_values(checker, sanctions, values, paths)
    for proposer, forms in sanctions.impose.items():
        decides_self = any(sanctions.decider.get(f) == proposer for f in forms)
        if forms and decides_self and proposer in bodies and not bodies[proposer].decides_in:
            checker.error(("impose", proposer), f"impose: {proposer} decides what it proposes; "
                          "county.yaml must say where (bodies: decides_in), since a document "
                          "is never addressed to its own issuer")
    for name in ("steps", "reasons"):
        for responsibility in ("leadership", "supervisory", "principal"):
            if responsibility not in getattr(sanctions.responsibility, name):
                checker.error(("responsibility", name),
                              f"responsibility.{name}: nothing for {responsibility}")
    for body in sorted({*PROPOSERS, *sanctions.decider.values()}):
        if body not in bodies:
            checker.error(("decider",), f"{body}: no such body in county.yaml (bodies: "
                                        f"{', '.join(bodies)})")
    checker.errors[:] = list(dict.fromkeys(checker.errors))  # one report per value, not per day


def _check_sanction_values(checker: _FileChecker, sanctions: Sanctions, values: SanctionValues,
                           at: dict[str, tuple[Any, ...]]) -> None:
    ladder = set(values.ladder)
    for circumstance in (1, 2, 3, 4):
        if circumstance not in values.base:
            checker.error(at["base"], f"base: no base form for circumstance {circumstance}: "
                                      f"write its forms for minor, serious and grave")
            continue
        for severity in ("minor", "serious", "grave"):
            form = values.base[circumstance].get(severity)
            if form is None:
                checker.error(at["base"] + (circumstance,),
                              f"base: circumstance {circumstance} has no form for severity "
                              f"{severity}")
            elif form not in ladder:
                checker.error(at["base"] + (circumstance, severity),
                              f"base: {form} is not on the ladder ({', '.join(values.ladder)})")
    for i, combined in enumerate(values.combined):
        if "add" not in combined:
            checker.error(at["combined"] + (i,), "combined: each entry needs add: <form>")
        elif combined["add"] in PARTY_SANCTIONS:
            checker.error(at["combined"] + (i, "add"), f"combined: {combined['add']} is a party "
                          "sanction; it rests on the person's own violation and follows the "
                          "disciplinary procedure — write the grounds under case_review instead")
    forms = ladder | {c.get("add") for c in values.combined}
    for form in sorted(f for f in forms if f):
        if form not in sanctions.decider:
            checker.error(("decider",), f"decider: no deciding body for {form}")


def _check_review(checker: _FileChecker, review: Review, sanctions: Sanctions,
                  bodies: dict[str, Any]) -> None:
    """Steps named in ``requires`` exist and come in an order; bodies and forms are known."""
    for code, step in review.steps.items():
        for i, needed in enumerate(step.requires):
            if needed not in review.steps:
                checker.error(("steps", code, "requires", i), f"requires: no step {needed!r} "
                              f"(steps: {', '.join(review.steps)})")
            elif review.steps[needed].phase == "after_decision" and step.phase == "before_decision":
                checker.error(("steps", code, "requires", i), f"requires: {needed} comes after the "
                              f"decision, {code} before it")
        seen: set[str] = set()
        todo = list(step.requires)
        while todo:  # a step that (through others) requires itself could never be recorded
            needed = todo.pop()
            if needed == code:
                checker.error(("steps", code, "requires"), f"requires: {code} requires itself")
                break
            if needed in review.steps and needed not in seen:
                seen.add(needed)
                todo.extend(review.steps[needed].requires)
    for code, fields in READ_STEPS.items():  # steps review itself reads, by name
        if code not in review.steps:
            checker.error(("steps",), f"steps: {code} is missing (review reads it)")
        for name in fields:
            if code in review.steps and name not in review.steps[code].fields:
                checker.error(("steps", code, "fields"), f"fields: {code} needs {name} "
                              "(the decision document reads it)")
    for entry in sanctions.ladder:
        if review.four_eyes_above not in entry.value:
            checker.error(("four_eyes_above",), f"four_eyes_above: {review.four_eyes_above} is not "
                          f"on the ladder ({', '.join(entry.value)})")
    if review.appeal.body != "deciding" and review.appeal.body not in bodies:
        checker.error(("appeal", "body"), f"appeal.body: write deciding or a body of county.yaml "
                      f"({', '.join(bodies)})")
    deciders = {*sanctions.decider.values(), *(b for b, forms in sanctions.impose.items() if forms)}
    for body in sorted(deciders):
        if body not in review.decision_numbers:
            checker.error(("decision_numbers",), f"decision_numbers: no prefix for {body}, which "
                          "decides forms (sanctions.yaml)")
    for body in review.decision_numbers:
        if body not in bodies:
            checker.error(("decision_numbers", body), f"decision_numbers: {body} is no body of "
                          f"county.yaml ({', '.join(bodies)})")


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
    needed = ("base", "degree", "prior_accountability", "aggravating",
              "mitigating", "cap_heaviest", "cap_lightest", "combined", "lighter_current_version",
              "sanctions")
    for key in needed:
        if key not in wording.steps:
            checker.error(("steps",), f"steps: no sentence for {key}")
    if "none" not in wording.posts:
        checker.error(("posts",), "posts: no wording for none")
    for key in ("duties", "failure", "unverified"):
        if key not in wording.statement:
            checker.error(("statement",), f"statement: no sentence for {key}")
    for group, keys in (("set_aside", SET_ASIDE_REASONS), ("changes", CHANGES),
                        ("review", REVIEW_SAYINGS)):
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


def county_snapshot(directory: Path) -> dict[str, bytes]:
    """The bytes of every file the hash covers, by path inside the folder, in hash order."""
    return {path.relative_to(directory).as_posix(): path.read_bytes()
            for path in county_files(directory) if path.exists()}


def snapshot_hash(files: dict[str, bytes]) -> str:
    """The rulebook hash of a county folder's files (``county_snapshot``)."""
    digest = hashlib.sha256()
    for name, data in files.items():
        digest.update(name.encode() + b"\0")
        digest.update(data)
    return digest.hexdigest()


def rulebook_hash(directory: Path) -> str:
    return snapshot_hash(county_snapshot(directory))


def load_rulebook(directory: Path | None = None) -> Rulebook:
    """Load and check the whole county folder; raise ``RulebookError`` with every error."""
    report = check_rulebook(directory)
    if report.rulebook is None:
        raise RulebookError(report.errors)
    return report.rulebook


def _lint_version(checker: _FileChecker, index: int, version: RuleVersion) -> None:
    base = ("versions", index)
    for i, (clause, terms) in enumerate(version.clauses):
        lint.check_clause(checker, base + ("match", i), clause.alias, clause.kinds, terms)
    if version.absent is not None:
        lint.check_clause(checker, base + ("absent",), version.absent[0].alias,
                          version.absent[0].kinds, version.absent[1])
    for i, (clause, terms) in enumerate(version.evidence):
        lint.check_clause(checker, base + ("evidence", i), clause.alias, clause.kinds, terms)


def _lint_subsumed(versions: list[RuleVersion], checkers: dict[str, _FileChecker]) -> None:
    for narrow in versions:
        for broad in versions:
            if (broad.rule_id != narrow.rule_id and broad.circumstance == narrow.circumstance
                    and lint.subsumes(broad, narrow)):
                index = next(i for i, v in enumerate(checkers[narrow.file].tree["versions"])
                             if v.get("version") == narrow.version)
                checkers[narrow.file].warning(
                    ("versions", index, "match"),
                    f"every matter version {narrow.version} of this rule finds is also found by "
                    f"{broad.rule_id} version {broad.version} ({Path(broad.file).name}), of the "
                    f"same circumstance {broad.circumstance}: it adds nothing but a second ground "
                    f"for the same recommendation — remove it, or add the condition that sets it "
                    f"apart")


def check_rulebook(directory: Path | None = None) -> CheckReport:
    """Every error and warning of the county folder in one pass, with the rulebook when there
    is no error."""
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
    review = loaded.get(REVIEW_FILE)
    if review is not None and sanctions is not None and county is not None:
        _check_review(checkers[REVIEW_FILE], review, sanctions, county.bodies)
    rule_paths = sorted((directory / "circumstances").glob("*.yaml"))
    if not rule_paths:
        errors.append(RuleError(str(directory / "circumstances"), 1, 1, "no rule files (*.yaml)"))
    versions: list[RuleVersion] = []
    seen: dict[str, str] = {}
    rule_checkers: dict[str, _FileChecker] = {}
    for path in rule_paths:
        rule, checker = _load_file(path, RuleFile, errors)
        if rule is None or checker is None:
            continue
        rule_checkers[checker.file] = checker
        if rule.id in seen:
            checker.error(("id",), f"rule id {rule.id!r} is also used by {seen[rule.id]}")
        seen[rule.id] = str(path)
        lint.check_version_dates(checker, rule)
        for index in range(len(rule.versions)):
            version = _check_version(checker, rule, index)
            if version is not None:
                _lint_version(checker, index, version)
                versions.append(version)
        tasks = loaded.get(RESPONSIBILITY_FILE)
        if tasks is not None:
            _check_duties(checker, rule, tasks.task_codes)
    if sanctions is not None:
        starts = [v.spec.effective.from_ for v in versions]
        lint.check_sanction_dates(checkers["sanctions.yaml"], checkers["sanctions.yaml"].tree,
                                  sanctions, min(starts) if starts else None)
    _lint_subsumed(versions, rule_checkers)
    every = [*checkers.values(), *rule_checkers.values()]
    errors.extend(e for checker in every for e in checker.errors)
    warnings = [w for checker in every for w in checker.warnings]
    if errors:
        return CheckReport(None, errors, warnings)
    rulebook = Rulebook(directory, versions, sanctions, labels, county, wording,
                        loaded[RESPONSIBILITY_FILE], rulebook_hash(directory), review)
    return CheckReport(rulebook, errors, warnings)
