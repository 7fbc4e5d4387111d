"""Helpers shared by the end-to-end tests on the Moneybird sandbox: a hand-made ledger per test
(`MoneybirdScenario`, made by the `make_moneybird_scenario` fixture of tests/e2e/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from connector.run import RunResult
from sandboxes.kit.smtp import CaughtMail
from sandboxes.moneybird import MoneybirdState
from sandboxes.moneybird.generate import DemoInfo, seed_demo
from sandboxes.moneybird.state import Contact, Limits, Reminder, SalesInvoice
from sandboxes.moneybird.world import MoneybirdWorld
from sandboxes.world import local_moment


def empty_ledger(state: MoneybirdState, seed: int, administrations: int) -> DemoInfo:
    return seed_demo(state, seed=seed, administrations=administrations, contacts=0)


class MoneybirdScenario:
    """One administration with named customers; `days(...)` runs the connector daily at 09:00."""

    def __init__(self, world: MoneybirdWorld) -> None:
        self.world = world
        self.state = world.state
        self.administration = world.administration()

    def customer(self, name: str, email: str | None = None) -> Contact:
        return self.state.add_contact(
            self.administration,
            name,
            email or re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") + "@example.nl",
        )

    def invoice(
        self, customer: Contact, total: str, due: date, number: str | None = None
    ) -> SalesInvoice:
        return self.state.add_invoice(
            self.administration,
            customer.id,
            Decimal(total),
            due - timedelta(days=30),
            due,
            number=number,
        )

    def pay(self, invoice: SalesInvoice, amount: str | None = None, on: date | None = None) -> None:
        self.state.record_payment(
            self.administration,
            invoice.id,
            Decimal(amount) if amount else invoice.total_unpaid,
            on,
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

    def mails_to(self, customer: Contact) -> list[CaughtMail]:
        """The mails the connector sent this customer itself, by SMTP (steps Moneybird cannot
        send: thanks, statements, letters)."""
        return self.world.smtp.to(customer.send_invoices_to_email)

    def reminders_to(self, customer: Contact, by: str = "api") -> list[Reminder]:
        """The reminders Moneybird sent this customer (for us, or by its own workflow)."""
        return [
            r
            for r in self.state.reminders(self.administration, by=by)
            if r.contact_id == customer.id
        ]


class MakeMoneybirdScenario(Protocol):
    """The `make_moneybird_scenario` fixture: a fresh world with an empty ledger, its clock at
    08:00 on `start`."""

    def __call__(
        self,
        start: date,
        *,
        limits: Limits | None = None,
        client_overrides: dict[str, str] | None = None,
    ) -> MoneybirdScenario: ...
