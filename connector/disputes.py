"""Disputes from the customer's own page reach the business's ledger (issue #14).

A customer who disputes an invoice on `/p/<token>` sets a dispute pause on that invoice
(`connector.customers.self_service.dispute_invoice`); the page itself calls no platform. The
client's next run writes the business a task in the ledger, "customer disputes invoice N:
<reason>", through the outbox like every other action: a call task on that invoice under the
step ``dispute:<pause id>``, so the outbox writes it once whatever happens to this run or how
many runs still see the pause. A dispute resumed before a run saw it writes nothing.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from connector.dispatch import Dispatcher, DispatchStats
from connector.domain import Action, ActionItem, ActionKind, Channel, InvoiceStatus
from connector.domain.actions import DISPUTE_STEP_PREFIX
from connector.domain.clock import Clock, local_date
from connector.domain.pauses import BY_CUSTOMER_PAGE, Pause, PauseKind
from connector.render.mail import DISPUTE_REASON
from connector.store import ledger_repo
from connector.store import pauses as pause_repo
from connector.store.db import session_scope
from connector.store.models import InvoiceRow

#: the template of the task
TEMPLATE = "customer_disputed"


def dispute_tasks(engine: Engine, tenant: str, clock: Clock, timezone: str) -> list[Action]:
    """One task per live dispute the customer set on their own page, on an invoice still open."""
    today = local_date(clock.now(), timezone)
    actions = []
    with session_scope(engine) as session:
        disputes = [p for p in pause_repo.live(session, tenant) if _from_page(p)]
        for pause in disputes:
            assert pause.invoice_ref is not None
            stored = session.exec(
                select(InvoiceRow).where(
                    InvoiceRow.tenant == tenant, InvoiceRow.ref == pause.invoice_ref
                )
            ).first()
            if stored is None:
                continue
            row = ledger_repo.to_invoice(stored)
            if row.status is not InvoiceStatus.OPEN:
                continue
            if not row.balance.is_positive() or row.customer_ref != pause.customer_ref:
                continue
            actions.append(
                Action(
                    tenant=tenant,
                    customer_ref=pause.customer_ref,
                    kind=ActionKind.CALL_TASK,
                    template=TEMPLATE,
                    planned_for=today,
                    items=(ActionItem(row.ref, f"{DISPUTE_STEP_PREFIX}{pause.id}", row.balance),),
                    channel=Channel.TASK,
                    extra={DISPUTE_REASON: pause.reason},
                )
            )
    return actions


def write_dispute_tasks(
    engine: Engine, tenant: str, dispatcher: Dispatcher, clock: Clock, timezone: str
) -> DispatchStats:
    """Write the tasks of `dispute_tasks` through the outbox (each once across runs)."""
    actions = dispute_tasks(engine, tenant, clock, timezone)
    return dispatcher.dispatch(actions) if actions else DispatchStats()


def _from_page(pause: Pause) -> bool:
    return (
        pause.kind is PauseKind.DISPUTE
        and pause.created_by == BY_CUSTOMER_PAGE
        and pause.invoice_ref is not None
    )
