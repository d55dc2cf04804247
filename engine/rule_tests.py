"""Rule tests a policy officer writes in YAML: given these facts, on this date, expect these.

Each file in ``rules/tests/`` holds cases. A case is run in a fresh SQLite store through
the real ingestion path, by both evaluators; each must produce exactly the expected
recommendations (person, circumstance, responsibility, forms, route), nothing more.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML

from engine.rulebook import RULES_DIR


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: str
    circumstance: int | None = None
    responsibility: str | None = None
    degree: str | None = None
    forms: list[str] | None = None
    route: str | None = None
    rule: str | None = None


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
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
            "forms": e["forms"], "route": e["route"], "rule": rec["rule"]}


def _matches(expected: Expected, observed: dict[str, Any]) -> bool:
    return all(value is None or observed[name] == value
               for name, value in expected.model_dump().items())


def run_case(case: Case, file: str, rules_dir: Path) -> CaseResult:
    from engine.evaluate import evaluate
    from engine.listing import get_recommendation, list_recommendations
    from facts.ingest import ingest
    from facts.store import open_store

    result = CaseResult(file, case.name)
    for evaluator in ("durable", "reference"):
        with tempfile.TemporaryDirectory() as tmp:
            facts_file = Path(tmp) / "facts.jsonl"
            facts_file.write_text("".join(json.dumps(f, ensure_ascii=False, default=str) + "\n"
                                          for f in case.facts), encoding="utf-8")
            store = open_store(f"sqlite:///{tmp}/case.db")
            report = ingest(store, [facts_file])
            if report.errors:
                result.failures.extend(f"facts: {e}" for e in report.errors)
                return result
            evaluate(store, case.as_of, rules_dir, evaluator, workers=1)
            observed = [_observed(get_recommendation(store, r["id"]))
                        for r in list_recommendations(store)]
            store.dispose()
        unmatched = list(observed)
        for expected in case.expect:
            hit = next((o for o in unmatched if _matches(expected, o)), None)
            if hit is None:
                result.failures.append(f"[{evaluator}] expected {expected.model_dump(exclude_none=True)}, "
                                       f"not found")
            else:
                unmatched.remove(hit)
        result.failures.extend(f"[{evaluator}] unexpected {o}" for o in unmatched)
    return result


def run_rule_tests(rules_dir: Path | None = None) -> list[CaseResult]:
    """Run every case of every file in ``<rules>/tests``."""
    rules_dir = rules_dir or RULES_DIR
    results = []
    for path in sorted((rules_dir / "tests").glob("*.yaml")):
        try:
            cases = load_cases(path)
        except (ValidationError, ValueError) as exc:
            results.append(CaseResult(path.name, "(file)", [str(exc)]))
            continue
        results.extend(run_case(case, path.name, rules_dir) for case in cases)
    return results
