"""The receipt check of issue #14: a few days after the invoice date (not the due date), a large
invoice gets a call task "check receipt" in the ledger, or a short friendly mail, per policy;
once per invoice, only while nothing is overdue, and under every rule the ladder obeys."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
from planner_support import MONDAY, at, ctx

from connector.config.policy_builtin import BUILTIN
from connector.domain import (
    Action,
    ActionItem,
    ActionKind,
    Channel,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
    Snapshot,
)
from connector.domain.actions import RECEIPT_CHECK_STEP
from connector.domain.history import HistoryEntry
from connector.domain.pauses import Pause, PauseKind
from connector.policy.model import Policy, PolicyError, ReceiptCheck, Step
from connector.policy.planner import explain, plan

B2B = BUILTIN["nl-b2b-standard"]
#: three days after invoicing, for invoices of 5,000 or more, as a call task
CHECKED = dataclasses.replace(B2B, receipt_check=ReceiptCheck(3, Decimal("5000")))
ISSUED = MONDAY  # Monday 2 March 2026
CHECK_DAY = ISSUED + timedelta(days=3)  # Thursday


def invoice(
    ref: str,
    total: str = "12000.00",
    *,
    issued: date = ISSUED,
    terms: int = 30,
    customer: str = "C1",
) -> Invoice:
    money = Money.of(total, "EUR")
    due = issued + timedelta(days=terms)
    return Invoice(ref, f"INV-{ref}", customer, InvoiceStatus.OPEN, issued, due, money, money)


def snap(*invoices: Invoice, reminders_enabled: bool | None = None) -> Snapshot:
    customers = {
        i.customer_ref: Customer(
            i.customer_ref,
            f"Customer {i.customer_ref}",
            "c@example.nl",
            reminders_enabled=reminders_enabled,
        )
        for i in invoices
    }
    return Snapshot(customers, {i.ref: i for i in invoices}, [])


def entry(
    invoice_ref: str, step: str, kind: ActionKind, day: date, status: str = "sent"
) -> HistoryEntry:
    return HistoryEntry(7, "C1", invoice_ref, step, kind, status, day, at(day, 10))


def checks(actions: list[Action]) -> list[Action]:
    return [a for a in actions if a.is_receipt_check]


def test_a_large_invoice_gets_a_call_task_three_days_after_the_invoice_date() -> None:
    s = snap(invoice("1"))
    assert plan(s, CHECKED, [], at(CHECK_DAY - timedelta(days=1)), ctx()) == []
    [task] = plan(s, CHECKED, [], at(CHECK_DAY), ctx())
    assert task.kind is ActionKind.CALL_TASK
    assert task.channel is Channel.TASK
    assert task.template == "receipt_check"
    assert task.items == (ActionItem("1", RECEIPT_CHECK_STEP, Money.of("12000.00", "EUR")),)
    assert task.is_receipt_check


def test_it_counts_from_the_invoice_date_not_the_due_date() -> None:
    short = invoice("1", terms=14)
    long = invoice("2", terms=60, customer="C2")
    due_on_check_day = {
        a.customer_ref for a in plan(snap(short, long), CHECKED, [], at(CHECK_DAY), ctx())
    }
    assert due_on_check_day == {"C1", "C2"}


def test_an_invoice_below_the_amount_gets_no_check_and_waits_for_the_ladder() -> None:
    s = snap(invoice("1", total="4999.99"))
    assert plan(s, CHECKED, [], at(CHECK_DAY), ctx()) == []
    [line] = explain(s, CHECKED, [], at(CHECK_DAY), ctx())
    assert line.next_step == "reminder"


def test_exactly_the_amount_is_checked() -> None:
    assert plan(snap(invoice("1", total="5000.00")), CHECKED, [], at(CHECK_DAY), ctx())


def test_dunning_plan_names_the_check_with_its_reason_in_words() -> None:
    s = snap(invoice("1"))
    [line] = explain(s, CHECKED, [], at(ISSUED + timedelta(days=1)), ctx())
    assert line.next_step == RECEIPT_CHECK_STEP
    assert not line.due_now
    assert "call task" in line.reason
    assert "3 days after invoicing" in line.reason
    assert "Thu 2026-03-05 08:00" in line.reason
    [due] = explain(s, CHECKED, [], at(CHECK_DAY, 11), ctx())
    assert due.due_now and "due since" in due.reason


def test_a_check_already_taken_is_never_planned_again() -> None:
    s = snap(invoice("1"))
    for status in ("sent", "pending", "review", "rejected"):
        history = [entry("1", RECEIPT_CHECK_STEP, ActionKind.CALL_TASK, CHECK_DAY, status)]
        later = at(CHECK_DAY + timedelta(days=7))
        assert checks(plan(s, CHECKED, history, later, ctx())) == [], status


def test_a_failed_check_is_retried_until_the_policys_limit() -> None:
    s = snap(invoice("1"))
    failed = entry("1", RECEIPT_CHECK_STEP, ActionKind.CALL_TASK, CHECK_DAY, "failed")
    assert checks(plan(s, CHECKED, [failed], at(CHECK_DAY + timedelta(days=1)), ctx()))
    three = [failed] * CHECKED.max_failed_attempts
    assert checks(plan(s, CHECKED, three, at(CHECK_DAY + timedelta(days=1)), ctx())) == []


def test_never_for_an_invoice_already_reminded() -> None:
    s = snap(invoice("1"))
    reminded = [entry("1", "reminder", ActionKind.REMINDER, ISSUED + timedelta(days=1))]
    assert checks(plan(s, CHECKED, reminded, at(CHECK_DAY), ctx())) == []


def test_never_once_the_invoice_is_overdue() -> None:
    s = snap(invoice("1", issued=ISSUED - timedelta(days=40)))  # found late: 10 days overdue
    actions = plan(s, CHECKED, [], at(MONDAY), ctx())
    assert checks(actions) == []
    assert [a.kind for a in actions] == [ActionKind.REMINDER], "the ladder goes on as usual"


def test_not_when_the_invoice_falls_due_before_the_check() -> None:
    s = snap(invoice("1", terms=2))
    assert checks(plan(s, CHECKED, [], at(ISSUED + timedelta(days=2)), ctx())) == []
    [line] = explain(s, CHECKED, [], at(ISSUED), ctx())
    assert line.next_step == "reminder"


def test_a_check_due_on_a_saturday_waits_for_monday() -> None:
    s = snap(invoice("1", issued=ISSUED + timedelta(days=2)))  # Wednesday + 3 = Saturday
    assert plan(s, CHECKED, [], at(date(2026, 3, 7), 11), ctx()) == []
    assert checks(plan(s, CHECKED, [], at(date(2026, 3, 9)), ctx()))


def test_nothing_outside_the_sending_window() -> None:
    assert plan(snap(invoice("1")), CHECKED, [], at(CHECK_DAY, 18), ctx()) == []


def test_a_paused_customer_gets_no_check() -> None:
    pause = Pause(
        1, "acme", "C1", PauseKind.DISPUTE, "wrong address", "ann", at(ISSUED), until=None
    )
    s = snap(invoice("1"))
    assert plan(s, CHECKED, [], at(CHECK_DAY), ctx(pauses=(pause,))) == []


@pytest.mark.parametrize("in_ledger", [False, None])
def test_customers_with_reminders_disabled_get_no_check(in_ledger: bool | None) -> None:
    s = snap(invoice("1"), reminders_enabled=in_ledger)
    context = (
        ctx()
        if in_ledger is False
        else dataclasses.replace(ctx(), disabled_customers=frozenset({"C1"}))
    )
    assert plan(s, CHECKED, [], at(CHECK_DAY), context) == []


def test_a_check_waiting_for_approval_holds_the_invoice() -> None:
    s = snap(invoice("1"))
    waiting = [entry("1", RECEIPT_CHECK_STEP, ActionKind.CALL_TASK, CHECK_DAY, "approval")]
    assert plan(s, CHECKED, waiting, at(CHECK_DAY + timedelta(days=1)), ctx()) == []
    [line] = explain(s, CHECKED, waiting, at(CHECK_DAY + timedelta(days=1)), ctx())
    assert line.next_step == RECEIPT_CHECK_STEP
    assert "waiting for approval" in line.reason


def test_as_a_mail_it_is_a_friendly_pre_due_mail_never_merged_into_a_reminder() -> None:
    mailed = dataclasses.replace(
        B2B, receipt_check=ReceiptCheck(3, Decimal("5000"), channel=Channel.LEDGER_MAIL)
    )
    overdue = invoice("0", issued=ISSUED - timedelta(days=37))  # reminder due on CHECK_DAY
    actions = plan(snap(invoice("1"), overdue), mailed, [], at(CHECK_DAY), ctx())
    by_template = {a.template: a for a in actions}
    assert set(by_template) == {"receipt_check", "reminder"}
    check = by_template["receipt_check"]
    assert check.kind is ActionKind.PRE_DUE_NOTICE and check.channel is Channel.LEDGER_MAIL
    assert check.invoice_refs == ("1",)
    assert by_template["reminder"].invoice_refs == ("0",)


def test_large_invoices_of_one_customer_checked_the_same_day_share_one_task() -> None:
    [task] = plan(snap(invoice("1"), invoice("2")), CHECKED, [], at(CHECK_DAY), ctx())
    assert task.invoice_refs == ("1", "2")


def test_an_earlier_pre_due_notice_is_not_held_up_by_the_check() -> None:
    heads_up = Step("heads-up", ActionKind.PRE_DUE_NOTICE, -28, "pre_due_notice")
    policy = dataclasses.replace(CHECKED, steps=(heads_up, *B2B.steps))
    s = snap(invoice("1"))
    [notice] = plan(s, policy, [], at(CHECK_DAY - timedelta(days=1)), ctx())
    assert notice.template == "pre_due_notice"
    history = [entry("1", "heads-up", ActionKind.PRE_DUE_NOTICE, CHECK_DAY - timedelta(days=1))]
    [task] = plan(s, policy, history, at(CHECK_DAY), ctx())
    assert task.is_receipt_check, "a heads-up is no reminder: the check still comes"


def test_a_pre_due_notice_on_the_day_of_the_check_follows_it() -> None:
    heads_up = Step("heads-up", ActionKind.PRE_DUE_NOTICE, -27, "pre_due_notice")
    policy = dataclasses.replace(CHECKED, steps=(heads_up, *B2B.steps))
    s = snap(invoice("1"))
    assert [a.template for a in plan(s, policy, [], at(CHECK_DAY), ctx())] == ["receipt_check"]
    history = [entry("1", RECEIPT_CHECK_STEP, ActionKind.CALL_TASK, CHECK_DAY)]
    [notice] = plan(s, policy, history, at(CHECK_DAY, 11), ctx())
    assert notice.template == "pre_due_notice"


def test_the_ladder_is_unchanged_after_the_check() -> None:
    s = snap(invoice("1"))
    history = [entry("1", RECEIPT_CHECK_STEP, ActionKind.CALL_TASK, CHECK_DAY)]
    seven_days_overdue = at(ISSUED + timedelta(days=37))
    assert [a.template for a in plan(s, CHECKED, history, seven_days_overdue, ctx())] == [
        "reminder"
    ]


def test_the_check_has_its_own_step_id() -> None:
    taken = Step(RECEIPT_CHECK_STEP, ActionKind.REMINDER, 7, "reminder")
    with pytest.raises(PolicyError, match="kept for the receipt check"):
        Policy("clash", (taken,))
