"""Demo data, customers paying by habit, the big ledger and touched shares for benchmarks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sandboxes.exact import HABITS as EXACT_HABITS
from sandboxes.zoho import (
    HABITS,
    PaymentSimulator,
    SandboxClock,
    ZohoState,
    bulk_ledger,
    seed_demo,
    touch_share,
)

NOW = datetime(2026, 1, 5, 8, tzinfo=UTC)


def _snapshot(seed: int) -> list[tuple[str, ...]]:
    state = ZohoState(SandboxClock(NOW).now)
    info = seed_demo(state, seed=seed)
    od = state.data(info.organization_id)
    today = od.today(NOW)
    return [
        (
            i.invoice_id,
            i.invoice_number,
            od.contacts[i.customer_id].contact_name,
            od.contacts[i.customer_id].habit or "",
            str(i.total),
            str(i.balance),
            i.status(today),
            i.last_modified_time.isoformat(),
        )
        for i in od.invoices.values()
    ]


def test_the_demo_generator_is_deterministic_and_has_every_kind_of_invoice() -> None:
    first = _snapshot(11)
    assert first == _snapshot(11)
    assert first != _snapshot(12)
    assert len(first) == 150
    assert {row[3] for row in first} == set(HABITS)
    statuses = Counter(row[6] for row in first)
    assert statuses["paid"] > 20 and statuses["sent"] > 10 and statuses["overdue"] > 5
    assert statuses["void"] == 2 and statuses["draft"] == 2
    assert statuses["partially_paid"] >= 1
    assert len({row[2] for row in first}) == 40
    assert all(row[7] <= NOW.isoformat() for row in first)  # nothing modified in the future


def test_overdue_invoices_have_various_ages_and_customers_have_emails() -> None:
    state = ZohoState(SandboxClock(NOW).now)
    info = seed_demo(state, seed=5)
    od = state.data(info.organization_id)
    today = od.today(NOW)
    ages = sorted(
        (today - i.due_date).days for i in od.invoices.values() if i.status(today) == "overdue"
    )
    assert ages[0] < 15 and ages[-1] > 30
    assert all(c.email.endswith(".example") for c in od.contacts.values())


def test_the_habits_are_the_exact_sandboxs() -> None:
    assert HABITS == EXACT_HABITS


def test_a_customer_who_waits_for_a_reminder_pays_after_zohos_reminder_mail() -> None:
    clock = SandboxClock(datetime(2025, 1, 31, 9, tzinfo=UTC))
    state = ZohoState(clock.now)
    state.add_organization("1", "Org")
    contact = state.add_contact(
        "1", "Wacht B.V.", email="a@wacht.example", habit="pays_after_first_reminder"
    )
    inv = state.add_invoice("1", contact.contact_id, "100.00", date(2025, 1, 1), date(2025, 1, 31))
    simulator = PaymentSimulator(state, "1", seed=5)
    day = date(2025, 1, 31)
    while day < date(2025, 2, 20):
        assert simulator.simulate_day(day) == []
        day += timedelta(days=1)
    clock.set(datetime(2025, 2, 20, 9, tzinfo=UTC))
    state.send_payment_reminder("1", inv.invoice_id)  # lands in state.sent_mails
    paid_on = None
    for offset in range(10):
        day = date(2025, 2, 20) + timedelta(days=offset)
        if simulator.simulate_day(day):
            paid_on = day
            break
    assert paid_on is not None and date(2025, 2, 21) <= paid_on <= date(2025, 2, 24)
    assert inv.status(paid_on) == "paid" and inv.last_payment_date == paid_on


def test_a_partial_payer_pays_half_then_the_rest_and_mails_seen_can_be_given() -> None:
    state = ZohoState(SandboxClock(NOW).now)
    state.add_organization("1", "Org")
    contact = state.add_contact("1", "Half B.V.", email="h@half.example", habit="partial_then_full")
    inv = state.add_invoice("1", contact.contact_id, "100.00", date(2025, 1, 1), date(2025, 1, 31))
    simulator = PaymentSimulator(state, "1", seed=1)
    saw_half = False
    day = date(2025, 1, 31)
    while day < date(2025, 3, 15):
        simulator.simulate_day(day, lambda email: [])
        saw_half = saw_half or inv.balance == 50
        day += timedelta(days=1)
    assert saw_half and inv.balance == 0 and len(inv.payment_ids) == 2


def test_bulk_ledger_builds_fifty_thousand_invoices() -> None:
    state = ZohoState(SandboxClock(NOW).now)
    ledger = bulk_ledger(state, n_invoices=50_000, n_customers=2_500, seed=3)
    od = state.data(ledger.organization_id)
    assert len(od.invoices) == 50_000 and len(od.contacts) == 2_500
    assert len(ledger.invoice_ids) == 50_000
    paid = sum(1 for i in od.invoices.values() if i.balance == 0)
    assert 25_000 < paid < 35_000
    assert ledger.user_id in state.users


def test_touch_share_bumps_a_deterministic_fraction() -> None:
    def run() -> tuple[list[str], list[str]]:
        clock = SandboxClock(NOW)
        state = ZohoState(clock.now)
        ledger = bulk_ledger(state, n_invoices=2_000, n_customers=100, seed=1)
        clock.advance(3600)
        first = ledger.touch_share(0.01)
        second = touch_share(state, 0.01, organization_id=ledger.organization_id)
        od = state.data(ledger.organization_id)
        assert all(od.invoices[i].last_modified_time == clock.now() for i in first)
        return first, second

    first, second = run()
    assert len(first) == 20 and first != second
    assert run() == (first, second)
