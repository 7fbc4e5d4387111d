"""Where a platform re-checks several customers in one call (Exact's receivables filter on
several accounts), the dispatcher asks for the customers of its next actions together instead
of one call per action (issue #18) — and a batched answer is never older than two minutes when
its action goes out: a payment made after it was read is still seen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fake_ledger import FakeLedger
from sqlalchemy import Engine

from connector.dispatch import RECHECK_AHEAD, RECHECK_MAX_AGE, Dispatcher, DispatchSettings
from connector.domain import Action, ActionItem, ActionKind, Invoice
from connector.domain.clock import ManualClock
from connector.domain.ports import RenderedMessage, WriteResult
from connector.render import Renderer
from connector.sync import sync_tenant

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DUE = date(2026, 2, 1)
SETTINGS = DispatchSettings(
    tenant="acme",
    company="Acme B.V.",
    sender={"name": "Acme", "email": "ar@acme.example", "phone": None, "iban": None},
    language="nl",
    timezone="Europe/Amsterdam",
    min_balance=Decimal(0),
)


class BatchingLedger(FakeLedger):
    """The fake ledger with a batched re-check, counting both kinds of call."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.batched: list[list[str]] = []
        self.single: list[str] = []
        self.on_perform: list[str] = []

    def recheck_customers(
        self, customer_refs: Sequence[str], since: datetime | None
    ) -> dict[str, list[Invoice]]:
        self.batched.append(list(customer_refs))
        return {
            ref: super(BatchingLedger, self).recheck_customer(ref, since) for ref in customer_refs
        }

    def recheck_customer(self, customer_ref: str, since: datetime | None) -> list[Invoice]:
        self.single.append(customer_ref)
        return super().recheck_customer(customer_ref, since)

    def perform(self, action: Action, rendered: RenderedMessage | None) -> WriteResult:
        self.on_perform.append(action.customer_ref)
        return super().perform(action, rendered)


def _world(engine: Engine, customers: int) -> tuple[ManualClock, BatchingLedger, list[Action]]:
    clock = ManualClock(NOW)
    ledger = BatchingLedger(clock)
    actions = []
    for n in range(customers):
        customer = ledger.add_customer(f"C{n:02d}", f"Klant {n}", f"k{n}@klant.example")
        invoice = ledger.add_invoice(f"I{n:02d}", customer, "100.00", DUE, number=f"2026-{n:03d}")
        actions.append(
            Action(
                tenant="acme",
                customer_ref=customer.ref,
                kind=ActionKind.REMINDER,
                template="reminder",
                planned_for=NOW.date(),
                items=(ActionItem(invoice.ref, "reminder-1", invoice.balance),),
            )
        )
    clock.advance(timedelta(minutes=5))
    sync_tenant(engine, ledger, "acme", clock)
    clock.advance(timedelta(hours=1))
    return clock, ledger, actions


def _dispatcher(engine: Engine, ledger: FakeLedger, clock: ManualClock) -> Dispatcher:
    return Dispatcher(engine, ledger, Renderer(), SETTINGS, clock, owner="run-1", run_id="run-1")


def test_twenty_five_reminders_recheck_their_customers_in_two_batched_reads(
    engine: Engine,
) -> None:
    clock, ledger, actions = _world(engine, 25)
    stats = _dispatcher(engine, ledger, clock).dispatch(actions)
    assert stats.sent == 25
    assert [len(b) for b in ledger.batched] == [RECHECK_AHEAD, 25 - RECHECK_AHEAD]
    assert ledger.single == []


def test_a_customer_who_paid_after_the_batched_read_gets_no_reminder(engine: Engine) -> None:
    clock, ledger, actions = _world(engine, 3)

    class SlowLedger(BatchingLedger):
        """Each send takes longer than a batched answer may be old; the third customer pays
        while the first reminder goes out."""

        def perform(self, action: Action, rendered: RenderedMessage | None) -> WriteResult:
            result = super().perform(action, rendered)
            if action.customer_ref == "C00":
                self.pay("I02")
            clock.advance(RECHECK_MAX_AGE + timedelta(seconds=1))
            return result

    ledger.__class__ = SlowLedger
    stats = _dispatcher(engine, ledger, clock).dispatch(actions)
    assert ledger.single == ["C01", "C02"], "too old by their turn: re-read on their own"
    assert ledger.on_perform == ["C00", "C01"], "C02 paid after the batched read"
    assert stats.sent == 2 and stats.cancelled == 1
