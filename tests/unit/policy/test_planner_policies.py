"""Planner rules of issue #4: ladders per profile, step conditions, pauses, late fees, the
fourteen-day term before a consumer hand-off, and the configurable thank-you."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from planner_support import MONDAY, at, ctx, inv, snap

from connector.config.policy_builtin import BUILTIN
from connector.domain import (
    Action,
    ActionKind,
    CustomerProfile,
    InvoiceStatus,
)
from connector.domain.history import HistoryEntry
from connector.domain.pauses import Pause, PauseKind
from connector.policy.model import Conditions, LateFee, Policy, Step
from connector.policy.planner import explain, plan

B2B, WIK, GOV = BUILTIN["nl-b2b-standard"], BUILTIN["nl-b2c-wik"], BUILTIN["nl-government"]
BY_PROFILE = {CustomerProfile.CONSUMER: WIK, CustomerProfile.GOVERNMENT: GOV}


def done(
    invoice_ref: str, step: str, day: date, kind: ActionKind, customer: str = "C1"
) -> HistoryEntry:
    return HistoryEntry(1, customer, invoice_ref, step, kind, "sent", day, at(day, 10))


def kinds(actions: list[Action]) -> list[tuple[str, ActionKind]]:
    return [(a.customer_ref, a.kind) for a in actions]


# -- profiles -------------------------------------------------------------------------------
def test_each_profile_climbs_its_own_ladder() -> None:
    due = MONDAY - timedelta(days=14)
    s = snap(
        inv("1", due, customer="B"),
        inv("2", due, customer="C"),
        inv("3", due, customer="G"),
        profiles={"C": CustomerProfile.CONSUMER, "G": CustomerProfile.GOVERNMENT},
    )
    lines = {
        (line.customer_ref, line.next_step, line.due_now)
        for line in explain(s, B2B, [], at(MONDAY), ctx(policies=BY_PROFILE))
    }
    # business and consumer: first reminder (day 7) due; government waits for day 14 ... also due
    assert ("B", "reminder", True) in lines
    assert ("C", "reminder", True) in lines
    assert ("G", "reminder", True) in lines
    early = explain(s, B2B, [], at(MONDAY - timedelta(days=5)), ctx(policies=BY_PROFILE))
    due_now = {line.customer_ref for line in early if line.due_now}
    assert due_now == {"B", "C"}, "government's first reminder comes a week later"


def test_a_profile_set_in_config_wins_over_the_platforms() -> None:
    s = snap(inv("1", MONDAY - timedelta(days=8), customer="G"))
    actions = plan(
        s, B2B, [], at(MONDAY), ctx(policies=BY_PROFILE, profiles={"G": CustomerProfile.GOVERNMENT})
    )
    assert actions == [], "government reminders start at day 14, not day 7"


# -- conditions -----------------------------------------------------------------------------
def ladder(*steps: Step) -> Policy:
    return Policy("test", tuple(steps))


def test_a_step_whose_conditions_fail_is_passed_over() -> None:
    policy = ladder(
        Step("reminder", ActionKind.REMINDER, 7, "reminder"),
        Step(
            "call",
            ActionKind.CALL_TASK,
            14,
            "call",
            conditions=Conditions(min_balance=Decimal("1000")),
        ),
        Step("firm", ActionKind.FIRM_REMINDER, 21, "firm_reminder"),
    )
    due = MONDAY - timedelta(days=21)
    history = [
        done("small", "reminder", due + timedelta(days=7), ActionKind.REMINDER),
        done("big", "reminder", due + timedelta(days=7), ActionKind.REMINDER),
    ]
    s = snap(inv("small", due, "100.00"), inv("big", due, "5000.00"))
    steps = {
        line.invoice_number: line.next_step
        for line in explain(s, policy, history, at(MONDAY), ctx())
    }
    assert steps == {"INV-small": "firm", "INV-big": "call"}


def test_currency_and_profile_conditions() -> None:
    policy = ladder(
        Step(
            "eur-only",
            ActionKind.REMINDER,
            7,
            "reminder",
            conditions=Conditions(currencies=frozenset({"EUR"})),
        ),
        Step(
            "consumers",
            ActionKind.FIRM_REMINDER,
            14,
            "firm_reminder",
            conditions=Conditions(profiles=frozenset({CustomerProfile.CONSUMER})),
        ),
    )
    s = snap(inv("usd", MONDAY - timedelta(days=8), currency="USD"))
    [line] = explain(s, policy, [], at(MONDAY), ctx())
    assert line.next_step == "-" and "no further step applies" in line.reason


# -- pauses ---------------------------------------------------------------------------------
def pause(
    kind: PauseKind,
    until: date | None = None,
    invoice: str | None = None,
    customer: str = "C1",
    resumed: bool = False,
) -> Pause:
    return Pause(
        1,
        "acme",
        customer,
        kind,
        "called us",
        "piet",
        at(MONDAY - timedelta(days=30)),
        invoice_ref=invoice,
        until=until,
        resumed_at=at(MONDAY) if resumed else None,
    )


def test_a_promise_to_pay_stops_the_ladder_until_its_date_then_resumes_where_it_stopped() -> None:
    due = MONDAY - timedelta(days=30)
    history = [
        done("1", "reminder", due + timedelta(days=7), ActionKind.REMINDER),
        done("1", "call-1", due + timedelta(days=14), ActionKind.CALL_TASK),
    ]
    s = snap(inv("1", due))
    promise = pause(PauseKind.PROMISE, until=MONDAY + timedelta(days=3))
    assert plan(s, B2B, history, at(MONDAY), ctx(pauses=(promise,))) == []
    [line] = explain(s, B2B, history, at(MONDAY), ctx(pauses=(promise,)))
    assert "paused: promise to pay" in line.reason and "piet" in line.reason
    after = MONDAY + timedelta(days=4)  # Friday, the day after the promised date
    actions = plan(s, B2B, history, at(after), ctx(pauses=(promise,)))
    assert [(a.kind, a.items[0].step) for a in actions] == [
        (ActionKind.FIRM_REMINDER, "firm-reminder")
    ], "resumes at the next step, not at the start"


def test_a_dispute_on_one_invoice_leaves_the_others_going() -> None:
    due = MONDAY - timedelta(days=8)
    s = snap(inv("1", due), inv("2", due))
    actions = plan(s, B2B, [], at(MONDAY), ctx(pauses=(pause(PauseKind.DISPUTE, invoice="1"),)))
    assert [a.invoice_refs for a in actions] == [("2",)]


def test_do_not_dun_and_payment_plan_stop_everything_until_resumed() -> None:
    s = snap(inv("1", MONDAY - timedelta(days=8)))
    for kind in (PauseKind.STOP, PauseKind.PLAN):
        assert plan(s, B2B, [], at(MONDAY), ctx(pauses=(pause(kind),))) == []
        resumed = pause(kind, resumed=True)
        assert len(plan(s, B2B, [], at(MONDAY), ctx(pauses=(resumed,)))) == 1


def test_an_invoice_paid_online_waits_unreminded_and_is_thanked_once_the_ledger_books_it() -> None:
    """Paid through a Mollie link: the provider confirmed it, the ledger has not booked it."""
    due = MONDAY - timedelta(days=30)
    history = [done("1", "reminder", due + timedelta(days=7), ActionKind.REMINDER)]
    pending = pause(PauseKind.PAYMENT_PENDING, until=MONDAY + timedelta(days=7), invoice="1")
    s = snap(inv("1", due), inv("2", due))

    actions = plan(s, B2B, history, at(MONDAY), ctx(pauses=(pending,)))

    assert [a.invoice_refs for a in actions] == [("2",)], "only the invoice not paid online"
    assert all(a.kind is not ActionKind.THANK_YOU for a in actions)
    [one, _] = explain(s, B2B, history, at(MONDAY), ctx(pauses=(pending,)))
    assert "paused: payment pending (invoice INV-1)" in one.reason
    only_one = snap(inv("1", due, "0.00", status=InvoiceStatus.PAID, paid_on=MONDAY))
    assert kinds(plan(only_one, B2B, history, at(MONDAY), ctx(pauses=(pending,)))) == [
        ("C1", ActionKind.THANK_YOU)
    ], "the thank-you follows the ledger's booking"


# -- late fees ------------------------------------------------------------------------------
def test_a_late_fee_is_put_on_the_action_for_the_letter() -> None:
    policy = ladder(
        Step("reminder", ActionKind.REMINDER, 7, "reminder", late_fee=LateFee(percent=Decimal("2")))
    )
    s = snap(
        inv("1", MONDAY - timedelta(days=8), "250.00"),
        inv("2", MONDAY - timedelta(days=9), "250.00"),
    )
    [action] = plan(s, policy, [], at(MONDAY), ctx())
    assert action.extra["late_fee"] == "10.00" and action.extra["late_fee_currency"] == "EUR"
    fixed = ladder(
        Step("reminder", ActionKind.REMINDER, 7, "reminder", late_fee=LateFee(fixed=Decimal("15")))
    )
    assert plan(s, fixed, [], at(MONDAY), ctx())[0].extra["late_fee"] == "15.00"
    assert plan(s, B2B, [], at(MONDAY), ctx())[0].extra == {}, "no fee by default"


# -- the consumer fourteen-day term ---------------------------------------------------------
def test_no_consumer_handoff_before_the_fourteen_day_term_ran_out() -> None:
    # letter sent (and posted) on Fri 6 March 2026: delivered Tue 10 March (Sun, Mon skipped),
    # term 11..24 March, costs from Wed 25 March.
    letter_day = date(2026, 3, 6)
    due = letter_day - timedelta(days=28)
    history = [
        done("1", "reminder", due + timedelta(days=7), ActionKind.REMINDER),
        done("1", "firm-reminder", due + timedelta(days=21), ActionKind.FIRM_REMINDER),
        done("1", "fourteen-day-letter", letter_day, ActionKind.FOURTEEN_DAY_LETTER),
        done("1", "call", letter_day + timedelta(days=7), ActionKind.CALL_TASK),
    ]
    tight = Policy(
        "tight",
        tuple(
            dataclasses.replace(s, offset_days=s.offset_days - 10)
            if s.kind is ActionKind.HANDOFF
            else s
            for s in WIK.steps
        ),
    )
    s = snap(inv("1", due), profiles={"C1": CustomerProfile.CONSUMER})
    assert plan(s, tight, history, at(date(2026, 3, 24)), ctx()) == []
    [line] = explain(s, tight, history, at(date(2026, 3, 24)), ctx())
    assert "handoff on Wed 2026-03-25" in line.reason
    assert kinds(plan(s, tight, history, at(date(2026, 3, 25)), ctx())) == [
        ("C1", ActionKind.HANDOFF)
    ]


# -- thank-you modes ------------------------------------------------------------------------
def test_thank_you_modes_every_reminded_never() -> None:
    paid = inv(
        "1",
        MONDAY - timedelta(days=3),
        "0.00",
        status=InvoiceStatus.PAID,
        paid_on=MONDAY - timedelta(days=1),
    )
    s = snap(paid)
    every = dataclasses.replace(B2B, thank_you="every")
    assert kinds(plan(s, every, [], at(MONDAY), ctx())) == [("C1", ActionKind.THANK_YOU)]
    assert plan(s, B2B, [], at(MONDAY), ctx()) == [], "reminded: not reminded, no thanks"
    history = [done("1", "reminder", MONDAY - timedelta(days=2), ActionKind.REMINDER)]
    assert kinds(plan(s, B2B, history, at(MONDAY), ctx())) == [("C1", ActionKind.THANK_YOU)]
    never = dataclasses.replace(B2B, thank_you="never")
    assert plan(s, never, history, at(MONDAY), ctx()) == []


def test_thank_you_mode_follows_the_customers_own_ladder() -> None:
    paid = inv(
        "1",
        MONDAY - timedelta(days=3),
        "0.00",
        status=InvoiceStatus.PAID,
        paid_on=MONDAY - timedelta(days=1),
    )
    s = snap(paid, profiles={"C1": CustomerProfile.CONSUMER})
    consumers_every = {CustomerProfile.CONSUMER: dataclasses.replace(WIK, thank_you="every")}
    assert kinds(plan(s, B2B, [], at(MONDAY), ctx(policies=consumers_every))) == [
        ("C1", ActionKind.THANK_YOU)
    ]
