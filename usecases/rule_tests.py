"""Rule tests a policy officer writes in YAML: given these facts, on this date, expect these.

Each file in ``<rules>/tests/`` is named after the rule it tests (``c2_reminder_ineffective.yaml``
tests ``circumstances/c2_reminder_ineffective.yaml``); files whose name starts with
``sanctions`` are shared ones for the sanctions ladder. A case is run in a fresh SQLite store
through the real ingestion path, by both evaluators; each must produce exactly the expected
recommendations, nothing more. A case may override sanctions values (``sanctions:``, merged
into ``sanctions.yaml``) to ask "what if". While the reference evaluator runs, what it
evaluates is recorded, and the run reports coverage (``usecases.rule_coverage``).
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from ruamel.yaml import YAML

from engine.durable import DurableEvaluator
from engine.match import coverage as recorder
from engine.match.reference import ReferenceEvaluator
from engine.rulebook import Rulebook, load_rulebook
from engine.rulebook.spec import Sanctions
from engine.run.evaluate import evaluate
from engine.run.read import list_recommendations
from facts.ingest import ingest
from facts.store import open_store
from facts.validation import StrictModel
from usecases.rule_coverage import Coverage, coverage


class Expected(StrictModel):
    person: str
    circumstance: int | None = None
    responsibility: str | None = None
    degree: str | None = None
    form: str | None = None  # the proposed form (the first of forms)
    forms: list[str] | None = None  # every proposed form, combined ones included
    proposer: str | None = None  # a body code, or person:<id> for a proposing leader
    route: str | None = None  # accountability | discipline_handling
    rule: str | None = None
    grounds: list[str] | None = None  # the other rules the recommendation cites (same matter)
    evidence: list[str] | None = None  # "kind:id" in the recommendation's order, all of them


class Case(StrictModel):
    name: str
    as_of: date
    facts: list[dict[str, Any]] = Field(min_length=1)
    expect: list[Expected]
    # what-if: values merged into sanctions.yaml for this case only, e.g. {lookback: 36m}
    sanctions: dict[str, Any] | None = None


@dataclass
class CaseResult:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class TestRun:
    results: list[CaseResult]
    coverage: Coverage

    def below(self, threshold: float) -> list[str]:
        """The coverage measures under ``threshold`` percent."""
        return [m for m in ("rules", "conditions", "sanctions", "provisions")
                if self.coverage.percent(m) < threshold]

    def to_json(self) -> dict[str, Any]:
        return {"cases": [{"file": r.file, "name": r.name, "passed": r.passed,
                           "failures": r.failures} for r in self.results],
                "passed": sum(r.passed for r in self.results),
                "failed": sum(not r.passed for r in self.results),
                "coverage": self.coverage.to_json()}


@dataclass
class _Seen:
    """What the reference runs recorded and cited, across cases."""

    record: recorder.Record = field(default_factory=recorder.Record)
    cited: set[tuple[str, int]] = field(default_factory=set)
    quoted: set[tuple[str, int, str, str, str]] = field(default_factory=set)


def load_cases(path: Path) -> list[Case]:
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of cases")
    return [Case.model_validate(item) for item in data]


def _observed(rec: dict[str, Any]) -> dict[str, Any]:
    e = rec["explanation"]
    return {"person": rec["person"], "circumstance": rec["circumstance"],
            "responsibility": rec["responsibility"], "degree": rec["degree"],
            "form": e["forms"][0] if e["forms"] else None, "forms": e["forms"],
            "proposer": e["proposer"], "route": e["route"], "rule": rec["rule"],
            "grounds": [g["rule_id"] for g in e.get("grounds", [])],
            "evidence": rec["evidence"]}


def _matches(expected: Expected, observed: dict[str, Any]) -> bool:
    return all(value is None or observed[name] == value
               for name, value in expected.model_dump().items())


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in override.items()}}
    return override


def with_sanctions(rulebook: Rulebook, override: dict[str, Any]) -> Rulebook:
    """The rulebook with ``override`` merged into its sanctions.yaml (dicts key by key; a
    list or a single value replaces the one written)."""
    raw = YAML(typ="safe", pure=True).load(
        (rulebook.folder / "sanctions.yaml").read_text(encoding="utf-8"))
    return dataclasses.replace(rulebook, sanctions=Sanctions.model_validate(_merge(raw, override)))


def _cite(seen: _Seen, recommendations: list[dict[str, Any]]) -> None:
    for rec in recommendations:
        e = rec["explanation"]
        for ground in [e, *e.get("grounds", [])]:
            seen.cited.add((ground["rule_id"], ground["rule_version"]))
            seen.quoted.update((ground["rule_id"], ground["rule_version"], b["document"],
                                b["article"], b["text"]) for b in ground["basis"])


def run_case(case: Case, file: str, rulebook: Rulebook, seen: _Seen | None = None) -> CaseResult:
    result = CaseResult(file, case.name)
    if case.sanctions:
        try:
            rulebook = with_sanctions(rulebook, case.sanctions)
        except ValidationError as exc:
            result.failures.append(f"sanctions: {exc}")
            return result
    for evaluator in (DurableEvaluator(workers=1), ReferenceEvaluator()):
        record = recorder.Record()
        with tempfile.TemporaryDirectory() as tmp:
            facts_file = Path(tmp) / "facts.jsonl"
            facts_file.write_text("".join(json.dumps(f, ensure_ascii=False, default=str) + "\n"
                                          for f in case.facts), encoding="utf-8")
            store = open_store(f"sqlite:///{tmp}/case.db")
            report = ingest(store, [facts_file], rules_dir=rulebook.folder)
            if report.errors:
                result.failures.extend(f"facts: {e}" for e in report.errors)
                return result
            if evaluator.name == "reference":
                with recorder.recording(record):
                    evaluate(store, case.as_of, rulebook, evaluator)
            else:
                evaluate(store, case.as_of, rulebook, evaluator)
            recommendations = list_recommendations(store, with_explanation=True)
            store.dispose()
        if seen is not None and evaluator.name == "reference":
            # a what-if case exercises the values it put in, not the county's: those it
            # overrides are not counted as covered
            overridden = set(case.sanctions or ())
            record.sanctions = {k for k in record.sanctions if k.split(":")[0] not in overridden}
            seen.record.update(record)
            _cite(seen, recommendations)
        observed = [_observed(r) for r in recommendations]
        unmatched = list(observed)
        for expected in case.expect:
            hit = next((o for o in unmatched if _matches(expected, o)), None)
            if hit is None:
                result.failures.append(f"[{evaluator.name}] expected "
                                       f"{expected.model_dump(exclude_none=True)}, not found")
            else:
                unmatched.remove(hit)
        result.failures.extend(f"[{evaluator.name}] unexpected {o}" for o in unmatched)
    return result


def _selected(case: Case, path: Path, run: str | None) -> bool:
    if run is None:
        return True
    pattern = re.compile(re.escape(run), re.IGNORECASE)
    return bool(pattern.search(case.name) or pattern.search(path.stem))


def run_rule_tests(rules_dir: Path | None = None, run: str | None = None) -> TestRun:
    """Run every case of every file in ``<rules>/tests`` (or those whose name or file name
    contains ``run``), and measure what they exercise."""
    rulebook = load_rulebook(rules_dir)
    rule_files = {Path(v.file).stem for v in rulebook.versions}
    results = []
    seen = _Seen()
    for path in sorted((rulebook.folder / "tests").glob("*.yaml")):
        if path.stem not in rule_files and not path.stem.startswith("sanctions"):
            results.append(CaseResult(path.name, "(file)", [
                f"a test file is named after the rule file it tests (one of "
                f"{', '.join(sorted(rule_files))}), or starts with 'sanctions' for the ladder"]))
            continue
        try:
            cases = load_cases(path)
        except (ValidationError, ValueError) as exc:
            results.append(CaseResult(path.name, "(file)", [str(exc)]))
            continue
        results.extend(run_case(case, path.name, rulebook, seen) for case in cases
                       if _selected(case, path, run))
    return TestRun(results, coverage(rulebook, seen.record, seen.cited, seen.quoted))
