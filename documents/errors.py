"""The failures of the documents stage: a document could not be written, a template is unusable."""

from __future__ import annotations

from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError


class DocumentError(Exception):
    """Documents could not be written; what the run committed stays committed."""


class TemplateProblem(DocumentError):
    """A template cannot be used: it does not compile, is missing, leads out of its folder or
    does what the sandbox refuses. The message is one line naming the template and its line."""


def _where(exc: BaseException) -> tuple[str, int] | None:
    """The innermost template file and line in the traceback (Jinja rewrites its frames so
    that each names the template and the template's line)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def template_problem(exc: Exception, name: str) -> TemplateProblem | None:
    """``exc`` raised while loading or rendering template ``name``, as one line naming the
    template and line; None when it did not come from a template."""
    if isinstance(exc, TemplateSyntaxError):
        where = (exc.filename or exc.name or name, exc.lineno)
        what = exc.message or "syntax error"
    else:
        where = _where(exc)
        if isinstance(exc, TemplateNotFound):
            what = f"template {exc.name!r} not found"
        elif isinstance(exc, TemplateError):
            what = exc.message or type(exc).__name__
        elif where is not None:
            what = f"{type(exc).__name__}: {exc}"
        else:
            return None
    place = f"template {where[0]}, line {where[1]}" if where else f"template {name}"
    return TemplateProblem(_one_line(f"{place}: {what}"))
