"""The operator's nightly job: evaluate everything collected, then write the documents.

One document per recommendation in each format, and an index page, into a folder named
after the as-of date. A document is complete when every format is there; each run completes
every recommendation's document that is not (a run killed between the HTML and the PDF is
repaired by the next), and rebuilds the index of each folder it writes into from what is in
the folder, so a second run the same day keeps the first one's documents listed. Templates
are checked before the evaluation, so a broken staff template changes nothing. Exit codes of ``wenze nightly`` (for cron and systemd): 0 done;
2 the rulebook has errors; 3 the evaluation failed (nothing changed); 4 a template cannot be
used (nothing evaluated) or some documents could not be written (the recommendations are
committed, the other documents written; the next run writes what is missing);
5 another nightly run holds the lock; 7 another writer held the store for longer than the wait.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Engine, select

from documents.checks import check_templates
from documents.contexts import IndexContext, IndexRow, render
from documents.errors import DocumentError
from documents.fonts import find_fonts
from documents.formats import FORMATS, Format, Job, make_all, reason
from documents.numbering import number_order
from documents.recommendation import NotFound, context
from engine.errors import EvaluationError
from engine.match.evaluator import Evaluator
from engine.rulebook import Rulebook
from engine.run.evaluate import RunResult, evaluate
from facts.lock import store_lock
from facts.recommendation_tables import RecommendationRow
from usecases.errors import NightlyLocked

Progress = Callable[[str, int | None], Callable[[int], None]]


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary name, so a killed run never leaves half a document."""
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _formats_of(folder: Path, rec_id: str) -> tuple[Format, ...]:
    """The formats of a recommendation's document present in a folder, in ``FORMATS`` order."""
    return tuple(f for f in FORMATS if (folder / f"{rec_id}.{f}").is_file())


def _dated_folders(out_dir: Path) -> list[Path]:
    """The dated folders under ``out_dir``, oldest first."""
    folders = []
    for path in out_dir.iterdir() if out_dir.is_dir() else ():
        try:
            date.fromisoformat(path.name)
        except ValueError:
            continue
        if path.is_dir():
            folders.append(path)
    return sorted(folders, key=lambda p: p.name)


# in each dated folder: recommendation id -> the fingerprint of the explanation its document
# was made from. A document whose recommendation has changed since (a run killed after its
# commit, before its documents) is made anew, whatever the run that changed it.
MANIFEST = ".documents.json"


def _stamps(folder: Path) -> dict[str, str]:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def fingerprint(explanation: dict) -> str:
    """What a document says, as far as the store decides it: its recommendation's explanation."""
    text = json.dumps(explanation, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _homes(out_dir: Path) -> dict[str, Path]:
    """Each recommendation with a document on disk -> the newest dated folder holding one."""
    homes: dict[str, Path] = {}
    for folder in _dated_folders(out_dir):
        for path in folder.glob("R*.*"):
            if path.suffix[1:] in FORMATS:
                homes[path.name.rsplit(".", 1)[0]] = folder
    return homes


def _live(engine: Engine, ids: list[str] | None = None) -> dict[str, str]:
    """Every recommendation that is to have a document (all but the withdrawn ones; or those
    of ``ids``) -> the fingerprint of its explanation."""
    table = RecommendationRow.__table__
    query = select(table.c.id, table.c.explanation).order_by(table.c.id)
    query = query.where(table.c.id.in_(ids)) if ids is not None else \
        query.where(table.c.status != "withdrawn")
    with engine.connect() as connection:
        return {row.id: fingerprint(row.explanation) for row in connection.execute(query)}


@dataclass
class Failure:
    """A document that could not be written, and why (one line)."""

    rec_id: str
    reason: str


@dataclass
class DocumentsWritten:
    written: list[Path] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    folders: set[Path] = field(default_factory=set)  # the dated folders written into
    stamps: dict[Path, dict[str, str]] = field(default_factory=dict)  # for MANIFEST


# a job's key: the folder its files go into and the recommendation's id
def _key(folder: Path, rec_id: str) -> str:
    return f"{folder}{os.sep}{rec_id}"


def _job(engine: Engine, folder: Path, rec_id: str, rulebook: Rulebook,
         formats: tuple[Format, ...], fresh: bool) -> Job | None:
    """What is to be made of one recommendation's document in ``folder``: the formats missing
    there (all of them when ``fresh``), None when none is. A missing PDF or DOCX is made from
    the HTML already there, so the formats of one document always say the same thing; without
    that HTML the whole document is made anew from the store."""
    present = () if fresh else _formats_of(folder, rec_id)
    missing = tuple(f for f in formats if f not in present)
    if not missing:
        return None
    source = folder / f"{rec_id}.html"
    if "html" in present and source.is_file():
        return Job(_key(folder, rec_id), missing, html=source.read_text(encoding="utf-8"))
    return Job(_key(folder, rec_id), formats, context=context(engine, rec_id, rulebook))


def _make(engine: Engine, planned: list[tuple[Path, str, bool]], rulebook: Rulebook,
          formats: tuple[Format, ...], templates_dir: Path | None, workers: int | None,
          done: DocumentsWritten, progress: Progress | None, stamps: dict[str, str]) -> None:
    """Make every planned document (folder, id, anew?) — in parallel, see ``make_all`` — and
    write each as it comes, every format through a ``.part`` file. A document that cannot be
    made or written is recorded in ``done.failed`` and never stops the others."""
    advance = progress("documents", len(planned)) if progress else None

    def jobs() -> Iterator[Job]:
        for folder, rec_id, fresh in planned:
            try:
                job = _job(engine, folder, rec_id, rulebook, formats, fresh)
            except Exception as exc:  # the store could not give its context
                done.failed.append(Failure(rec_id, reason(exc)))
                job = None
            if job is None and advance:
                advance(1)
            if job is not None:
                yield job

    for made in make_all(jobs(), templates_dir, workers):
        folder, rec_id = os.path.split(made.job.key)
        if made.data is None:
            done.failed.append(Failure(rec_id, made.reason or "not made"))
        else:
            try:
                _store_files(Path(folder), rec_id, made.data, done)
                done.stamps.setdefault(Path(folder), {})[rec_id] = stamps[rec_id]
            except Exception as exc:  # a full disk: this document, not the others
                done.failed.append(Failure(rec_id, reason(exc)))
        if advance:
            advance(1)


def _store_files(folder: Path, rec_id: str, data: dict[Format, bytes], done: DocumentsWritten) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for fmt in FORMATS:
        if fmt in data:
            path = folder / f"{rec_id}.{fmt}"
            _write(path, data[fmt])
            done.written.append(path)
    done.folders.add(folder)


def _index(engine: Engine, folder: Path, run: RunResult, rulebook: Rulebook,
           templates_dir: Path | None) -> Path:
    """``folder/index.html`` listing every document in the folder (whichever run wrote it) in
    the order of their reference numbers, rebuilt from the folder and the store."""
    ids = sorted({p.name.rsplit(".", 1)[0] for p in folder.glob("R*.*") if p.suffix[1:] in FORMATS})
    rows: list[IndexRow] = []
    for rec_id in ids:
        try:
            ctx = context(engine, rec_id, rulebook)
        except NotFound:
            continue  # a file the store does not know: not one of its documents
        rows.append(IndexRow(id=rec_id, number=ctx.number, e=ctx.e, formats=_formats_of(folder, rec_id)))
    rows.sort(key=lambda row: number_order(row.number))  # as the registry lists them
    try:
        as_of = date.fromisoformat(folder.name)
    except ValueError:
        as_of = run.as_of
    index = render(IndexContext(fonts=find_fonts(), rows=rows, as_of=as_of,
                                rulebook=run.rulebook_hash, run_id=run.run_id, counts=run.counts),
                   templates_dir)
    path = folder / "index.html"
    _write(path, index.encode("utf-8"))
    return path


def write_documents(engine: Engine, folder: Path, ids: list[str], run: RunResult,
                    rulebook: Rulebook, formats: tuple[Format, ...] = FORMATS,
                    templates_dir: Path | None = None) -> list[Path]:
    """``folder/<id>.<fmt>`` for each recommendation (written anew), then ``folder/index.html``
    listing every document in the folder. Raises ``DocumentError`` naming each recommendation
    whose document could not be written, after writing all the others and the index."""
    done = DocumentsWritten()
    folder.mkdir(parents=True, exist_ok=True)
    _make(engine, [(folder, rec_id, True) for rec_id in ids], rulebook, formats, templates_dir,
          None, done, None, _live(engine, ids))
    _finish(engine, {folder}, run, rulebook, templates_dir, done)
    _raise_failures(done)
    return done.written


def _finish(engine: Engine, folders: set[Path], run: RunResult, rulebook: Rulebook,
            templates_dir: Path | None, done: DocumentsWritten) -> None:
    """Rebuild the index of every folder written into (and of today's), removing the
    ``.part`` files a killed run left there."""
    for folder, stamps in done.stamps.items():
        _write(folder / MANIFEST, json.dumps({**_stamps(folder), **stamps}, indent=0,
                                             sort_keys=True).encode("utf-8"))
    for folder in sorted(folders | done.folders):
        for part in folder.glob("*.part"):
            part.unlink(missing_ok=True)
        try:
            done.written.append(_index(engine, folder, run, rulebook, templates_dir))
        except Exception as exc:
            done.failed.append(Failure(f"{folder.name}/index.html", reason(exc)))


def _raise_failures(done: DocumentsWritten) -> None:
    """One ``DocumentError`` for all the failures, one line per distinct reason."""
    if not done.failed:
        return
    by_reason: dict[str, list[str]] = {}
    for failure in done.failed:
        by_reason.setdefault(failure.reason, []).append(failure.rec_id)
    lines = [f"{', '.join(ids)}: {reason}" for reason, ids in by_reason.items()]
    raise DocumentError(f"{len(done.failed)} document(s) not written (the others were):\n"
                        + "\n".join(lines))


@dataclass
class NightlyReport:
    run: RunResult
    folder: Path
    documents: list[Path] = field(default_factory=list)


def _documents(engine: Engine, out_dir: Path, run: RunResult, rulebook: Rulebook,
               templates_dir: Path | None, formats: tuple[Format, ...], workers: int | None,
               progress: Progress | None, refused: list[str]) -> NightlyReport:
    """Every recommendation but the withdrawn ones gets a complete document: all ``formats``
    in one dated folder. New, changed and reinstated ones — and any whose newest document was
    made from another explanation than its own now (``MANIFEST``: a run killed after its
    commit) — are written anew into today's folder; any other one missing some format (a
    killed run, a failed night) is completed where it is, or written into today's folder when
    it has none yet."""
    folder = out_dir / run.as_of.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    fresh = {*run.new, *run.changed, *run.reinstated}
    homes = _homes(out_dir)
    stamped = {home: _stamps(home) for home in set(homes.values())}
    done = DocumentsWritten()
    planned = []
    live = _live(engine)
    for rec_id, stamp in live.items():
        anew = rec_id in fresh or rec_id not in homes or stamped[homes[rec_id]].get(rec_id) != stamp
        planned.append((folder if anew else homes[rec_id], rec_id, anew))
    _make(engine, planned, rulebook, formats, templates_dir, workers, done, progress, live)
    _finish(engine, {folder}, run, rulebook, templates_dir, done)
    _write(folder / "run.json", json.dumps({
        "run": run.run_id, "as_of": run.as_of.isoformat(), "rulebook": run.rulebook_hash,
        "counts": run.counts, "timings": run.timings, "new": run.new,
        "withdrawn": run.withdrawn, "facts_changed": run.flagged, "set_aside": run.set_aside,
        "documents": [str(p.relative_to(out_dir)) if p.parent != folder else p.name
                      for p in done.written],
        "not_written": [{"id": f.rec_id, "reason": f.reason} for f in done.failed],
        "rulebook_refused": refused},
        ensure_ascii=False, indent=1).encode("utf-8"))
    _raise_failures(done)
    return NightlyReport(run, folder, done.written)


def run_nightly(engine: Engine, out_dir: Path, rulebook: Rulebook, as_of: date | None = None,
                templates_dir: Path | None = None,
                formats: tuple[Format, ...] = FORMATS, wait: float | None = None,
                workers: int | None = None, progress: Progress | None = None,
                refused: list[str] | None = None, *, evaluator: Evaluator | None = None,
                full: bool = False) -> NightlyReport:
    """Evaluate, then write one document per recommendation not yet written, and an index.

    ``rulebook`` is the one in force (``engine.run.rulebooks.load_in_force``); ``refused``
    lists the errors of a county-folder edit that was refused, for ``run.json``.
    ``evaluator`` and ``full`` go to ``engine.run.evaluate.evaluate``.
    Documents are made by ``workers`` processes (default one per core). ``progress``, when
    given, is told of each stage (``progress(name, total)`` returns a function to call with
    the number of steps done; total None for a stage of unknown length).

    Raises ``NightlyLocked`` (another run holds the lock), ``StoreBusy`` (another writer held
    the store's lock for longer than ``wait``: nothing done), ``TemplateProblem`` (a template
    cannot be used: nothing was evaluated), ``EvaluationError`` (nothing was committed) or
    ``DocumentError`` (the run is committed; the documents named are missing, every other
    one was written, and the next run writes the missing ones).
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
        check_templates(templates_dir, rulebook, as_of)  # before anything is committed
        held.enter_context(store_lock(engine, wait))  # the store's writer lock, whatever the folder
        if progress:
            progress("evaluating", None)
        run = evaluate(engine, as_of, rulebook, evaluator, full=full)
        try:
            return _documents(engine, out_dir, run, rulebook, templates_dir, formats, workers,
                              progress, refused or [])
        except DocumentError:
            raise
        except Exception as exc:
            raise DocumentError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        held.close()
        lock.release()
