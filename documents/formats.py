"""Every document exists first as HTML; PDF and DOCX are made from that same HTML.

Many documents at once (a nightly run writes hundreds) are made in a pool of worker
processes, one per core: laying out a PDF is pure CPU in one thread (WeasyPrint), so two
cores write nearly twice as many documents a second. Each worker imports WeasyPrint and
python-docx, reads the fonts and compiles the templates once, then makes document after
document. The parent keeps everything that touches the store (contexts, reference numbers)
and writes the files; a worker only turns a context or an HTML page into bytes.

A document that cannot be made is returned as one line saying why and never stops the
others. A worker that dies (a crash inside a native library) breaks the pool: the documents
it had not finished are then made one by one in the parent, so none is lost.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from documents.errors import TemplateProblem

if TYPE_CHECKING:
    from documents.contexts import PageContext

Format = Literal["html", "pdf", "docx"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "docx")
# below this many documents a pool costs more than it saves: starting a worker (imports,
# fonts, templates) takes about as long as making two documents
POOL_FROM = 8


def from_html(html: str, fmt: Format) -> bytes:
    if fmt == "html":
        return html.encode("utf-8")
    if fmt == "pdf":
        from documents.pdf import html_to_pdf

        return html_to_pdf(html)
    if fmt == "docx":
        from documents.docx import html_to_docx

        return html_to_docx(html)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def cores() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Job:
    """One document to make: ``formats`` of it, from ``html`` when the page exists already
    (so every format says the same thing), else from ``context``."""

    key: str
    formats: tuple[Format, ...]
    html: str | None = None
    context: PageContext | None = None


@dataclass(frozen=True)
class Made:
    """A job's outcome: the bytes of each format, or the one line saying why there are none."""

    job: Job
    data: dict[Format, bytes] | None
    reason: str | None = None


def reason(exc: BaseException) -> str:
    """One line: a template problem says where; anything else says what it is."""
    text = str(exc) if isinstance(exc, TemplateProblem) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


_templates_dir: Path | None = None  # a worker's staff templates folder, set once when it starts


def _start(templates_dir: Path | None) -> None:
    """A worker's start: the slow imports, the fonts and the templates, once."""
    global _templates_dir
    _templates_dir = templates_dir
    from documents import docx, pdf  # noqa: F401  (WeasyPrint, python-docx)
    from documents.environment import environment
    from documents.fonts import find_fonts

    find_fonts()
    environment(templates_dir)


def make(job: Job, templates_dir: Path | None = None) -> Made:
    """The formats of one document; never raises."""
    from documents.contexts import render

    try:
        html = job.html
        if html is None:
            assert job.context is not None, "a job has its HTML or its context"
            html = render(job.context, templates_dir)
        return Made(job, {fmt: from_html(html, fmt) for fmt in job.formats})
    except Exception as exc:  # one document that cannot be made does not stop the others
        return Made(job, None, reason(exc))


def _make_in_worker(job: Job) -> Made:
    return make(job, _templates_dir)


def make_all(jobs: Iterable[Job], templates_dir: Path | None = None,
             workers: int | None = None) -> Iterator[Made]:
    """Every job's outcome, as each is done (not in order). ``workers`` processes (default one
    per core); in this process when there is one worker or few jobs. ``jobs`` may be a
    generator: the parent makes the next job while the workers make documents."""
    jobs = iter(jobs)
    workers = workers or cores()
    first: list[Job] = []
    for job in jobs:
        first.append(job)
        if len(first) >= POOL_FROM:
            break
    if workers <= 1 or len(first) < POOL_FROM:
        for job in [*first, *jobs]:
            yield make(job, templates_dir)
        return
    # spawn, not fork: the parent may hold threads (a progress bar) and open database connections
    context = multiprocessing.get_context("spawn")
    futures: dict[Future[Made], Job] = {}
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                             initargs=(templates_dir,)) as pool:
        for job in [*first, *jobs]:
            futures[pool.submit(_make_in_worker, job)] = job
        orphans: list[Job] = []
        for future in as_completed(futures):
            try:
                yield future.result()
            except BrokenProcessPool:
                orphans.append(futures[future])
    for job in sorted(orphans, key=lambda j: j.key):  # a worker died: the rest made here
        yield make(job, templates_dir)
