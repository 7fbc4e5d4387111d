"""The receipt check named in words where people review actions (issue #14): the approval queue
says "receipt check", not "call task", so an approver knows nothing is overdue."""

from __future__ import annotations

from datetime import date

from connector.approval import Waiting
from connector.domain import ActionKind, Money
from connector.domain.actions import RECEIPT_CHECK_STEP


def waiting(kind: ActionKind, step: str) -> Waiting:
    return Waiting(
        id=3,
        customer_ref="C1",
        customer_name="Groot Bouw BV",
        kind=kind,
        with_statement=False,
        invoices=(("INV-7", Money.of("12000", "EUR")),),
        steps=(step,),
        planned_for=date(2026, 3, 5),
        created_at=None,
        subject=None,
        language="en",
    )


def test_an_approver_sees_a_receipt_check_named_as_such() -> None:
    task = waiting(ActionKind.CALL_TASK, RECEIPT_CHECK_STEP)
    assert task.step == "receipt check (call task: did the invoice arrive?)"
    assert task.describe().startswith("#3 receipt check (call task: did the invoice arrive?) to")
    mail = waiting(ActionKind.PRE_DUE_NOTICE, RECEIPT_CHECK_STEP)
    assert mail.step == "receipt check (mail: did the invoice arrive?)"


def test_a_ladder_call_task_keeps_its_words() -> None:
    assert waiting(ActionKind.CALL_TASK, "call-1").step == "call task"
