"""Python's cyclic garbage collector, made to run rarely while a run or an ingest works.

With its default thresholds (700, 10, 10) the collector walks every live object again and
again as a run allocates: a city's run holds millions (its matched facts, findings, the
roster) and built another million dicts and models, and the walks were a quarter of its
time (1.6-1.9 s of a 7.5 s run, measured with ``gc.callbacks``); an ingest's writer
receives hundreds of thousands of rows (3% of its time). Almost nothing either makes is
cyclic: what it drops is freed by reference counting, so collecting rarely keeps memory as
it was (peak within a few MB at city size) and gives the time back.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

RUN_THRESHOLDS = (50_000, 20, 100)  # young objects before a collection; then per generation


@contextmanager
def collected_rarely() -> Iterator[None]:
    """The collector's thresholds raised for the block (and the processes it forks), then
    put back as they were."""
    before = gc.get_threshold()
    gc.set_threshold(*RUN_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
