"""The mail after a broken promise says so (issue #14): in the customer's language it names
the day they had promised to pay by; any other mail says nothing about a promise."""

from __future__ import annotations

from datetime import date

import pytest

from connector.domain import Action, ActionItem, ActionKind, Customer, Invoice, InvoiceStatus, Money
from connector.domain.actions import PROMISE_BROKEN
from connector.domain.ports import RenderedMessage
from connector.render import MessageContext, Renderer

TODAY = date(2026, 3, 12)
SENDER: dict[str, str | None] = {
    "name": "Acme B.V.",
    "email": "debiteuren@acme.example",
    "phone": None,
}
SAID = {
    "nl": "U had toegezegd uiterlijk op 10 maart 2026 te betalen, maar wij hebben uw betaling "
    "niet ontvangen.",
    "en": "You promised to pay by 10 March 2026, but we have not received your payment.",
}
#: the mails a broken promise can lead to (the firmer rungs of a ladder)
MAILS = ("reminder", "firm_reminder", "notice_of_default", "fourteen_day_letter")


def render(template: str, language: str, extra: dict[str, str]) -> RenderedMessage:
    money = Money.of("250", "EUR")
    invoice = Invoice(
        "I1", "INV-1", "C1", InvoiceStatus.OPEN, date(2026, 1, 2), date(2026, 2, 1), money, money
    )
    action = Action(
        "acme",
        "C1",
        ActionKind(template),
        template,
        TODAY,
        (ActionItem("I1", "step", money),),
        extra=extra,
    )
    ctx = MessageContext.for_action(
        action,
        Customer("C1", "Jan Jansen", "jan@example.nl"),
        {"I1": invoice},
        sender=SENDER,
        company="Acme",
        today=TODAY,
        language=language,
    )
    return Renderer().render(template, ctx, ["jan@example.nl"])


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("template", MAILS)
def test_the_mail_after_a_broken_promise_names_the_day_promised(
    template: str, language: str
) -> None:
    message = render(template, language, {PROMISE_BROKEN: "2026-03-10"})
    assert f"Jansen,\n\n{SAID[language]}\n\n" in message.text
    assert f"<p>{SAID[language]}</p>" in message.html


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_mail_without_a_broken_promise_says_nothing_of_one(language: str) -> None:
    message = render("firm_reminder", language, {})
    assert "2026" not in message.text.split("\n\n")[1], "straight from the greeting to the point"
    assert SAID[language] not in message.text


def test_every_ladder_template_passes_the_doctors_check() -> None:
    renderer = Renderer()
    for template in MAILS:
        for language in ("nl", "en"):
            assert renderer.check(template, language) == []
