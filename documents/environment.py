"""The Jinja environment for every document and page: sandboxed, staff-editable, autoescaped.

Templates staff put in ``--templates DIR`` take precedence; anything not there falls back
to the bundled ones. As in Datasette, a bundled template is also reachable by the prefix
``bundled:``, so a staff template can extend the one it replaces and change one block::

    {% extends "bundled:recommendation.html" %}
    {% block proposal %}…{% endblock %}

The sandbox keeps a template from reaching Python internals, and HTML
is autoescaped so a fact whose text contains markup renders as text.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from engine.rulebook.wording import day

BUNDLED = Path(__file__).resolve().parent.parent / "templates"
BUNDLED_PREFIX = "bundled"  # {% extends "bundled:recommendation.html" %}
_DIGITS = "〇一二三四五六七八九"


def chinese_date(day: date) -> str:
    """二〇二六年十一月二十五日, as the date of an official document is written."""
    def number(n: int) -> str:
        if n < 10:
            return _DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")

    year = "".join(_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{number(day.month)}月{number(day.day)}日"


def loader(templates_dir: Path | None = None) -> ChoiceLoader:
    """Plain names: the staff folder, then the bundle; ``bundled:NAME``: always the bundle."""
    folders = [str(templates_dir)] if templates_dir else []
    folders.append(str(BUNDLED))
    return ChoiceLoader([
        FileSystemLoader(folders),
        PrefixLoader({BUNDLED_PREFIX: FileSystemLoader(str(BUNDLED))}, delimiter=":"),
    ])


def environment(templates_dir: Path | None = None) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=loader(templates_dir),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = chinese_date
    env.filters["short_date"] = day
    return env
