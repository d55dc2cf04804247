"""Loading and checking the rulebook: rule files and the sanctions file, all errors at once.

Every error names file, line and column and says what to write instead. A rulebook with
any error is never evaluated (``load_rulebook`` raises ``RulebookError``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from engine.terms import Ref, Term, parse_condition, parse_operand, parse_ref
from facts.contract import KINDS, Form

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
Proposer = Literal["supervising_leader", "discipline_commission", "organization_department",
                   "assessment_office"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Basis(_Strict):
    document: str = Field(min_length=1)
    article: str = Field(min_length=1)
    text: str = Field(min_length=1)


class Effective(_Strict):
    from_: date = Field(alias="from")
    to: date | None = None


class Clause(_Strict):
    fact: str
    as_: str | None = Field(default=None, alias="as", pattern=r"^[a-z][a-z0-9_]*$")
    where: dict[str, Any] = Field(default_factory=dict)

    @property
    def alias(self) -> str:
        return self.as_ or self.fact


class Count(_Strict):
    at_least: int = Field(ge=2)
    within_days: int = Field(ge=1)
    per: str  # alias.field the matches are grouped by, e.g. v.unit
    date: str  # alias.field that places a match in time


class Subject(_Strict):
    person: str | None = None  # alias.field holding a person id
    unit: str | None = None  # alias.field holding a unit id: mapped to its post holders


class Finding(_Strict):
    subject: Subject
    responsibility: Literal["leadership", "supervisory", "principal"] | None = None
    degree: Literal["main", "important", "overall"] | None = None
    team: bool = False  # unit findings: other team members bear important leadership responsibility
    severity: str  # a severity code, or alias.field holding one
    proposer: Proposer
    proposer_person: str | None = None  # alias.field naming the proposing leader
    conduct_date: str  # alias.field: the date of the conduct
    since: str | None = None  # report only conduct on or after this date, e.g. "as_of - 730d"
    key: list[str] | None = None  # aliases whose facts identify the finding (default: all)


class Version(_Strict):
    version: int = Field(ge=1)
    effective: Effective
    basis: list[Basis] = Field(min_length=1)
    match: list[Clause] = Field(min_length=1)
    absent: Clause | None = None
    count: Count | None = None
    finding: Finding


class RuleFile(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str = Field(min_length=1)
    circumstance: int = Field(ge=1, le=4)
    description: str | None = None
    versions: list[Version] = Field(min_length=1)

    @field_validator("versions")
    @classmethod
    def _ordered(cls, versions: list[Version]) -> list[Version]:
        numbers = [v.version for v in versions]
        if numbers != sorted(set(numbers)):
            raise ValueError("versions must be numbered in increasing order without repeats")
        return versions


class Factor(_Strict):
    attr: str  # key in attrs of the person or of an evidence fact
    label: str


class Sanctions(_Strict):
    """The sanctions data: ladder, base forms, escalation, factors and authority."""

    reference: list[Basis] = Field(default_factory=list)
    ladder: list[Form] = Field(min_length=2)
    labels: dict[str, str]
    base: dict[int, dict[Literal["minor", "serious", "grave"], Form]]
    lookback_days: int = Field(ge=1)
    degree_steps: dict[Literal["main", "important", "overall"], int]
    aggravating: list[Factor] = Field(default_factory=list)
    mitigating: list[Factor] = Field(default_factory=list)
    exempt: list[Factor] = Field(default_factory=list)
    dissent_attr: str = "dissent"
    case_review_note: str
    combined: list[dict[str, Any]] = Field(default_factory=list)
    impose: dict[str, list[Form]]  # which proposer may impose which forms itself
    decider: dict[str, str]  # form -> the body that decides it when the proposer may not
    bodies: dict[str, str]  # code -> Chinese name of proposers and deciders
    unit_roles: dict[Literal["secretary", "deputy_secretary", "discipline_secretary", "member"],
                     dict[str, str | bool]]  # role -> {responsibility, degree, team_only?}
    labels_responsibility: dict[str, str]
    labels_degree: dict[str, str]
    labels_circumstance: dict[int, str]
    labels_role: dict[str, str]


@dataclass(frozen=True)
class RuleVersion:
    """One version of one rule, checked and with its conditions parsed into terms."""

    rule_id: str
    title: str
    circumstance: int
    file: str
    spec: Version
    clauses: tuple[tuple[Clause, tuple[Term, ...]], ...]
    absent: tuple[Clause, tuple[Term, ...]] | None

    @property
    def version(self) -> int:
        return self.spec.version

    @property
    def name(self) -> str:
        return f"{self.rule_id}@v{self.spec.version}"

    def in_force(self, day: date) -> bool:
        eff = self.spec.effective
        return eff.from_ <= day and (eff.to is None or day <= eff.to)


@dataclass
class Rulebook:
    versions: list[RuleVersion]
    sanctions: Sanctions
    hash: str
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RuleError:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class RulebookError(Exception):
    def __init__(self, errors: list[RuleError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


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
        for err in exc.errors(include_url=False, include_input=False):
            path = tuple(err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                message = f"'{path[-1]}' is missing"
            elif err["type"] == "extra_forbidden":
                message = f"'{path[-1]}' is not a known key here"
            where = ".".join(str(p) for p in path)
            self.error(path, f"{where}: {message}" if where else message)


def _kind_fields(kind: str) -> set[str]:
    return set(KINDS[kind].model_fields)


def _check_field(checker: _FileChecker, path: tuple[Any, ...], kind: str, name: str) -> bool:
    if kind not in KINDS:
        return False  # the unknown kind itself is already reported
    if name.startswith("attrs."):
        return True
    if name not in _kind_fields(kind):
        checker.error(path, f"{kind} has no field {name!r}; its fields are "
                            f"{', '.join(sorted(_kind_fields(kind)))} (or attrs.<key>)")
        return False
    return True


def _always_present(kind: str, name: str, terms: tuple[Term, ...]) -> bool:
    """Whether every fact matching a clause has the field: required, or the clause says exists."""
    if not name.startswith("attrs.") and KINDS[kind].model_fields[name].is_required():
        return True
    return any(t.field == name and t.op == "exists" and t.value is True for t in terms)


def _check_ref(checker: _FileChecker, path: tuple[Any, ...], text: str | None,
               kinds: dict[str, str], what: str) -> Ref | None:
    if text is None:
        return None
    ref = parse_ref(text)
    if ref is None or ref.offset_days:
        checker.error(path, f"{what}: expected alias.field, got {text!r}")
        return None
    if ref.alias not in kinds:
        checker.error(path, f"{what}: no clause named {ref.alias!r} (clauses: {', '.join(kinds)})")
        return None
    _check_field(checker, path, kinds[ref.alias], ref.field)
    return ref


def _check_version(checker: _FileChecker, rule: RuleFile, index: int,
                   sanctions_ok: bool) -> RuleVersion | None:
    spec = rule.versions[index]
    base = ("versions", index)
    kinds: dict[str, str] = {}
    parsed: list[tuple[Clause, tuple[Term, ...]]] = []
    before = len(checker.errors)

    def clause_terms(clause: Clause, path: tuple[Any, ...], known: dict[str, str]) -> tuple[Term, ...]:
        if clause.fact not in KINDS:
            checker.error(path + ("fact",), f"unknown fact kind {clause.fact!r}; "
                                            f"known: {', '.join(KINDS)}")
            return ()
        terms: list[Term] = []
        for name, spec_value in clause.where.items():
            where_path = path + ("where", name)
            if not _check_field(checker, where_path, clause.fact, name):
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

    for i, clause in enumerate(spec.match):
        path = base + ("match", i)
        if clause.alias in kinds:
            checker.error(path, f"two clauses are named {clause.alias!r}; give one an 'as:' name")
        terms = clause_terms(clause, path, dict(kinds))
        kinds[clause.alias] = clause.fact
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
                checker.error(fpath + ("since",), "since: expected as_of [- Nd] or a date")
    _check_ref(checker, fpath + ("proposer_person",), finding.proposer_person, kinds,
               "proposer_person")
    if finding.severity not in ("minor", "serious", "grave"):
        _check_ref(checker, fpath + ("severity",), finding.severity, kinds, "severity")
    for alias in finding.key or []:
        if alias not in kinds:
            checker.error(fpath + ("key",), f"key: no clause named {alias!r}")
    if spec.count is not None:
        _check_ref(checker, base + ("count", "per"), spec.count.per, kinds, "per")
        _check_ref(checker, base + ("count", "date"), spec.count.date, kinds, "date")
    if spec.effective.to is not None and spec.effective.to < spec.effective.from_:
        checker.error(base + ("effective",), "effective: 'to' is before 'from'")
    if index > 0:
        previous = rule.versions[index - 1].effective
        if previous.to is None or previous.to >= spec.effective.from_:
            checker.error(base + ("effective", "from"), "effective: the previous version must "
                          "end ('to') before this one starts ('from')")
    if len(checker.errors) > before:
        return None
    from engine.partition import partition_fields

    version = RuleVersion(rule.id, rule.title, rule.circumstance, checker.file, spec,
                          tuple(parsed), absent)
    if partition_fields(version) is None:
        checker.error(base + ("match",), "the clauses are not all joined on one shared field "
                      "(e.g. person: {same: shortfall.person}); the engine evaluates each "
                      "person or unit separately and needs that join")
        return None
    return version


def _check_sanctions(checker: _FileChecker, sanctions: Sanctions) -> None:
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
        if circumstance not in sanctions.labels_circumstance:
            checker.error(("labels_circumstance",), f"labels_circumstance: no label for {circumstance}")
    forms = ladder | {c.get("add") for c in sanctions.combined}
    for i, combined in enumerate(sanctions.combined):
        if "add" not in combined:
            checker.error(("combined", i), "combined: each entry needs add: <form>")
    for form in sorted(f for f in forms if f):
        if form not in sanctions.labels:
            checker.error(("labels",), f"labels: no Chinese label for {form}")
        if form not in sanctions.decider:
            checker.error(("decider",), f"decider: no deciding body for {form}")
    proposers = ("supervising_leader", "discipline_commission", "organization_department",
                 "assessment_office")
    for body in sorted({*proposers, *sanctions.decider.values()}):
        if body not in sanctions.bodies:
            checker.error(("bodies",), f"bodies: no name for {body}")
    for severity in ("minor", "serious", "grave", "main", "important", "overall"):
        if severity not in sanctions.labels:
            checker.error(("labels",), f"labels: no Chinese label for {severity}")


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


def load_rulebook(directory: Path | None = None) -> Rulebook:
    """Load ``circumstances/*.yaml`` and ``sanctions.yaml`` from the rules folder."""
    directory = directory or RULES_DIR
    errors: list[RuleError] = []
    digest = hashlib.sha256()
    sanctions_path = directory / "sanctions.yaml"
    rule_paths = sorted((directory / "circumstances").glob("*.yaml"))
    sanctions = None
    if not sanctions_path.exists():
        errors.append(RuleError(str(sanctions_path), 1, 1, "the sanctions file is missing"))
    else:
        digest.update(sanctions_path.read_bytes())
        tree = _read_yaml(sanctions_path, str(sanctions_path), errors)
        if tree is not None:
            checker = _FileChecker(str(sanctions_path), tree)
            try:
                sanctions = Sanctions.model_validate(_plain(tree))
            except ValidationError as exc:
                checker.pydantic(exc)
            else:
                _check_sanctions(checker, sanctions)
            errors.extend(checker.errors)
    if not rule_paths:
        errors.append(RuleError(str(directory / "circumstances"), 1, 1, "no rule files (*.yaml)"))
    versions: list[RuleVersion] = []
    seen: dict[str, str] = {}
    for path in rule_paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
        display = str(path)
        tree = _read_yaml(path, display, errors)
        if tree is None:
            continue
        checker = _FileChecker(display, tree)
        try:
            rule = RuleFile.model_validate(_plain(tree))
        except ValidationError as exc:
            checker.pydantic(exc)
            errors.extend(checker.errors)
            continue
        if rule.id in seen:
            checker.error(("id",), f"rule id {rule.id!r} is also used by {seen[rule.id]}")
        seen[rule.id] = display
        for index in range(len(rule.versions)):
            version = _check_version(checker, rule, index, sanctions is not None)
            if version is not None:
                versions.append(version)
        errors.extend(checker.errors)
    if errors:
        raise RulebookError(errors)
    assert sanctions is not None
    return Rulebook(versions, sanctions, digest.hexdigest(), [str(p) for p in rule_paths])
