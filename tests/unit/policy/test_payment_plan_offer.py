"""The payment-plan offer in the ladder (issue #14): a policy's `payment_plan_offer: first |
second` puts the offer in the mail of that reminder and in no other step's, with the customer's
own page when there is one, else asking the customer to reply or call; Dutch and English."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from planner_support import MONDAY, at, ctx, inv, snap

from connector.config import ConfigError
from connector.config.policy_schema import load_policy_file
from connector.domain import Action, ActionKind, Customer, CustomerProfile, Invoice
from connector.domain.actions import PAYMENT_PLAN_OFFER
from connector.domain.history import HistoryEntry
from connector.domain.ports import RenderedMessage
from connector.policy.model import Policy
from connector.policy.planner import plan
from connector.render import MessageContext, Renderer

LADDER = """\
name: with-offer
steps:
  - {id: heads-up, kind: pre_due_notice, days: -3, template: pre_due_notice}
  - {id: reminder, kind: reminder, days: 7, template: reminder}
  - {id: call, kind: call_task, days: 14, template: call}
  - {id: firm, kind: firm_reminder, days: 21, template: firm_reminder}
  - {id: notice, kind: notice_of_default, days: 35, template: notice_of_default}
"""
SENDER: dict[str, str | None] = {
    "name": "Acme B.V.",
    "email": "debiteuren@acme.example",
    "phone": "+31 20 123 4567",
    "iban": "NL91 ABNA 0417 1643 00",
    "account_holder": "Acme B.V.",
    "bic": None,
}
DUE = MONDAY
OFFER_NL = "betalingsregeling"
OFFER_EN = "payment plan"


def policy(tmp_path: Path, offer: str | None) -> Policy:
    path = tmp_path / "with-offer.yaml"
    path.write_text(LADDER + (f"payment_plan_offer: {offer}\n" if offer else ""))
    return load_policy_file(path)


def offering_steps(p: Policy) -> list[str]:
    return [s.id for s in p.steps if s.offers_payment_plan]


def test_no_offer_unless_the_policy_asks_for_one(tmp_path: Path) -> None:
    assert offering_steps(policy(tmp_path, None)) == []


@pytest.mark.parametrize(("offer", "step"), [("first", "reminder"), ("second", "firm")])
def test_the_offer_goes_in_the_first_or_second_reminder(
    tmp_path: Path, offer: str, step: str
) -> None:
    assert offering_steps(policy(tmp_path, offer)) == [step]


def test_a_ladder_without_a_second_reminder_cannot_offer_in_it(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text(
        "name: short\n"
        "steps:\n"
        "  - {id: reminder, kind: reminder, days: 7, template: reminder}\n"
        "payment_plan_offer: second\n"
    )
    with pytest.raises(ConfigError) as error:
        load_policy_file(path)
    assert error.value.problems[0].describe() == (
        f"{path}: payment_plan_offer: the ladder has no second reminder (a step of kind reminder "
        "or firm_reminder) to put the payment-plan offer in (line 4)"
    )


def actions_over(p: Policy, days: int) -> list[Action]:
    """Every action the planner plans for one invoice, day by day, each taken as sent."""
    invoice = inv("I1", DUE, "950.00")
    history: list[HistoryEntry] = []
    out: list[Action] = []
    for n in range(-5, days):
        day = DUE + timedelta(days=n)
        for action in plan(snap(invoice), p, history, at(day, 10), ctx()):
            out.append(action)
            for item in action.items:
                history.append(
                    HistoryEntry(
                        len(out), "C1", item.invoice_ref, item.step, action.kind, "sent", day,
                        at(day, 10),
                    )
                )  # fmt: skip
    return out


@pytest.mark.parametrize(("offer", "kind"), [("first", "reminder"), ("second", "firm_reminder")])
def test_the_planner_marks_exactly_the_configured_step(
    tmp_path: Path, offer: str, kind: str
) -> None:
    actions = actions_over(policy(tmp_path, offer), 40)

    assert [a.kind.value for a in actions] == [
        "pre_due_notice",
        "reminder",
        "call_task",
        "firm_reminder",
        "notice_of_default",
    ]
    assert [a.kind.value for a in actions if a.extra.get(PAYMENT_PLAN_OFFER)] == [kind]


def render(action: Action, language: str, page: str | None = None) -> RenderedMessage:
    invoice = inv("I1", DUE, "950.00")
    customer = Customer("C1", "Jansen Bouw", "jansen@example.nl", profile=CustomerProfile.BUSINESS)
    invoices: dict[str, Invoice] = {"I1": invoice}
    context = MessageContext.for_action(
        action,
        customer,
        invoices,
        sender=SENDER,
        company="Acme B.V.",
        today=DUE + timedelta(days=21),
        language=language,
        customer_page_url=page,
    )
    return Renderer().render(action.template, context, customer.emails)


@pytest.mark.parametrize(("language", "words"), [("nl", OFFER_NL), ("en", OFFER_EN)])
def test_the_offer_appears_in_exactly_the_configured_reminder_mail(
    tmp_path: Path, language: str, words: str
) -> None:
    mails = {
        a.kind: render(a, language)
        for a in actions_over(policy(tmp_path, "second"), 40)
        if a.kind.is_mail
    }

    offering = [k.value for k, m in mails.items() if words in m.text and words in m.html]
    assert offering == [ActionKind.FIRM_REMINDER.value]


def test_without_a_customer_page_the_offer_asks_to_reply_or_call(tmp_path: Path) -> None:
    [firm] = [
        a
        for a in actions_over(policy(tmp_path, "second"), 40)
        if a.kind is ActionKind.FIRM_REMINDER
    ]

    nl, en = render(firm, "nl"), render(firm, "en")

    assert "Beantwoord deze e-mail of bel ons op +31 20 123 4567" in nl.text
    assert "Reply to this e-mail or call us on +31 20 123 4567" in en.text
    assert "http" not in nl.text and "<a " not in nl.html


def test_with_a_customer_page_the_offer_links_to_it(tmp_path: Path) -> None:
    [first] = [
        a for a in actions_over(policy(tmp_path, "first"), 10) if a.kind is ActionKind.REMINDER
    ]
    page = "https://dunning.acme.example/p/Zm9vYmFy"

    nl, en = render(first, "nl", page), render(first, "en", page)

    assert f"Vraag die aan op uw eigen pagina: {page}" in nl.text
    assert f'<a href="{page}">' in nl.html
    assert f"Ask for one on your own page: {page}" in en.text
    assert "Beantwoord deze e-mail of bel" not in nl.text
