"""Failures of the engine that a caller must tell apart (the CLI maps them to exit codes)."""

from __future__ import annotations

from dataclasses import dataclass


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


class EvaluationError(Exception):
    """The evaluation could not be completed; nothing of it is committed."""
