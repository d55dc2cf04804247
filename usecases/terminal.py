"""What ``wenze`` prints about recommendations and runs, in Chinese, with the county's labels."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from rich.box import SIMPLE_HEAD
from rich.markup import escape
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the CLI imports this module on every command: keep it light
    from engine.rulebook.spec import Labels

# Data is never read as markup or control: C0 controls but tab and newline, DEL, C1 controls,
# and the bidi and invisible formatting characters that reorder or hide what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f"
                      "\u202a-\u202e\u2060-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control picture: ␛ for ESC, ␀ for NUL
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def literal(value: object) -> str:
    """Text as it is, every control and bidi character shown visibly instead of obeyed."""
    return _CONTROL.sub(_visible, str(value))


def plain(value: object) -> str:
    """Text for ``console.print``: controls shown visibly, Rich markup escaped (printed as is)."""
    return escape(literal(value))


def json_literal(text: str) -> str:
    """JSON text with the characters above written as ``\\uXXXX`` escapes (the same JSON)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _cell(value: object) -> Text:
    return Text(literal(value))


def format_table(items: list[dict[str, Any]], labels: Labels) -> Table:
    """One row per recommendation (items listed with their explanation and number), two lines
    high so that it fits an 80-column terminal: the id (never cut: ``show`` takes it) over the
    document's number, the date over the circumstance, the person over the unit, the form over
    the responsibility; only the last two wrap on a narrow terminal."""
    table = Table(title=f"问责建议（共 {len(items)} 条）", title_justify="left", box=SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("编号／文号", no_wrap=True, min_width=16)
    table.add_column("行为日期／情形", no_wrap=True)
    table.add_column("对象／行为发生时单位", overflow="fold")
    table.add_column("建议问责方式／责任", overflow="fold")
    table.add_column("状态", no_wrap=True)
    for item in items:
        e = item["explanation"]
        forms = "＋".join(e["form_labels"])
        if e["route"] == "discipline_handling":
            forms += "（移送纪律审查）"
        elif e.get("case_review"):
            forms += "（建议立案审查）"
        table.add_row(*map(_cell, (
            f"{item['id']}\n{item.get('number') or '（未发文）'}",
            f"{item['conduct_date']}\n情形{item['circumstance']}",
            f"{item['person_name']}\n{e['post']['unit_name']}",
            f"{forms}\n{e['degree_label']}",
            labels.recommendation_status.get(item["status"], item["status"]))))
    return table


def format_detail(item: dict[str, Any], labels: Labels) -> str:
    """The whole explanation of one recommendation as plain Chinese text."""
    e = item["explanation"]
    out = [
        f"问责建议 {item['id']}（{labels.recommendation_status.get(item['status'], item['status'])}）"
        f"　文号：{item.get('number') or '未发文'}",
        f"对象：{e['subject']['name']}（{e['subject']['id']}），行为发生时任"
        f"{e['post']['unit_name']}{e['post']['role_label']}",
        f"问责情形：第{e['circumstance']}项　{e['circumstance_label']}",
        f"规则：{e['rule_title']}（{e['rule_id']} 第{e['rule_version']}版，{e['rule_file']}）",
        f"责任：{e['degree_label']}　情节：{labels.severity[e['severity']]}　行为日期：{e['conduct_date']}",
        "事实与证据：",
        *[f"  [{ev['kind']}:{ev['id']}] {ev['summary']}（来源 {ev['src']}）" for ev in e["evidence"]],
        "依据：",
        *[f"  {b['document']}{b['article']}：{b['text']}" for b in e["basis"]],
        "量纪过程：",
        *[f"  {i}. {s['reason']}" for i, s in enumerate(e["steps"], 1)],
        f"建议问责方式：{'＋'.join(e['form_labels'])}",
        f"提议：{e['proposer_label']}　决定：{e['decider_label']}"
        + ("" if e["proposer_may_impose"] else "（提议方仅可提出建议）"),
    ]
    for ground in e.get("grounds", []):
        out.append(f"另一项依据：{ground['rule_title']}（{ground['rule_id']} 第{ground['rule_version']}版）")
    if e.get("case_review"):
        out.append(f"建议立案审查：{e['case_review']}")
    if e.get("route_note"):
        out.append(f"处理途径：{e['route_note']}")
    if item.get("status_reason"):
        out.append(f"状态说明（第{item['status_run']}次评估）：{item['status_reason']}")
    if item.get("facts_changed"):
        changed = item["facts_changed"]
        out.append(f"事实已变化（第{changed['run']}次评估），请复核：{'；'.join(changed['changes'])}")
    out.append(f"规则库哈希：{e['rulebook_hash'][:16]}")
    return literal("\n".join(out))


def run_summary(items: list[dict[str, Any]]) -> str:
    """Counts by circumstance, form and unit for recommendations listed with their explanation."""
    by_circumstance = Counter(f"情形{i['circumstance']}" for i in items)
    by_form = Counter("＋".join(i["explanation"]["form_labels"]) for i in items)
    by_unit = Counter(i["explanation"]["post"]["unit_name"] for i in items)

    def block(title: str, counter: Counter, limit: int = 10) -> list[str]:
        rows = [f"  {name}：{n}" for name, n in counter.most_common(limit)]
        more = len(counter) - limit
        return [title, *rows] + ([f"  ……其余 {more} 个"] if more > 0 else [])

    return literal("\n".join(block("按问责情形：", by_circumstance) + block("按问责方式：", by_form)
                             + block("按单位：", by_unit)))
