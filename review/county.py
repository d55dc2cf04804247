"""The county folder review reads (labels, wording, sanctions, review.yaml): the one given,
else the bundled one, loaded once per process."""

from __future__ import annotations

from functools import lru_cache

from engine.rulebook import Rulebook, load_rulebook


@lru_cache(maxsize=1)
def _bundled() -> Rulebook:
    return load_rulebook()


def county(rulebook: Rulebook | None = None) -> Rulebook:
    return rulebook if rulebook is not None else _bundled()
