"""A broken promise to pay resumes the ladder with a firmer step (issue #14).

A customer who promised on their own page to pay by a day, and did not, is not sent the same
friendly words again: the day after the grace day the ladder moves to a firmer mail than the one
it had reached, and that mail says the promise was not kept. Consumer law still holds: no step
that brings costs before a fourteen-day letter's term has run.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from planner_support import at, ctx, inv, snap

from connector.config.policy_builtin import BUILTIN
from connector.domain import Action, ActionKind, CustomerProfile, InvoiceStatus, Money
from connector.domain.actions import PROMISE_BROKEN
from connector.domain.history import HistoryEntry
from connector.domain.pauses import BY_CUSTOMER_PAGE, PROMISE_GRACE_DAYS, Pause, PauseKind
from connector.policy.model import LateFee, Policy, Step
from connector.policy.planner import explain, plan

B2B, WIK = BUILTIN["nl-b2b-standard"], BUILTIN["nl-b2c-wik"]
CONSUMERS = {CustomerProfile.CONSUMER: WIK}
DUE = date(2026, 2, 20)
PROMISED_ON = date(2026, 3, 3)  # the day the customer used their page
PROMISED_BY = date(2026, 3, 10)  # the day they said they would pay by (a Tuesday)
#: an invoice long overdue: its firm reminder went out before the promise
OLD_DUE = date(2026, 1, 20)


def promise(by: date = PROMISED_BY, made: date = PROMISED_ON, invoice: str | None = None) -> Pause:
    """A promise as the customer's page records it: paused until the day plus a grace day."""
    return Pause(
        7,
        "acme",
        "C1",
        PauseKind.PROMISE,
        f"promised on their own page to pay on {by.isoformat()}",
        BY_CUSTOMER_PAGE,
        at(made, 11),
        invoice_ref=invoice,
        until=by + timedelta(days=PROMISE_GRACE_DAYS),
    )


def sent(step: str, day: date, kind: ActionKind, invoice: str = "1") -> HistoryEntry:
    return HistoryEntry(1, "C1", invoice, step, kind, "sent", day, at(day, 10))


def steps(actions: list[Action]) -> list[tuple[ActionKind, str]]:
    return [(a.kind, i.step) for a in actions for i in a.items]


TWO_FRIENDLY = Policy(
    "two-friendly",
    (
        Step("reminder-1", ActionKind.REMINDER, 7, "reminder"),
        Step("reminder-2", ActionKind.REMINDER, 14, "reminder"),
        Step("firm", ActionKind.FIRM_REMINDER, 21, "firm_reminder"),
        Step("notice", ActionKind.NOTICE_OF_DEFAULT, 35, "notice_of_default"),
    ),
)


def test_a_customer_who_promised_to_pay_by_the_10th_and_did_not_gets_the_firm_reminder_on_the_12th_not_a_second_friendly_reminder() -> (  # noqa: E501
    None
):
    history = [sent("reminder-1", DUE + timedelta(days=7), ActionKind.REMINDER)]
    s = snap(inv("1", DUE))
    c = ctx(pauses=(promise(),))
    for day in (date(2026, 3, 10), date(2026, 3, 11)):  # the promised day and the grace day
        assert plan(s, TWO_FRIENDLY, history, at(day), c) == [], day
    actions = plan(s, TWO_FRIENDLY, history, at(date(2026, 3, 12)), c)
    assert steps(actions) == [(ActionKind.FIRM_REMINDER, "firm")]
    assert actions[0].extra[PROMISE_BROKEN] == "2026-03-10", "the mail names the promised day"
    [line] = explain(s, TWO_FRIENDLY, history, at(date(2026, 3, 12)), c)
    assert "promise to pay by 2026-03-10 not kept" in line.reason


def test_on_the_standard_business_ladder_the_call_in_between_is_passed_over_for_the_firm_mail() -> (
    None
):
    """Reached: the friendly reminder; next would be a call task, which the customer never
    sees. The broken promise goes to the firm reminder (the business is told by mail)."""
    history = [sent("reminder", DUE + timedelta(days=7), ActionKind.REMINDER)]
    actions = plan(
        snap(inv("1", DUE)), B2B, history, at(date(2026, 3, 12)), ctx(pauses=(promise(),))
    )
    assert steps(actions) == [(ActionKind.FIRM_REMINDER, "firm-reminder")]


def test_the_firmer_step_comes_once_then_the_ladder_keeps_its_usual_spacing() -> None:
    history = [
        sent("reminder-1", DUE + timedelta(days=7), ActionKind.REMINDER),
        sent("firm", date(2026, 3, 12), ActionKind.FIRM_REMINDER),
    ]
    s = snap(inv("1", DUE))
    c = ctx(pauses=(promise(),))
    assert plan(s, TWO_FRIENDLY, history, at(date(2026, 3, 13)), c) == []
    # the notice comes on its usual day: due + 35, and 14 days after the firm reminder
    assert plan(s, TWO_FRIENDLY, history, at(date(2026, 3, 26)), c) == []
    assert steps(plan(s, TWO_FRIENDLY, history, at(date(2026, 3, 27)), c)) == [
        (ActionKind.NOTICE_OF_DEFAULT, "notice")
    ]


def test_a_customer_who_kept_the_promise_gets_no_reminder_but_a_thank_you() -> None:
    history = [sent("reminder-1", DUE + timedelta(days=7), ActionKind.REMINDER)]
    paid = inv("1", DUE, status=InvoiceStatus.PAID, paid_on=date(2026, 3, 9))
    s = snap(dataclasses.replace(paid, balance=Money.of("0.00", "EUR")))
    actions = plan(s, TWO_FRIENDLY, history, at(date(2026, 3, 12)), ctx(pauses=(promise(),)))
    assert [a.kind for a in actions] == [ActionKind.THANK_YOU]


def test_an_invoice_not_yet_due_when_the_promise_was_made_climbs_its_ladder_as_usual() -> None:
    later = date(2026, 3, 6)  # due after the promise was made: not part of what was promised
    s = snap(inv("1", later))
    c = ctx(pauses=(promise(),))
    assert plan(s, TWO_FRIENDLY, [], at(date(2026, 3, 12)), c) == []
    assert steps(plan(s, TWO_FRIENDLY, [], at(date(2026, 3, 12) + timedelta(days=1)), c)) == [
        (ActionKind.REMINDER, "reminder-1")
    ], "its first reminder on its usual day (due + 7), without a word about a promise"
    [action] = plan(s, TWO_FRIENDLY, [], at(date(2026, 3, 13)), c)
    assert PROMISE_BROKEN not in action.extra


def test_a_promise_resumed_by_a_person_before_its_day_brings_no_firmer_step() -> None:
    history = [sent("reminder-1", DUE + timedelta(days=7), ActionKind.REMINDER)]
    resumed = dataclasses.replace(promise(), resumed_at=at(date(2026, 3, 5)))
    actions = plan(
        snap(inv("1", DUE)), TWO_FRIENDLY, history, at(date(2026, 3, 12)), ctx(pauses=(resumed,))
    )
    assert steps(actions) == [(ActionKind.REMINDER, "reminder-2")]


# -- consumer law ------------------------------------------------------------------------------
def test_a_promise_broken_by_a_consumer_never_brings_collection_costs_before_the_fourteen_day_letter() -> (  # noqa: E501
    None
):
    """Reached: the firm reminder. The consumer ladder's firmer mail is the fourteen-day letter,
    which states the costs and gives fourteen days; no hand-off, nothing charged yet."""
    history = [
        sent("reminder", OLD_DUE + timedelta(days=7), ActionKind.REMINDER),
        sent("firm-reminder", OLD_DUE + timedelta(days=21), ActionKind.FIRM_REMINDER),
    ]
    s = snap(inv("1", OLD_DUE), profiles={"C1": CustomerProfile.CONSUMER})
    c = ctx(policies=CONSUMERS, pauses=(promise(),))
    actions = plan(s, B2B, history, at(date(2026, 3, 12)), c)
    assert steps(actions) == [(ActionKind.FOURTEEN_DAY_LETTER, "fourteen-day-letter")]
    assert actions[0].extra[PROMISE_BROKEN] == "2026-03-10"
    assert "late_fee" not in actions[0].extra


def test_for_a_consumer_a_costly_firmer_step_is_passed_over_for_the_fourteen_day_letter() -> None:
    costly = Policy(
        "costly",
        (
            Step("reminder", ActionKind.REMINDER, 7, "reminder"),
            Step(
                "firm-with-fee",
                ActionKind.FIRM_REMINDER,
                14,
                "firm_reminder",
                late_fee=LateFee(fixed=Decimal("15")),
            ),
            Step("notice", ActionKind.NOTICE_OF_DEFAULT, 21, "notice_of_default"),
            Step("letter", ActionKind.FOURTEEN_DAY_LETTER, 28, "fourteen_day_letter"),
            Step("handoff", ActionKind.HANDOFF, 49, "handoff"),
        ),
    )
    history = [sent("reminder", DUE + timedelta(days=7), ActionKind.REMINDER)]
    consumer = snap(inv("1", DUE), profiles={"C1": CustomerProfile.CONSUMER})
    business = snap(inv("1", DUE))
    day = at(date(2026, 3, 12))
    assert steps(plan(consumer, costly, history, day, ctx(pauses=(promise(),)))) == [
        (ActionKind.FOURTEEN_DAY_LETTER, "letter")
    ]
    assert steps(plan(business, costly, history, day, ctx(pauses=(promise(),)))) == [
        (ActionKind.FIRM_REMINDER, "firm-with-fee")
    ], "a business has no such protection: the next firmer mail"


def test_a_consumer_ladder_without_a_fourteen_day_letter_is_not_hurried_into_costs() -> None:
    """No firmer mail the law allows: the ladder goes on as usual (and the dispatcher's last
    gate still holds a notice of default for a consumer without a letter)."""
    no_letter = Policy(
        "no-letter",
        (
            Step("reminder", ActionKind.REMINDER, 7, "reminder"),
            Step("notice", ActionKind.NOTICE_OF_DEFAULT, 35, "notice_of_default"),
        ),
    )
    history = [sent("reminder", DUE + timedelta(days=7), ActionKind.REMINDER)]
    s = snap(inv("1", DUE), profiles={"C1": CustomerProfile.CONSUMER})
    assert plan(s, no_letter, history, at(date(2026, 3, 12)), ctx(pauses=(promise(),))) == []


def test_after_a_fourteen_day_letter_its_term_runs_whatever_was_promised() -> None:
    letter_day = date(2026, 3, 2)
    history = [
        sent("reminder", OLD_DUE + timedelta(days=7), ActionKind.REMINDER),
        sent("firm-reminder", OLD_DUE + timedelta(days=21), ActionKind.FIRM_REMINDER),
        sent("fourteen-day-letter", letter_day, ActionKind.FOURTEEN_DAY_LETTER),
    ]
    s = snap(inv("1", OLD_DUE), profiles={"C1": CustomerProfile.CONSUMER})
    c = ctx(policies=CONSUMERS, pauses=(promise(),))
    # the ladder's call task comes 7 days after the letter, as usual (here: after the promise)
    assert steps(plan(s, B2B, history, at(date(2026, 3, 12)), c)) == [
        (ActionKind.CALL_TASK, "call")
    ]


def test_a_notice_to_the_business_about_the_broken_promise_does_not_count_as_the_firmer_step() -> (
    None
):
    history = [
        sent("reminder-1", DUE + timedelta(days=7), ActionKind.REMINDER),
        sent("notify:7:broken", date(2026, 3, 12), ActionKind.CALL_TASK),
    ]
    actions = plan(
        snap(inv("1", DUE)),
        TWO_FRIENDLY,
        history,
        at(date(2026, 3, 12), 11),
        ctx(pauses=(promise(),)),
    )
    assert steps(actions) == [(ActionKind.FIRM_REMINDER, "firm")]
