"""The county rulebook's own YAML tests (rules/tests/*.yaml), each case through both evaluators."""

from __future__ import annotations

import pytest

from engine.rulebook import load_rulebook
from tests.conftest import COUNTY
from usecases.rule_tests import load_cases, run_case

CASES = [(path, case) for path in sorted((COUNTY / "tests").glob("*.yaml"))
         for case in load_cases(path)]


def test_every_circumstance_has_rule_tests() -> None:
    names = {path.name.split("_")[0] for path, _ in CASES}
    assert {"c1", "c2", "c3", "c4"} <= names


@pytest.mark.parametrize(("path", "case"), CASES, ids=[f"{p.stem}:{i}" for i, (p, _) in enumerate(CASES)])
def test_rule_case(path, case) -> None:
    result = run_case(case, path.name, load_rulebook())
    assert result.passed, "\n".join(result.failures)


def test_a_wrong_expectation_fails(tmp_path) -> None:
    """The runner must catch a case whose expectation is wrong (it is not a rubber stamp)."""
    _, case = CASES[0]
    wrong = case.model_copy(update={"expect": []})
    assert not run_case(wrong, "x.yaml", load_rulebook()).passed
