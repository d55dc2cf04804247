"""Failures of the use cases themselves (the CLI maps them to exit codes)."""


class NightlyLocked(Exception):
    """Another nightly run is still going."""
