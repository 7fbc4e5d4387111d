"""The customer's own page in the mails (issue #14): where the run has a page link for the
customer (the console's public URL is set), every mail that names invoices to pay links to it,
in the customer's language; without one, nothing about it is said."""

from __future__ import annotations

from datetime import date

import pytest

from connector.domain import Action, ActionItem, ActionKind, Customer, Invoice, InvoiceStatus, Money
from connector.domain.ports import RenderedMessage
from connector.render import MessageContext, Renderer

TODAY = date(2026, 3, 4)
PAGE = "https://dunning.acme.example/p/Zm9vYmFyYmF6"
SENDER: dict[str, str | None] = {
    "name": "Acme B.V.",
    "email": "debiteuren@acme.example",
    "phone": None,
    "iban": "NL91ABNA0417164300",
}
WORDS = {
    "nl": ("Uw openstaande facturen, een rekeningoverzicht en online betalen", "Uw facturen en "),
    "en": ("Your open invoices, a statement and paying online", "Your invoices and statement"),
}
MAILS = (
    "reminder",
    "firm_reminder",
    "notice_of_default",
    "fourteen_day_letter",
    "statement",
    "pre_due_notice",
)


def render(template: str, language: str, page: str | None) -> RenderedMessage:
    money = Money.of("250", "EUR")
    invoice = Invoice(
        "I1", "INV-1", "C1", InvoiceStatus.OPEN, date(2026, 1, 2), date(2026, 2, 1), money, money
    )
    action = Action(
        "acme", "C1", ActionKind(template), template, TODAY, (ActionItem("I1", "step", money),)
    )
    ctx = MessageContext.for_action(
        action,
        Customer("C1", "Jan Jansen", "jan@example.nl"),
        {"I1": invoice},
        sender=SENDER,
        company="Acme",
        today=TODAY,
        language=language,
        customer_page_url=page,
    )
    return Renderer().render(template, ctx, ["jan@example.nl"])


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("template", MAILS)
def test_every_mail_naming_invoices_links_to_the_customers_page(
    template: str, language: str
) -> None:
    text_words, link_words = WORDS[language]
    message = render(template, language, PAGE)
    assert f"{text_words}: {PAGE}" in message.text
    assert f'<a href="{PAGE}">{link_words}' in message.html


@pytest.mark.parametrize("language", ["nl", "en"])
def test_without_a_page_nothing_about_it_is_said(language: str) -> None:
    message = render("reminder", language, None)
    for words in WORDS[language]:
        assert words not in message.text and words not in message.html
