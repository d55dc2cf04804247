"""DOCX from the same rendered HTML, so the three formats can never say different things.

The document templates use a small vocabulary (title, headings, paragraphs, a masthead,
a signature block, tables, figures, page breaks); this walks the HTML and writes each
element with python-docx in the GB/T 9704 layout: A4, margins 37/26/35/28 mm, 仿宋 3号
with an exact 28.95 pt line pitch (22 lines), 小标宋 2号 title, page numbers "— N —" in
宋体 4号, odd pages right and even pages left. Word and WPS open and edit it as usual.
"""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from documents.environment import visible_controls
from documents.fonts import DOCX_FACES

LINE = Pt(28.95)
TEXT_WIDTH = Mm(156)  # the type area's width (GB/T 9704)
TABLE_EM = Pt(12)  # tables are set in 12 pt, so a column's "width: 9em" is 9 × 12 pt
_WIDTH = re.compile(r"width:\s*([0-9.]+)\s*(em|pt|mm)")
RED = RGBColor(0xCC, 0x00, 0x00)


def _face(run: Any, role: str, size: float, color: RGBColor | None = None) -> None:
    face = DOCX_FACES[role]
    run.font.name = face
    run.font.size = Pt(size)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), face)
    if color is not None:
        run.font.color.rgb = color


def _page_number(paragraph: Any) -> None:
    """"— N —" with a PAGE field, in 宋体 4号."""
    def run(text: str = "") -> Any:
        r = paragraph.add_run(text)
        _face(r, "page", 14)
        return r

    run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        r = run()
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            r._element.append(element)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            r._element.append(instr)
        else:
            r.text = text
    run(" —")


def _setup(document: Any) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(35 - 7 - 6)
    grid = OxmlElement("w:docGrid")  # 22 lines a page
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(28.95 * 20)))
    section._sectPr.append(grid)
    document.settings.odd_and_even_pages_header_footer = True
    odd = section.footer.paragraphs[0]
    odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    odd.paragraph_format.right_indent = Pt(16)
    _page_number(odd)
    even = section.even_page_footer.paragraphs[0]
    even.alignment = WD_ALIGN_PARAGRAPH.LEFT
    even.paragraph_format.left_indent = Pt(16)
    _page_number(even)
    normal = document.styles["Normal"]
    normal.font.name = DOCX_FACES["body"]
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), DOCX_FACES["body"])
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE


class _Writer(HTMLParser):
    """Walks the rendered document HTML and writes the matching DOCX paragraphs and tables."""

    def __init__(self, document: Any):
        super().__init__(convert_charrefs=True)
        self.document = document
        self.stack: list[tuple[str, set[str]]] = []
        self.text: list[str] = []
        self.table: list[list[tuple[str, bool]]] | None = None
        self.columns: list[int | None] = []  # the widths <col> gives (EMU), None for "the rest"
        self.page_break = False
        self.skip = 0

    def _classes(self) -> set[str]:
        return set().union(*(c for _, c in self.stack)) if self.stack else set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if tag in ("style", "title", "head"):
            self.skip += 1
        if tag == "br":
            self.text.append("\n")
            return
        if "attachment" in classes:
            self.page_break = True
        if "rule" in classes:
            self._rule()
        if tag == "table":
            self.table = []
            self.columns = []
        elif tag == "col":
            found = _WIDTH.search(values.get("style") or "")
            unit = {"em": TABLE_EM, "pt": Pt(1), "mm": Mm(1)}[found.group(2)] if found else 0
            self.columns.append(int(float(found.group(1)) * unit) if found else None)
            return  # a void element: nothing to close
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag == "img" and values.get("src", "").startswith("data:image/png;base64,"):
            data = base64.b64decode(values["src"].split(",", 1)[1])
            paragraph = self.document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            paragraph.add_run().add_picture(io.BytesIO(data), width=Mm(150))
        self.stack.append((tag, classes))
        if tag in ("p", "h1", "h2", "th", "td", "li", "figcaption") or classes & {"issuer"}:
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "head"):
            self.skip -= 1
        classes = self._classes()
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        text = "".join(self.text).strip()
        if tag in ("th", "td") and self.table is not None and self.table:
            self.table[-1].append((text, tag == "th"))
        elif tag == "table" and self.table is not None:
            self._write_table(self.table)
            self.table = None
        elif text and (tag in ("p", "h1", "h2", "li", "figcaption")
                       or (tag == "div" and "issuer" in classes)):
            self._paragraph(tag, classes, text)
        if tag in ("p", "h1", "h2", "th", "td", "li", "figcaption", "div"):
            self.text = []

    def handle_data(self, data: str) -> None:
        if not self.skip:  # a character XML refuses never reaches python-docx
            self.text.append(visible_controls(" ".join(data.split())) if data.strip() else "")

    def _paragraph(self, tag: str, classes: set[str], text: str) -> None:
        paragraph = self.document.add_paragraph()
        fmt = paragraph.paragraph_format
        if self.page_break:
            fmt.page_break_before = True
            self.page_break = False
        run = paragraph.add_run(text)
        if "issuer" in classes:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            fmt.line_spacing = Pt(44)
            _face(run, "title", 30, RED)
        elif tag == "h1":
            fmt.keep_with_next = True
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            fmt.line_spacing = Pt(35)
            fmt.space_before = fmt.space_after = LINE
            _face(run, "title", 22)
        elif tag == "h2":
            fmt.first_line_indent = Pt(32)
            fmt.keep_with_next = True
            _face(run, "heading", 16)
        elif "number" in classes or tag == "figcaption":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _face(run, "body", 16 if "number" in classes else 12)
        elif "signature" in classes:
            fmt.keep_with_next = "date" not in classes  # the signer stays with the date
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            fmt.right_indent = Pt(64)
            _face(run, "body", 16)
        elif "meta" in classes:
            fmt.space_before = Pt(14)
            fmt.line_spacing = Pt(16)
            _face(run, "body", 10.5, RGBColor(0x55, 0x55, 0x55))
        elif "fulltext" in classes:
            fmt.line_spacing = Pt(18)
            fmt.space_before = Pt(9)
            _face(run, "body", 12)
        elif "label" in classes:
            _face(run, "heading", 16)
        else:
            if "closing" in classes:  # the proposal stays with the signature and the date
                fmt.keep_with_next = True
            if not classes & {"addressee", "flush"}:
                fmt.first_line_indent = Pt(32)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            _face(run, "body", 16)
            run.bold = "route" in classes

    def _rule(self) -> None:
        """The red separator line under the masthead (a bottom border on an empty paragraph)."""
        paragraph = self.document.add_paragraph()
        paragraph.paragraph_format.line_spacing = Pt(6)
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (("val", "single"), ("sz", "16"), ("space", "1"), ("color", "CC0000")):
            bottom.set(qn(f"w:{key}"), value)
        border.append(bottom)
        paragraph._p.get_or_add_pPr().append(border)

    def _write_table(self, rows: list[list[tuple[str, bool]]]) -> None:
        width = max((len(r) for r in rows), default=0)
        if not width:
            return
        if self.page_break:
            self.document.add_paragraph().paragraph_format.page_break_before = True
            self.page_break = False
        table = self.document.add_table(rows=0, cols=width)
        heading = True  # the leading rows of header cells repeat on every page
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = self._widths(width)
        self._fixed(table, widths)
        for cells in rows:
            added = table.add_row()
            heading = heading and all(header for _, header in cells)
            _row_properties(added, header=heading)
            row = added.cells
            for i, (text, header) in enumerate(cells):
                row[i].width = widths[i]
                paragraph = row[i].paragraphs[0]
                paragraph.paragraph_format.line_spacing = Pt(18)
                run = paragraph.add_run(text)
                _face(run, "heading" if header else "body", 12)


    def _widths(self, count: int) -> list[int]:
        """Each column's width: what its <col> says, the rest of the type area shared by the
        others; so no long word or file name can squeeze a column to one character."""
        given = (self.columns + [None] * count)[:count]
        fixed = sum(w for w in given if w)
        free = [i for i, w in enumerate(given) if not w]
        if fixed > TEXT_WIDTH * 0.8 or not free:  # too wide to honour: equal shares
            return [int(TEXT_WIDTH / count)] * count
        share = int((TEXT_WIDTH - fixed) / len(free))
        return [w or share for w in given]

    @staticmethod
    def _fixed(table: Any, widths: list[int]) -> None:
        """A fixed layout: Word and WPS keep the widths instead of fitting them to the text."""
        table.autofit = False  # <w:tblLayout w:type="fixed"/>
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width


def _row_properties(row: Any, header: bool) -> None:
    """A row is never split across pages (it moves whole to the next); header rows repeat."""
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        properties.append(OxmlElement("w:tblHeader"))


def html_to_docx(html: str) -> bytes:
    document = Document()
    _setup(document)
    writer = _Writer(document)
    writer.feed(html)
    writer.close()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()

