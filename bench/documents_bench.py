"""Documents benchmark: recommendation documents (HTML, PDF, DOCX) per second, serial and parallel.

    python bench/documents_bench.py [--scale 0.2] [--documents 48] [--workers N]

Builds a demo county (scaled; cached in bench/out/), evaluates it, and makes the documents
of the first ``--documents`` recommendations twice with ``documents.formats.make_all``, the
function a nightly run uses: once in this process (one worker) and once in a pool of
``--workers`` processes (default one per core). Contexts (the store's part, numbering
included) are read first and are the same for both, so the figures are the making of the
documents alone; the parallel figure includes starting the pool. Prints wall time,
documents a second, and the CPU seconds used per document (less sensitive to other load on
the machine than the wall time). Asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AS_OF = date(2026, 11, 25)
sys.path.insert(0, str(ROOT))


def _store(scale: float):  # noqa: ANN202
    """The evaluated demo county at ``scale``, built once and kept in bench/out/."""
    from engine.run.evaluate import evaluate
    from facts.demo import write_exports
    from facts.ingest import ingest
    from facts.store import open_store

    path = OUT / f"documents-{scale}.db"
    if path.exists():
        return open_store(f"sqlite:///{path}")
    OUT.mkdir(parents=True, exist_ok=True)
    exports = OUT / f"documents-{scale}-exports"
    write_exports(exports, seed=2026, scale=scale, formats=("jsonl",))
    partial = path.with_suffix(".part")
    for leftover in OUT.glob(f"{partial.name}*"):
        leftover.unlink()
    store = open_store(f"sqlite:///{partial}")
    report = ingest(store, sorted(exports.glob("*.jsonl")))
    assert not report.errors, report.errors[:3]
    evaluate(store, AS_OF)
    store.dispose()
    partial.rename(path)
    return open_store(f"sqlite:///{path}")


def _cpu() -> float:
    """CPU seconds of this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--documents", type=int, default=48)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    from pypdf import PdfReader

    from documents.formats import FORMATS, Job, cores, make_all
    from documents.recommendation import context
    from engine.rulebook import load_rulebook
    from engine.run.read import list_recommendations

    workers = args.workers or cores()
    store = _store(args.scale)
    rulebook = load_rulebook(None)
    ids = [r["id"] for r in list_recommendations(store)][:args.documents]
    jobs = [Job(rec_id, FORMATS, context=context(store, rec_id, rulebook)) for rec_id in ids]
    print(f"documents bench: {len(jobs)} recommendation documents (HTML, PDF, DOCX) of the demo "
          f"county at scale {args.scale}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    figures = {}
    for label, n in (("serial", 1), (f"parallel, {workers} workers", workers)):
        cpu, start = _cpu(), time.perf_counter()
        made = list(make_all(jobs, workers=n))
        wall, used = time.perf_counter() - start, _cpu() - cpu
        failed = [m for m in made if m.data is None]
        pages = sum(len(PdfReader(io.BytesIO(m.data["pdf"])).pages) for m in made if m.data)
        figures[label] = len(made) / wall
        print(f"  {label:22} {wall:7.1f} s  {len(made) / wall:6.2f} documents/s  "
              f"{used / len(made):5.2f} CPU s/document  {pages} PDF pages  {len(failed)} failed")
    serial, parallel = figures.values()
    print(f"  parallel/serial: {parallel / serial:.2f}x")


if __name__ == "__main__":
    main()
