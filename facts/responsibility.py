"""The county's responsibility list (责任清单): the 12 categories of responsible subjects and
their tasks, read from ``responsibility_list.yaml`` in the county folder (``rules/``).

Ledger filings (``ledger.task``) carry the task codes defined here, so a code is an
interface: names may change, codes may not.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, model_validator
from ruamel.yaml import YAML

import rules
from facts.contract import Category
from facts.validation import StrictModel

FILE_NAME = "responsibility_list.yaml"
CATEGORIES: tuple[str, ...] = get_args(Category)

Frequency = Literal["monthly", "quarterly", "yearly"]


class Task(StrictModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str = Field(min_length=1)
    frequency: Frequency = "monthly"
    month: int | None = Field(default=None, ge=1, le=12)

    @model_validator(mode="after")
    def _month_only_for_yearly(self) -> Task:
        if self.month is not None and self.frequency != "yearly":
            raise ValueError(f"{self.code}: `month` applies to yearly tasks only")
        return self


class CategoryEntry(StrictModel):
    code: Category
    label: str = Field(min_length=1)
    tasks: list[Task] = Field(min_length=1)


class Reference(StrictModel):
    document: str = Field(min_length=1)
    issuer: str | None = None
    issued: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    note: str | None = None


class ResponsibilityList(StrictModel):
    reference: Reference
    categories: list[CategoryEntry]

    @model_validator(mode="after")
    def _unique_and_complete(self) -> ResponsibilityList:
        seen: set[str] = set()
        for entry in self.categories:
            if entry.code in seen:
                raise ValueError(f"category {entry.code} appears twice")
            seen.add(entry.code)
        missing = [c for c in CATEGORIES if c not in seen]
        if missing:
            raise ValueError(f"categories missing: {', '.join(missing)}")
        codes: set[str] = set()
        for entry in self.categories:
            for task in entry.tasks:
                if task.code in codes:
                    raise ValueError(f"task code {task.code} appears twice")
                codes.add(task.code)
        return self

    @cached_property
    def task_codes(self) -> set[str]:
        return {task.code for entry in self.categories for task in entry.tasks}

    @cached_property
    def task_names(self) -> dict[str, str]:
        """Code -> name (asked for every fact an explanation states: built once)."""
        return {task.code: task.name for entry in self.categories for task in entry.tasks}

    def _entry(self, category: str) -> CategoryEntry:
        for entry in self.categories:
            if entry.code == category:
                return entry
        raise KeyError(f"unknown category {category!r}")

    def category_label(self, code: str) -> str:
        return self._entry(code).label

    def tasks_for(self, category: str) -> list[Task]:
        return list(self._entry(category).tasks)


def load_responsibility_list(rules_dir: Path | None = None) -> ResponsibilityList:
    """The list of a county folder (default: the bundled one); raises ``ValidationError``.

    The whole rulebook (``engine.rulebook``) reads the same file with positions for every
    error; ingestion needs only the task codes, and no rule error should stop it.
    """
    source = (rules_dir or rules.FOLDER) / FILE_NAME
    return _load(source, source.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(source: Path, _mtime_ns: int) -> ResponsibilityList:
    """Parsed once per file version: ingestion reads it for every invocation."""
    data = YAML(typ="safe", pure=True).load(source.read_text(encoding="utf-8"))
    return ResponsibilityList.model_validate(data)
