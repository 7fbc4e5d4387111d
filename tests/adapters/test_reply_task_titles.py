"""A "customer replied" task (issue #14, connector.replies) is written where each platform keeps
call tasks, under its own title: not "call about open invoices" but "the customer replied"."""

from __future__ import annotations

from datetime import date

from adapters.exact import writeback as exact
from adapters.moneybird import writeback as moneybird
from connector.domain import Action, ActionItem, ActionKind, Channel, Money
from connector.domain.actions import DISPUTE_STEP_PREFIX, REPLY_STEP_PREFIX


def task(step: str) -> Action:
    return Action(
        "acme",
        "C1",
        ActionKind.CALL_TASK,
        "customer_replied" if step.startswith(REPLY_STEP_PREFIX) else "call",
        date(2026, 3, 2),
        (ActionItem("I1", step, Money.of("100", "EUR")),),
        channel=Channel.TASK,
    )


def test_a_reply_task_is_titled_as_one_on_exact_and_moneybird() -> None:
    reply, call = task(f"{REPLY_STEP_PREFIX}0123456789abcdef"), task("call-1")

    assert reply.is_reply_task and not call.is_reply_task
    assert exact.subject(reply) == "Klant heeft gereageerd op herinnering"
    assert moneybird.title(reply) == "Klant heeft gereageerd op herinnering"
    assert exact.subject(call) == moneybird.title(call) == "Bellen over openstaande facturen"


def test_a_dispute_task_is_titled_as_one_on_exact_and_moneybird() -> None:
    dispute = task(f"{DISPUTE_STEP_PREFIX}7")

    assert dispute.is_dispute_task and not dispute.is_reply_task
    assert exact.subject(dispute) == moneybird.title(dispute) == "Klant betwist factuur"
