"""The receipt check's wording (issue #14), in Dutch and English: as a mail it asks whether the
invoice arrived (nothing is overdue, so no word of reminding) and still says where to pay; as a
call task its note tells the business whom to call about which invoice."""

from __future__ import annotations

from datetime import date

import pytest

from connector.domain import (
    Action,
    ActionItem,
    ActionKind,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
)
from connector.domain.actions import RECEIPT_CHECK_STEP
from connector.domain.ports import RenderedMessage
from connector.render import MessageContext, Renderer

TODAY = date(2026, 3, 5)
IBAN = "NL91 ABNA 0417 1643 00"
SENDER: dict[str, str | None] = {
    "name": "Acme B.V.",
    "email": "debiteuren@acme.example",
    "phone": None,
    "iban": IBAN,
    "account_holder": "Acme B.V.",
    "bic": None,
}
INVOICE = Invoice(
    "I1",
    "INV-000077",
    "C1",
    InvoiceStatus.OPEN,
    date(2026, 3, 2),
    date(2026, 4, 1),
    Money.of("12000", "EUR"),
    Money.of("12000", "EUR"),
)


def render(language: str, kind: ActionKind) -> RenderedMessage:
    customer = Customer("C1", "Groot Bouw BV", "inkoop@grootbouw.example")
    action = Action(
        "acme",
        "C1",
        kind,
        "receipt_check",
        TODAY,
        (ActionItem("I1", RECEIPT_CHECK_STEP, INVOICE.balance),),
    )
    ctx = MessageContext.for_action(
        action,
        customer,
        {"I1": INVOICE},
        sender=SENDER,
        company="Acme",
        today=TODAY,
        language=language,
    )
    return Renderer().render("receipt_check", ctx, ["inkoop@grootbouw.example"])


@pytest.mark.parametrize(
    ("language", "question"),
    [("nl", "Heeft u onze factuur ontvangen?"), ("en", "Did you receive our invoice?")],
)
def test_the_mail_asks_whether_the_invoice_arrived_and_says_where_to_pay(
    language: str, question: str
) -> None:
    message = render(language, ActionKind.PRE_DUE_NOTICE)
    assert message.subject == f"{question} (INV-000077)"
    for body in (message.html, message.text):
        assert "INV-000077" in body
        assert IBAN in body
        for word in ("herinnering", "reminder", "overdue", "achterstallig", "te laat"):
            assert word not in body.lower()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", "Ontvangst controleren (5 maart 2026): bel Groot Bouw BV"),
        ("en", "Check receipt (5 March 2026): call Groot Bouw BV"),
    ],
)
def test_the_task_note_says_whom_to_call_about_which_invoice(language: str, words: str) -> None:
    note = render(language, ActionKind.CALL_TASK).note
    assert words in note
    assert "INV-000077" in note and "inkoop@grootbouw.example" in note
