"""The Jinja environment for every document and page: sandboxed, staff-editable, autoescaped.

Templates staff put in ``--templates DIR`` take precedence; anything not there falls back
to the bundled ones. As in Datasette, a bundled template is also reachable by the prefix
``bundled:``, so a staff template can extend the one it replaces and change one block::

    {% extends "bundled:recommendation.html" %}
    {% block proposal %}…{% endblock %}

The sandbox keeps a template from reaching Python internals, and HTML
is autoescaped so a fact whose text contains markup renders as text. A template is read
only from inside its folder: a symbolic link (to a file or a folder) that leads out of the
staff folder is refused, not followed, and ``..`` never leaves it (``OutsideTemplates``).
Control characters in the rendered page are shown visibly (``visible_controls``).
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment

from engine.rulebook.terms import parse_period
from engine.rulebook.wording import day

BUNDLED = Path(__file__).resolve().parent.parent / "templates"
BUNDLED_PREFIX = "bundled"  # {% extends "bundled:recommendation.html" %}
_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """0–99 in Chinese numerals (一, 十五, 二十四); larger numbers as they are."""
    if not 0 <= n < 100:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def chinese_period(period: str, units: Mapping[str, str]) -> str:
    """一个月, 十五日: a period of the county folder (``1m``, ``15d``) as a decision writes it,
    with the county's unit names (labels.yaml ``period_unit``)."""
    parsed = parse_period(period)
    return chinese_number(parsed.amount) + units[parsed.unit]


def chinese_date(day: date) -> str:
    """二〇二六年十一月二十五日, as the date of an official document is written."""
    year = "".join(_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{chinese_number(day.month)}月{chinese_number(day.day)}日"


# What a document must never carry as such: C0 controls but tab and line ends, DEL, C1
# controls, bidi embeddings, overrides and isolates, surrogates and U+FFFE/U+FFFF (XML 1.0
# refuses the C0 ones, the surrogates and U+FFFE/U+FFFF; the others reorder or hide text).
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                      "\ud800-\udfff\ufffe\uffff]")


def visible_controls(text: str) -> str:
    """Each control character as its code point in brackets: ``\x1a`` -> ``[U+001A]``.

    The replacement is plain ASCII, so it is safe in HTML, in a PDF and in DOCX XML, and
    every format shows the same text.
    """
    return CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


class OutsideTemplates(SecurityError):
    """A template name that leads out of its folder (a symbolic link, or not a plain file)."""


class ConfinedLoader(FileSystemLoader):
    """A ``FileSystemLoader`` that reads only regular files really inside its folders.

    A name is looked up folder by folder as Jinja does (``..`` is refused by Jinja). Where a
    folder has an entry of that name, the entry must resolve inside the folder, through any
    symbolic links, to a regular file, or the name is refused with ``OutsideTemplates``;
    it does not fall back to the next folder (the staff meant their file to be used).
    """

    def get_source(self, environment: Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for searchpath in self.searchpath:
            filename = posixpath.join(searchpath, *pieces)
            if not os.path.lexists(filename):
                continue
            root = os.path.realpath(searchpath)
            real = os.path.realpath(filename)
            if os.path.commonpath([root, real]) != root:
                raise OutsideTemplates(f"template {template!r} in {searchpath} is a link to {real}, "
                                       "outside the templates folder: refused")
            try:
                info = os.stat(real)
            except OSError as exc:
                raise OutsideTemplates(f"template {template!r} in {searchpath} cannot be read: "
                                       f"{exc.strerror}") from exc
            if stat.S_ISDIR(info.st_mode):
                continue  # a folder of that name is not this template
            if not stat.S_ISREG(info.st_mode):
                raise OutsideTemplates(f"template {template!r} in {searchpath} is not a regular "
                                       "file: refused")
            with open(real, encoding=self.encoding) as f:
                contents = f.read()
            mtime = info.st_mtime

            def uptodate(real: str = real, mtime: float = mtime) -> bool:
                try:
                    return os.path.getmtime(real) == mtime
                except OSError:
                    return False

            return contents, os.path.normpath(filename), uptodate
        raise TemplateNotFound(template, f"template {template!r} not found in "
                                         + ", ".join(self.searchpath))


def excerpt(text: str, limit: int) -> str:
    """The first ``limit`` characters of a long text, and "……" where it goes on."""
    return text if len(text) <= limit else text[:limit] + "……"


def loader(templates_dir: Path | None = None) -> ChoiceLoader:
    """Plain names: the staff folder, then the bundle; ``bundled:NAME``: always the bundle."""
    folders = [str(templates_dir)] if templates_dir else []
    folders.append(str(BUNDLED))
    return ChoiceLoader([
        ConfinedLoader(folders),
        PrefixLoader({BUNDLED_PREFIX: ConfinedLoader(str(BUNDLED))}, delimiter=":"),
    ])


@lru_cache(maxsize=8)
def environment(templates_dir: Path | None = None) -> SandboxedEnvironment:
    """The templates of a folder over the bundle, compiled once per process (a changed file is
    read again: Jinja checks each template's modification time when it is used)."""
    env = SandboxedEnvironment(
        loader=loader(templates_dir),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = chinese_date
    env.filters["excerpt"] = excerpt
    env.filters["short_date"] = day
    return env
