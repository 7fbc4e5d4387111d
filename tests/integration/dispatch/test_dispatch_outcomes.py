"""The dispatcher on its own, against an in-memory ledger (tests/support/fake_ledger.py) and the
real store: what it does with a re-check that shows a change, and with each kind of answer the
platform gives. The store is real (SQLite, and PostgreSQL when configured) because the outbox
is what makes these guarantees; the ledger is fake so each answer is the test's choice."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fake_ledger import FakeLedger
from sqlalchemy import Engine
from sqlmodel import Session

from connector.dispatch import CLAIM_TTL, Dispatcher, DispatchSettings
from connector.domain import Action, ActionItem, ActionKind, Customer, Invoice
from connector.domain.clock import ManualClock
from connector.domain.ports import ErrorKind, LedgerError, Outcome, WriteResult
from connector.render import Renderer
from connector.store import outbox
from connector.store.db import session_scope
from connector.store.models import OutboxAction
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


@dataclass
class Setup:
    engine: Engine
    clock: ManualClock
    ledger: FakeLedger
    jansen: Customer
    invoice: Invoice

    def synced(self) -> None:
        sync_tenant(self.engine, self.ledger, "acme", self.clock)

    def dispatcher(self, run: str = "run-1", settings: DispatchSettings = SETTINGS) -> Dispatcher:
        return Dispatcher(
            self.engine, self.ledger, Renderer(), settings, self.clock, owner=run, run_id=run
        )

    def reminder(self) -> Action:
        """The reminder the planner would make from the store: the invoice's balance as synced."""
        return Action(
            tenant="acme",
            customer_ref=self.jansen.ref,
            kind=ActionKind.REMINDER,
            template="reminder",
            planned_for=self.clock.now().date(),
            items=(ActionItem(self.invoice.ref, "reminder-1", self.invoice.balance),),
        )

    def row(self, action: Action) -> tuple[str, str | None]:
        """(status, detail) of the action's outbox row."""
        with session_scope(self.engine) as session:
            [row] = self.rows(session, action)
            return row.status, row.detail

    def action_id(self, action: Action) -> int:
        with session_scope(self.engine) as session:
            [row] = self.rows(session, action)
            assert row.id is not None
            return row.id

    @staticmethod
    def rows(session: Session, action: Action) -> list[OutboxAction]:
        states = ["approval", "pending", "sending", "sent", "failed", "review", "cancelled"]
        rows = outbox.in_state(session, "acme", states)
        return [r for r in rows if r.idempotency_key == action.idempotency_key]


@pytest.fixture
def setup(engine: Engine) -> Setup:
    clock = ManualClock(NOW)
    ledger = FakeLedger(clock)
    jansen = ledger.add_customer("C1", "Drukkerij Jansen", "jan@jansen.example")
    invoice = ledger.add_invoice("I1", jansen, "250.00", DUE, number="2026-014")
    clock.advance(timedelta(minutes=5))
    s = Setup(engine, clock, ledger, jansen, invoice)
    s.synced()
    clock.advance(timedelta(hours=1))
    return s


def test_a_reminder_goes_out_with_the_invoice_number_and_is_recorded_sent(setup: Setup) -> None:
    action = setup.reminder()
    stats = setup.dispatcher().dispatch([action])
    assert stats.sent == 1
    [performed] = setup.ledger.performed
    assert performed.rendered is not None
    assert performed.rendered.to == ("jan@jansen.example",)
    assert "2026-014" in performed.rendered.text
    assert setup.row(action)[0] == "sent"


def test_a_customer_who_paid_since_the_plan_gets_no_reminder(setup: Setup) -> None:
    action = setup.reminder()
    setup.ledger.pay(setup.invoice)  # after the sync the plan was made from
    stats = setup.dispatcher().dispatch([action])
    assert setup.ledger.rechecks == ["C1"], "the customer's invoices are re-read before acting"
    assert setup.ledger.performed == []
    assert stats.cancelled == 1
    status, detail = setup.row(action)
    assert status == "cancelled"
    assert detail == "invoice 2026-014 is paid now"


def test_a_balance_changed_since_the_plan_cancels_the_reminder(setup: Setup) -> None:
    action = setup.reminder()
    setup.ledger.change_balance(setup.invoice, "100.00")  # a part payment
    setup.dispatcher().dispatch([action])
    assert setup.ledger.performed == []
    status, detail = setup.row(action)
    assert status == "cancelled"
    assert detail is not None and detail.startswith("invoice 2026-014 balance changed to")


def test_a_definite_refusal_marks_the_action_failed_with_the_reason(setup: Setup) -> None:
    setup.ledger.answer_next(WriteResult(Outcome.NOT_SENT, "the mailbox of jan@jansen.example"))
    action = setup.reminder()
    stats = setup.dispatcher().dispatch([action])
    assert stats.failed == 1
    assert setup.row(action) == ("failed", "the mailbox of jan@jansen.example")
    assert any("failed" in line and "Drukkerij Jansen" in line for line in stats.lines)


def test_a_refusal_before_anything_was_sent_marks_it_failed_with_the_error(setup: Setup) -> None:
    setup.ledger.answer_next(LedgerError(ErrorKind.RATE_LIMITED, "429 from the platform"))
    action = setup.reminder()
    stats = setup.dispatcher().dispatch([action])
    assert stats.failed == 1
    assert setup.row(action) == ("failed", "rate_limited: 429 from the platform")


def test_an_unknown_outcome_goes_to_review_and_is_never_resent(setup: Setup) -> None:
    setup.ledger.answer_next(WriteResult(Outcome.UNKNOWN, "timed out after sending"))
    setup.ledger.reconcile_as = Outcome.UNKNOWN
    action = setup.reminder()
    first = setup.dispatcher().dispatch([action])
    assert first.review == 1
    assert len(setup.ledger.reconciled) == 1, "the platform is asked whether it happened"
    assert setup.row(action)[0] == "review"

    setup.clock.advance(timedelta(days=1))
    again = setup.dispatcher("run-2")
    again.reconcile_stale()
    second = again.dispatch([action])
    assert second.already_taken == 1
    assert len(setup.ledger.performed) == 1, "a human decides; nothing goes out twice"


def test_a_send_that_broke_off_is_settled_by_asking_the_platform_not_by_sending_again(
    setup: Setup,
) -> None:
    setup.ledger.answer_next(LedgerError(ErrorKind.TRANSIENT, "connection reset after the send"))
    action = setup.reminder()
    with pytest.raises(LedgerError):
        setup.dispatcher().dispatch([action])
    assert setup.row(action)[0] == "sending", "the outcome is unknown: left for reconciliation"

    setup.ledger.reconcile_as = Outcome.SENT
    later = setup.dispatcher("run-2")
    setup.clock.advance(timedelta(minutes=1))
    assert later.reconcile_stale().reconciled == 0, "the first run's claim is still live"
    setup.clock.advance(CLAIM_TTL)
    stats = later.reconcile_stale()
    assert stats.reconciled == 1
    assert stats.sent == 1
    assert setup.row(action)[0] == "sent"
    assert later.dispatch([action]).already_taken == 1
    assert len(setup.ledger.performed) == 1


def test_a_customer_with_reminders_switched_off_gets_none(setup: Setup) -> None:
    setup.ledger.update_customer("C1", reminders_enabled=False)
    setup.synced()
    action = setup.reminder()
    setup.dispatcher().dispatch([action])
    assert setup.ledger.performed == []
    assert setup.row(action) == ("cancelled", "reminders are disabled for this customer")


def test_a_customer_without_an_e_mail_address_goes_to_review(setup: Setup) -> None:
    setup.ledger.update_customer("C1", email="jan at jansen")
    setup.synced()
    action = setup.reminder()
    stats = setup.dispatcher().dispatch([action])
    assert setup.ledger.performed == []
    assert stats.review == 1
    assert setup.row(action) == (
        "review",
        "the customer's e-mail address is not usable: jan at jansen",
    )


def test_with_approval_required_nothing_goes_out_until_approved_and_then_once(
    setup: Setup,
) -> None:
    approving = dataclasses.replace(SETTINGS, approval_required=True)
    action = setup.reminder()
    stats = setup.dispatcher(settings=approving).dispatch([action])
    assert stats.awaiting_approval == 1
    assert setup.ledger.performed == []
    assert setup.row(action)[0] == "approval"
    assert setup.dispatcher("run-2", approving).dispatch([action]).already_taken == 1

    approved = [setup.action_id(action)]
    first = setup.dispatcher("approver-1", approving).perform_approved(approved)
    second = setup.dispatcher("approver-2", approving).perform_approved(approved)
    assert (first.sent, second.already_taken) == (1, 1), "two approvers, one mail"
    assert len(setup.ledger.performed) == 1
    assert setup.row(action)[0] == "sent"


def test_an_approved_reminder_for_an_invoice_paid_meanwhile_is_cancelled(setup: Setup) -> None:
    approving = dataclasses.replace(SETTINGS, approval_required=True)
    action = setup.reminder()
    setup.dispatcher(settings=approving).dispatch([action])
    setup.ledger.pay(setup.invoice)
    stats = setup.dispatcher("approver", approving).perform_approved([setup.action_id(action)])
    assert stats.cancelled == 1
    assert setup.ledger.performed == []
    assert setup.row(action) == ("cancelled", "invoice 2026-014 is paid now")
