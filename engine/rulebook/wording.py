"""The county's sentences (``wording.yaml``), compiled once and rendered with labels.

Each entry is a one-line Jinja template, so the county can change how an explanation is
worded without touching Python. Rendering is sandboxed and strict: a template that names
something it is not given fails loudly instead of printing an empty string.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from engine.rulebook.spec import Labels, Wording
from engine.rulebook.terms import Period


def day(value: date | str | None) -> str:
    """2026年2月26日, the date in running Chinese text (ISO text is read as a date)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日"


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    env.filters["day"] = day
    env.filters["percent"] = lambda value: f"{value:.0%}"
    return env


_ENV = _environment()
GROUPS = ("steps", "posts", "evidence", "set_aside", "changes", "review", "statement")  # the keyed groups of wording.yaml


@lru_cache(maxsize=4096)
def compiled(source: str) -> Template:
    """A sentence compiled once per process: checking a county folder compiles each of its
    sentences, and the run that loads it renders them (a tenth of a second for them all)."""
    return _ENV.from_string(source)


def syntax_error(source: str) -> str | None:
    """What is wrong with a template's syntax, or None."""
    try:
        compiled(source)
    except TemplateSyntaxError as exc:
        return exc.message or "not a valid template"
    return None


class Sayings:
    """The compiled wording of one rulebook, rendered with its labels."""

    def __init__(self, wording: Wording, labels: Labels):
        self.labels = labels
        self._groups = {group: {k: compiled(v) for k, v in getattr(wording, group).items()}
                        for group in GROUPS}
        self._steps, self._posts, self._evidence = (self._groups[g] for g in
                                                    ("steps", "posts", "evidence"))
        self._case_review = compiled(wording.case_review_note)
        self._proposer = compiled(wording.proposer_with_leader)
        self.dissent_label = wording.dissent_label

    def _render(self, template: Template, **values: Any) -> str:
        return template.render(labels=self.labels, **values)

    def text(self, group: str, key: str, /, **values: Any) -> str:
        """A sentence of one group (``set_aside``, ``changes``, ...) with its values."""
        return self._render(self._groups[group][key], **values)

    def step(self, name: str, /, **values: Any) -> str:
        return self._render(self._steps[name], **values)

    def period(self, period: Period) -> str:
        """730日, 24个月, 2年: a period in running text, with the county's unit names."""
        return f"{period.amount}{self.labels.period_unit[period.unit]}"  # type: ignore[index]

    def post(self, name: str, /, **values: Any) -> str:
        return self._render(self._posts[name], **values)

    def case_review(self, cases: str) -> str:
        return self._render(self._case_review, cases=cases)

    def proposer_with_leader(self, body: str, leader: str) -> str:
        return self._render(self._proposer, body=body, leader=leader)

    def evidence(self, kind: str, fact: dict[str, Any], name: Callable[[str | None], str],
                 unit: Callable[[str | None], str], task: Callable[[str], str]) -> str:
        """One line of Chinese about one fact, from its own fields (what a reviewer reads first)."""
        template = self._evidence.get(kind)
        if template is None:
            return f"{kind} {fact['id']}"
        return self._render(template, f=fact, name=name, unit=unit, task=task)
