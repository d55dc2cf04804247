"""Pydantic validation errors in words a data collector or policy officer understands.

Ingestion (rows of export files) and the rulebook (YAML files) both report every error at
once with where it is; this is the one place that turns pydantic's errors into messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class StrictModel(BaseModel):
    """A model of a file a person writes: a misspelt key is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def validation_errors(exc: ValidationError, unknown: str = "not a known field here"
                      ) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, message) for each error; a cross-field check names its field first ("due: ...")."""
    for error in exc.errors(include_url=False, include_input=False):
        path = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if not path and ": " in message:
            name, message = message.split(": ", 1)
            path = (name,)
        if error["type"] == "missing":
            message = "missing (required)"
        elif error["type"] == "extra_forbidden":
            message = unknown
        yield path, message
