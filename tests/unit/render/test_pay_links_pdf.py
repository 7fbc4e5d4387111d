"""The platform's pay link in the statement and the letters (issue #14): under the payment
details, one "Online betalen" / "Pay online" line per invoice that has a safe https link, as a
clickable link; nothing when no invoice has one; never another customer's."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from connector.documents import DocumentSettings, letter_pdf, statement_pdf
from connector.domain import (
    ActionKind,
    Customer,
    CustomerProfile,
    Invoice,
    InvoiceStatus,
    Money,
    Snapshot,
)
from connector.render.pdf import Party

TODAY = date(2026, 3, 4)
LINK = "https://books.zoho.eu/SecurePayment?CInvoiceID=2f9c1d"
WORDS = {"nl": "Online betalen", "en": "Pay online"}
JAN = Customer("C1", "Jan Jansen", "jan@example.nl", profile=CustomerProfile.BUSINESS)


def invoice(ref: str, number: str, pay_url: str | None, customer: str = "C1") -> Invoice:
    money = Money.of("300", "EUR")
    return Invoice(
        ref,
        number,
        customer,
        InvoiceStatus.OPEN,
        date(2026, 1, 2),
        date(2026, 2, 1),
        money,
        money,
        pay_url=pay_url,
    )


def settings(language: str) -> DocumentSettings:
    return DocumentSettings(
        "Acme B.V.", Party("Acme B.V.", ("Keizersgracht 1",)), language, iban="NL91ABNA0417164300"
    )


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in reader(pdf).pages).split())


def link_targets(pdf: bytes) -> list[str]:
    targets = []
    for page in reader(pdf).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                targets.append(str(action["/URI"]))
    return targets


def documents(language: str, *invoices: Invoice) -> dict[str, bytes]:
    snap = Snapshot({"C1": JAN}, {i.ref: i for i in invoices}, [])
    mine = [i for i in invoices if i.customer_ref == "C1"]
    return {
        "statement": statement_pdf(settings(language), snap, "C1", TODAY),
        "notice": letter_pdf(settings(language), ActionKind.NOTICE_OF_DEFAULT, JAN, mine, TODAY),
        "letter": letter_pdf(settings(language), ActionKind.FOURTEEN_DAY_LETTER, JAN, mine, TODAY),
    }


@pytest.mark.parametrize("language", ["nl", "en"])
def test_statement_and_letters_carry_a_pay_link_per_invoice_that_has_one(language: str) -> None:
    pdfs = documents(language, invoice("I1", "INV-1", LINK), invoice("I2", "INV-2", None))
    for name, pdf in pdfs.items():
        text = text_of(pdf)
        assert f"{WORDS[language]} INV-1: {LINK}" in text, name
        assert f"{WORDS[language]} INV-2" not in text, name
        assert link_targets(pdf) == [LINK], name


@pytest.mark.parametrize("language", ["nl", "en"])
def test_without_links_nothing_about_paying_online_is_printed(language: str) -> None:
    for name, pdf in documents(language, invoice("I1", "INV-1", None)).items():
        assert WORDS[language] not in text_of(pdf), name
        assert link_targets(pdf) == [], name


@pytest.mark.parametrize(
    "unsafe", ["http://books.zoho.eu/SecurePayment?x=1", "javascript:alert(1)", "https://a b"]
)
def test_an_unsafe_link_is_never_printed(unsafe: str) -> None:
    for name, pdf in documents("en", invoice("I1", "INV-1", unsafe)).items():
        assert "Pay online" not in text_of(pdf), name
        assert link_targets(pdf) == [], name


def test_the_statement_never_links_another_customers_invoice() -> None:
    theirs = invoice("I9", "INV-9", "https://books.zoho.eu/SecurePayment?CInvoiceID=other", "C2")
    snap = Snapshot({"C1": JAN}, {"I1": invoice("I1", "INV-1", LINK), "I9": theirs}, [])
    pdf = statement_pdf(settings("en"), snap, "C1", TODAY)
    assert link_targets(pdf) == [LINK]
    assert "other" not in text_of(pdf)
