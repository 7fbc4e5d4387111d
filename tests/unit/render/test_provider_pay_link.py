"""A payment provider's link (Mollie, issue #14) in the mails and PDFs: one "Online betalen" /
"Pay online" line paying the mail's invoices together, under the payment details; only https;
nothing when there is none."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from connector.documents import DocumentSettings, letter_pdf, statement_pdf
from connector.domain import (
    Action,
    ActionItem,
    ActionKind,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
    Snapshot,
)
from connector.domain.ports import RenderedMessage
from connector.render import MessageContext, Renderer
from connector.render.pdf import Party

MOLLIE = "https://payment-links.mollie.com/payment/4Y0eZitmBnQ6IDoMqZQKh"
UNSAFE = ["http://payment-links.mollie.com/payment/x", "javascript:x"]
TODAY = date(2026, 3, 4)
SENDER: dict[str, str | None] = {
    "name": "Acme B.V.",
    "email": "debiteuren@acme.example",
    "phone": None,
    "iban": "NL91ABNA0417164300",
}
WORDS = {"nl": "Online betalen", "en": "Pay online"}
MAILS = (
    "reminder",
    "firm_reminder",
    "notice_of_default",
    "fourteen_day_letter",
    "statement",
    "pre_due_notice",
)
JAN = Customer("C1", "Jan Jansen", "jan@example.nl")


def invoice(ref: str, number: str, pay_url: str | None) -> Invoice:
    money = Money.of("250", "EUR")
    return Invoice(
        ref,
        number,
        "C1",
        InvoiceStatus.OPEN,
        date(2026, 1, 2),
        date(2026, 2, 1),
        money,
        money,
        pay_url=pay_url,
    )


def text_of(pdf: bytes) -> str:
    pages = PdfReader(BytesIO(pdf)).pages
    return " ".join("\n".join(p.extract_text() for p in pages).split())


def link_targets(pdf: bytes) -> list[str]:
    targets = []
    for page in PdfReader(BytesIO(pdf)).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                targets.append(str(action["/URI"]))
    return targets


def render(template: str, language: str, pay_url: str | None) -> RenderedMessage:
    inv = invoice("I1", "INV-1", None)
    action = Action(
        "acme", "C1", ActionKind(template), template, TODAY, (ActionItem("I1", "s", inv.balance),)
    )
    ctx = MessageContext.for_action(
        action,
        JAN,
        {"I1": inv},
        sender=SENDER,
        company="Acme",
        today=TODAY,
        language=language,
        pay_url=pay_url,
    )
    return Renderer().render(template, ctx, ["jan@example.nl"])


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("template", MAILS)
def test_every_mail_asking_for_payment_carries_the_providers_link(
    template: str, language: str
) -> None:
    message = render(template, language, MOLLIE)
    assert f'<a href="{MOLLIE}">{WORDS[language]}</a>' in message.html
    assert f"{WORDS[language]}: {MOLLIE}" in message.text


@pytest.mark.parametrize(
    "link", [None, "http://payment-links.mollie.com/payment/x", "javascript:x"]
)
def test_no_link_or_an_unsafe_one_prints_nothing(link: str | None) -> None:
    message = render("reminder", "nl", link)
    assert "Online betalen" not in message.text and "Online betalen" not in message.html


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_statement_and_letters_carry_it_naming_the_invoices_it_pays(language: str) -> None:
    inv = invoice("I1", "INV-1", None)
    own = DocumentSettings(
        "Acme B.V.",
        Party("Acme B.V.", ("Keizersgracht 1",)),
        language,
        iban="NL91ABNA0417164300",
        pay_url=MOLLIE,
        pay_numbers="INV-1",
    )
    snap = Snapshot({"C1": JAN}, {"I1": inv}, [])
    for pdf in (
        statement_pdf(own, snap, "C1", TODAY),
        letter_pdf(own, ActionKind.NOTICE_OF_DEFAULT, JAN, [inv], TODAY),
    ):
        assert f"{WORDS[language]} INV-1: {MOLLIE}" in text_of(pdf)
        assert link_targets(pdf) == [MOLLIE]
