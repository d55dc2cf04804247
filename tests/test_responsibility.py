"""The bundled responsibility list loads, and bad lists are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import RulebookError
from engine.rulebook import load_rulebook
from facts.responsibility import CATEGORIES, FILE_NAME, load_responsibility_list
from tests.conftest import copy_county


def test_bundled_list_has_the_articles_tasks() -> None:
    rl = load_responsibility_list()
    assert [e.code for e in rl.categories] == list(CATEGORIES)
    assert [t.code for t in rl.tasks_for("county_secretary")] == [
        f"cs{i:02d}" for i in range(1, 11)
    ]
    assert [t.name for t in rl.tasks_for("branch_secretary")] == [
        "制定党支部工作计划",
        "加强支部班子建设",
        "加强党员队伍管理",
        "严肃党内组织生活",
        "加强服务型党组织建设",
        "落实党风廉政建设责任",
    ]
    assert all(4 <= len(e.tasks) <= 10 for e in rl.categories)
    assert rl.category_label("township_secretary") == "乡镇党委书记"
    assert "bs06" in rl.task_codes
    assert rl.reference.issued == "2016-03"


def _write_variant(tmp_path: Path, old: str, new: str) -> Path:
    folder = copy_county(tmp_path / "rules")
    path = folder / FILE_NAME
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("code: cs02,", "code: cs01,", "cs01 appears twice"),
        ("code: publicity_head", "code: propaganda_head", "publicity_head"),
        ("code: publicity_head", "code: county_leader", "county_leader appears twice"),
        ("frequency: quarterly}", "frequncy: quarterly}", "frequncy"),
        ("frequency: monthly}", "frequency: monthly, month: 3}", "yearly tasks only"),
    ],
)
def test_bad_lists_are_refused_by_the_rule_check(tmp_path: Path, old: str, new: str,
                                                 message: str) -> None:
    with pytest.raises(RulebookError, match=message) as caught:
        load_rulebook(_write_variant(tmp_path, old, new))
    assert all(FILE_NAME in str(e) for e in caught.value.errors)
