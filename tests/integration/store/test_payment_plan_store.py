"""Payment plans in the store (issue #14), on SQLite and PostgreSQL: numbered per client, the
schedule and the invoices' opening amounts read back to the cent, and an ended plan resumes
exactly its own pauses (not one a person set by hand)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from connector.domain.money import Money
from connector.domain.pauses import PauseKind
from connector.domain.plans import PlanInvoice, PlanStatus, schedule
from connector.store import pauses
from connector.store import plans as plan_repo
from connector.store.db import session_scope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_plan_reads_back_numbered_per_client_and_ends_with_its_own_pauses(
    engine: Engine,
) -> None:
    instalments = schedule(Money.of("1000.00", "EUR"), 3, date(2026, 3, 10), None)
    with session_scope(engine) as session:
        own = pauses.add(
            session,
            "acme",
            "c1",
            PauseKind.PLAN,
            reason="plan",
            by="page",
            now=NOW,
            invoice_ref="i1",
        )
        by_hand = pauses.add(
            session, "acme", "c1", PauseKind.STOP, reason="lawyer", by="ann", now=NOW
        )
        first = plan_repo.add(
            session,
            "acme",
            "c1",
            instalments,
            (PlanInvoice("i1", "INV-1", Money.of("1000.00", "EUR")),),
            every_days=None,
            pause_ids=[own.id],
            by="page",
            now=NOW,
        )
        other = plan_repo.add(
            session, "bakker", "c9", instalments, (), every_days=14, pause_ids=[], by="p", now=NOW
        )
    assert (first.number, other.number) == (1, 1)
    with session_scope(engine) as session:
        [read] = plan_repo.of_tenant(session, "acme", statuses=(PlanStatus.PROPOSED,))
        assert read.instalments == instalments and read.total == Money.of("1000.00", "EUR")
        assert read.invoices == (PlanInvoice("i1", "INV-1", Money.of("1000.00", "EUR")),)
        plan_repo.set_status(
            session, "acme", 1, PlanStatus.REJECTED, now=NOW, by="ann", reason="no"
        )
    with session_scope(engine) as session:
        assert [p.id for p in pauses.live(session, "acme")] == [by_hand.id]
        ended = plan_repo.get(session, "acme", 1)
    assert ended is not None and ended.status is PlanStatus.REJECTED
    assert (ended.decided_by, ended.reason, ended.ended_at) == ("ann", "no", NOW)
