"""The connector against the Moneybird sandbox, day by day: Moneybird's own reminder workflow is
paused for every open invoice the connector manages as soon as it is synced, reminders go out
through Moneybird (``send_reminders``: one per customer, that customer's invoices together,
recorded by the fake so a test counts them), and nothing is sent twice or after a payment."""

from __future__ import annotations

from datetime import date, timedelta

from e2e_moneybird_support import MakeMoneybirdScenario

from sandboxes.kit import Fault, Response
from sandboxes.moneybird.state import Limits
from sandboxes.world import local_moment

MONDAY = date(2026, 1, 5)


def test_the_first_run_pauses_every_open_invoice_it_manages(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY)
    c = s.customer("Schildersbedrijf Jansen B.V.")
    not_due = s.invoice(c, "250.00", MONDAY + timedelta(days=10))
    overdue = s.invoice(c, "100.00", MONDAY - timedelta(days=3))
    paid = s.invoice(c, "80.00", MONDAY - timedelta(days=20))
    s.pay(paid)
    draft = s.state.add_invoice(s.administration, c.id, "60.00", MONDAY, state="draft")
    s.days(MONDAY, 1)
    assert not_due.paused and overdue.paused
    assert not paid.paused and not draft.paused


def test_moneybirds_own_workflow_never_reminds_a_managed_invoice(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY)
    c = s.customer("Hoveniersbedrijf Bos B.V.")
    s.invoice(c, "300.00", MONDAY - timedelta(days=3))  # Moneybird's first step: day 7
    s.days(MONDAY, 40)
    assert s.reminders_to(c, by="workflow") == []
    assert s.reminders_to(c)  # the connector reminded, through Moneybird


def test_one_reminder_per_customer_carries_all_their_overdue_invoices(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY)
    c = s.customer("Bakkerij Visser B.V.")
    first = s.invoice(c, "100.00", MONDAY - timedelta(days=7))
    second = s.invoice(c, "50.00", MONDAY - timedelta(days=7))
    s.days(MONDAY, 1)
    [reminder] = s.reminders_to(c)
    assert set(reminder.sales_invoice_ids) == {first.id, second.id}
    assert reminder.email_address == "bakkerij.visser.b.v@example.nl"
    assert first.state == second.state == "reminded"


def test_a_customer_who_paid_gets_no_reminder(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY)
    c = s.customer("Drukkerij de Boer B.V.")
    invoice = s.invoice(c, "100.00", MONDAY - timedelta(days=7))
    s.pay(invoice, on=MONDAY - timedelta(days=1))
    s.days(MONDAY, 10)
    assert s.reminders_to(c) == [] and s.reminders_to(c, by="workflow") == []


def test_a_payment_the_morning_of_the_reminder_stops_it(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY)
    c = s.customer("Transport Smit B.V.")
    invoice = s.invoice(c, "100.00", MONDAY - timedelta(days=7))
    s.world.clock.set(local_moment(MONDAY, 8, 30))
    s.pay(invoice)
    s.days(MONDAY, 5)
    assert s.reminders_to(c) == []


def test_the_connector_sends_nothing_moneybird_refuses(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY)
    c = s.customer("Adviesbureau Vos B.V.")
    late = s.invoice(c, "100.00", MONDAY - timedelta(days=7))
    s.invoice(c, "70.00", MONDAY + timedelta(days=5))
    s.days(
        MONDAY, 20, after_run=lambda day: s.pay(late) if day == MONDAY + timedelta(days=9) else None
    )
    assert s.state.stats.refused == []
    assert [k for k in s.state.stats.errors if not k.endswith(" 404")] == []
    assert not late.paused  # paid: Moneybird's workflow is resumed


def test_a_burst_of_429s_is_waited_out(make_moneybird_scenario: MakeMoneybirdScenario) -> None:
    s = make_moneybird_scenario(MONDAY)
    c = s.customer("Groothandel Mulder B.V.")
    s.invoice(c, "100.00", MONDAY - timedelta(days=7))
    throttled = Response.json(
        "Retry later",
        429,
        {"Retry-After": "20", "RateLimit-Limit": "150", "RateLimit-Remaining": "0"},
    )
    s.world.router.faults.add(Fault("GET", r"synchronization", throttled, times=3))
    s.days(MONDAY, 1)
    assert len(s.world.router.faults.fired) == 3
    assert len(s.reminders_to(c)) == 1


def test_expiring_tokens_are_refreshed_and_no_refresh_token_is_lost(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY, limits=Limits(access_ttl=3600))
    c = s.customer("Kapsalon Peters")
    s.invoice(c, "100.00", MONDAY - timedelta(days=7))
    s.days(MONDAY, 3)
    assert s.state.stats.token_calls >= 2
    assert s.state.stats.token_errors == {}
    assert len(s.reminders_to(c)) == 1


def test_an_on_time_payer_gets_nothing_in_six_weeks(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY)
    punctual = s.customer("Punctueel B.V.")
    invoice = s.invoice(punctual, "1210.00", MONDAY + timedelta(days=10))
    s.days(
        MONDAY,
        42,
        after_run=lambda d: s.pay(invoice, on=d) if d == MONDAY + timedelta(days=9) else None,
    )
    assert s.reminders_to(punctual) == [] and s.reminders_to(punctual, by="workflow") == []
    assert s.world.actions() == []
    assert s.mails_to(punctual) == []
    assert not invoice.paused  # paid: Moneybird's own workflow is back as it was


def test_a_late_payer_who_pays_after_the_first_reminder_gets_nothing_more_but_thanks(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY)
    late = s.customer("Laat Betaler B.V.")
    due = MONDAY + timedelta(days=3)
    invoice = s.invoice(late, "500.00", due)
    paid_on = due + timedelta(days=9)
    s.days(MONDAY, 21, after_run=lambda d: s.pay(invoice, on=d) if d == paid_on else None)
    [reminder] = s.reminders_to(late)
    assert reminder.at.date() == due + timedelta(days=7)
    assert reminder.sales_invoice_ids == (invoice.id,) and reminder.reminder_text
    assert [a["kind"] for a in s.world.actions()] == ["reminder", "thank_you"]
    assert len(s.mails_to(late)) == 1  # the thanks, by SMTP


def test_a_partially_paid_invoice_is_reminded_for_its_balance(
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> None:
    s = make_moneybird_scenario(MONDAY)
    partial = s.customer("Deels Betaald B.V.")
    invoice = s.invoice(partial, "1000.00", MONDAY)
    s.pay(invoice, "400.00", on=MONDAY + timedelta(days=2))
    s.days(MONDAY, 8)
    [reminder] = s.reminders_to(partial)
    assert "600,00" in reminder.reminder_text, reminder.reminder_text
    assert invoice.total_unpaid == 600
