"""durable_rules and the reference evaluator must find exactly the same things.

On generated counties, with the county rulebook and with a rulebook that uses what the
county rules do not: absence, ``different``, offsets both ways, ``in``/``not_in``,
``exists``, thresholds on attrs, and a self-join of two facts of one kind.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.durable import DurableEvaluator
from engine.match.reference import ReferenceEvaluator
from engine.rulebook import load_rulebook
from engine.run.evaluate import find
from facts.ingest import ingest
from facts.store import open_store
from tests.conftest import copy_county

AS_OF = date(2026, 11, 25)
EXAMPLES = int(os.environ.get("WENZE_DIFF_EXAMPLES", "30"))  # more for a longer campaign
EXTRA_RULES = """
id: x-no-rectification
title: 提醒到期后三十日内未整改复查
circumstance: 2
versions:
  - version: 1
    effective: {from: 2016-01-01}
    basis: [{document: 测试, article: 一, text: 测试}]
    match:
      - fact: reminder
        as: reminder
        where:
          due: {exists: true, on_or_before: as_of - 30d}
    absent:
      fact: rectification
      where:
        reminder: {same: reminder.id}
        date: {on_or_before: reminder.due + 30d}
    finding:
      subject: {person: reminder.person}
      responsibility: principal
      severity: minor
      proposer: supervising_leader
      conduct_date: reminder.due
---
id: x-two-violations
title: 同一单位九十日内两起不同类别违纪，且至少一起较重
circumstance: 3
versions:
  - version: 1
    effective: {from: 2016-01-01}
    basis: [{document: 测试, article: 二, text: 测试}]
    match:
      - fact: violation
        as: first
        where:
          category: {not_in: [other]}
          attrs.score: {gte: 2}
      - fact: violation
        as: second
        where:
          unit: {same: first.unit}
          category: {different: first.category}
          severity: [serious, grave]
          date: {after: first.date, before: first.date + 90d}
    finding:
      subject: {unit: first.unit}
      severity: second.severity
      proposer: discipline_commission
      conduct_date: second.date
---
id: x-failed-before-reminder
title: 提醒前十日内台账未填报
circumstance: 2
versions:
  - version: 1
    effective: {from: 2016-01-01}
    basis: [{document: 测试, article: 三, text: 测试}]
    match:
      - fact: reminder
        as: reminder
      - fact: ledger
        as: missing
        where:
          person: {same: reminder.person}
          status: missing
          date: {on_or_after: reminder.date - 10d, on_or_before: reminder.date}
    finding:
      subject: {person: reminder.person}
      responsibility: principal
      severity: minor
      proposer: assessment_office
      conduct_date: reminder.date
"""

days = st.integers(0, 700).map(lambda n: date(2025, 1, 1) + timedelta(days=n))


@st.composite
def county(draw):
    units = [f"U{i}" for i in range(draw(st.integers(1, 3)))]
    persons = [f"P{i}" for i in range(draw(st.integers(1, 5)))]
    facts = [{"kind": "unit", "id": u, "name": f"单位{u}", "type": "county_organ"} for u in units]
    facts += [{"kind": "person", "id": p, "name": f"干部{p}", "unit": draw(st.sampled_from(units)),
               "category": "branch_secretary"} for p in persons]
    for i, p in enumerate(persons):
        facts.append({"kind": "post", "id": f"PO{i}", "person": p, "unit": draw(st.sampled_from(units)),
                      "role": draw(st.sampled_from(["secretary", "discipline_secretary", "member"])),
                      "start": "2020-01-01"})
    for i in range(draw(st.integers(0, 8))):
        day = draw(days)
        facts.append({"kind": "ledger", "id": f"L{i}", "person": draw(st.sampled_from(persons)),
                      "period": f"{day.year}-{day.month:02d}", "task": "bs01",
                      "status": draw(st.sampled_from(["done", "partial", "missing"])),
                      "verdict": draw(st.sampled_from(["pass", "fail"])), "date": day.isoformat()})
    reminders = []
    for i in range(draw(st.integers(0, 5))):
        day = draw(days)
        due = draw(st.one_of(st.none(), st.integers(0, 60)))
        reminder = {"kind": "reminder", "id": f"R{i}", "person": draw(st.sampled_from(persons)),
                    "issuer": draw(st.sampled_from(persons)), "date": day.isoformat(), "matter": "整改"}
        if due is not None:
            reminder["due"] = (day + timedelta(days=due)).isoformat()
        reminders.append(reminder)
    facts += reminders
    for i in range(draw(st.integers(0, 5))):
        if not reminders:
            break
        reminder = draw(st.sampled_from(reminders))
        facts.append({"kind": "rectification", "id": f"C{i}", "reminder": reminder["id"],
                      "person": draw(st.sampled_from([reminder["person"], *persons])),
                      "date": draw(days).isoformat(), "effective": draw(st.booleans())})
    for i in range(draw(st.integers(0, 6))):
        facts.append({"kind": "violation", "id": f"V{i}", "unit": draw(st.sampled_from(units)),
                      "actors": draw(st.lists(st.sampled_from(persons), min_size=1, max_size=3)),
                      "date": draw(days).isoformat(),
                      "category": draw(st.sampled_from(["work_discipline", "conduct", "corruption", "other"])),
                      "severity": draw(st.sampled_from(["minor", "serious", "grave"])),
                      "case_filed": draw(st.booleans()),
                      "attrs": draw(st.fixed_dictionaries({}, optional={"score": st.integers(0, 4)}))})
    for i in range(draw(st.integers(0, 2))):
        facts.append({"kind": "disunity", "id": f"D{i}", "unit": draw(st.sampled_from(units)),
                      "date": draw(days).isoformat(), "affects_work": draw(st.booleans()),
                      "public_reaction": draw(st.booleans())})
    return facts


def _rules(folder: Path) -> Path:
    rules = folder / "rules"
    copy_county(rules)
    for i, document in enumerate(EXTRA_RULES.split("\n---\n")):
        (rules / "circumstances" / f"x{i}.yaml").write_text(document, encoding="utf-8")
    return rules


def _signature(findings) -> set:
    return {(f.rule.name, f.key, f.fact_ids, f.conduct_date, f.subject) for f in findings}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(county())
def test_both_evaluators_find_the_same(facts) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "facts.jsonl"
        path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts), encoding="utf-8")
        store = open_store(f"sqlite:///{folder}/w.db")
        report = ingest(store, [path])
        assert not report.errors, [str(e) for e in report.errors]
        rulebook = load_rulebook(_rules(folder))
        durable = find(store, rulebook, AS_OF, DurableEvaluator(workers=1))[0]
        reference = find(store, rulebook, AS_OF, ReferenceEvaluator())[0]
        store.dispose()
        assert _signature(durable) == _signature(reference)


def test_the_extra_rules_do_fire(tmp_path) -> None:
    """The generated cases must reach the extra rules, or agreeing would prove little."""
    facts = [
        {"kind": "unit", "id": "U1", "name": "单位", "type": "county_organ"},
        {"kind": "person", "id": "P1", "name": "干部", "unit": "U1"},
        {"kind": "reminder", "id": "R1", "person": "P1", "issuer": "P1", "date": "2026-01-01",
         "matter": "整改", "due": "2026-02-01"},
        {"kind": "reminder", "id": "R2", "person": "P1", "issuer": "P1", "date": "2026-01-05",
         "matter": "整改", "due": "2026-02-01"},
        {"kind": "rectification", "id": "C2", "reminder": "R2", "person": "P1", "date": "2026-02-20",
         "effective": True},
        {"kind": "ledger", "id": "L1", "person": "P1", "period": "2025-12", "task": "bs01",
         "status": "missing", "verdict": "fail", "date": "2025-12-28"},
        {"kind": "violation", "id": "V1", "unit": "U1", "actors": ["P1"], "date": "2026-03-01",
         "category": "conduct", "severity": "minor", "case_filed": False, "attrs": {"score": 3}},
        {"kind": "violation", "id": "V2", "unit": "U1", "actors": ["P1"], "date": "2026-04-01",
         "category": "integrity", "severity": "serious", "case_filed": False},
    ]
    path = tmp_path / "f.jsonl"
    path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts), encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path}/w.db")
    assert not ingest(store, [path]).errors
    rulebook = load_rulebook(_rules(tmp_path))
    for evaluator in (DurableEvaluator(workers=1), ReferenceEvaluator()):
        found = {(f.rule.version.rule_id, f.fact_ids) for f in find(store, rulebook, AS_OF, evaluator)[0]}
        assert ("x-no-rectification", ("reminder:R1",)) in found
        assert ("x-no-rectification", ("reminder:R2",)) not in found
        assert ("x-two-violations", ("violation:V1", "violation:V2")) in found
        assert ("x-failed-before-reminder", ("reminder:R1", "ledger:L1")) in found
