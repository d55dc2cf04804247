"""The operator's nightly job: evaluate everything collected, then write the new documents.

Exit codes (for cron and systemd): 0 done; 2 the rulebook has errors; 3 evaluation failed
(nothing changed); 4 documents could not be written (the recommendations are committed;
run again to write them); 5 another nightly run holds the lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Engine, select

from engine.evaluate import RunResult, evaluate
from engine.records import RecommendationRow


class NightlyLocked(Exception):
    """Another nightly run is still going."""


@dataclass
class NightlyReport:
    run: RunResult
    folder: Path
    documents: list[Path] = field(default_factory=list)


def _undocumented(engine: Engine, out_dir: Path) -> set[str]:
    """Recommendations with no document in any dated folder (e.g. after a failed night)."""
    with engine.connect() as connection:
        ids = connection.execute(select(RecommendationRow.__table__.c.id)).scalars().all()
    written = {p.stem for p in out_dir.glob("*/R*.html")}
    return {i for i in ids if i not in written}


def run_nightly(engine: Engine, out_dir: Path, as_of: date | None = None,
                rules_dir: Path | None = None, templates_dir: Path | None = None,
                formats: tuple[str, ...] = ("html", "pdf", "docx")) -> NightlyReport:
    """Evaluate, then write one document per recommendation not yet written, and an index."""
    from documents.nightly import write_documents

    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(out_dir / ".nightly.lock", timeout=0):
            run = evaluate(engine, as_of, rules_dir)
            folder = out_dir / run.as_of.isoformat()
            todo = sorted(set(run.new) | set(run.changed) | _undocumented(engine, out_dir))
            paths = write_documents(engine, folder, todo, formats=formats,
                                    templates_dir=templates_dir)
            report = NightlyReport(run, folder, paths)
            (folder / "run.json").write_text(json.dumps({
                "run": run.run_id, "as_of": run.as_of.isoformat(), "rulebook": run.rulebook_hash,
                "counts": run.counts, "timings": run.timings, "new": run.new,
                "documents": [p.name for p in paths]}, ensure_ascii=False, indent=1),
                encoding="utf-8")
            return report
    except Timeout as exc:
        raise NightlyLocked(f"another nightly run holds {exc.lock_file}") from exc
