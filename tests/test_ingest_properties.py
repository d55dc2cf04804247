"""Property: what goes in comes out unchanged, through JSON Lines and through CSV."""

from __future__ import annotations

import csv
import json
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from facts.ingest import ingest
from facts.store import open_store
from facts.tables import TABLES

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
               min_size=1, max_size=12).filter(lambda s: s.strip() == s and s not in ("true", "false"))
ids = st.from_regex(r"[A-Z][A-Z0-9-]{0,9}", fullmatch=True)
days = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 28))
attr_values = st.one_of(text, st.integers(-10**6, 10**6), st.booleans())
attrs = st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), attr_values, max_size=3)


@st.composite
def county(draw):
    unit_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    units = [{"kind": "unit", "id": u, "name": draw(text), "type": draw(st.sampled_from(
        ["township", "county_organ", "branch"])), "attrs": draw(attrs)} for u in unit_ids]
    person_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    persons = [{"kind": "person", "id": p, "name": draw(text), "unit": draw(st.sampled_from(unit_ids)),
                "category": draw(st.sampled_from(["branch_secretary", "township_secretary"])),
                "attrs": draw(attrs)} for p in person_ids]
    ledgers = []
    for i in range(draw(st.integers(0, 6))):
        day = draw(days)
        ledgers.append({"kind": "ledger", "id": f"L{i}", "person": draw(st.sampled_from(person_ids)),
                        "period": f"{day.year}-{day.month:02d}", "task": draw(st.sampled_from(["bs01", "bs06"])),
                        "status": draw(st.sampled_from(["done", "partial", "missing"])),
                        "verdict": draw(st.sampled_from(["pass", "fail", "pending"])),
                        "date": day.isoformat(), "attrs": draw(attrs)})
    violations = [{"kind": "violation", "id": f"V{i}", "unit": draw(st.sampled_from(unit_ids)),
                   "actors": draw(st.lists(st.sampled_from(person_ids), min_size=1, max_size=3)),
                   "date": draw(days).isoformat(), "category": "conduct", "severity": "minor",
                   "case_filed": draw(st.booleans()), "description": draw(text), "attrs": draw(attrs)}
                  for i in range(draw(st.integers(0, 3)))]
    return units + persons + ledgers + violations


def _stored(url: str) -> list[dict]:
    store = open_store(url)
    out = []
    with store.connect() as connection:
        for kind, table in TABLES.items():
            for row in connection.execute(select(table.__table__)).mappings():
                fact = {k: v for k, v in row.items() if k not in ("src", "content_hash", "ingest_id")}
                fact = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fact.items()
                        if v is not None}
                out.append({"kind": kind, **fact})
    store.dispose()
    return sorted(out, key=lambda f: (f["kind"], f["id"]))


def _expected(facts: list[dict]) -> list[dict]:
    # A violation given no source or verified is stored as verified (only petitions are not);
    # its actors are persons: one listed twice is stored once.
    facts = [{**f, "verified": True, "actors": list(dict.fromkeys(f["actors"]))}
             if f["kind"] == "violation" else f for f in facts]
    return sorted(facts, key=lambda f: (f["kind"], f["id"]))


def _write_csv(folder: Path, facts: list[dict]) -> list[Path]:
    paths = []
    for kind in ("unit", "person", "ledger", "violation"):
        rows = [f for f in facts if f["kind"] == kind]
        if not rows:
            continue
        path = folder / f"{kind}.csv"
        fields = [k for k in rows[0] if k != "kind"]
        with path.open("w", encoding="gb18030" if kind == "person" else "utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(fields)
            for row in rows:
                writer.writerow([json.dumps(row[k], ensure_ascii=False) if k == "attrs"
                                 else ";".join(row[k]) if k == "actors"
                                 else str(row[k]).lower() if isinstance(row[k], bool) else row[k]
                                 for k in fields])
        paths.append(path)
    return paths


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(county())
def test_jsonl_round_trip(facts) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts), encoding="utf-8")
        url = f"sqlite:///{tmp}/w.db"
        report = ingest(open_store(url), [path])
        assert not report.errors, [str(e) for e in report.errors]
        assert _stored(url) == _expected(facts)


@SETTINGS
@given(county())
def test_csv_round_trip(facts) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/w.db"
        report = ingest(open_store(url), _write_csv(Path(tmp), facts))
        assert not report.errors, [str(e) for e in report.errors]
        assert _stored(url) == _expected(facts)
