"""End to end on the Zoho sandbox: the connector, over HTTP, through 90 simulated days.

Each test builds a tiny ledger by hand, then runs the connector once a day at 09:00 local time
while customers pay, and checks what Zoho was asked to send. Mail kinds in the sandbox:
`payment_reminder` (reminders, firm reminders, notices of default), `contact_email`
(thank-you mails).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from e2e_support import MakeScenario

from connector.domain import Invoice
from connector.store import ledger_repo
from connector.store.db import session_scope

MONDAY = date(2026, 1, 5)


def test_an_on_time_payer_gets_no_mail_in_ninety_days(make_scenario: MakeScenario) -> None:
    s = make_scenario(MONDAY)
    punctual = s.customer("Punctueel BV")
    inv = s.invoice(punctual, "1210.00", MONDAY + timedelta(days=10))
    s.days(
        MONDAY,
        90,
        after_run=lambda d: s.pay(inv, on=d) if d == MONDAY + timedelta(days=9) else None,
    )
    assert s.mails_to(punctual) == []
    assert s.world.actions() == []


def test_a_late_payer_who_pays_after_the_first_reminder_gets_nothing_more_but_thanks(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(MONDAY)
    late = s.customer("Laat Betaler BV")
    due = MONDAY + timedelta(days=3)  # Thursday 8 January
    inv = s.invoice(late, "500.00", due)
    paid_on = due + timedelta(days=9)  # Saturday 17 January, after the reminder of the 15th

    def customer_pays(day: date) -> None:
        if day == paid_on:
            s.pay(inv, on=day)

    s.days(MONDAY, 90, after_run=customer_pays)
    assert s.mails_to(late) == [
        (due + timedelta(days=7), "payment_reminder"),
        (date(2026, 1, 19), "contact_email"),
    ]  # the next business day
    kinds = [a["kind"] for a in s.world.actions()]
    assert kinds == ["reminder", "thank_you"], kinds


def test_a_partially_paid_invoice_is_reminded_for_its_balance(make_scenario: MakeScenario) -> None:
    s = make_scenario(MONDAY)
    partial = s.customer("Deels Betaald BV")
    due = MONDAY
    inv = s.invoice(partial, "1000.00", due, number="INV-PART-1")
    s.pay(inv, "400.00", on=MONDAY + timedelta(days=2))
    s.days(MONDAY, 8)
    [mail] = s.state.mails("payment_reminder", partial.contact_id)
    assert "600,00" in mail.body, "the reminder does not state the remaining balance"
    [action] = s.world.actions()
    assert action["status"] == "sent"


def test_a_payment_arriving_the_morning_of_the_reminder_stops_it(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(MONDAY)
    morning = s.customer("Ochtend Betaler BV")
    due = MONDAY
    inv = s.invoice(morning, "250.00", due)
    reminder_day = due + timedelta(days=7)

    def pays_at_eight(day: date) -> None:
        if day == reminder_day:
            s.pay(inv, on=day, hour=8)

    s.days(MONDAY, 20, before_run=pays_at_eight)
    assert s.mails_to(morning, "payment_reminder") == []


def test_a_payment_landing_between_planning_and_sending_cancels_the_mail(
    make_scenario: MakeScenario,
) -> None:
    """The customer pays after the sync but before the send: the re-check catches it."""
    s = make_scenario(MONDAY)
    racer = s.customer("Net Op Tijd BV")
    inv = s.invoice(racer, "250.00", MONDAY - timedelta(days=7))
    ledger = s.world.tenant().ledger
    original = ledger.recheck_customer
    paid: list[bool] = []

    def recheck(customer_ref: str, since: datetime | None) -> list[Invoice]:
        if not paid:
            s.pay(inv, on=MONDAY, hour=9)
            paid.append(True)
        return original(customer_ref, since)

    ledger.recheck_customer = recheck  # type: ignore[method-assign]
    [result] = s.days(MONDAY, 1)
    assert result.dispatch.cancelled == 1 and result.dispatch.sent == 0
    assert s.mails_to(racer, "payment_reminder") == []


def test_steps_falling_on_a_weekend_or_holiday_move_to_the_next_business_day(
    make_scenario: MakeScenario,
) -> None:
    start = date(2026, 3, 23)
    s = make_scenario(start)
    weekend = s.customer("Weekend BV")
    holiday = s.customer("Paasmaandag BV")
    s.invoice(weekend, "100.00", date(2026, 3, 21))  # +7 = Saturday 28 March
    s.invoice(holiday, "100.00", date(2026, 3, 30))  # +7 = Easter Monday 6 April
    s.days(start, 20)
    assert s.mails_to(weekend, "payment_reminder")[0] == (date(2026, 3, 30), "payment_reminder")
    assert s.mails_to(holiday, "payment_reminder")[0] == (date(2026, 4, 7), "payment_reminder")


def test_invoices_of_one_customer_due_the_same_day_go_out_as_one_mail(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(MONDAY)
    many = s.customer("Veel Facturen BV")
    due = MONDAY
    a = s.invoice(many, "100.00", due, number="INV-A")
    b = s.invoice(many, "200.00", due, number="INV-B")
    s.days(MONDAY, 8)
    [mail] = s.state.mails("payment_reminder", many.contact_id)
    assert "INV-A" in mail.body and "INV-B" in mail.body
    [action] = s.world.actions()
    assert sorted(ref for ref, _ in action["items"]) == sorted([a.invoice_id, b.invoice_id])


def test_the_full_ladder_for_a_customer_who_never_pays(make_scenario: MakeScenario) -> None:
    s = make_scenario(MONDAY)
    never = s.customer("Wanbetaler BV")
    due = date(2026, 1, 8)  # Thursday
    s.invoice(never, "3000.00", due)
    s.days(MONDAY, 90)
    sent = [(a["kind"], a["done_at"].date()) for a in s.world.actions() if a["status"] == "sent"]
    assert [k for k, _ in sent] == [
        "reminder",
        "call_task",
        "firm_reminder",
        "call_task",
        "notice_of_default",
        "handoff",
    ]
    assert [d for _, d in sent] == [due + timedelta(days=n) for n in (7, 14, 21, 28, 35, 49)]
    assert len(s.mails_to(never, "payment_reminder")) == 3
    with session_scope(s.world.app.engine) as session:
        assert ledger_repo.handed_off_customers(session, "demo") == {never.contact_id}


def test_an_expired_access_token_mid_run_is_refreshed_and_the_run_completes(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(MONDAY)
    customers = [s.customer(f"Klant {n} BV") for n in range(3)]
    for c in customers:
        s.invoice(c, "100.00", MONDAY - timedelta(days=7))
    before = s.world.app.tokens.get("demo")
    expired: list[int] = []

    def expire_tokens(action_id: int, result: object) -> None:
        if not expired:
            expired.append(s.state.expire_access_tokens())

    result = s.world.run("demo", at=None, dispatcher_hook=expire_tokens)
    assert result.ok, result.error
    assert result.dispatch.sent == 3
    after = s.world.app.tokens.get("demo")
    assert before is not None and after is not None
    assert after.version > before.version, "the access token was not refreshed"
    assert after.refresh_token == before.refresh_token, "Zoho refresh tokens do not rotate"
    assert expired and expired[0] >= 1


def test_429_bursts_and_a_500_on_a_page_are_retried_and_the_sync_completes(
    make_scenario: MakeScenario,
) -> None:
    from sandboxes.kit.faults import Fault
    from sandboxes.kit.router import Response

    s = make_scenario(MONDAY)
    c = s.customer("Groot BV")
    for n in range(450):  # three pages of invoices
        s.invoice(c, "10.00", MONDAY + timedelta(days=30 + n % 20))
    busy = Response.json({"code": 44, "message": "Too many requests"}, 429)
    s.world.router.faults.add(Fault("GET", r"/books/v3/invoices$", busy, times=3))
    boom = Response.json({"code": 500, "message": "Internal error"}, 500)
    s.world.router.faults.add(Fault("GET", r"/books/v3/invoices$", boom, times=1, skip=1))
    [result] = s.days(MONDAY, 1)
    assert result.sync is not None and result.sync.invoices == 450
    fired = [status for _, _, status in s.world.router.faults.fired]
    assert fired == [429, 429, 429, 500]
