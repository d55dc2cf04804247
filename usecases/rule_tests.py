"""Rule tests a policy officer writes in YAML: given these facts, on this date, expect these.

Each file in ``rules/tests/`` holds cases. A case is run in a fresh SQLite store through
the real ingestion path, by both evaluators; each must produce exactly the expected
recommendations (person, circumstance, responsibility, forms, route, rule, evidence), nothing
more.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from ruamel.yaml import YAML

from engine.durable import DurableEvaluator
from engine.match.reference import ReferenceEvaluator
from engine.rulebook import Rulebook, load_rulebook
from engine.run.evaluate import evaluate
from engine.run.read import list_recommendations
from facts.ingest import ingest
from facts.store import open_store
from facts.validation import StrictModel


class Expected(StrictModel):
    person: str
    circumstance: int | None = None
    responsibility: str | None = None
    degree: str | None = None
    forms: list[str] | None = None
    route: str | None = None
    rule: str | None = None
    grounds: list[str] | None = None  # the other rules the recommendation cites (same matter)
    evidence: list[str] | None = None  # "kind:id" in the recommendation's order, all of them


class Case(StrictModel):
    name: str
    as_of: date
    facts: list[dict[str, Any]] = Field(min_length=1)
    expect: list[Expected]


@dataclass
class CaseResult:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_cases(path: Path) -> list[Case]:
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of cases")
    return [Case.model_validate(item) for item in data]


def _observed(rec: dict[str, Any]) -> dict[str, Any]:
    e = rec["explanation"]
    return {"person": rec["person"], "circumstance": rec["circumstance"],
            "responsibility": rec["responsibility"], "degree": rec["degree"],
            "forms": e["forms"], "route": e["route"], "rule": rec["rule"],
            "grounds": [g["rule_id"] for g in e.get("grounds", [])],
            "evidence": rec["evidence"]}


def _matches(expected: Expected, observed: dict[str, Any]) -> bool:
    return all(value is None or observed[name] == value
               for name, value in expected.model_dump().items())


def run_case(case: Case, file: str, rulebook: Rulebook) -> CaseResult:
    result = CaseResult(file, case.name)
    for evaluator in (DurableEvaluator(workers=1), ReferenceEvaluator()):
        with tempfile.TemporaryDirectory() as tmp:
            facts_file = Path(tmp) / "facts.jsonl"
            facts_file.write_text("".join(json.dumps(f, ensure_ascii=False, default=str) + "\n"
                                          for f in case.facts), encoding="utf-8")
            store = open_store(f"sqlite:///{tmp}/case.db")
            report = ingest(store, [facts_file], rules_dir=rulebook.folder)
            if report.errors:
                result.failures.extend(f"facts: {e}" for e in report.errors)
                return result
            evaluate(store, case.as_of, rulebook, evaluator)
            observed = [_observed(r) for r in list_recommendations(store, with_explanation=True)]
            store.dispose()
        unmatched = list(observed)
        for expected in case.expect:
            hit = next((o for o in unmatched if _matches(expected, o)), None)
            if hit is None:
                result.failures.append(f"[{evaluator.name}] expected {expected.model_dump(exclude_none=True)}, "
                                       f"not found")
            else:
                unmatched.remove(hit)
        result.failures.extend(f"[{evaluator.name}] unexpected {o}" for o in unmatched)
    return result


def run_rule_tests(rules_dir: Path | None = None) -> list[CaseResult]:
    """Run every case of every file in ``<rules>/tests``."""
    rulebook = load_rulebook(rules_dir)
    results = []
    for path in sorted((rulebook.folder / "tests").glob("*.yaml")):
        try:
            cases = load_cases(path)
        except (ValidationError, ValueError) as exc:
            results.append(CaseResult(path.name, "(file)", [str(exc)]))
            continue
        results.extend(run_case(case, path.name, rulebook) for case in cases)
    return results
