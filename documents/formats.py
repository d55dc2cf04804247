"""Every document exists first as HTML; PDF and DOCX are made from that same HTML."""

from __future__ import annotations

from typing import Literal

Format = Literal["html", "pdf", "docx"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "docx")


def from_html(html: str, fmt: Format) -> bytes:
    if fmt == "html":
        return html.encode("utf-8")
    if fmt == "pdf":
        from documents.pdf import html_to_pdf

        return html_to_pdf(html)
    if fmt == "docx":
        from documents.docx import html_to_docx

        return html_to_docx(html)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
