"""A receipt check (issue #14) in Exact: the call-task path, worded as a check that the invoice
arrived, with the rendered note (who to call, which invoice) as the task's notes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from adapters.exact import writeback
from adapters.exact.endpoints import TASK_POST, TASK_TYPE_CALL
from connector.domain import Action, ActionItem, ActionKind, Channel, Money
from connector.domain.actions import RECEIPT_CHECK_STEP
from connector.domain.ports import RenderedMessage

ACCOUNT = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def action(kind: ActionKind, step: str) -> Action:
    return Action(
        "acme",
        ACCOUNT,
        kind,
        "receipt_check",
        date(2026, 3, 5),
        (ActionItem("inv-1", step, Money.of("12000", "EUR")),),
        channel=Channel.TASK,
    )


NOTE = RenderedMessage("", "", "", (), note="Ontvangst controleren: bel Groot Bouw BV over F-1")


def test_a_receipt_check_becomes_an_exact_call_task_named_as_a_check() -> None:
    [write] = writeback.records(
        action(ActionKind.CALL_TASK, RECEIPT_CHECK_STEP),
        NOTE,
        numbers=["F-1"],
        now=datetime(2026, 3, 5, 8, tzinfo=UTC),
    )
    assert write.spec is TASK_POST
    assert write.body["Description"] == "Ontvangst factuur controleren (F-1)"
    assert write.body["TaskType"] == TASK_TYPE_CALL
    assert NOTE.note in write.body["Notes"]
    assert writeback.marker(action(ActionKind.CALL_TASK, RECEIPT_CHECK_STEP)) in write.body["Notes"]


def test_a_ladder_call_task_keeps_its_own_subject() -> None:
    [write] = writeback.records(
        action(ActionKind.CALL_TASK, "call-1"),
        NOTE,
        numbers=["F-1"],
        now=datetime(2026, 3, 5, 8, tzinfo=UTC),
    )
    assert write.body["Description"] == "Bellen over openstaande facturen (F-1)"
