"""Failures of the store that a caller must tell apart (the CLI maps them to exit codes)."""

from __future__ import annotations


class StoreVersionError(Exception):
    """The store's schema cannot be brought to this code's revision (e.g. a newer wenze wrote it)."""


class StoreUnavailable(Exception):
    """The store cannot be reached or opened (server down, file not writable, wrong URL)."""


class StoreBusy(Exception):
    """Another writer (ingest, evaluate, nightly) held the store's lock for longer than the wait."""
