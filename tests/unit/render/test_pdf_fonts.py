"""The bundled fonts are parsed once per process and copied into each document (issue #18): a
document must come out byte for byte as it would with fonts loaded afresh, whatever was
rendered before it."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from pypdf import PdfReader

from connector.render.pdf import Document, Party, Table, render_pdf


def _statement(customer: str, lines: int) -> Document:
    rows = [(f"F-2026-{i:04d}", "02-01-2026", f"€ {i},50") for i in range(1, lines + 1)]
    return Document(
        title="Rekeningoverzicht",
        sender=Party("Bakkerij De Gouden Korst", ("Dorpsstraat 1", "1234 AB Hoorn")),
        recipient=Party(customer, ("Kerkweg 2",)),
        place_date="Hoorn, 4 maart 2026",
        dated=date(2026, 3, 4),
        language="nl",
        blocks=[
            ("p", f"Geachte {customer},"),
            ("table", Table(("Factuur", "Vervaldatum", "Open"), rows, (3, 3, 2), ("L", "L", "R"))),
        ],
    )


def test_a_document_is_the_same_whatever_was_rendered_before_it() -> None:
    first = render_pdf(_statement("Café Één", 3))
    # other documents in between use other characters (other glyphs in the font subset)
    render_pdf(_statement("Žofie Ørsted — Ätna GmbH", 40))
    render_pdf(_statement("ÅÇÐ ñ ß ü ÿ", 1))
    again = render_pdf(_statement("Café Één", 3))
    assert again == first


def test_each_document_embeds_the_characters_it_prints() -> None:
    names = ["Café Één", "Žofie Ørsted", "Crème brûlée BV"]
    for name in names:
        text = "".join(
            p.extract_text() for p in PdfReader(BytesIO(render_pdf(_statement(name, 2)))).pages
        )
        assert name in text
        assert "€ 2,50" in text
