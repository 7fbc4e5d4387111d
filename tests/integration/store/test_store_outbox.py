"""The outbox is what makes "never twice" true: these tests pin its database guarantees."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from connector.domain import Action, ActionItem, ActionKind, Money
from connector.store import outbox
from connector.store.db import session_scope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def reminder(*invoices: str, step: str = "reminder", tenant: str = "acme") -> Action:
    return Action(
        tenant=tenant,
        customer_ref="C1",
        kind=ActionKind.REMINDER,
        template="reminder",
        planned_for=date(2026, 3, 2),
        items=tuple(ActionItem(ref, step, Money.of("100.00", "EUR")) for ref in invoices),
    )


def enqueue(engine: Engine, action: Action) -> int | None:
    with session_scope(engine) as session:
        return outbox.enqueue(session, action, NOW, "run-1")


def test_a_step_already_in_the_outbox_is_not_enqueued_twice(engine: Engine) -> None:
    assert enqueue(engine, reminder("I1")) is not None
    assert enqueue(engine, reminder("I1")) is None, "second enqueue of the same step was accepted"
    # one overlapping invoice is enough to refuse the whole action
    assert enqueue(engine, reminder("I2", "I1")) is None


def test_another_tenants_identical_step_is_independent(engine: Engine) -> None:
    assert enqueue(engine, reminder("I1", tenant="acme")) is not None
    assert enqueue(engine, reminder("I1", tenant="globex")) is not None


def test_a_cancelled_or_failed_step_may_be_planned_again_but_review_may_not(engine: Engine) -> None:
    first = enqueue(engine, reminder("I1"))
    assert first is not None
    with session_scope(engine) as session:
        outbox.mark(session, first, "cancelled", "paid meanwhile", NOW)
    second = enqueue(engine, reminder("I1"))
    assert second is not None, "a cancelled step blocked re-planning"
    with session_scope(engine) as session:
        outbox.mark(session, second, "failed", "HTTP 400", NOW)
    third = enqueue(engine, reminder("I1"))
    assert third is not None, "a failed step blocked re-planning"
    with session_scope(engine) as session:
        outbox.mark(session, third, "review", "outcome unknown", NOW)
    assert enqueue(engine, reminder("I1")) is None, "a step under review was planned again"


def test_only_one_claimer_wins(engine: Engine) -> None:
    action_id = enqueue(engine, reminder("I1"))
    assert action_id is not None
    wins: list[bool] = []

    def claim(owner: str) -> None:
        wins.append(outbox.claim(engine, action_id, owner, NOW, timedelta(minutes=10)))

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False, False, False, True]


def test_concurrent_enqueues_of_the_same_step_admit_exactly_one(engine: Engine) -> None:
    results: list[int | None] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        results.append(enqueue(engine, reminder("I9")))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r is not None]) == 1, results


def test_history_round_trips_the_action(engine: Engine) -> None:
    action = reminder("I1", "I2")
    action_id = enqueue(engine, action)
    assert action_id is not None
    assert outbox.claim(engine, action_id, "me", NOW, timedelta(minutes=10))
    with session_scope(engine) as session:
        outbox.record_before(session, action_id, {"I1": 0, "I2": None})
        outbox.mark(session, action_id, "sent", "ok", NOW + timedelta(seconds=5))
    with session_scope(engine) as session:
        row = outbox.get(session, action_id)
        assert row is not None
        assert outbox.load_action(session, row) == action
        assert outbox.before_counters(row) == {"I1": 0, "I2": None}
        entries = outbox.history(session, "acme")
    assert [(e.invoice_ref, e.step, e.status) for e in entries] == [
        ("I1", "reminder", "sent"),
        ("I2", "reminder", "sent"),
    ]
    assert entries[0].done_at == NOW + timedelta(seconds=5)


def test_a_sending_row_whose_claim_ran_out_is_stale(engine: Engine) -> None:
    action_id = enqueue(engine, reminder("I1"))
    assert action_id is not None
    outbox.claim(engine, action_id, "crashed", NOW, timedelta(minutes=10))
    with session_scope(engine) as session:
        assert outbox.stale_sending(session, "acme", NOW + timedelta(minutes=5)) == []
        stale = outbox.stale_sending(session, "acme", NOW + timedelta(minutes=11))
    assert [r.id for r in stale] == [action_id]
