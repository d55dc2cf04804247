"""A drop folder: exports left in a folder are loaded, then moved to ``done/`` or ``rejected/``.

``wenze ingest --drop DIR`` (and ``wenze nightly --drop DIR`` before it evaluates) takes
every file waiting directly in ``DIR``, loads each on its own (all or nothing per file, as
``wenze ingest FILE`` does) and moves it, under a name stamped with the time it was taken,
to ``DIR/done/`` or ``DIR/rejected/`` with its report beside it (``<name>.report.txt``; with
``--skip-bad`` also ``<name>.rejects.jsonl``).

What is not taken, so that an exporter still writing a file is never read half-way:
- names starting with ``.`` or ending in ``.part``, ``.tmp`` or ``~`` (write under such a
  name, then rename: a rename is atomic, so the file appears whole);
- files modified less than ``settle`` seconds ago (default 60): they wait for the next run.

Files are taken in the order of the kinds they are named after (unit, person, post, ledger,
...), then oldest first; a file refused while another file of the same run was loaded is
tried once more after it, so a ledger dropped beside the roster it refers to loads whatever
their order. A file that does not load is in ``rejected/`` with every reason in its report.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Engine

from facts.contract import KINDS
from facts.errors import StoreBusy
from facts.ingest import IngestReport, ingest
from facts.readers import kind_from_name

DEFAULT_SETTLE = 60.0  # seconds a file must be left unmodified before it is taken
IGNORED_SUFFIXES = (".part", ".tmp", "~")
LOCK_NAME = ".wenze-drop.lock"


@dataclass
class Dropped:
    """One file of the drop folder and what became of it."""

    name: str
    outcome: str  # "done", "rejected" or "waiting"
    report: IngestReport | None = None
    moved_to: Path | None = None
    report_file: Path | None = None
    age: float = 0.0  # seconds since it was last modified (for "waiting")


@dataclass
class DropReport:
    folder: Path
    files: list[Dropped] = field(default_factory=list)

    @property
    def rejected(self) -> list[Dropped]:
        return [f for f in self.files if f.outcome == "rejected"]


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.endswith(IGNORED_SUFFIXES)


def _order(path: Path) -> tuple[int, float, str]:
    kind = kind_from_name(path.stem)
    rank = list(KINDS).index(kind) if kind else len(KINDS)
    return rank, path.stat().st_mtime, path.name


def report_text(name: str, report: IngestReport, outcome: str) -> str:
    """The report written beside a moved file: what was loaded, and every error."""
    lines = [f"{name}: {outcome} {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}"]
    for kind in sorted(set(report.loaded) | set(report.unchanged) | set(report.replaced)):
        lines.append(f"  {kind:15} {report.loaded[kind]:>9} new  {report.unchanged[kind]:>9} "
                     f"unchanged  {report.replaced[kind]:>6} replaced")
    lines += [f"warning: {w}" for w in report.warnings]
    lines += [f"error: {e}" for e in report.errors]
    if report.errors and not report.committed:
        lines.append(f"{report.rejected_rows} bad rows: nothing of this file was loaded")
    elif report.errors:
        lines.append(f"{report.rejected_rows} bad rows left out (--skip-bad); the rest was loaded")
    return "\n".join(lines) + "\n"


def ingest_drop(
    engine: Engine,
    folder: Path,
    *,
    settle: float = DEFAULT_SETTLE,
    skip_bad: bool = False,
    replace: bool = False,
    rules_dir: Path | None = None,
    wait: float | None = None,
    hidden_sheets: bool = False,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> DropReport:
    """Load what waits in ``folder`` and move each file to ``done/`` or ``rejected/``.

    One run at a time per folder (a lock file in it); another waits ``wait`` seconds, then
    :class:`StoreBusy`. See the module docstring for which files are taken and in what order.
    """
    folder = Path(folder)
    result = DropReport(folder)
    try:
        lock = FileLock(folder / LOCK_NAME).acquire(timeout=60.0 if wait is None else wait)
    except Timeout:
        raise StoreBusy(f"another wenze is taking files from the drop folder {folder}; "
                        "run again later") from None
    with lock:
        now = time.time()
        ready = []
        for path in sorted(folder.iterdir()):
            if not path.is_file() or _ignored(path.name):
                continue
            age = now - path.stat().st_mtime
            if age < settle:
                result.files.append(Dropped(path.name, "waiting", age=age))
            else:
                ready.append(path)
        ready.sort(key=_order)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        refused: list[tuple[Path, IngestReport]] = []
        while ready:
            loaded_any, refused = False, []
            for path in ready:
                report = ingest(engine, [path], skip_bad=skip_bad, replace=replace,
                                rejects_path=folder / f".{path.name}.rejects.jsonl",
                                progress=progress, rules_dir=rules_dir, wait=wait,
                                hidden_sheets=hidden_sheets)
                if report.errors and not report.committed:
                    refused.append((path, report))
                    continue
                loaded_any = loaded_any or report.committed
                result.files.append(_move(path, "done", stamp, report))
            ready = [path for path, _ in refused] if loaded_any else []
        for path, report in refused:
            result.files.append(_move(path, "rejected", stamp, report))
    return result


def _move(path: Path, outcome: str, stamp: str, report: IngestReport) -> Dropped:
    """Write the report, then move the file beside it: a run killed in between finds the
    file again, and loading it again is a no-op."""
    (path.parent / outcome).mkdir(exist_ok=True)
    target, n = path.parent / outcome / f"{stamp}-{path.name}", 1
    while target.exists():  # the same name taken twice within a second
        n += 1
        target = path.parent / outcome / f"{stamp}-{n}-{path.name}"
    report_file = target.with_name(target.name + ".report.txt")
    report_file.write_text(report_text(path.name, report, outcome), encoding="utf-8")
    if report.rejects_file:
        os.replace(report.rejects_file, target.with_name(target.name + ".rejects.jsonl"))
    os.replace(path, target)
    return Dropped(path.name, outcome, report, target, report_file)
