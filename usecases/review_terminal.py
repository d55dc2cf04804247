"""What ``wenze review`` prints: the queue as a table, one recommendation as plain text
(``templates/review_show.j2``), every value shown literally."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from rich.box import SIMPLE_HEAD
from rich.table import Table
from rich.text import Text

from review.detail import RecommendationDetail
from review.queue import QueuePage
from usecases.terminal import literal

_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HEADERS = ("编号", "文号", "行为日期", "情形", "姓名", "单位", "问责方式", "提议", "状态", "程序")


def queue_table(page: QueuePage) -> Table:
    table = Table(*HEADERS, title=f"{page.total} · {page.page}/{page.pages}", title_justify="left",
                  box=SIMPLE_HEAD)
    for i in page.items:
        table.add_row(*(Text(literal(v or "")) for v in (
            i.id, i.number, i.conduct_date.isoformat(), str(i.circumstance), i.person_name,
            i.unit_name, i.form_label, i.proposer_label, i.status_label, i.step_label)))
    return table


def queue_json(page: QueuePage) -> dict:
    return {"items": [asdict(i) for i in page.items], "total": page.total, "page": page.page,
            "pages": page.pages}


def detail_text(detail: RecommendationDetail) -> str:
    env = SandboxedEnvironment(loader=FileSystemLoader(_TEMPLATES), undefined=StrictUndefined,
                               autoescape=False, keep_trailing_newline=True)
    return literal(env.get_template("review_show.j2").render(d=detail))
