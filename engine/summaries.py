"""One line of Chinese per evidence fact, from its own fields (what a reviewer reads first)."""

from __future__ import annotations

from typing import Any

from engine.roster import Roster

_STATUS = {"done": "已完成", "partial": "部分完成", "missing": "未填报"}
_VERDICT = {"pass": "合格", "fail": "不合格", "pending": "待核查"}
_SEVERITY = {"minor": "轻微", "serious": "较重", "grave": "严重"}
_MODE = {"immediate": "即时督查", "periodic": "定期督查", "unannounced": "不定期督查", "special": "专项督查"}
_CATEGORY = {"work_discipline": "工作纪律", "conduct": "作风", "integrity": "廉洁纪律",
             "corruption": "腐败", "other": "其他"}
_FORM = {"admonition": "诫勉谈话", "circulated_criticism": "通报批评", "suspension": "停职检查",
         "removal": "免职／撤职", "warning": "党内警告", "serious_warning": "党内严重警告",
         "dismissal_from_party_posts": "撤销党内职务", "probation": "留党察看", "expulsion": "开除党籍"}


def _day(value: Any) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if hasattr(value, "year") else str(value)


def summary(kind: str, fact: dict[str, Any], roster: Roster, task_names: dict[str, str]) -> str:
    def name(person_id: str | None) -> str:
        person = roster.persons.get(person_id or "")
        return person["name"] if person else (person_id or "")

    def unit(unit_id: str | None) -> str:
        found = roster.units.get(unit_id or "")
        return found["name"] if found else (unit_id or "")

    if kind == "ledger":
        task = task_names.get(fact["task"], fact["task"])
        return (f"{_day(fact['date'])}，{name(fact['person'])}{fact['period']}工作台账“{task}”"
                f"{_STATUS[fact['status']]}，核查结论：{_VERDICT[fact['verdict']]}")
    if kind == "reminder":
        due = f"，限{_day(fact['due'])}前整改" if fact.get("due") else ""
        return f"{_day(fact['date'])}，{name(fact['issuer'])}对{name(fact['person'])}提醒：{fact['matter']}{due}"
    if kind == "rectification":
        result = "整改有效" if fact["effective"] else "整改效果不明显"
        return f"{_day(fact['date'])}，对提醒（{fact['reminder']}）事项复查：{result}"
    if kind == "inspection":
        who = f"（{name(fact['person'])}）" if fact.get("person") else ""
        return (f"{_day(fact['date'])}，{fact['group']}{_MODE[fact['mode']]}{unit(fact['unit'])}{who}"
                f"发现：{fact['problem']}（{_SEVERITY[fact['severity']]}）")
    if kind == "violation":
        actors = "、".join(name(a) for a in fact["actors"])
        text = fact.get("description") or _CATEGORY[fact["category"]] + "问题"
        case = "，已立案审查" if fact["case_filed"] else ""
        return (f"{_day(fact['date'])}，{unit(fact['unit'])}{actors}{text}"
                f"（{_CATEGORY[fact['category']]}，{_SEVERITY[fact['severity']]}{case}）")
    if kind == "disunity":
        parts = ["影响工作开展" if fact["affects_work"] else "未影响工作",
                 "群众反映强烈" if fact["public_reaction"] else "无群众反映"]
        source = f"（来源：{fact['source']}）" if fact.get("source") else ""
        return f"{_day(fact['date'])}，{unit(fact['unit'])}领导班子不团结，{'，'.join(parts)}{source}"
    if kind == "proposal":
        return f"{_day(fact['date'])}，{name(fact['proposer'])}提出对{name(fact['person'])}问责：{fact['reason']}"
    if kind == "accountability":
        return f"{_day(fact['date'])}，{name(fact['person'])}受{_FORM[fact['form']]}"
    if kind == "evaluation":
        return f"{fact['year']}年度{name(fact['person'])}测评满意度{fact['approval']:.0%}"
    if kind == "person":
        return f"{fact['name']}（{unit(fact['unit'])}）"
    if kind == "post":
        return f"{name(fact['person'])}自{_day(fact['start'])}任{unit(fact['unit'])}{fact['role']}"
    return f"{kind} {fact['id']}"
