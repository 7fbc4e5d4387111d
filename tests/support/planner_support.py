"""Builders for the planner's tests: an invoice, a snapshot, a plan context, a moment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from connector.domain import Customer, CustomerProfile, Invoice, InvoiceStatus, Money, Snapshot
from connector.domain.pauses import Pause
from connector.legal.calendar import BusinessCalendar, SendingWindow
from connector.policy.model import Policy
from connector.policy.planner import PlanContext

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = date(2026, 3, 2)


def ctx(
    *,
    policies: Mapping[CustomerProfile, Policy] | None = None,
    profiles: Mapping[str, CustomerProfile] | None = None,
    pauses: tuple[Pause, ...] = (),
) -> PlanContext:
    return PlanContext(
        "acme",
        BusinessCalendar("NL"),
        SendingWindow.parse("08:00-17:00"),
        policies=policies or {},
        profiles=profiles or {},
        pauses=pauses,
    )


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=AMS).astimezone(UTC)


def inv(
    ref: str,
    due: date,
    balance: str = "100.00",
    customer: str = "C1",
    currency: str = "EUR",
    status: InvoiceStatus = InvoiceStatus.OPEN,
    paid_on: date | None = None,
) -> Invoice:
    money = Money.of(balance, currency)
    return Invoice(
        ref,
        f"INV-{ref}",
        customer,
        status,
        due - timedelta(days=30),
        due,
        money,
        money,
        last_payment_date=paid_on,
    )


def snap(*invoices: Invoice, profiles: dict[str, CustomerProfile] | None = None) -> Snapshot:
    profiles = profiles or {}
    customers = {
        i.customer_ref: Customer(
            i.customer_ref,
            f"Customer {i.customer_ref}",
            "c@example.nl",
            profile=profiles.get(i.customer_ref, CustomerProfile.BUSINESS),
        )
        for i in invoices
    }
    return Snapshot(customers, {i.ref: i for i in invoices}, [])
