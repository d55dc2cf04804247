"""The fast path of ingestion gives what the contract models give: the same rows accepted, with
the same values and content hashes, and the same messages for the rows it leaves to them."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from facts.contract import KINDS
from facts.fast_check import FastCheck
from facts.ingest import content_hash, ingest
from facts.readers import parse_json
from facts.store import open_store

FAST = {kind: FastCheck(model) for kind, model in KINDS.items()}

# Cells as exports write them, mostly well: the fast path takes some, the models the rest.
def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.integers(0, 3).flatmap(lambda n: bad if n == 0 else good)


dates = mostly(
    st.dates(min_value=date(1890, 1, 1), max_value=date(2210, 12, 31)).map(date.isoformat),
    st.sampled_from(["2026-02-30", " 2026-05-01 ", "2026/5/1", "2026.05.01", "2026年5月1日",
                     "２０２６-05-01", "2026-5-1", "", "2026-05-01T00:00:00", date(2026, 5, 1),
                     datetime(2026, 5, 1), datetime(2026, 5, 1, 9, 30), 20260501, None]))
periods = mostly(
    st.from_regex(r"(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])", fullmatch=True),
    st.sampled_from(["2026-13", "2026-00", " 2026-05", "2026-5", "２０２６-05", "2026/05", "",
                     date(2026, 5, 1), date(2026, 5, 2), datetime(2026, 5, 1, 8), 202605]))
booleans = mostly(st.booleans(), st.sampled_from(["是", "否", "true", "0", 1, 0, 2, None]))
texts = mostly(st.sampled_from(["P-1", "U-1", "bs01", "中文"]),
               st.one_of(st.text(max_size=6), st.sampled_from([" P-1 ", "", "  ", 7])))


@st.composite
def rows(draw: Any) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(["ledger", "rectification", "violation", "post", "reminder"]))
    row: dict[str, Any] = {"id": draw(texts), "attrs": draw(st.sampled_from([{}, {"a": 1}, None]))}
    if kind == "ledger":
        row |= {"person": draw(texts), "period": draw(periods), "task": draw(texts),
                "status": draw(st.sampled_from(["done", "partial", "missing", "gone", " done"])),
                "verdict": draw(st.sampled_from(["pass", "fail", "pending"])), "date": draw(dates)}
    elif kind == "rectification":
        row |= {"reminder": draw(texts), "person": draw(texts), "date": draw(dates),
                "effective": draw(booleans)}
    elif kind == "violation":
        row |= {"unit": draw(texts), "actors": draw(st.sampled_from([["P-1"], "P-1;P-2", [], ["P-1", "P-1"]])),
                "date": draw(dates), "category": "conduct", "severity": "minor",
                "case_filed": draw(booleans), "case_closed": draw(mostly(st.none(), dates)),
                "source": draw(st.sampled_from(["petition", "other", None])),
                "verified": draw(st.one_of(st.none(), booleans))}
    elif kind == "post":
        row |= {"person": draw(texts), "unit": draw(texts), "role": "secretary",
                "start": draw(dates), "end": draw(mostly(st.none(), dates))}
    else:
        row |= {"person": draw(texts), "issuer": draw(texts), "date": draw(dates), "matter": "m",
                "due": draw(mostly(st.none(), dates)),
                "basis": draw(st.sampled_from([None, "inspection:I-1", ["ledger:L-1"], ["x"]]))}
    row = {k: v for k, v in row.items() if v is not None or draw(st.integers(0, 3)) == 0}
    return kind, row


@settings(max_examples=400, deadline=None)
@given(rows(), st.booleans())
def test_a_row_the_fast_path_accepts_is_the_fact_the_model_makes(kind_row, lenient) -> None:
    kind, row = kind_row
    model, context = KINDS[kind], {"lenient": lenient}
    values = FAST[kind].values(row, context)
    fact = model.__new__(model)
    try:
        model.__pydantic_validator__.validate_python(row, context=context, self_instance=fact)
    except ValidationError:
        assert values is None
        return
    if values is not None:
        assert list(values.items()) == list(fact.__dict__.items())
        assert FAST[kind].content_hash(values) == content_hash(fact)


def test_the_ledger_of_a_json_export_takes_the_fast_path() -> None:
    """Not a property of the result, but the point: an ordinary ledger row needs no Python."""
    row = {"id": "L-1", "person": "P-1", "period": "2026-05", "task": "bs01", "status": "done",
           "verdict": "pass", "date": "2026-05-20"}
    assert FAST["ledger"].values(row, {"lenient": False}) is not None


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}', '{"a": {"b": "x", "b": "x"}}', '{"a": NaN}', '{"a": 1e400}',
    '{"a": 123456789012345678901234567890}', '{"a": "\\ud800"}', '{"a": "\\"", "b": 1}',
    '[' * 40 + ']' * 40, '{"a": 1.5e3, "b": -0.0, "c": "中文", "d": [1, null, true]}',
])
def test_json_is_read_as_the_standard_library_reads_it(text: str) -> None:
    """Duplicate keys refused, NaN refused, big integers kept: orjson reads only what it
    reads alike, the rest goes to the standard library."""
    objects: list[list[str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        objects.append([key for key, _ in items])
        return dict(items)

    def constant(name: str) -> Any:
        raise ValueError(name)

    try:
        expected = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
        if any(len(set(keys)) != len(keys) for keys in objects):
            expected = "duplicate key"
    except ValueError:
        expected = ValueError
    try:
        got = parse_json(text)
    except ValueError as exc:
        got = "duplicate key" if "duplicate key" in str(exc) else ValueError
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(("value", "reason"), [
    ('"a\u0085b"', "contains the control character U+0085 at character 2"),
    ('"a\u007fb"', "contains the control character U+007F at character 2"),
    ("1e400", "inf is not a number a store keeps"),
    ("-99999999999999999999", "does not fit in 64 bits"),
])
def test_what_no_store_takes_is_refused_in_a_json_line(tmp_path: Path, value: str, reason: str) -> None:
    store = open_store(f"sqlite:///{tmp_path}/store.db")
    export = tmp_path / "unit.jsonl"
    export.write_text('{"kind": "unit", "id": "U-1", "name": "n", "type": "township", '
                      f'"attrs": {{"note": {value}}}}}\n', encoding="utf-8")
    report = ingest(store, [export])
    assert not report.committed
    (error,) = report.errors
    assert str(error).startswith("unit.jsonl:1: attrs.note: ") and reason in str(error)


def test_numbers_a_store_takes_are_loaded_as_written(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/store.db")
    export = tmp_path / "unit.jsonl"
    export.write_text('{"kind": "unit", "id": "U-1", "name": "n", "type": "township", "attrs": '
                      '{"big": 9223372036854775807, "exp": 1.5e3, "small": -12}}\n', encoding="utf-8")
    report = ingest(store, [export])
    assert report.committed and not report.errors
    with store.connect() as connection:
        (attrs,) = connection.exec_driver_sql("SELECT attrs FROM unit").one()
    assert json.loads(attrs) == {"big": 9223372036854775807, "exp": 1500.0, "small": -12}


@pytest.mark.parametrize(("period", "day", "valid"), [
    ("2026-05", "2026-04-30", False), ("2026-05", "2026-05-01", True), ("2026-10", "2026-09-30", False),
    ("2026-10", "2026-10-01", True), ("1999-12", "2000-01-01", True), ("2000-01", "1999-12-31", False),
    ("2199-12", "2199-12-31", True), ("1900-02", "1900-01-31", False),
])
def test_a_filing_dated_before_its_period_is_refused_by_the_fast_path_as_by_the_model(
        period: str, day: str, valid: bool) -> None:
    """The twin checks the ledger's date against its period on the values
    (``contract.VALUES_EQUIVALENTS``): at each month's edge it agrees with the model."""
    row = {"id": "L-1", "person": "P-1", "period": period, "task": "bs01", "status": "done",
           "verdict": "pass", "date": day}
    assert (FAST["ledger"].values(row, {"lenient": False}) is not None) == valid
    try:
        KINDS["ledger"].model_validate(row)
    except ValidationError as exc:
        assert not valid and "before its period" in str(exc)
    else:
        assert valid
