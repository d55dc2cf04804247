"""``wenze explain``: why each rule fired or did not fire for a person, agreeing with the run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select

from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from facts.recommendation_tables import RecommendationRow
from facts.tables import PersonRow
from tests.conftest import load
from tests.engine_support import AS_OF, c2
from usecases.explain import Explainer

ROOT = Path(__file__).resolve().parent.parent


def _fired_by_run(store: Engine) -> dict[str, set[str]]:
    """person -> the rules (with the other grounds) of their recommendations in the store."""
    table = RecommendationRow.__table__
    found: dict[str, set[str]] = {}
    with store.connect() as connection:
        for row in connection.execute(select(table).where(table.c.status != "withdrawn")):
            rules = {row.rule, *(g["rule_id"] for g in row.explanation.get("grounds", []))}
            found.setdefault(row.person, set()).update(rules)
    return found


def test_verdicts_agree_with_the_last_run_on_the_demo_county(demo_store: Engine) -> None:
    explainer = Explainer(demo_store, load_rulebook())  # as of the last run's date
    assert explainer.run_id is not None
    fired = _fired_by_run(demo_store)
    with demo_store.connect() as connection:
        everyone = sorted(connection.execute(select(PersonRow.__table__.c.id)).scalars())
    without = [p for p in everyone if p not in fired]
    assert fired and without
    for person in sorted(fired) + without[::max(1, len(without) // 40)]:
        result = explainer.explain(person)
        said = {r.rule_id for r in result.rules if r.fired}
        assert said == fired.get(person, set()), person
        for rule in result.rules:
            if rule.fired:  # the very recommendations the run stored
                assert set(rule.recommendations) == set(result.stored[rule.rule_id])
            else:
                assert rule.verdict != "fired" and not rule.recommendations


def test_a_reminder_with_an_effective_recheck_names_the_recheck(store: Engine,
                                                                tmp_path: Path) -> None:
    # reminder RM1 due 2026-07-10; the re-check RC1 on 2026-05-05 found the rectification effective
    load(store, c2(recheck_date="2026-05-05", effective=True), tmp_path)
    evaluate(store, AS_OF)
    result = Explainer(store, load_rulebook()).explain("P1")
    assert not any(r.fired for r in result.rules)
    rule = next(r for r in result.rules if r.rule_id == "c2-reminder-ineffective")
    assert rule.verdict == "blocked"
    (path,) = rule.versions[0].paths
    reminder, absent = path.steps
    assert (reminder.status, [f.id for f in reminder.looked_at]) == ("matched", ["RM1"])
    assert absent.negated and absent.status == "blocked"
    (recheck,) = absent.looked_at
    assert (recheck.kind, recheck.id) == ("rectification", "RC1")
    assert recheck.src == "facts.jsonl:8"  # the line it was loaded from
    assert {(c.field, c.op, str(c.expected), str(c.actual)) for c in recheck.checks} >= {
        ("effective", "eq", "True", "True"), ("date", "le", "2026-07-10", "2026-05-05")}
    # the rule without a due date: its reminder fails on the value it has
    no_due = next(r for r in result.rules if r.rule_id == "c2-reminder-ineffective-no-due")
    failed = no_due.versions[0].paths[0].steps[0]
    assert failed.status == "false"
    assert [(c.field, c.result, str(c.actual)) for c in failed.looked_at[0].checks
            if c.result != "held"] == [("due", "false", "2026-07-10")]
    # a rule about the person's unit: no disunity report there is a missing fact
    disunity = next(r for r in result.rules if r.rule_id == "c1-team-disunity")
    assert disunity.versions[0].paths[0].steps[0].status == "missing"


def test_a_missing_fact_is_told_from_a_false_condition(store: Engine, tmp_path: Path) -> None:
    # the reminder and the re-check are P2's: for P1 the reminder itself is missing
    load(store, c2(recheck_date="2026-05-05", effective=True, reminder_person="P2"), tmp_path)
    result = Explainer(store, load_rulebook(), AS_OF).explain("P1", "c2-reminder-ineffective")
    (rule,) = result.rules
    assert rule.verdict == "not_matched"
    assert rule.versions[0].paths[0].steps[0].status == "missing"  # P1 has no reminder


def test_cli_explains_in_chinese_and_as_json(demo_store: Engine) -> None:
    url = demo_store.url.render_as_string(hide_password=False)
    person = sorted(_fired_by_run(demo_store))[0]
    wenze = [sys.executable, "-m", "cli", "explain", person, "--db", url]
    text = subprocess.run(wenze, capture_output=True, text=True, cwd=ROOT)
    assert text.returncode == 0, text.stderr
    assert "已触发" in text.stdout and "来源" in text.stdout
    data = json.loads(subprocess.run([*wenze, "--json"], capture_output=True, text=True,
                                     cwd=ROOT, check=True).stdout)
    assert data["person"]["id"] == person and any(r["fired"] for r in data["rules"])
    missing = subprocess.run([*wenze[:4], "NO-SUCH", "--db", url], capture_output=True,
                             text=True, cwd=ROOT)
    assert missing.returncode == 1 and "no person NO-SUCH" in missing.stderr
    bad_rule = subprocess.run([*wenze, "--rule", "no-such-rule"], capture_output=True,
                              text=True, cwd=ROOT)
    assert bad_rule.returncode == 64


def test_the_coal_bureau_secretary_one_rule_fired_one_short_of_its_count(demo_store: Engine) -> None:
    result = Explainer(demo_store, load_rulebook()).explain("P-COAL-01")
    verdicts = {r.rule_id: r.verdict for r in result.rules}
    assert verdicts["c3-several-staff-violation"] == "fired"  # three staff gambling, one case
    frequent = next(r for r in result.rules if r.rule_id == "c3-frequent-problems")
    assert frequent.verdict == "no_finding"
    (short,) = frequent.shortfalls  # the violation and the inspection of it: one problem
    assert (short.matched, short.count["at_least"], short.count["same_problem"]) == (2, 3, True)
    assert result.units == ["U-COAL"]
