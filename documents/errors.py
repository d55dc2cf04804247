"""The one failure of the documents stage: a document could not be written."""


class DocumentError(Exception):
    """Documents could not be written; what the run committed stays committed."""
