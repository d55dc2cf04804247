"""durable_rules and the reference evaluator must find the same, on generated counties.

The county rulebook plus rules that use what it does not: an ``absent`` clause, ``different``,
``before``/``after`` with offsets both ways, ``in``/``not_in``, ``exists``, attrs thresholds,
a self-join of two violations, ordered or ``different`` joins on fields that may be
missing, a clause on two kinds (``fact: [violation, inspection]``; the county's
frequent-problems rule counts both), and a count ``within: 2m`` with ``evidence:`` clauses (evidence is looked up after
matching by shared code, so agreement there follows from agreement on matches; the
signature compared includes it all the same). (Every fixture of the other ``test_engine_*`` files is checked the same way.)
``WENZE_DIFF_EXAMPLES`` sets how many counties are generated (more for a longer campaign).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.durable import DurableEvaluator
from engine.match.reference import ReferenceEvaluator
from engine.rulebook import load_rulebook
from engine.run.evaluate import find
from facts.ingest import ingest
from facts.store import open_store
from tests.conftest import copy_county, load
from tests.engine_support import (
    AS_OF,
    assert_evaluators_agree,
    c2,
    person,
    post,
    signature,
    unit,
    violation,
)

EXAMPLES = int(os.environ.get("WENZE_DIFF_EXAMPLES", "30"))

HEAD = """id: {id}
title: {title}
circumstance: {circumstance}
versions:
  - version: 1
    effective: {{from: 2016-01-01}}
    basis: [{{document: 测试规则, article: 一, text: 测试}}]
"""
CUSTOM = {
    # a reminder with a due date and no rectification within 20 days of it
    "x-unrectified": (
        2,
        "到期后二十日内无整改复查",
        """    match:
      - fact: reminder
        as: reminder
        where:
          due: {exists: true, before: as_of - 20d}
    absent:
      fact: rectification
      where:
        reminder: {same: reminder.id}
        person: {same: reminder.person}
        date: {on_or_before: reminder.due + 20d, after: reminder.date}
    finding:
      subject: {person: reminder.person}
      responsibility: principal
      severity: minor
      proposer: supervising_leader
      conduct_date: reminder.due
""",
    ),
    # the same, inclusive and a month out: a comparison on_or_before an as_of offset
    "x-unrectified-30": (
        2,
        "到期三十日后仍无整改复查",
        """    match:
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
""",
    ),
    # two violations of different categories in one unit within 90 days, the first scored 2+
    "x-pair": (
        3,
        "九十日内两起不同类别违纪",
        """    match:
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
          date: {on_or_after: first.date, before: first.date + 90d}
    finding:
      subject: {unit: first.unit}
      severity: second.severity
      proposer: discipline_commission
      conduct_date: second.date
""",
    ),
    # a missing ledger within ten days before a reminder, by a reminder without a due date
    "x-before-reminder": (
        2,
        "提醒前十日内台账缺报",
        """    match:
      - fact: reminder
        as: reminder
        where:
          due: {exists: false}
      - fact: ledger
        as: missing
        where:
          person: {same: reminder.person}
          status: {in: [missing, partial]}
          date: {on_or_after: reminder.date - 10d, on_or_before: reminder.date}
    finding:
      subject: {person: reminder.person}
      responsibility: principal
      severity: minor
      proposer: assessment_office
      conduct_date: reminder.date
""",
    ),
    # joins on fields that may be missing: a due date, attrs, a free-text description
    "x-maybe-missing": (
        3,
        "可能缺失的字段比较",
        """    match:
      - fact: violation
        as: a
      - fact: violation
        as: b
        where:
          unit: {same: a.unit}
          attrs.score: {gt: a.attrs.score}
          description: {different: a.description}
          attrs.flag: {same: a.attrs.flag}
    finding:
      subject: {unit: a.unit}
      severity: minor
      proposer: discipline_commission
      conduct_date: b.date
""",
    ),
    "x-text-order": (
        3,
        "文字先后比较",
        """    match:
      - fact: violation
        as: a
      - fact: violation
        as: b
        where:
          unit: {same: a.unit}
          description: {after: a.description}
    finding:
      subject: {unit: a.unit}
      severity: minor
      proposer: discipline_commission
      conduct_date: b.date
""",
    ),
    # a count in months (the Civil Code's month end) with evidence looked up after matching
    "x-months": (
        3,
        "两个月内两起较重违纪，附九十日内的不团结报告为证据",
        """    match:
      - fact: violation
        as: v
        where:
          severity: [serious, grave]
    evidence:
      - fact: disunity
        as: report
        where:
          unit: {same: v.unit}
          date: {on_or_before: v.date, on_or_after: v.date - 90d}
      - fact: violation
        as: lesser
        where:
          unit: {same: v.unit}
          severity: minor
          date: {after: v.date - 30d, before: v.date}
    count: {at_least: 2, within: 2m, per: v.unit, date: v.date}
    finding:
      subject: {unit: v.unit}
      severity: v.severity
      proposer: discipline_commission
      conduct_date: v.date
      since: as_of - 18m
""",
    ),
    # a clause on two kinds, joined to an earlier clause
    "x-two-kinds": (
        3,
        "不团结报告后三十日内发生的较重问题（违纪或督查发现）",
        """    match:
      - fact: disunity
        as: report
      - fact: [violation, inspection]
        as: problem
        where:
          unit: {same: report.unit}
          severity: [serious, grave]
          date: {after: report.date, on_or_before: report.date + 30d}
    finding:
      subject: {unit: problem.unit}
      severity: problem.severity
      proposer: discipline_commission
      conduct_date: problem.date
""",
    ),
    "x-rechecked-after-due": (
        2,
        "提醒到期后才复查且不合格",
        """    match:
      - fact: reminder
        as: reminder
      - fact: rectification
        as: recheck
        where:
          reminder: {same: reminder.id}
          date: {after: reminder.due}
          effective: false
    finding:
      subject: {person: reminder.person}
      responsibility: principal
      severity: minor
      proposer: supervising_leader
      conduct_date: recheck.date
""",
    ),
}


def custom_rules(folder: Path) -> Path:
    rules = folder / "rules"
    copy_county(rules)
    for rule_id, (circumstance, title, body) in CUSTOM.items():
        text = HEAD.format(id=rule_id, title=title, circumstance=circumstance) + body
        (rules / "circumstances" / f"{rule_id}.yaml").write_text(text, encoding="utf-8")
    return rules


def _store(folder: Path, facts: list[dict]):
    path = folder / "facts.jsonl"
    path.write_text(
        "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts), encoding="utf-8"
    )
    store = open_store(f"sqlite:///{folder}/w.db")
    report = ingest(store, [path])
    assert not report.errors, [str(e) for e in report.errors]
    return store


def _found(store, rules: Path) -> dict[str, set]:
    rulebook = load_rulebook(rules)
    return {
        evaluator.name: {
            (f.rule.version.rule_id, f.fact_ids)
            for f in find(store, rulebook, AS_OF, evaluator)[0]
        }
        for evaluator in (DurableEvaluator(workers=1), ReferenceEvaluator())
    }


def test_the_custom_rules_fire_and_both_evaluators_agree(tmp_path) -> None:
    """Hand-made cases for every custom rule, positive and negative, so agreement means something."""
    facts = [
        unit("U1", "县林业局"),
        person("P1", "周支书", "U1"),
        person("L1", "向县长", "U1"),
        post("P1", "U1", "secretary"),
        # R1: due 2026-02-01, rectified only on 2026-03-01 (too late) -> unrectified
        {
            "kind": "reminder",
            "id": "R1",
            "person": "P1",
            "issuer": "L1",
            "date": "2026-01-01",
            "matter": "整改",
            "due": "2026-02-01",
        },
        {
            "kind": "rectification",
            "id": "C1",
            "reminder": "R1",
            "person": "P1",
            "date": "2026-03-01",
            "effective": False,
        },
        # R2: rectified within 20 days of its due date -> not unrectified
        {
            "kind": "reminder",
            "id": "R2",
            "person": "P1",
            "issuer": "L1",
            "date": "2026-01-05",
            "matter": "整改",
            "due": "2026-02-01",
        },
        {
            "kind": "rectification",
            "id": "C2",
            "reminder": "R2",
            "person": "P1",
            "date": "2026-02-21",
            "effective": True,
        },
        # R4: due 2026-08-01 and never rectified -> unrectified, in 20 days and in 30
        {
            "kind": "reminder",
            "id": "R4",
            "person": "P1",
            "issuer": "L1",
            "date": "2026-07-01",
            "matter": "整改",
            "due": "2026-08-01",
        },
        # R3: no due date; a missing ledger 10 days before it, a partial one 11 days before
        {
            "kind": "reminder",
            "id": "R3",
            "person": "P1",
            "issuer": "L1",
            "date": "2026-06-11",
            "matter": "台账",
        },
        {
            "kind": "ledger",
            "id": "LG1",
            "person": "P1",
            "period": "2026-06",
            "task": "bs01",
            "status": "missing",
            "verdict": "fail",
            "date": "2026-06-01",
        },
        {
            "kind": "ledger",
            "id": "LG2",
            "person": "P1",
            "period": "2026-05",
            "task": "bs01",
            "status": "partial",
            "verdict": "fail",
            "date": "2026-05-31",
        },
        {
            "kind": "ledger",
            "id": "LG3",
            "person": "P1",
            "period": "2026-06",
            "task": "bs02",
            "status": "done",
            "verdict": "pass",
            "date": "2026-06-05",
        },
        # violations: V1 (score 3), then others of another category within 90 days
        violation(
            "V1",
            "U1",
            "2026-03-01",
            ["P1"],
            "conduct",
            "minor",
            attrs={"score": 3, "flag": 1},
            description="上班打牌",
        ),
        violation(
            "V2",
            "U1",
            "2026-04-01",
            ["P1"],
            "integrity",
            "serious",
            attrs={"score": 4, "flag": True},
            description="abc def",
        ),
        violation(
            "V3",
            "U1",
            "2026-04-02",
            ["P1"],
            "other",
            "grave",
            attrs={"score": 5},
            description="abd",
        ),
        violation("V4", "U1", "2026-05-30", ["P1"], "integrity", "grave", description="abc"),
    ]
    store = _store(tmp_path, facts)
    found = _found(store, custom_rules(tmp_path))
    assert found["durable"] == found["reference"], {
        "durable only": found["durable"] - found["reference"],
        "reference only": found["reference"] - found["durable"],
    }
    got = found["durable"]
    assert ("x-unrectified", ("reminder:R1",)) in got
    assert ("x-unrectified", ("reminder:R2",)) not in got
    assert ("x-unrectified", ("reminder:R3",)) not in got  # no due date
    assert ("x-unrectified", ("reminder:R4",)) in got
    # C1 (2026-03-01) and C2 are within 30 days of the due date; R3 has none
    assert {g[1] for g in got if g[0] == "x-unrectified-30"} == {("reminder:R4",)}
    assert ("x-before-reminder", ("reminder:R3", "ledger:LG1")) in got
    assert not {g for g in got if g[0] == "x-before-reminder" and g[1][1] != "ledger:LG1"}
    pairs = {g[1] for g in got if g[0] == "x-pair"}
    # V3 ('other') may be second, never first; V4 is exactly 90 days after V1, or the same category as V2
    assert pairs == {
        ("violation:V1", "violation:V2"),
        ("violation:V1", "violation:V3"),
        ("violation:V2", "violation:V3"),
    }
    # V1-V2: score 4 > 3, descriptions differ, flag true == 1; V3 and V4 lack a flag or a score
    assert {g[1] for g in got if g[0] == "x-maybe-missing"} == {("violation:V1", "violation:V2")}
    # text compares in code-point order: "abc" < "abc def" < "abd" < "上班打牌"
    assert {g[1] for g in got if g[0] == "x-text-order"} == {
        ("violation:V4", "violation:V2"),
        ("violation:V4", "violation:V3"),
        ("violation:V4", "violation:V1"),
        ("violation:V2", "violation:V3"),
        ("violation:V2", "violation:V1"),
        ("violation:V3", "violation:V1"),
    }
    assert {g[1] for g in got if g[0] == "x-rechecked-after-due"} == {
        ("reminder:R1", "rectification:C1")
    }
    # V2, V3 within two months; after that cluster V4 starts a new window alone; V1 is minor
    # but 31 days before V2, too early to be evidence
    assert {g[1] for g in got if g[0] == "x-months"} == {("violation:V2", "violation:V3")}


def test_a_join_on_a_field_some_facts_lack_does_not_fail_the_run(tmp_path) -> None:
    """Regression: durable_rules failed the whole evaluation (error 311) when a 'different' or
    ordered join met a fact without the field (here: reminders without a due date)."""
    facts = [
        unit("U1", "县林业局"),
        person("P1", "周支书", "U1"),
        person("L1", "向县长", "U1"),
        {
            "kind": "reminder",
            "id": "R1",
            "person": "P1",
            "issuer": "L1",
            "date": "2026-01-01",
            "matter": "整改",
        },
        {
            "kind": "rectification",
            "id": "C1",
            "reminder": "R1",
            "person": "P1",
            "date": "2026-03-01",
            "effective": False,
        },
    ]
    store = _store(tmp_path, facts)
    found = _found(store, custom_rules(tmp_path))
    assert found["durable"] == found["reference"]
    assert not {g for g in found["durable"] if g[0] == "x-rechecked-after-due"}


days = st.integers(0, 760).map(lambda n: date(2024, 11, 1) + timedelta(days=n))
TEXTS = st.sampled_from([None, "abc", "abc def", "abd", "上班打牌", "上班 打牌", "Z"])


@st.composite
def county(draw) -> list[dict]:
    units = [f"U{i}" for i in range(draw(st.integers(1, 3)))]
    persons = [f"P{i}" for i in range(draw(st.integers(1, 5)))]
    facts = [unit(u, f"单位{u}") for u in units]
    facts += [person(p, f"干部{p}", draw(st.sampled_from(units))) for p in persons]
    for p in persons:
        start = draw(days)
        end = draw(st.one_of(st.none(), days.filter(lambda d, s=start: d >= s)))
        facts.append(
            post(
                p,
                draw(st.sampled_from(units)),
                draw(st.sampled_from(["secretary", "discipline_secretary", "member"])),
                start.isoformat(),
                end.isoformat() if end else None,
            )
        )
    for i in range(draw(st.integers(0, 8))):
        day = draw(days)
        facts.append(
            {
                "kind": "ledger",
                "id": f"L{i}",
                "person": draw(st.sampled_from(persons)),
                "period": f"{day.year}-{day.month:02d}",
                "task": "bs01",
                "status": draw(st.sampled_from(["done", "partial", "missing"])),
                "verdict": draw(st.sampled_from(["pass", "fail"])),
                "date": day.isoformat(),
            }
        )
    reminders = []
    for i in range(draw(st.integers(0, 5))):
        day = draw(days)
        reminder = {
            "kind": "reminder",
            "id": f"R{i}",
            "person": draw(st.sampled_from(persons)),
            "issuer": draw(st.sampled_from(persons)),
            "date": day.isoformat(),
            "matter": "整改",
        }
        due = draw(st.one_of(st.none(), st.integers(0, 60)))
        if due is not None:
            reminder["due"] = (day + timedelta(days=due)).isoformat()
        reminders.append(reminder)
    facts += reminders
    for i in range(draw(st.integers(0, 6)) if reminders else 0):
        reminder = draw(st.sampled_from(reminders))
        base = date.fromisoformat(reminder["date"])
        day = draw(
            st.one_of(days, st.integers(-5, 90).map(lambda n, b=base: b + timedelta(days=n)))
        )
        facts.append(
            {
                "kind": "rectification",
                "id": f"C{i}",
                "reminder": reminder["id"],
                "person": draw(st.sampled_from([reminder["person"], *persons])),
                "date": day.isoformat(),
                "effective": draw(st.booleans()),
            }
        )
    for i in range(draw(st.integers(0, 7))):
        attrs = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "score": st.integers(0, 4),
                    "flag": st.sampled_from([True, False, 0, 1]),
                    "obstruction": st.just(True),
                    "dissent": st.lists(st.sampled_from(persons), max_size=2),
                },
            )
        )
        extra = {"attrs": attrs}
        text = draw(TEXTS)
        if text is not None:
            extra["description"] = text
        facts.append(
            violation(
                f"V{i}",
                draw(st.sampled_from(units)),
                draw(days).isoformat(),
                draw(st.lists(st.sampled_from(persons), min_size=1, max_size=3)),
                draw(
                    st.sampled_from(
                        ["work_discipline", "conduct", "integrity", "corruption", "other"]
                    )
                ),
                draw(st.sampled_from(["minor", "serious", "grave"])),
                draw(st.booleans()),
                **extra,
            )
        )
    for i in range(draw(st.integers(0, 4))):
        inspection = {
            "kind": "inspection",
            "id": draw(st.sampled_from([f"I{i}", f"V{i}"])),  # an id a violation may also have
            "unit": draw(st.sampled_from(units)),
            "date": draw(days).isoformat(),
            "group": "督查组",
            "mode": draw(st.sampled_from(["immediate", "periodic", "unannounced", "special"])),
            "problem": "脱岗",
            "severity": draw(st.sampled_from(["minor", "serious", "grave"])),
        }
        if draw(st.booleans()):
            inspection["person"] = draw(st.sampled_from(persons))
        if all(f["kind"] != "inspection" or f["id"] != inspection["id"] for f in facts):
            facts.append(inspection)
    for i in range(draw(st.integers(0, 2))):
        facts.append(
            {
                "kind": "disunity",
                "id": f"D{i}",
                "unit": draw(st.sampled_from(units)),
                "date": draw(days).isoformat(),
                "affects_work": draw(st.booleans()),
                "public_reaction": draw(st.booleans()),
            }
        )
    for i in range(draw(st.integers(0, 2)) if len(persons) > 1 else 0):
        who, by = draw(st.permutations(persons))[:2]
        facts.append(
            {
                "kind": "proposal",
                "id": f"PR{i}",
                "person": who,
                "proposer": by,
                "date": draw(days).isoformat(),
                "reason": "履职不力",
            }
        )
    return facts


@pytest.fixture(scope="module")
def custom_rulebook(tmp_path_factory: pytest.TempPathFactory):
    return load_rulebook(custom_rules(tmp_path_factory.mktemp("custom")))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=county())
def test_both_evaluators_find_the_same_on_generated_counties(custom_rulebook, facts) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(Path(tmp), facts)
        try:
            assert_evaluators_agree(store, custom_rulebook)
            assert_evaluators_agree(store)  # the county rulebook alone
        finally:
            store.dispose()


def test_the_two_evaluators_agree_on_the_demo_county(demo_store) -> None:
    """With the default (forked, several) workers, on every circumstance."""
    rulebook = load_rulebook()
    durable = find(demo_store, rulebook, AS_OF, DurableEvaluator())[0]
    reference = find(demo_store, rulebook, AS_OF, ReferenceEvaluator())[0]
    assert len(durable) > 50
    assert signature(durable) == signature(reference)
    assert {f.rule.version.circumstance for f in durable} == {1, 2, 3, 4}


def test_facts_whose_ids_clash_in_durable_rules_hash_are_not_lost(sqlite_store, tmp_path) -> None:
    """durable_rules keys stored facts by a 32-bit hash of their id and refuses a second fact
    with the same hash in a sid; these two ids clash, and both re-checks must still count."""
    from engine.durable.encoding import durable_hash

    assert durable_hash("rectification:C75959") == durable_hash("rectification:C618224")
    facts = [f for f in c2() if f["kind"] != "rectification"] + [
        {"kind": "reminder", "id": "RM2", "person": "P1", "issuer": "L1", "date": "2026-04-20",
         "matter": "再次提醒"},
        {"kind": "rectification", "id": "C75959", "reminder": "RM2", "person": "P1",
         "date": "2026-05-12", "effective": False},
        {"kind": "rectification", "id": "C618224", "reminder": "RM2", "person": "P1",
         "date": "2026-05-20", "effective": False},
    ]
    load(sqlite_store, facts, tmp_path)
    found = assert_evaluators_agree(sqlite_store)
    # both re-checks of RM2 (no due date) are matched in one sid: one finding, both as evidence
    (ids,) = [ids for _, key, ids, _, _ in found if key == ("reminder:RM2",)]
    assert {"rectification:C75959", "rectification:C618224"} <= set(ids)
