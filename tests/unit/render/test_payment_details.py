"""Every message a customer receives says where to pay (issue #16): the amount, the IBAN, the
account holder and the invoice numbers as payment reference, in the customer's language; and a
consumer is never told of commercial interest ("handelsrente"), only of statutory interest."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from pypdf import PdfReader

from connector.documents import DocumentSettings, dossier, letter_pdf, statement_pdf
from connector.domain import (
    Action,
    ActionItem,
    ActionKind,
    Customer,
    CustomerProfile,
    Invoice,
    InvoiceStatus,
    Money,
    Snapshot,
)
from connector.domain.history import HistoryEntry
from connector.render import MessageContext, Renderer
from connector.render.pdf import Party

TODAY = date(2026, 3, 4)
IBAN = "NL91 ABNA 0417 1643 00"
SENDER: dict[str, str | None] = {
    "name": "Acme B.V.",
    "email": "debiteuren@acme.example",
    "phone": None,
    "iban": IBAN,
    "account_holder": "Acme Installatietechniek B.V.",
    "bic": "ABNANL2A",
}
CUSTOMER_FACING = (
    "reminder",
    "firm_reminder",
    "notice_of_default",
    "fourteen_day_letter",
    "statement",
    "pre_due_notice",
)


def eur(v: str) -> Money:
    return Money.of(v, "EUR")


def invoice(ref: str, number: str, balance: str) -> Invoice:
    return Invoice(
        ref,
        number,
        "C1",
        InvoiceStatus.OPEN,
        date(2026, 1, 2),
        date(2026, 2, 1),
        eur(balance),
        eur(balance),
    )


INVOICES = {"I1": invoice("I1", "INV-000039", "1234.50"), "I2": invoice("I2", "INV-000041", "99")}


def render(template: str, language: str, profile: CustomerProfile) -> tuple[str, str]:
    customer = Customer("C1", "Jan Jansen", "jan@example.nl", profile=profile)
    action = Action(
        "acme",
        "C1",
        ActionKind(template),
        template,
        TODAY,
        tuple(ActionItem(ref, "step", inv.balance) for ref, inv in INVOICES.items()),
    )
    ctx = MessageContext.for_action(
        action, customer, INVOICES, sender=SENDER, company="Acme", today=TODAY, language=language
    )
    message = Renderer().render(template, ctx, ["jan@example.nl"])
    return message.html, message.text


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("template", CUSTOMER_FACING)
def test_every_customer_facing_mail_names_amount_iban_holder_and_invoice_numbers(
    template: str, language: str
) -> None:
    amount = "€ 1.333,50" if language == "nl" else "€1,333.50"
    for body in render(template, language, CustomerProfile.BUSINESS):
        assert IBAN in body
        assert "Acme Installatietechniek B.V." in body
        assert "ABNANL2A" in body
        assert "INV-000039, INV-000041" in body
        assert amount in body.replace("\xa0", " ")


def test_the_payment_lines_are_in_the_customers_language() -> None:
    _, dutch = render("reminder", "nl", CustomerProfile.BUSINESS)
    _, english = render("reminder", "en", CustomerProfile.BUSINESS)
    assert f"overmaken op rekening {IBAN} ten name van" in dutch
    assert "onder vermelding van INV-000039, INV-000041" in dutch
    assert f"transfer €1,333.50 to account {IBAN} in the name of" in english
    assert "quoting INV-000039, INV-000041 as the payment reference" in english


def test_without_an_iban_the_amount_and_reference_are_still_named() -> None:
    customer = Customer("C1", "Jan", "jan@example.nl")
    action = Action(
        "acme",
        "C1",
        ActionKind.REMINDER,
        "reminder",
        TODAY,
        (ActionItem("I1", "s", eur("1234.50")),),
    )
    sender: dict[str, str | None] = {"name": "Acme", "email": "a@acme.example", "phone": None}
    ctx = MessageContext.for_action(
        action, customer, INVOICES, sender=sender, company="Acme", today=TODAY, language="nl"
    )
    text = Renderer().render("reminder", ctx, ["jan@example.nl"]).text
    assert "als kenmerk INV-000039" in text


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_consumer_is_told_of_statutory_interest_never_of_commercial_interest(
    language: str,
) -> None:
    for body in render("notice_of_default", language, CustomerProfile.CONSUMER):
        assert "handelsrente" not in body and "commercial" not in body
        assert ("wettelijke rente" if language == "nl" else "statutory interest") in body
    business = " ".join(render("notice_of_default", language, CustomerProfile.BUSINESS))
    assert ("handelsrente" if language == "nl" else "commercial interest") in business


def text_of(pdf: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    return " ".join(raw.split())


def settings(language: str) -> DocumentSettings:
    return DocumentSettings(
        "Acme B.V.",
        Party("Acme B.V.", ("Keizersgracht 1",)),
        language,
        iban=IBAN,
        account_holder="Acme Installatietechniek B.V.",
        bic="ABNANL2A",
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_statement_letters_and_dossier_pdfs_carry_the_payment_details(language: str) -> None:
    jan = Customer("C1", "Jan Jansen", "jan@example.nl", profile=CustomerProfile.CONSUMER)
    snap = Snapshot({"C1": jan}, dict(INVOICES), [])
    open_ = list(INVOICES.values())
    history = [
        HistoryEntry(
            1,
            "C1",
            "I1",
            "reminder",
            ActionKind.REMINDER,
            "sent",
            date(2026, 2, 8),
            datetime(2026, 2, 8, 9, tzinfo=UTC),
        )
    ]
    texts = {
        "statement": text_of(statement_pdf(settings(language), snap, "C1", TODAY)),
        "notice": text_of(
            letter_pdf(settings(language), ActionKind.NOTICE_OF_DEFAULT, jan, open_, TODAY)
        ),
        "letter": text_of(
            letter_pdf(settings(language), ActionKind.FOURTEEN_DAY_LETTER, jan, open_, TODAY)
        ),
        "dossier": text_of(dossier(settings(language), snap, history, [], "C1", TODAY).pdf),
    }
    for name, text in texts.items():
        assert IBAN in text, name
        assert "Acme Installatietechniek B.V." in text, name
        assert "INV-000039, INV-000041" in text, name
        assert ("Betalingskenmerk" if language == "nl" else "Payment reference") in text, name
        assert "handelsrente" not in text and "commercial" not in text, name
