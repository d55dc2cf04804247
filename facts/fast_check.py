"""The common row validated without calling Python: a twin of each contract model's schema.

A contract model validates through Python functions (dates, booleans, periods, cross-field
checks) into a SQLModel instance; for a county's hundreds of thousands of ledger rows that
costs more than reading and writing them. ``FastCheck`` derives from the model's own core
schema a typed-dict schema in which each of those functions is replaced by its pydantic-core
equivalent (``contract.CORE_EQUIVALENTS``). The equivalents accept a subset of what the
functions accept, with the same values, so a row the twin accepts is one the model accepts,
giving the same field values; a row it refuses is validated again by the model itself,
whose messages say what is wrong. Functions without an equivalent stay as they are, and a
model's cross-field checks run on the values (they read fields as attributes), or their
equivalent on the values (``contract.VALUES_EQUIVALENTS``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from pydantic_core import SchemaSerializer, SchemaValidator, core_schema

from facts.contract import (
    ADDED_FIELDS,
    CORE_EQUIVALENTS,
    VALUES_EQUIVALENTS,
    Fact,
    unchanged_by_additions,
)


def _function(node: dict[str, Any]) -> Any:
    function = node.get("function")
    function = function.get("function") if isinstance(function, dict) else None
    return getattr(function, "__func__", function)  # a classmethod validator: its function


def _equivalents(node: Any) -> Any:
    """``node`` with each function that has a core equivalent replaced by it."""
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("function-") and _function(node) in CORE_EQUIVALENTS:
            return CORE_EQUIVALENTS[_function(node)]
        return {key: _equivalents(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_equivalents(value) for value in node]
    return node


def _on_values(check: Callable[[Any], Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A model's after-validator (it takes the instance) run on the validated values."""
    def run(values: dict[str, Any]) -> dict[str, Any]:
        check(SimpleNamespace(**values))
        return values
    return run


def _values_schema(node: dict[str, Any], config: Any = None) -> core_schema.CoreSchema:
    """The model's schema with the model itself replaced by a typed dict of its fields."""
    kind = node["type"]
    if kind == "model":
        return _values_schema(node["schema"], node.get("config"))
    if kind == "model-fields":
        return core_schema.typed_dict_schema(
            {name: core_schema.typed_dict_field(
                field["schema"], required=field["schema"]["type"] != "default")
             for name, field in node["fields"].items()},
            extra_behavior="forbid", config=config)
    if kind == "function-after":  # a model's after-validator takes the instance
        check = node["function"]["function"]
        return core_schema.no_info_after_validator_function(
            VALUES_EQUIVALENTS.get(check) or _on_values(check), _values_schema(node["schema"], config))
    if kind == "function-before":  # a model's before-validator takes the row as a dict
        return {**node, "schema": _values_schema(node["schema"], config)}
    raise TypeError(f"no fast check for a model schema of type {kind!r}")


class FastCheck:
    """One kind's twin: ``values`` of a row it accepts (else None), and their ``content_hash``."""

    def __init__(self, model: type[Fact]):
        self.model = model
        schema = _values_schema(_equivalents(model.__pydantic_core_schema__))
        self.validator = SchemaValidator(schema)
        self.serializer = SchemaSerializer(schema)
        self.added = ADDED_FIELDS.get(model, ())

    def values(self, data: dict[str, Any], context: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self.validator.validate_python(data, context=context)
        except ValidationError:
            return None

    def content_hash(self, values: dict[str, Any]) -> str:
        """``facts.ingest.content_hash`` of the fact with these values, without the fact."""
        exclude = unchanged_by_additions(self.model, values) if self.added else None
        return hashlib.sha256(self.serializer.to_json(values, exclude=exclude)).hexdigest()
