"""The operator's nightly job: evaluate everything collected, then write the documents.

One document per recommendation in each format, and an index page, into a folder named
after the as-of date. Exit codes of ``wenze nightly`` (for cron and systemd): 0 done;
2 the rulebook has errors; 3 the evaluation failed (nothing changed); 4 documents could
not be written (the recommendations are committed; the next run writes what is missing);
5 another nightly run holds the lock; 7 another writer held the store for longer than the wait.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Engine, select

from documents.contexts import IndexContext, IndexRow, render
from documents.errors import DocumentError
from documents.fonts import find_fonts
from documents.formats import FORMATS, Format, from_html
from documents.recommendation import context, render_html
from engine.errors import EvaluationError
from engine.rulebook import Rulebook
from engine.run.evaluate import RunResult, evaluate
from facts.lock import store_lock
from facts.recommendation_tables import RecommendationRow
from usecases.errors import NightlyLocked


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary name, so a killed run never leaves half a document."""
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_documents(engine: Engine, folder: Path, ids: list[str], run: RunResult,
                    rulebook: Rulebook, formats: tuple[Format, ...] = FORMATS,
                    templates_dir: Path | None = None) -> list[Path]:
    """``folder/<id>.<fmt>`` for each recommendation, then ``folder/index.html``."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows: list[IndexRow] = []
    for rec_id in ids:
        ctx = context(engine, rec_id, rulebook)
        html = render_html(ctx, templates_dir)
        for fmt in formats:
            path = folder / f"{rec_id}.{fmt}"
            _write(path, from_html(html, fmt))
            written.append(path)
        rows.append(IndexRow(id=rec_id, number=ctx.number, e=ctx.e, formats=tuple(formats)))
    index = render(IndexContext(fonts=find_fonts(), rows=rows, as_of=run.as_of,
                                rulebook=run.rulebook_hash, run_id=run.run_id, counts=run.counts),
                   templates_dir)
    _write(folder / "index.html", index.encode("utf-8"))
    written.append(folder / "index.html")
    return written


@dataclass
class NightlyReport:
    run: RunResult
    folder: Path
    documents: list[Path] = field(default_factory=list)


def _undocumented(engine: Engine, out_dir: Path) -> set[str]:
    """Recommendations with no document in any dated folder (e.g. after a failed night);
    a withdrawn one gets none: it is not to be issued."""
    table = RecommendationRow.__table__
    with engine.connect() as connection:
        ids = connection.execute(select(table.c.id).where(table.c.status != "withdrawn")
                                 ).scalars().all()
    written = {p.stem for p in out_dir.glob("*/R*.html")}
    return {i for i in ids if i not in written}


def _documents(engine: Engine, out_dir: Path, run: RunResult, rulebook: Rulebook,
               templates_dir: Path | None, formats: tuple[Format, ...]) -> NightlyReport:
    folder = out_dir / run.as_of.isoformat()
    todo = sorted({*run.new, *run.changed, *run.reinstated} | _undocumented(engine, out_dir))
    paths = write_documents(engine, folder, todo, run, rulebook, formats, templates_dir)
    _write(folder / "run.json", json.dumps({
        "run": run.run_id, "as_of": run.as_of.isoformat(), "rulebook": run.rulebook_hash,
        "counts": run.counts, "timings": run.timings, "new": run.new,
        "withdrawn": run.withdrawn, "facts_changed": run.flagged, "set_aside": run.set_aside,
        "documents": [p.name for p in paths]}, ensure_ascii=False, indent=1).encode("utf-8"))
    return NightlyReport(run, folder, paths)


def run_nightly(engine: Engine, out_dir: Path, rulebook: Rulebook, as_of: date | None = None,
                templates_dir: Path | None = None,
                formats: tuple[Format, ...] = FORMATS, wait: float | None = None) -> NightlyReport:
    """Evaluate, then write one document per recommendation not yet written, and an index.

    Raises ``NightlyLocked`` (another run holds the lock), ``StoreBusy`` (another writer held
    the store's lock for longer than ``wait``: nothing done), ``EvaluationError`` (nothing was
    committed) or ``DocumentError`` (the run is committed; documents are missing and the
    next run writes them).
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(out_dir / ".nightly.lock", timeout=0)
        lock.acquire()
    except Timeout as exc:
        raise NightlyLocked(f"another nightly run holds {exc.lock_file}") from exc
    except OSError as exc:
        raise EvaluationError(f"cannot use the output folder {out_dir}: {exc}") from exc
    held = ExitStack()
    try:
        held.enter_context(store_lock(engine, wait))  # the store's writer lock, whatever the folder
        run = evaluate(engine, as_of, rulebook)
        try:
            return _documents(engine, out_dir, run, rulebook, templates_dir, formats)
        except Exception as exc:
            raise DocumentError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        held.close()
        lock.release()
