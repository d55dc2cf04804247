"""Dated sanctions: the ladder, base forms, look-back window and factors carry effective dates;
a finding is judged under the values in force at its conduct, under the current ones when
they are lighter (从旧兼从轻), and the explanation names both and says which applies."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate, find
from engine.run.read import get_recommendation, list_recommendations
from engine.sanction.recommend import recommend
from tests.conftest import copy_county, load
from tests.engine_support import AS_OF, person, post, unit

# a county-leader proposal (circumstance 4: base 诫勉谈话) dated 2026-06-01 about P1, who was
# admonished before: 20 months before the proposal, or 30
PROPOSAL_DAY = "2026-06-01"


def _facts(prior_day: str, **attrs: bool) -> list[dict]:
    return [
        unit("U1", "县教育局"),
        person("P1", "彭局长", "U1", category="organ_secretary", **({"attrs": attrs} if attrs else {})),
        person("L1", "向副书记", "U1", category="county_deputy_secretary"),
        post("P1", "U1", "secretary"),
        {"kind": "accountability", "id": "A1", "person": "P1", "date": prior_day, "form": "admonition"},
        {"kind": "proposal", "id": "PR1", "person": "P1", "proposer": "L1", "date": PROPOSAL_DAY,
         "reason": "党建工作纪实评价连续两年排名末位"},
    ]


def _sanctions(tmp_path: Path, old: str, new: str) -> Path:
    """The county folder with one entry of sanctions.yaml replaced by dated values."""
    folder = copy_county(tmp_path / "rules")
    path = folder / "sanctions.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


def _lookback(tmp_path: Path, new_value: str, change_day: str) -> Path:
    day = date.fromisoformat(change_day)
    before = date.fromordinal(day.toordinal() - 1)
    return _sanctions(tmp_path, "lookback: 24m\n", (
        "lookback:\n"
        f"  - effective: {{from: 2016-03-01, to: {before}}}\n    value: 24m\n"
        f"  - effective: {{from: {change_day}}}\n    value: {new_value}\n"))


def _evaluate(store, tmp_path: Path, facts: list[dict], folder: Path | None) -> list[dict]:
    load(store, facts, tmp_path)
    evaluate(store, AS_OF, load_rulebook(folder))
    return [get_recommendation(store, i["id"]) for i in list_recommendations(store)]


def test_lighter_current_values_apply_and_the_explanation_names_both(store, tmp_path) -> None:
    folder = _lookback(tmp_path, "12m", "2026-07-01")  # shortened after the conduct
    [rec] = _evaluate(store, tmp_path, _facts("2024-10-01"), folder)
    e = rec["explanation"]
    assert e["forms"] == ["admonition"]  # 20 months back: inside 24m (then), outside 12m (now)
    choice = e["sanctions"]
    assert choice["chosen"] == "now" and choice["changed"] == ["lookback"]
    assert choice["then_forms"] == ["circulated_criticism"] and choice["now_forms"] == ["admonition"]
    assert choice["then_from"] == {"lookback": "2016-03-01"}
    assert choice["now_from"] == {"lookback": "2026-07-01"}
    last = e["steps"][-1]
    assert last["step"] == "sanctions" and last["reason"] == choice["reason"]
    for words in ("从旧兼从轻", "2026年6月1日", "回溯期24个月（2016年3月1日起施行）",
                  "回溯期12个月（2026年7月1日起施行）", "通报批评", "诫勉谈话",
                  "现行规定处理较轻，适用现行规定"):
        assert words in last["reason"], (words, last["reason"])


def test_heavier_current_values_do_not_reach_earlier_conduct(store, tmp_path) -> None:
    folder = _lookback(tmp_path, "36m", "2026-07-01")  # lengthened after the conduct
    [rec] = _evaluate(store, tmp_path, _facts("2023-12-01"), folder)
    e = rec["explanation"]
    assert e["forms"] == ["admonition"]  # 30 months back: outside 24m (then), inside 36m (now)
    assert e["sanctions"]["chosen"] == "then"
    assert e["sanctions"]["now_forms"] == ["circulated_criticism"]
    assert "现行规定处理不轻于行为时规定，适用行为时规定" in e["steps"][-1]["reason"]


def test_conduct_after_a_change_is_judged_by_the_new_values_alone(sqlite_store, tmp_path) -> None:
    folder = _lookback(tmp_path, "36m", "2026-01-01")  # in force before the conduct
    [rec] = _evaluate(sqlite_store, tmp_path, _facts("2023-12-01"), folder)
    e = rec["explanation"]
    assert e["forms"] == ["circulated_criticism"] and e["sanctions"] is None
    assert any("36个月回溯期内" in s["reason"] for s in e["steps"] if s["step"] == "prior")


def test_dated_base_forms_and_factors(sqlite_store, tmp_path) -> None:
    """A base form raised before the conduct applies; a mitigating factor the county added
    only after the conduct applies too, because it is lighter."""
    folder = _sanctions(
        tmp_path, "  4: {minor: admonition, serious: admonition, grave: circulated_criticism}\n",
        "  4: {minor: admonition, serious: circulated_criticism, grave: suspension}\n")
    path = folder / "sanctions.yaml"
    text = path.read_text(encoding="utf-8")
    base = text[text.index("base:\n"):text.index("\nlookback:")]
    values = "\n".join("    " + line for line in base.splitlines()[1:])
    text = text.replace(base, "base:\n  - effective: {from: 2016-03-01}\n    value:\n" + values)
    mitigating = text[text.index("mitigating:\n"):text.index("\n# 第十七条")]
    entries = "\n".join("    " + line for line in mitigating.splitlines()[1:])
    text = text.replace(mitigating, (
        "mitigating:\n  - effective: {from: 2016-03-01, to: 2026-08-31}\n    value:\n" + entries
        + "\n  - effective: {from: 2026-09-01}\n    value:\n" + entries
        + "\n      - attr: apologised\n        label: 主动说明情况、真诚悔过\n"))
    path.write_text(text, encoding="utf-8")
    facts = [f for f in _facts("2010-01-01", apologised=True) if f["kind"] != "accountability"]
    [rec] = _evaluate(sqlite_store, tmp_path, facts, folder)
    e = rec["explanation"]
    assert e["base_form"] == "circulated_criticism"
    assert e["forms"] == ["admonition"] and e["sanctions"]["changed"] == ["mitigating"]
    assert e["sanctions"]["then_forms"] == ["circulated_criticism"]


def test_one_period_written_with_dates_changes_nothing(demo_store, tmp_path) -> None:
    """The demo county judged under a sanctions file whose entries are each written as one
    dated value gives exactly the recommendations of the undated file."""
    folder = copy_county(tmp_path / "rules")
    path = folder / "sanctions.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("lookback: 24m\n", "lookback:\n  - effective: {from: 2016-03-01}\n"
                                           "    value: 24m\n")
    text = text.replace("ladder: [admonition, circulated_criticism, suspension, removal]\n",
                        "ladder:\n  - effective: {from: 2000-01-01}\n"
                        "    value: [admonition, circulated_criticism, suspension, removal]\n")
    path.write_text(text, encoding="utf-8")

    def explanations(rulebook) -> dict[str, dict]:  # noqa: ANN001
        from collections import Counter

        found, facts, _ = find(demo_store, rulebook, AS_OF)
        chosen = recommend(demo_store, rulebook, found, facts, AS_OF, Counter()).chosen
        return {rec_id: e.model_dump(exclude={"rulebook_hash"}) for rec_id, (e, _) in chosen.items()}

    undated, dated = explanations(load_rulebook()), explanations(load_rulebook(folder))
    assert undated and dated == undated
