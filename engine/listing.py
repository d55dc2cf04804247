"""Reading recommendations back out: for ``wenze recommendations`` and the run summary."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.box import SIMPLE_HEAD
from rich.table import Table
from sqlalchemy import Engine, select

from engine.records import EvaluationRun, RecommendationRow

SEVERITY_LABELS = {"minor": "较轻", "serious": "较重", "grave": "严重"}
STATUS_LABELS = {"pending": "待审核", "approved": "已批准", "amended": "已修改", "rejected": "已驳回"}


def list_recommendations(engine: Engine, status: str | None = None,
                         circumstance: int | None = None) -> list[dict[str, Any]]:
    """The JSON view of each recommendation: the fields other tools read, explanation aside."""
    table = RecommendationRow.__table__
    query = select(table).order_by(table.c.conduct_date, table.c.id)
    if status:
        query = query.where(table.c.status == status)
    if circumstance:
        query = query.where(table.c.circumstance == circumstance)
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(query)]
    return [_public(row) for row in rows]


def get_recommendation(engine: Engine, rec_id: str) -> dict[str, Any] | None:
    table = RecommendationRow.__table__
    with engine.connect() as connection:
        row = connection.execute(select(table).where(table.c.id == rec_id)).mappings().first()
    if row is None:
        return None
    return {**_public(dict(row)), "explanation": row["explanation"]}


def _public(row: dict[str, Any]) -> dict[str, Any]:
    explanation = row["explanation"]
    return {
        "id": row["id"], "person": row["person"], "person_name": row["person_name"],
        "unit": row["unit"], "unit_name": explanation["post"]["unit_name"],
        "circumstance": row["circumstance"], "responsibility": row["responsibility"],
        "degree": row["degree"], "form": row["form"], "forms": explanation["forms"],
        "proposer": row["proposer"], "decider": explanation["decider"],
        "route": explanation["route"], "rule": row["rule"], "rule_version": row["rule_version"],
        "conduct_date": row["conduct_date"].isoformat(), "evidence": row["evidence"],
        "status": row["status"], "rulebook_hash": row["rulebook_hash"],
    }


def format_table(items: list[dict[str, Any]], explanations: dict[str, dict[str, Any]]) -> Table:
    """One row per recommendation, in Chinese, readable at a glance."""
    table = Table("编号", "行为日期", "情形", "姓名", "单位（行为发生时）", "责任", "建议问责方式", "状态",
                  title=f"问责建议（共 {len(items)} 条）", title_justify="left", box=SIMPLE_HEAD)
    for item in items:
        e = explanations[item["id"]]
        forms = "＋".join(e["form_labels"])
        if e["route"] == "discipline_handling":
            forms += "（移送纪律审查）"
        table.add_row(item["id"], item["conduct_date"], str(item["circumstance"]), item["person_name"],
                      e["post"]["unit_name"], e["degree_label"], forms,
                      STATUS_LABELS.get(item["status"], item["status"]))
    return table


def format_detail(item: dict[str, Any]) -> str:
    """The whole explanation of one recommendation as plain Chinese text."""
    e = item["explanation"]
    out = [
        f"问责建议 {item['id']}（{STATUS_LABELS.get(item['status'], item['status'])}）",
        f"对象：{e['subject']['name']}（{e['subject']['id']}），行为发生时任"
        f"{e['post']['unit_name']}{e['post']['role_label']}",
        f"问责情形：第{e['circumstance']}项　{e['circumstance_label']}",
        f"规则：{e['rule_title']}（{e['rule_id']} 第{e['rule_version']}版，{e['rule_file']}）",
        f"责任：{e['degree_label']}　情节：{SEVERITY_LABELS[e['severity']]}　行为日期：{e['conduct_date']}",
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
    if e.get("route_note"):
        out.append(f"处理途径：{e['route_note']}")
    out.append(f"规则库哈希：{e['rulebook_hash'][:16]}")
    return "\n".join(out)


def run_summary(engine: Engine, ids: list[str]) -> str:
    """Counts by circumstance, form and unit for the given recommendations."""
    items = [get_recommendation(engine, rec_id) for rec_id in ids]
    by_circumstance = Counter(f"情形{i['circumstance']}" for i in items if i)
    by_form = Counter("＋".join(i["explanation"]["form_labels"]) for i in items if i)
    by_unit = Counter(i["explanation"]["post"]["unit_name"] for i in items if i)

    def block(title: str, counter: Counter, limit: int = 10) -> list[str]:
        rows = [f"  {name}：{n}" for name, n in counter.most_common(limit)]
        more = len(counter) - limit
        return [title, *rows] + ([f"  ……其余 {more} 个"] if more > 0 else [])

    return "\n".join(block("按问责情形：", by_circumstance) + block("按问责方式：", by_form)
                     + block("按单位：", by_unit))


def list_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """The latest evaluation runs, newest first: what the operator checks in the morning."""
    table = EvaluationRun.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.id.desc()).limit(limit))
        return [{**dict(r._mapping), "as_of": r.as_of.isoformat(),
                 "started": r.started.isoformat(timespec="seconds"),
                 "finished": r.finished.isoformat(timespec="seconds") if r.finished else None}
                for r in rows]
