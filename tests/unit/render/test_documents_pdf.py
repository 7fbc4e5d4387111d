"""PDF documents and letter templates, checked by the text extracted from the rendered PDF."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from connector.documents import (
    DocumentSettings,
    dossier,
    letter_pdf,
    statement_pdf,
)
from connector.domain import (
    Action,
    ActionItem,
    ActionKind,
    Customer,
    CustomerProfile,
    Invoice,
    InvoiceStatus,
    Money,
    Payment,
    Snapshot,
)
from connector.domain.history import HistoryEntry
from connector.domain.pauses import Pause, PauseKind
from connector.legal import check_letter_wording, collection_costs
from connector.render import MessageContext, Renderer
from connector.render.pdf import Party

TODAY = date(2026, 3, 4)  # a Wednesday


def eur(v: str) -> Money:
    return Money.of(v, "EUR")


def text_of(pdf: bytes) -> str:
    """The PDF's text with line wrapping undone (layout is not content)."""
    assert pdf.startswith(b"%PDF")
    raw = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    return " ".join(raw.split())


SETTINGS = DocumentSettings(
    "Acme B.V.", Party("Acme B.V.", ("Keizersgracht 1", "1015 AA Amsterdam")), "nl"
)
JAN = Customer("C1", "Jan Jansen", "jan@example.nl", profile=CustomerProfile.CONSUMER)
INVOICES = [
    Invoice(
        "I1",
        "F-2025-101",
        "C1",
        InvoiceStatus.OPEN,
        date(2025, 12, 1),
        date(2025, 12, 31),
        eur("1000"),
        eur("1000"),
    ),
    Invoice(
        "I2",
        "F-2026-007",
        "C1",
        InvoiceStatus.OPEN,
        date(2026, 1, 1),
        date(2026, 1, 31),
        eur("600"),
        eur("500"),
    ),
    Invoice(
        "I3",
        "F-2026-020",
        "C1",
        InvoiceStatus.PAID,
        date(2026, 1, 5),
        date(2026, 2, 4),
        eur("300"),
        eur("0"),
        last_payment_date=date(2026, 2, 10),
    ),
]
SNAP = Snapshot(
    {"C1": JAN},
    {i.ref: i for i in INVOICES},
    [
        Payment("P1", "C1", date(2026, 2, 10), eur("300"), ("I3",)),
        Payment("P2", "C1", date(2026, 2, 20), eur("100"), ("I2",)),
        Payment("P0", "C1", date(2025, 11, 1), eur("999"), ()),
    ],
)


def test_statement_lists_open_invoices_payments_since_last_statement_totals_and_ageing() -> None:
    text = text_of(
        statement_pdf(
            SETTINGS,
            SNAP,
            "C1",
            TODAY,
            since=date(2026, 2, 1),
            address="Dorpsstraat 1, 1234 AB Ergens",
        )
    )
    assert "Rekeningoverzicht Acme B.V." in text
    assert "Dorpsstraat 1 1234 AB Ergens" in text
    assert "F-2025-101" in text and "F-2026-007" in text
    assert "Betaald sinds 1 februari 2026" in text
    assert "10 februari 2026 F-2026-020 € 300,00" in text
    assert "€ 999,00" not in text, "a payment before the last statement is not repeated"
    assert "Totaal openstaand € 1.500,00" in text
    assert "31–60 dagen € 500,00" in text and "61–90 dagen € 1.000,00" in text


def test_fourteen_day_letter_pdf_has_the_legal_wording_the_exact_costs_and_the_deadline() -> None:
    text = text_of(
        letter_pdf(
            SETTINGS,
            ActionKind.FOURTEEN_DAY_LETTER,
            JAN,
            INVOICES[:2],
            TODAY,
            address="Dorpsstraat 1, 1234 AB Ergens",
        )
    )
    costs = collection_costs(eur("1500")).total  # the two principals added up: 225.00
    assert check_letter_wording(text, "nl", costs=costs) == []
    assert "binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd" in text
    # posted Wed 4 March: delivered Fri 6 March, last day Fri 20 March (HR 2016)
    assert "uiterlijk op 20 maart 2026" in text
    assert "€ 225,00" in text and "Hoofdsom € 1.500,00" in text
    assert "Dorpsstraat 1" in text and "Keizersgracht 1" in text


def test_letters_add_vat_to_the_costs_only_when_configured() -> None:
    with_vat = DocumentSettings("Acme", Party("Acme"), "nl", costs_vat_rate=Decimal("21"))
    text = text_of(letter_pdf(with_vat, ActionKind.FOURTEEN_DAY_LETTER, JAN, INVOICES[:1], TODAY))
    assert "€ 181,50 (inclusief btw)" in text  # 150.00 + 21 %


def test_notice_of_default_pdf_states_interest_costs_and_deadline_in_english() -> None:
    business = Customer("C1", "Smit & Zn", "ap@smit.example", company_name="Smit & Zn B.V.")
    english = DocumentSettings("Acme", Party("Acme"), "en")
    text = text_of(letter_pdf(english, ActionKind.NOTICE_OF_DEFAULT, business, INVOICES[:2], TODAY))
    assert "Notice of default" in text
    assert "commercial statutory interest (art. 6:119a Dutch Civil Code)" in text
    assert "no later than 12 March 2026" in text  # 8 days, a business day
    assert "€225.00" in text.replace("\xa0", "")
    assert "Statutory interest up to and including 4 March 2026" in text


def test_the_handoff_dossier_has_invoices_reminders_promises_and_amounts() -> None:
    history = [
        HistoryEntry(
            1,
            "C1",
            "I1",
            "reminder",
            ActionKind.REMINDER,
            "sent",
            date(2026, 1, 7),
            datetime(2026, 1, 7, 9, tzinfo=UTC),
        ),
        HistoryEntry(
            2,
            "C1",
            "I1",
            "fourteen-day-letter",
            ActionKind.FOURTEEN_DAY_LETTER,
            "sent",
            date(2026, 1, 28),
            None,
        ),
    ]
    promise = Pause(
        1,
        "acme",
        "C1",
        PauseKind.PROMISE,
        "pays after salary",
        "piet",
        datetime(2026, 2, 2, 10, tzinfo=UTC),
        until=date(2026, 2, 25),
    )
    result = dossier(SETTINGS, SNAP, history, [promise], "C1", TODAY)
    text = text_of(result.pdf)
    assert "Incassodossier: Jan Jansen" in text
    assert "7 januari 2026 Herinnering herinnering F-2025-101 verstuurd" in text
    assert "promise to pay" in text and "pays after salary" in text
    assert "Buitengerechtelijke incassokosten € 225,00" in text
    rows = result.csv.splitlines()
    assert rows[0].startswith("record,date,customer_ref")
    assert any(
        r.startswith("reminder,2026-01-28,C1,Jan Jansen,F-2025-101,fourteen_day_letter")
        for r in rows
    )
    assert any(r.startswith("pause,2026-02-02") and "until 2026-02-25" in r for r in rows)
    assert any(r.startswith("total,") and "total claim" in r for r in rows)


# -- mail templates -------------------------------------------------------------------------
def action(kind: ActionKind, template: str, **extra: str) -> Action:
    return Action(
        "acme",
        "C1",
        kind,
        template,
        TODAY,
        (ActionItem("I1", "x", eur("1000")), ActionItem("I2", "x", eur("500"))),
        extra=extra,
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_fourteen_day_mail_passes_the_wording_check_with_the_exact_costs(
    language: str,
) -> None:
    ctx = MessageContext.for_action(
        action(ActionKind.FOURTEEN_DAY_LETTER, "fourteen_day_letter"),
        JAN,
        {i.ref: i for i in INVOICES},
        sender={"name": "Acme", "email": "ar@acme.example", "phone": None},
        company="Acme",
        today=TODAY,
        language=language,
    )
    message = Renderer().render("fourteen_day_letter", ctx, ["jan@example.nl"])
    assert check_letter_wording(message.text, language, costs=eur("225")) == []
    assert "225" in message.note


def test_a_late_fee_is_stated_in_the_mail() -> None:
    ctx = MessageContext.for_action(
        action(
            ActionKind.FIRM_REMINDER, "firm_reminder", late_fee="30.00", late_fee_currency="EUR"
        ),
        JAN,
        {i.ref: i for i in INVOICES},
        sender={"name": "Acme", "email": "ar@acme.example", "phone": None},
        company="Acme",
        today=TODAY,
        language="nl",
    )
    message = Renderer().render("firm_reminder", ctx, ["jan@example.nl"])
    assert "administratiekosten in rekening van € 30,00" in message.text.replace("\xa0", " ")
    assert "€\xa030,00" in message.html
