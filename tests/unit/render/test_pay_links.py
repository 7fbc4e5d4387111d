"""The platform's pay link in the mails (issue #14): every mail that names an invoice to pay
carries, per invoice, a "Pay online" / "Online betalen" link where the platform has one (Zoho's
`invoice_url`), escaped, only https, and never for another customer's invoice."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from connector.domain import Action, ActionItem, ActionKind, Customer, Invoice, InvoiceStatus, Money
from connector.domain.ledger import safe_https_url
from connector.domain.ports import RenderedMessage
from connector.render import MessageContext, Renderer

TODAY = date(2026, 3, 4)
LINK = "https://books.zoho.eu/SecurePayment?CInvoiceID=2-8a7f&lang=nl"
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


def invoice(ref: str, number: str, pay_url: str | None, customer: str = "C1") -> Invoice:
    money = Money.of("250", "EUR")
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


def render(
    template: str, language: str, *invoices: Invoice, customer: str = "C1"
) -> RenderedMessage:
    action = Action(
        "acme",
        customer,
        ActionKind(template),
        template,
        TODAY,
        tuple(ActionItem(i.ref, "step", i.balance) for i in invoices),
    )
    ctx = MessageContext.for_action(
        action,
        Customer(customer, "Jan Jansen", "jan@example.nl"),
        {i.ref: i for i in invoices},
        sender=SENDER,
        company="Acme",
        today=TODAY,
        language=language,
    )
    return Renderer().render(template, ctx, ["jan@example.nl"])


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("template", MAILS)
def test_every_mail_naming_an_invoice_carries_its_pay_link(template: str, language: str) -> None:
    message = render(template, language, invoice("I1", "INV-1", LINK))
    escaped = LINK.replace("&", "&amp;")
    assert f'<a href="{escaped}">{WORDS[language]}</a>' in message.html
    assert f"{WORDS[language]}: {LINK}\n" in message.text


@pytest.mark.parametrize("language", ["nl", "en"])
def test_without_a_link_nothing_about_paying_online_is_said(language: str) -> None:
    message = render("reminder", language, invoice("I1", "INV-1", None))
    for body in (message.html, message.text):
        assert WORDS[language] not in body
        assert "https://" not in body
    assert '<th align="left"></th>' not in message.html, "no empty column"


def test_each_invoice_gets_its_own_link_and_one_without_gets_none() -> None:
    second = "https://books.zoho.eu/SecurePayment?CInvoiceID=2-99"
    message = render(
        "reminder",
        "en",
        invoice("I1", "INV-1", LINK),
        invoice("I2", "INV-2", None),
        invoice("I3", "INV-3", second),
    )
    lines = message.text.splitlines()
    at = {
        n: i
        for i, line in enumerate(lines)
        for n in ("INV-1", "INV-2", "INV-3")
        if f"invoice {n} " in line
    }
    assert lines[at["INV-1"] + 1] == f"  Pay online: {LINK}"
    assert (
        lines[at["INV-2"] + 1] != f"  Pay online: {LINK}"
        and "Pay online" not in lines[at["INV-2"] + 1]
    )
    assert lines[at["INV-3"] + 1] == f"  Pay online: {second}"
    assert message.html.count(">Pay online</a>") == 2


def test_a_link_on_another_customers_invoice_is_never_printed() -> None:
    theirs = invoice("I9", "INV-9", LINK, customer="C2")
    message = render("reminder", "en", theirs, customer="C1")
    assert LINK not in message.html and LINK not in message.text


@pytest.mark.parametrize(
    "hostile",
    [
        "http://books.zoho.eu/SecurePayment?CInvoiceID=1",
        "javascript:alert(1)",
        'https://evil.example/"><script>alert(1)</script>',
        "https://evil.example/pay onclick=x",
        "https://user:pw@evil.example/pay",
        "https:///no-host",
        "data:text/html,<b>hi</b>",
        "",
    ],
)
def test_anything_but_a_plain_https_link_is_dropped(hostile: str) -> None:
    assert safe_https_url(hostile) is None
    message = render("reminder", "en", invoice("I1", "INV-1", hostile))
    assert "Pay online" not in message.html and "Pay online" not in message.text
    assert "<script" not in message.html and "javascript:" not in message.html


def test_an_https_link_is_printed_escaped_in_html_and_as_is_in_text() -> None:
    tricky = "https://pay.example/i?a=1&b=%3Cscript%3E"
    message = render("reminder", "nl", invoice("I1", "INV-1", tricky))
    assert 'href="https://pay.example/i?a=1&amp;b=%3Cscript%3E"' in message.html
    assert f"Online betalen: {tricky}" in message.text


def test_the_invoice_keeps_the_raw_link_and_prints_only_the_safe_one() -> None:
    raw = invoice("I1", "INV-1", "http://plain.example/pay")
    assert raw.pay_url == "http://plain.example/pay" and raw.pay_link is None
    assert dataclasses.replace(raw, pay_url=LINK).pay_link == LINK
