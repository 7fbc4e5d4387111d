"""`outbox.mark` is guarded (issue #15): a late or foreign writer never overwrites a settled
action or one another process took over."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Engine

from connector.dispatch import Dispatcher, DispatchSettings
from connector.domain import Action, ActionItem, ActionKind, Money
from connector.domain.clock import ManualClock
from connector.store import outbox
from connector.store.db import session_scope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)


def claimed(engine: Engine, owner: str = "run-a") -> int:
    action = Action(
        tenant="acme",
        customer_ref="C1",
        kind=ActionKind.REMINDER,
        template="reminder",
        planned_for=date(2026, 3, 2),
        items=(ActionItem("I1", "reminder", Money.of("100.00", "EUR")),),
    )
    with session_scope(engine) as session:
        action_id = outbox.enqueue(session, action, NOW, "run-1")
    assert action_id is not None
    assert outbox.claim(engine, action_id, owner, NOW, TTL)
    return action_id


def status(engine: Engine, action_id: int) -> str:
    with session_scope(engine) as session:
        row = outbox.get(session, action_id)
        assert row is not None
        return row.status


def test_a_sent_action_is_never_marked_failed_afterwards(engine: Engine) -> None:
    action_id = claimed(engine)
    with session_scope(engine) as session:
        assert outbox.mark(session, action_id, "sent", "ok", NOW, owner="run-a")
    with session_scope(engine) as session:
        assert not outbox.mark(session, action_id, "failed", "late error", NOW, owner="run-a")
        assert not outbox.mark(session, action_id, "failed", "late error", NOW)
    assert status(engine, action_id) == "sent"
    with session_scope(engine) as session:
        again = Action(
            tenant="acme",
            customer_ref="C1",
            kind=ActionKind.REMINDER,
            template="reminder",
            planned_for=date(2026, 3, 3),
            items=(ActionItem("I1", "reminder", Money.of("100.00", "EUR")),),
        )
        assert outbox.enqueue(session, again, NOW, "run-2") is None, "the step was released"


def test_only_the_claimer_settles_a_sending_action(engine: Engine) -> None:
    action_id = claimed(engine, owner="run-a")
    with session_scope(engine) as session:
        assert not outbox.mark(session, action_id, "failed", "not mine", NOW, owner="run-b")
    assert status(engine, action_id) == "sending"


def test_a_stale_claim_taken_over_for_reconciliation_shuts_out_the_old_claimer(
    engine: Engine,
) -> None:
    action_id = claimed(engine, owner="run-a")
    assert not outbox.take_over_stale(engine, action_id, "run-b", NOW, TTL), "claim still live"
    later = NOW + TTL + timedelta(seconds=1)
    assert outbox.take_over_stale(engine, action_id, "run-b", later, TTL)
    assert not outbox.take_over_stale(engine, action_id, "run-c", later, TTL)
    with session_scope(engine) as session:
        assert not outbox.mark(session, action_id, "failed", "woke up late", later, owner="run-a")
        assert outbox.mark(session, action_id, "sent", "reconciled", later, owner="run-b")
    assert status(engine, action_id) == "sent"


def test_an_action_a_dead_run_left_pending_is_expired_and_planned_again(engine: Engine) -> None:
    """Found by `make soak`: a run killed between enqueue and claim left its row `pending`
    for ever, so that step was never planned again (a reminder silently lost)."""
    action = Action(
        tenant="acme",
        customer_ref="C1",
        kind=ActionKind.REMINDER,
        template="reminder",
        planned_for=date(2026, 3, 2),
        items=(ActionItem("I1", "reminder", Money.of("100.00", "EUR")),),
    )
    with session_scope(engine) as session:
        action_id = outbox.enqueue(session, action, NOW, "run-1")
    assert action_id is not None
    clock = ManualClock(NOW + timedelta(minutes=5))
    settings = DispatchSettings(
        tenant="acme",
        company="Acme B.V.",
        sender={},
        language="nl",
        timezone="Europe/Amsterdam",
        min_balance=Decimal(0),
    )
    nothing = cast(Any, None)  # reconciling pending rows needs neither ledger nor renderer
    dispatcher = Dispatcher(
        engine, nothing, nothing, settings, clock, owner="run-2", run_id="run-2"
    )
    dispatcher.reconcile_stale()
    assert status(engine, action_id) == "pending", "a fresh pending row may be about to be claimed"
    clock.set(NOW + TTL + timedelta(minutes=1))
    dispatcher.reconcile_stale()
    assert status(engine, action_id) == "expired"
    with session_scope(engine) as session:
        assert outbox.enqueue(session, action, clock.now(), "run-3") is not None
