"""Helpers shared by the end-to-end tests on the Exact sandbox: a hand-made ledger per test
(`ExactScenario`, made by the `make_exact_scenario` fixture of tests/e2e/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from connector.run import RunResult
from sandboxes.exact import ExactState
from sandboxes.exact.generate import DemoInfo, seed_demo
from sandboxes.exact.state import Account, Limits, PaymentTerm
from sandboxes.exact.world import ExactWorld
from sandboxes.kit.smtp import CaughtMail
from sandboxes.world import local_moment


def empty_ledger(state: ExactState, seed: int) -> DemoInfo:
    return seed_demo(state, seed=seed, accounts=0)


class ExactScenario:
    """One division with named customers; `days(...)` runs the connector daily at 09:00."""

    def __init__(self, world: ExactWorld) -> None:
        self.world = world
        self.state = world.state
        self.division = world.division()

    def customer(self, name: str, email: str | None = None) -> Account:
        return self.state.add_account(
            self.division, name, email=email or f"{name.lower().replace(' ', '.')}@example.nl"
        )

    def invoice(
        self, customer: Account, total: str, due: date, number: int | None = None
    ) -> PaymentTerm:
        return self.state.add_receivable(
            self.division,
            customer.id,
            Decimal(total),
            due - timedelta(days=30),
            due,
            invoice_number=number,
        )

    def pay(self, term: PaymentTerm, amount: str | None = None, on: date | None = None) -> None:
        self.state.record_payment(
            self.division,
            term.id,
            Decimal(amount) if amount else term.open_amount,
            on or self.world.clock.now().date(),
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

    def mails_to(self, customer: Account) -> list[CaughtMail]:
        return self.world.smtp.to(customer.email)

    def mail_days(self, customer: Account) -> list[date]:
        return [m.day for m in self.mails_to(customer)]


class MakeExactScenario(Protocol):
    """The `make_exact_scenario` fixture: a fresh world with an empty ledger, its clock at 08:00
    on `start`."""

    def __call__(
        self,
        start: date,
        *,
        limits: Limits | None = None,
        client_overrides: dict[str, str] | None = None,
    ) -> ExactScenario: ...
