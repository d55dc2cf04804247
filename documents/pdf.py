"""HTML to PDF with WeasyPrint: the same HTML staff review, laid out by its print CSS."""

from __future__ import annotations

from documents.fonts import MissingDependency


def html_to_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: pango missing
        raise MissingDependency(
            f"PDF needs WeasyPrint and pango ({exc}); install them with "
            "`apt-get install libpango-1.0-0 libpangoft2-1.0-0` and `pip install weasyprint`"
        ) from exc
    return HTML(string=html).write_pdf()
