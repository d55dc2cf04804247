"""A rule replaced by a new version: old conduct is judged by the old one, the lighter applies."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from engine.run.read import get_recommendation, list_recommendations
from facts.ingest import ingest
from facts.store import open_store
from tests.conftest import copy_county

V2 = """
  - version: 2
    effective: {from: 2026-06-01}
    basis:
      - document: 《溆浦县党员领导干部落实“全面从严治党”责任分工》（2026年修订）
        article: 问责情形第一项
        text: 领导班子内部不团结、影响工作开展的，应当问责。
    match:
      - fact: disunity
        as: report
        where:
          affects_work: true
          date: {on_or_after: as_of - 730d}
    finding:
      subject: {unit: report.unit}
      severity: minor
      proposer: organization_department
      conduct_date: report.date
"""


def _rules_with_v2(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    copy_county(rules)
    path = rules / "circumstances" / "c1_team_disunity.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "effective: {from: 2016-03-01}", "effective: {from: 2016-03-01, to: 2026-05-31}")
    path.write_text(text + V2, encoding="utf-8")
    return rules


def _store(tmp_path: Path, disunity: list[dict]):
    facts = [
        {"kind": "unit", "id": "U1", "name": "大江口镇", "type": "township"},
        {"kind": "person", "id": "P1", "name": "杨书记", "unit": "U1"},
        {"kind": "post", "id": "PO1", "person": "P1", "unit": "U1", "role": "secretary",
         "start": "2020-01-01"},
        *disunity,
    ]
    path = tmp_path / "facts.jsonl"
    path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts), encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path}/w.db")
    assert not ingest(store, [path]).errors
    return store


def _only(store) -> dict:
    items = list_recommendations(store)
    assert len(items) == 1, items
    return get_recommendation(store, items[0]["id"])["explanation"]


def test_old_conduct_takes_the_lighter_new_version(tmp_path: Path) -> None:
    store = _store(tmp_path, [{"kind": "disunity", "id": "D1", "unit": "U1", "date": "2026-03-01",
                               "affects_work": True, "public_reaction": True}])
    evaluate(store, date(2026, 11, 25), load_rulebook(_rules_with_v2(tmp_path)))
    e = _only(store)
    assert e["rule_version"] == 2
    assert e["forms"] == ["admonition"]  # v1 would give circulated criticism
    assert "从旧兼从轻" in e["steps"][-1]["reason"]


def test_old_conduct_the_new_version_alone_would_catch_is_not_caught(tmp_path: Path) -> None:
    # no public reaction: v1 (in force at the time) does not apply, so v2 may not reach back
    store = _store(tmp_path, [{"kind": "disunity", "id": "D1", "unit": "U1", "date": "2026-03-01",
                               "affects_work": True, "public_reaction": False}])
    evaluate(store, date(2026, 11, 25), load_rulebook(_rules_with_v2(tmp_path)))
    assert list_recommendations(store) == []


def test_new_conduct_is_judged_by_the_new_version(tmp_path: Path) -> None:
    store = _store(tmp_path, [{"kind": "disunity", "id": "D1", "unit": "U1", "date": "2026-07-01",
                               "affects_work": True, "public_reaction": False}])
    evaluate(store, date(2026, 11, 25), load_rulebook(_rules_with_v2(tmp_path)))
    e = _only(store)
    assert (e["rule_version"], e["forms"]) == (2, ["admonition"])
    assert not any("从旧兼从轻" in s["reason"] for s in e["steps"])
