"""When a "payment pending" hold ends (issue #14), on the real store (SQLite, and PostgreSQL
where configured), Mollie mocked by `responses`.

A Mollie payment, confirmed by fetching it, holds the invoices it paid until the ledger books
it: the hold ends per invoice as soon as the ledger shows the invoice paid, or shows a balance
below what the link paid (a partial booking: the remainder is dunned again as usual), and after
`pending_days` when the ledger shows nothing; each end is said with the customer's name and the
invoice number, and kept on record."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import responses
from sqlalchemy import Engine

from connector.domain import Customer, Invoice, InvoiceStatus, Money
from connector.domain.clock import ManualClock
from connector.payments.links import LinkSettings, PaymentLinks
from connector.payments.mollie import MollieClient
from connector.payments.pending import EXPIRED, LEDGER_SYNC, end_pending_holds, settled_holds
from connector.store import audit, ledger_repo, pauses
from connector.store.db import session_scope

API = "https://api.mollie.com"
PAID_ON = datetime(2026, 3, 9, 9, tzinfo=UTC)
TODAY = date(2026, 3, 9)
PENDING_DAYS = 5  # the hold's last day: 14 March


def invoice(ref: str, balance: str, status: InvoiceStatus = InvoiceStatus.OPEN) -> Invoice:
    return Invoice(
        ref,
        f"2026{ref:0>3}",
        "C1",
        status,
        date(2026, 1, 2),
        date(2026, 2, 1),
        Money.of("1000", "EUR"),
        Money.of(balance, "EUR"),
    )


def link_answer(value: str, paid: bool) -> dict[str, Any]:
    return {
        "resource": "payment-link",
        "id": "pl_jansen1",
        "amount": {"currency": "EUR", "value": value},
        "paidAt": "2026-03-09T08:30:00+00:00" if paid else None,
        "_links": {"paymentLink": {"href": "https://payment-links.mollie.com/payment/jansen1"}},
    }


def ledger_shows(engine: Engine, *invoices: Invoice) -> None:
    """The ledger sync stored these invoices as the platform has them now."""
    with session_scope(engine) as session:
        ledger_repo.upsert_invoices(session, "acme", list(invoices), PAID_ON)


@pytest.fixture
def paid_online(engine: Engine) -> list[Invoice]:
    """Jansen Bouw paid invoices 2026001 (600) and 2026002 (400) through one Mollie link."""
    invoices = [invoice("1", "600"), invoice("2", "400")]
    with session_scope(engine) as session:
        ledger_repo.upsert_customers(session, "acme", [Customer("C1", "Jansen Bouw")], PAID_ON)
    ledger_shows(engine, *invoices)
    clock = ManualClock(PAID_ON)
    links = PaymentLinks(
        engine,
        MollieClient("test_acmekey", clock),
        LinkSettings(
            tenant="acme",
            company="Acme B.V.",
            timezone="Europe/Amsterdam",
            pending_days=PENDING_DAYS,
        ),
        clock,
    )
    with responses.RequestsMock() as mollie:
        mollie.post(f"{API}/v2/payment-links", json=link_answer("1000.00", False), status=201)
        mollie.get(f"{API}/v2/payment-links/pl_jansen1", json=link_answer("1000.00", True))
        links.link_for("C1", invoices)
        [confirmed] = links.confirm("tr_paid")
    assert confirmed.invoice_refs == ("1", "2")
    with session_scope(engine) as session:
        assert len(pauses.live(session, "acme")) == 2
    return invoices


def live_holds(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return sorted(p.invoice_ref or "" for p in pauses.live(session, "acme"))


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, tzinfo=UTC)


def test_the_hold_stands_while_the_ledger_shows_nothing_new(
    engine: Engine, paid_online: list[Invoice]
) -> None:
    done = end_pending_holds(engine, "acme", at(TODAY + timedelta(days=1)), TODAY)

    assert done.lines == [] and live_holds(engine) == ["1", "2"]


def test_the_ledger_booking_the_payment_ends_the_hold_of_that_invoice_only(
    engine: Engine, paid_online: list[Invoice]
) -> None:
    first, _second = paid_online
    ledger_shows(engine, replace(first, status=InvoiceStatus.PAID, balance=Money.of("0", "EUR")))

    done = end_pending_holds(engine, "acme", at(TODAY + timedelta(days=1)), TODAY)

    assert done.lines == [
        "Jansen Bouw, invoice 2026001: payment pending ended: the ledger booked the payment"
    ]
    assert done.booked == 1 and live_holds(engine) == ["2"]
    with session_scope(engine) as session:
        ended = [p for p in pauses.history(session, "acme") if p.resumed_at is not None]
        events = [e.event for e in audit.recent(session, "acme")]
    assert [(p.invoice_ref, p.resumed_by) for p in ended] == [("1", LEDGER_SYNC)]
    assert "payment_pending.booked" in events
    # said once: the next run finds nothing more to end
    assert end_pending_holds(engine, "acme", at(TODAY + timedelta(days=2)), TODAY).lines == []


def test_a_partial_booking_ends_the_hold_and_the_remainder_is_dunned_again(
    engine: Engine, paid_online: list[Invoice]
) -> None:
    first, _second = paid_online
    ledger_shows(engine, replace(first, balance=Money.of("150", "EUR")))

    done = end_pending_holds(engine, "acme", at(TODAY + timedelta(days=1)), TODAY)

    assert done.partly_booked == 1 and live_holds(engine) == ["2"]
    [line] = done.lines
    assert line.startswith("Jansen Bouw, invoice 2026001: payment pending ended: the ledger")
    assert "booked €450.00 of the €600.00 paid online" in line
    assert "the remaining €150.00 is reminded again as usual" in line


def test_a_balance_that_did_not_go_down_keeps_the_hold(
    engine: Engine, paid_online: list[Invoice]
) -> None:
    first, _second = paid_online
    ledger_shows(engine, replace(first, balance=Money.of("650", "EUR")))  # fees added, say

    assert end_pending_holds(engine, "acme", at(TODAY + timedelta(days=1)), TODAY).lines == []
    assert live_holds(engine) == ["1", "2"]


def test_an_invoice_voided_in_the_ledger_ends_its_hold(
    engine: Engine, paid_online: list[Invoice]
) -> None:
    _first, second = paid_online
    ledger_shows(engine, replace(second, status=InvoiceStatus.VOID))

    [line] = end_pending_holds(engine, "acme", at(TODAY + timedelta(days=1)), TODAY).lines

    assert line.endswith(
        "invoice 2026002: payment pending ended: the invoice is no longer open (void)"
    )
    assert live_holds(engine) == ["1"]


def test_a_payment_never_booked_releases_the_invoices_after_the_pending_days_and_says_so(
    engine: Engine, paid_online: list[Invoice]
) -> None:
    last_day = TODAY + timedelta(days=PENDING_DAYS)
    assert end_pending_holds(engine, "acme", at(last_day), last_day).lines == []

    after = last_day + timedelta(days=1)
    done = end_pending_holds(engine, "acme", at(after), after)

    assert done.expired == 2 and live_holds(engine) == []
    assert done.lines[0] == (
        "Jansen Bouw, invoice 2026001: payment pending ended: the €600.00 paid online is "
        "still not booked in the ledger after 6 days: reminders resume; find the payment in "
        "Mollie and book it"
    )
    with session_scope(engine) as session:
        assert {p.resumed_by for p in pauses.history(session, "acme")} == {EXPIRED}


def test_a_plan_made_before_the_run_ends_the_hold_already_plans_as_the_run_will(
    engine: Engine, paid_online: list[Invoice]
) -> None:
    # `dunning plan` and dry runs end nothing; they leave out what the run's check would end
    first, _second = paid_online
    ledger_shows(engine, replace(first, balance=Money.of("150", "EUR")))

    with session_scope(engine) as session:
        holds = pauses.live(session, "acme")
        settled = settled_holds(session, "acme", holds)

    assert [h.invoice_ref for h in holds if h.id in settled] == ["1"]
    assert live_holds(engine) == ["1", "2"], "nothing was ended"
