"""PDF documents: account statement, letters (notice of default, fourteen-day letter) and the
collection dossier, laid out with fpdf2.

Only layout lives here: every figure arrives computed (`connector.documents` builds the data from
the store and `connector.legal`). The bundled DejaVu fonts carry the euro sign and Dutch
diacritics, which fpdf2's built-in PDF fonts cannot encode. The creation date is the document's
own date, so the same input gives the same file (nothing here reads the clock).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from connector.domain import Money
from connector.render.mail import _date_filter, _money_filter

FONT = "DejaVu"


def money(value: Money, language: str) -> str:
    return _money_filter(value, language)


def day(value: date, language: str) -> str:
    return _date_filter(value, language)


@dataclass(frozen=True)
class Party:
    """A sender or addressee as printed in a letter head."""

    name: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    widths: tuple[int, ...]
    #: "L" or "R" per column
    align: tuple[str, ...]
    footer: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Document:
    """A generic business document: letter head, title, paragraphs and tables in order."""

    title: str
    sender: Party
    recipient: Party
    place_date: str
    dated: date
    language: str
    #: ("p", text) | ("h", heading) | ("table", Table) | ("kv", [(label, value), ...]) |
    #: ("link", (label, url)): the label, then the url as a clickable link

    blocks: list[tuple[str, object]] = field(default_factory=list)
    reference: str = ""

    def p(self, text: str) -> Document:
        self.blocks.append(("p", text))
        return self

    def h(self, text: str) -> Document:
        self.blocks.append(("h", text))
        return self

    def table(self, table: Table) -> Document:
        self.blocks.append(("table", table))
        return self

    def kv(self, pairs: list[tuple[str, str]]) -> Document:
        self.blocks.append(("kv", pairs))
        return self

    def link(self, label: str, url: str) -> Document:
        """A line "label url" with the url clickable; the caller passes only a safe https
        link (`connector.domain.ledger.safe_https_url`)."""
        self.blocks.append(("link", (label, url)))
        return self


@functools.cache
def _parsed_font(style: str, file: str) -> TTFFont | None:
    """The bundled font parsed once per process (None when it is not a plain file on disk).

    fpdf2 reads a TrueType file's metrics and character map in `add_font`, about two thirds of
    the time of one statement; a first run renders thousands of them (issue #18). The parsed
    font is kept as a template and copied into each document (`_fonts`)."""
    with resources.as_file(resources.files("connector.render") / "fonts" / file) as path:
        if not Path(path).is_file():  # pragma: no cover - an installation from a zip
            return None
        pdf = FPDF()
        pdf.add_font(FONT, style, str(path))
        font = pdf.fonts[f"{FONT.lower()}{style}"]
        assert isinstance(font, TTFFont)
        return font


def _fonts(pdf: FPDF) -> None:
    for style, file in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
        template = _parsed_font(style, file)
        if template is None:  # pragma: no cover - an installation from a zip
            with resources.as_file(resources.files("connector.render") / "fonts" / file) as path:
                pdf.add_font(FONT, style, str(path))
            continue
        # the metrics are shared; what one document changes is its own: the font number, the
        # set of glyphs used (the subset) and the fontTools object, which fpdf2 subsets in place
        # when it writes the file, so each document opens the file anew (lazily, cheap)
        font = copy.copy(template)  # widths and glyph ids are only read while rendering
        font.i = len(pdf.fonts) + 1
        font.biggest_size_pt = 0
        font.ttfont = ttLib.TTFont(template.ttffile, recalcTimestamp=False, lazy=True)
        font.missing_glyphs = []
        font.subset = SubsetMap(font)
        pdf.fonts[font.fontkey] = font


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes (A4, window-envelope friendly address block)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(datetime.combine(doc.dated, time(12), ZoneInfo("UTC")))
    pdf.set_title(doc.title)
    pdf.set_author(doc.sender.name)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(20, 18, 20)
    _fonts(pdf)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # sender, top right
    pdf.set_font(FONT, "B", 10)
    pdf.cell(width, 5, doc.sender.name, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    for line in doc.sender.lines:
        pdf.cell(width, 4.5, line, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    # addressee, in the window of a DL envelope (about 45 mm from the top)
    pdf.set_y(max(pdf.get_y() + 6, 45))
    pdf.set_font(FONT, "", 10)
    for line in (doc.recipient.name, *doc.recipient.lines):
        pdf.cell(width, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(10)
    pdf.cell(width, 5, doc.place_date, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.reference:
        pdf.cell(width, 5, doc.reference, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(width, 7, doc.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)

    for kind, value in doc.blocks:
        if kind == "p":
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(width, 5, str(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
        elif kind == "h":
            pdf.ln(2)
            pdf.set_font(FONT, "B", 11)
            pdf.multi_cell(width, 6, str(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif kind == "table":
            assert isinstance(value, Table)
            _table(pdf, value, width)
        elif kind == "link":
            assert isinstance(value, tuple)
            label, url = value
            pdf.set_font(FONT, "", 9)
            pdf.write(5, f"{label} ")
            pdf.set_text_color(21, 101, 192)
            pdf.write(5, url, link=url)
            pdf.set_text_color(0, 0, 0)
            pdf.ln(5.5)
        elif kind == "kv":
            assert isinstance(value, list)
            pdf.set_font(FONT, "", 10)
            for label, text in value:
                pdf.cell(width * 0.6, 5.5, label)
                pdf.cell(width * 0.4, 5.5, text, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
    return bytes(pdf.output())


def _table(pdf: FPDF, table: Table, width: float) -> None:
    scale = width / sum(table.widths)
    widths = [w * scale for w in table.widths]

    def row(cells: tuple[str, ...], bold: bool = False, fill: bool = False) -> None:
        pdf.set_font(FONT, "B" if bold else "", 8.5)
        if fill:
            pdf.set_fill_color(230, 230, 230)
        for text, w, align in zip(cells, widths, table.align, strict=True):
            pdf.cell(w, 5.5, text, border="B", align=align, fill=fill)
        pdf.ln(5.5)

    row(table.headers, bold=True, fill=True)
    for cells in table.rows:
        row(cells)
    if table.footer:
        row(table.footer, bold=True)
    pdf.ln(3)
