"""The notices to the business (issue #14) read in the client's language: the customer by name
and number, each invoice with its amount, the promised day or the reason, the console link."""

from __future__ import annotations

from datetime import date

import pytest

from connector.domain import (
    Action,
    ActionItem,
    ActionKind,
    Channel,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
)
from connector.notices import BROKEN_TEMPLATE, DISPUTE_TEMPLATE, PROMISE_TEMPLATE
from connector.render import MessageContext, Renderer
from connector.render.mail import DISPUTE_REASON, NOTICE_CONSOLE_URL, NOTICE_PROMISED_DAY

LINK = "https://dunning.acme.example/clients/acme/customers/C1"
SENDER: dict[str, str | None] = {"name": "Acme B.V.", "email": "debiteuren@acme.example"}


def render(template: str, language: str, extra: dict[str, str]) -> tuple[str, str]:
    money = Money.of("1234.5", "EUR")
    invoice = Invoice(
        "I1", "INV-1", "C1", InvoiceStatus.OPEN, date(2026, 1, 2), date(2026, 2, 1), money, money
    )
    action = Action(
        "acme",
        "C1",
        ActionKind.CALL_TASK,
        template,
        date(2026, 3, 2),
        (ActionItem("I1", "notify:5", money),),
        channel=Channel.SMTP,
        extra={NOTICE_CONSOLE_URL: LINK, **extra},
    )
    ctx = MessageContext.for_action(
        action,
        Customer("C1", "Jan Jansen", "jan@example.nl", number="1001"),
        {"I1": invoice},
        sender=SENDER,
        company="Acme",
        today=date(2026, 3, 2),
        language=language,
    )
    message = Renderer().render(template, ctx, ["eigenaar@acme.example"])
    return message.subject, message.text


def test_the_english_notices_name_customer_invoices_day_or_reason_and_the_console() -> None:
    day = {NOTICE_PROMISED_DAY: "2026-03-10"}
    subject, text = render(PROMISE_TEMPLATE, "en", day)
    assert subject == "Jan Jansen promised to pay by 10 March 2026"
    assert "Jan Jansen (customer 1001) promised on their own page to pay by 10 March 2026" in text
    assert "- INV-1: €1,234.50\n" in text and f"Jan Jansen in the console: {LINK}" in text
    subject, text = render(BROKEN_TEMPLATE, "en", day)
    assert subject == "Jan Jansen did not pay by 10 March 2026 as promised"
    subject, text = render(DISPUTE_TEMPLATE, "en", {DISPUTE_REASON: "Never delivered"})
    assert subject == "Jan Jansen disputes invoice INV-1"
    assert "Their reason: Never delivered" in text


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("template", [PROMISE_TEMPLATE, DISPUTE_TEMPLATE, BROKEN_TEMPLATE])
def test_each_notice_template_passes_the_doctors_check(template: str, language: str) -> None:
    assert Renderer().check(template, language) == []
