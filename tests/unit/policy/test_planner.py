"""The planner's rules, as specifications. Time is an input: every test passes `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from connector.config.policy_builtin import NL_B2B_STANDARD, get_policy
from connector.domain import (
    ActionKind,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
    Snapshot,
)
from connector.domain.history import HistoryEntry
from connector.legal.calendar import BusinessCalendar, SendingWindow
from connector.policy.model import Policy, PolicyError, Step
from connector.policy.planner import PlanContext, explain, plan

AMS = ZoneInfo("Europe/Amsterdam")
CTX = PlanContext("acme", BusinessCalendar("NL"), SendingWindow.parse("08:00-17:00"))


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=AMS).astimezone(UTC)


def eur(v: str) -> Money:
    return Money.of(v, "EUR")


def invoice(
    ref: str,
    due: date,
    balance: str = "100.00",
    *,
    customer: str = "C1",
    status: InvoiceStatus = InvoiceStatus.OPEN,
    total: str | None = None,
    paid_on: date | None = None,
) -> Invoice:
    return Invoice(
        ref=ref,
        number=f"INV-{ref}",
        customer_ref=customer,
        status=status,
        issue_date=due - timedelta(days=30),
        due_date=due,
        total=eur(total or balance),
        balance=eur(balance),
        last_payment_date=paid_on,
    )


def snap(*invoices: Invoice, customers: dict[str, Customer] | None = None) -> Snapshot:
    cs = customers or {
        i.customer_ref: Customer(
            i.customer_ref, f"Customer {i.customer_ref}", f"{i.customer_ref.lower()}@example.nl"
        )
        for i in invoices
    }
    return Snapshot(cs, {i.ref: i for i in invoices}, [])


def sent(
    invoice_ref: str,
    step: str,
    day: date,
    kind: ActionKind = ActionKind.REMINDER,
    customer: str = "C1",
    status: str = "sent",
) -> HistoryEntry:
    return HistoryEntry(1, customer, invoice_ref, step, kind, status, day, at(day, 10))


# Mon 2 March 2026 is an ordinary business day.
MONDAY = date(2026, 3, 2)


def test_an_invoice_not_yet_seven_days_overdue_gets_nothing() -> None:
    s = snap(invoice("I1", MONDAY - timedelta(days=6)))
    assert plan(s, NL_B2B_STANDARD, [], at(MONDAY), CTX) == []


def test_seven_days_overdue_gets_the_friendly_reminder_with_a_statement() -> None:
    s = snap(invoice("I1", MONDAY - timedelta(days=7)))
    [action] = plan(s, NL_B2B_STANDARD, [], at(MONDAY), CTX)
    assert action.kind is ActionKind.REMINDER
    assert action.with_statement
    assert [(i.invoice_ref, i.step) for i in action.items] == [("I1", "reminder")]
    assert action.planned_for == MONDAY


def test_a_step_already_taken_is_not_planned_again() -> None:
    s = snap(invoice("I1", MONDAY - timedelta(days=7)))
    history = [sent("I1", "reminder", MONDAY)]
    assert plan(s, NL_B2B_STANDARD, history, at(MONDAY, 11), CTX) == []


@pytest.mark.parametrize("status", ["review", "pending", "sending"])
def test_a_step_in_flight_or_under_review_blocks_the_ladder(status: str) -> None:
    s = snap(invoice("I1", MONDAY - timedelta(days=8)))
    history = [sent("I1", "reminder", MONDAY - timedelta(days=1), status=status)]
    assert plan(s, NL_B2B_STANDARD, history, at(MONDAY), CTX) == []


def test_a_cancelled_step_is_planned_again() -> None:
    s = snap(invoice("I1", MONDAY - timedelta(days=7)))
    history = [sent("I1", "reminder", MONDAY, status="cancelled")]
    assert len(plan(s, NL_B2B_STANDARD, history, at(MONDAY, 11), CTX)) == 1


def test_the_ladder_follows_the_days_after_the_due_date() -> None:
    due = MONDAY - timedelta(days=14)
    s = snap(invoice("I1", due))
    history = [sent("I1", "reminder", due + timedelta(days=7))]
    [action] = plan(s, NL_B2B_STANDARD, history, at(MONDAY), CTX)
    assert action.kind is ActionKind.CALL_TASK


def test_an_invoice_found_long_overdue_starts_at_the_first_step_and_keeps_the_spacing() -> None:
    due = MONDAY - timedelta(days=60)
    s = snap(invoice("I1", due))
    [first] = plan(s, NL_B2B_STANDARD, [], at(MONDAY), CTX)
    assert first.kind is ActionKind.REMINDER
    history = [sent("I1", "reminder", MONDAY)]
    # the call is 7 days after the reminder, not immediately
    assert plan(s, NL_B2B_STANDARD, history, at(MONDAY + timedelta(days=6)), CTX) == []
    [call] = plan(s, NL_B2B_STANDARD, history, at(MONDAY + timedelta(days=7)), CTX)
    assert call.kind is ActionKind.CALL_TASK


def test_a_step_due_on_saturday_goes_out_on_monday() -> None:
    saturday = date(2026, 3, 7)
    s = snap(invoice("I1", saturday - timedelta(days=7)))
    assert plan(s, NL_B2B_STANDARD, [], at(saturday, 10), CTX) == []
    assert plan(s, NL_B2B_STANDARD, [], at(date(2026, 3, 9), 7), CTX) == []  # before 08:00
    [action] = plan(s, NL_B2B_STANDARD, [], at(date(2026, 3, 9), 8), CTX)
    assert action.planned_for == date(2026, 3, 9)


def test_a_step_due_on_kings_day_moves_to_the_next_business_day() -> None:
    kings_day = date(2026, 4, 27)  # Monday, a Dutch public holiday
    s = snap(invoice("I1", kings_day - timedelta(days=7)))
    assert plan(s, NL_B2B_STANDARD, [], at(kings_day, 10), CTX) == []
    assert len(plan(s, NL_B2B_STANDARD, [], at(date(2026, 4, 28), 9), CTX)) == 1


def test_nothing_goes_out_after_the_sending_window_closes() -> None:
    s = snap(invoice("I1", MONDAY - timedelta(days=7)))
    assert plan(s, NL_B2B_STANDARD, [], at(MONDAY, 17), CTX) == []
    assert len(plan(s, NL_B2B_STANDARD, [], at(MONDAY, 16), CTX)) == 1


def test_invoices_of_one_customer_due_the_same_day_go_out_as_one_mail() -> None:
    s = snap(
        invoice("I1", MONDAY - timedelta(days=7)),
        invoice("I2", MONDAY - timedelta(days=9)),
        invoice("I3", MONDAY - timedelta(days=8), customer="C2"),
    )
    actions = plan(s, NL_B2B_STANDARD, [], at(MONDAY), CTX)
    assert [(a.customer_ref, sorted(a.invoice_refs)) for a in actions] == [
        ("C1", ["I1", "I2"]),
        ("C2", ["I3"]),
    ]


def test_a_grouped_mail_takes_the_most_severe_kind_and_keeps_each_invoices_step() -> None:
    firm_due = MONDAY - timedelta(days=21)
    s = snap(invoice("I1", MONDAY - timedelta(days=7)), invoice("I2", firm_due))
    history = [
        sent("I2", "reminder", firm_due + timedelta(days=7)),
        sent("I2", "call-1", firm_due + timedelta(days=14), ActionKind.CALL_TASK),
    ]
    [mail] = plan(s, NL_B2B_STANDARD, history, at(MONDAY), CTX)
    assert mail.kind is ActionKind.FIRM_REMINDER
    assert {(i.invoice_ref, i.step) for i in mail.items} == {
        ("I1", "reminder"),
        ("I2", "firm-reminder"),
    }


def test_paid_void_draft_and_small_balances_are_skipped() -> None:
    due = MONDAY - timedelta(days=10)
    s = snap(
        invoice("paid", due, "0.00", total="50.00", status=InvoiceStatus.PAID),
        invoice("void", due, status=InvoiceStatus.VOID),
        invoice("draft", due, status=InvoiceStatus.DRAFT),
        invoice("small", due, "4.99"),
    )
    assert plan(s, NL_B2B_STANDARD, [], at(MONDAY), CTX) == []


def test_a_partially_paid_invoice_is_reminded_for_its_balance() -> None:
    s = snap(invoice("I1", MONDAY - timedelta(days=7), "40.00", total="100.00"))
    [action] = plan(s, NL_B2B_STANDARD, [], at(MONDAY), CTX)
    assert action.items[0].balance == eur("40.00")


def test_customers_with_reminders_disabled_get_nothing() -> None:
    inv = invoice("I1", MONDAY - timedelta(days=7))
    off = {"C1": Customer("C1", "Off", "c1@example.nl", reminders_enabled=False)}
    assert plan(snap(inv, customers=off), NL_B2B_STANDARD, [], at(MONDAY), CTX) == []
    ctx = PlanContext("acme", CTX.calendar, CTX.window, disabled_customers=frozenset({"C1"}))
    assert plan(snap(inv), NL_B2B_STANDARD, [], at(MONDAY), ctx) == []


def test_hand_off_stops_all_automatic_mail_for_that_customer() -> None:
    due = MONDAY - timedelta(days=49)
    s = snap(invoice("I1", due), invoice("I2", MONDAY - timedelta(days=7)))
    history = [
        sent("I1", step, due + timedelta(days=off), kind)
        for step, off, kind in [
            ("reminder", 7, ActionKind.REMINDER),
            ("call-1", 14, ActionKind.CALL_TASK),
            ("firm-reminder", 21, ActionKind.FIRM_REMINDER),
            ("call-2", 28, ActionKind.CALL_TASK),
            ("notice-of-default", 35, ActionKind.NOTICE_OF_DEFAULT),
        ]
    ]
    [handoff] = plan(s, NL_B2B_STANDARD, history, at(MONDAY), CTX)
    assert handoff.kind is ActionKind.HANDOFF and handoff.invoice_refs == ("I1",)
    ctx = PlanContext("acme", CTX.calendar, CTX.window, handed_off=frozenset({"C1"}))
    assert plan(s, NL_B2B_STANDARD, history, at(MONDAY + timedelta(days=1)), ctx) == []


def test_a_step_that_failed_three_times_is_left_for_a_human() -> None:
    s = snap(invoice("I1", MONDAY - timedelta(days=7)))
    history = [sent("I1", "reminder", MONDAY, status="failed") for _ in range(3)]
    assert plan(s, NL_B2B_STANDARD, history, at(MONDAY), CTX) == []
    [line] = explain(s, NL_B2B_STANDARD, history, at(MONDAY), CTX)
    assert "failed 3 times" in line.reason


def test_a_reminded_customer_who_paid_everything_is_thanked_once() -> None:
    paid = invoice(
        "I1",
        MONDAY - timedelta(days=10),
        "0.00",
        total="100.00",
        status=InvoiceStatus.PAID,
        paid_on=MONDAY,
    )
    history = [sent("I1", "reminder", MONDAY - timedelta(days=3))]
    [thanks] = plan(snap(paid), NL_B2B_STANDARD, history, at(MONDAY), CTX)
    assert thanks.kind is ActionKind.THANK_YOU
    done = [*history, sent("I1", "thank-you", MONDAY, ActionKind.THANK_YOU)]
    assert plan(snap(paid), NL_B2B_STANDARD, done, at(MONDAY + timedelta(days=1)), CTX) == []


def test_no_thanks_while_a_reminded_invoice_is_still_open() -> None:
    paid = invoice(
        "I1",
        MONDAY - timedelta(days=10),
        "0.00",
        total="100.00",
        status=InvoiceStatus.PAID,
        paid_on=MONDAY,
    )
    still_open = invoice("I2", MONDAY - timedelta(days=10))
    history = [
        sent("I1", "reminder", MONDAY - timedelta(days=3)),
        sent("I2", "reminder", MONDAY - timedelta(days=3)),
    ]
    actions = plan(snap(paid, still_open), NL_B2B_STANDARD, history, at(MONDAY), CTX)
    assert all(a.kind is not ActionKind.THANK_YOU for a in actions)


def test_a_customer_never_reminded_is_not_thanked_and_never_means_never() -> None:
    paid = invoice(
        "I1",
        MONDAY - timedelta(days=10),
        "0.00",
        total="100.00",
        status=InvoiceStatus.PAID,
        paid_on=MONDAY,
    )
    assert plan(snap(paid), NL_B2B_STANDARD, [], at(MONDAY), CTX) == []
    history = [sent("I1", "reminder", MONDAY - timedelta(days=3))]
    never = get_policy("nl-b2b-standard", thank_you="never")
    assert plan(snap(paid), never, history, at(MONDAY), CTX) == []


def test_min_balance_override() -> None:
    s = snap(invoice("I1", MONDAY - timedelta(days=7), "20.00"))
    assert (
        plan(s, get_policy("nl-b2b-standard", min_balance=Decimal("25")), [], at(MONDAY), CTX) == []
    )


def test_an_unordered_ladder_is_rejected() -> None:
    with pytest.raises(PolicyError, match="increasing offsets"):
        Policy(
            "bad",
            (
                Step("a", ActionKind.REMINDER, 14, "reminder"),
                Step("b", ActionKind.FIRM_REMINDER, 7, "firm_reminder"),
            ),
        )


def test_an_unknown_policy_names_the_built_ins() -> None:
    with pytest.raises(PolicyError, match="nl-b2b-standard"):
        get_policy("nope")


def test_plan_is_deterministic_and_ignores_the_wall_clock() -> None:
    s = snap(
        *(invoice(f"I{n}", MONDAY - timedelta(days=n), customer=f"C{n % 5}") for n in range(1, 60))
    )
    assert plan(s, NL_B2B_STANDARD, [], at(MONDAY), CTX) == plan(
        s, NL_B2B_STANDARD, [], at(MONDAY), CTX
    )
