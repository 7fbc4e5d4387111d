"""Helpers shared by the end-to-end tests on the Zoho sandbox: a hand-made ledger per test
(`Scenario`, made by the `make_scenario` fixture of tests/e2e/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from connector.run import RunResult
from sandboxes.world import local_moment
from sandboxes.zoho import ZohoState
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.state import Contact, Invoice, Limits
from sandboxes.zoho.world import ZohoWorld


def empty_ledger(state: ZohoState, org: str, seed: int) -> DemoInfo:
    return seed_demo(state, seed=seed, customers=0, invoices=0, organization_id=org)


def empty_two_tenants(root: Path) -> ZohoWorld:
    return ZohoWorld.open(
        root, start=local_moment(date(2026, 1, 5), 8), slugs=("a", "b"), populate=empty_ledger
    )


class Scenario:
    """One organisation with named customers; `days(...)` runs the connector daily at 09:00."""

    def __init__(self, world: ZohoWorld) -> None:
        self.world = world
        self.state = world.state
        self.org = world.organization()

    def customer(self, name: str, email: str | None = None) -> Contact:
        return self.state.add_contact(
            self.org,
            name,
            email=email or f"{name.lower().replace(' ', '.')}@example.nl",
            first_name=name.split()[0],
            created=self.world.clock.now() - timedelta(days=200),
        )

    def invoice(
        self, customer: Contact, total: str, due: date, number: str | None = None
    ) -> Invoice:
        return self.state.add_invoice(
            self.org,
            customer.contact_id,
            Decimal(total),
            due - timedelta(days=30),
            due,
            invoice_number=number,
            created=self.world.clock.now() - timedelta(days=30),
        )

    def pay(
        self, invoice: Invoice, amount: str | None = None, on: date | None = None, hour: int = 12
    ) -> None:
        when = local_moment(on, hour) if on else None
        self.state.record_payment(
            self.org,
            invoice.invoice_id,
            Decimal(amount) if amount else invoice.balance,
            on,
            at=when,
        )

    def days(
        self,
        first: date,
        count: int,
        before_run: Callable[[date], None] | None = None,
        after_run: Callable[[date], None] | None = None,
    ) -> list[RunResult]:
        results = []
        for n in range(count):
            day = first + timedelta(days=n)
            self.world.clock.set(local_moment(day, 8))
            if before_run:
                before_run(day)
            result = self.world.run("demo", at=local_moment(day, 9))
            assert result.ok, f"run on {day} failed: {result.error}"
            results.append(result)
            self.world.clock.set(local_moment(day, 12))
            if after_run:
                after_run(day)
        return results

    def mails_to(self, customer: Contact, kind: str | None = None) -> list[tuple[date, str]]:
        od = self.state.data(self.org)
        return [(od.today(m.at), m.kind) for m in self.state.mails(kind, customer.contact_id)]


class MakeScenario(Protocol):
    """The `make_scenario` fixture: a fresh world with an empty ledger, its clock at 08:00 on
    `start`."""

    def __call__(
        self,
        start: date,
        *,
        limits: Limits | None = None,
        client_overrides: dict[str, str] | None = None,
    ) -> Scenario: ...
