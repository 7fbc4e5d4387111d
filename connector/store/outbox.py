"""The outbox: every outgoing action is written here before it is performed.

"Never twice" rests on two database guarantees, not on timing:
* `enqueue` inserts the action with one `outbox_item` per (invoice, step); the unique constraint
  on live items makes a second insert of any of them fail, so a concurrent run or worker that
  planned the same step gets `None` and moves on.
* `claim` is a conditional UPDATE `pending → sending`; exactly one claimer wins.

Items of failed or cancelled actions are released (`live = NULL`) so the step can be planned
again; `review` keeps them live, so an action with an unknown outcome is never resent blindly.
`approval` (a client with `approval: required`) keeps them live too: the step waits for
`dunning approve` and is not planned again; a stale one is expired (released).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from connector.domain import Action, ActionItem, ActionKind, Channel, InvoiceStatus, Money
from connector.domain.history import HistoryEntry
from connector.store.db import session_scope
from connector.store.models import InvoiceRow, OutboxAction, OutboxItem

#: refs per IN list (SQLite allows 32,766 bound parameters; PostgreSQL 65,535)
_IN_CHUNK = 500

STATES = (
    "pending",
    "sending",
    "sent",
    "failed",
    "cancelled",
    "review",
    "expired",
    "approval",
    "rejected",  # an approver rejected it: the step is skipped, its items stay live
)
RELEASING = frozenset({"failed", "cancelled", "expired"})
#: states an action can still leave; the others are final
OPEN_STATES = ("pending", "sending", "approval")


def enqueue(
    session: Session, action: Action, now: datetime, run_id: str | None, status: str = "pending"
) -> int | None:
    """Insert the action (`pending`, or `approval` to wait for a human); None if any of its
    (invoice, step) items is already live."""
    try:
        with session.begin_nested():
            row = OutboxAction(
                tenant=action.tenant,
                customer_ref=action.customer_ref,
                kind=action.kind.value,
                template=action.template,
                channel=action.channel.value,
                with_statement=action.with_statement,
                planned_for=action.planned_for,
                idempotency_key=action.idempotency_key,
                extra=dict(action.extra),
                status=status,
                run_id=run_id,
                created_at=now,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            for item in action.items:
                session.add(
                    OutboxItem(
                        action_id=row.id,
                        tenant=action.tenant,
                        invoice_ref=item.invoice_ref,
                        step=item.step,
                        currency=item.balance.currency,
                        balance_minor=item.balance.minor,
                        live=True,
                    )
                )
            session.flush()
            return row.id
    except IntegrityError:
        return None


def claim(
    engine: Engine,
    action_id: int,
    owner: str,
    now: datetime,
    ttl: timedelta,
    from_status: str = "pending",
) -> bool:
    """`pending → sending` (or `approval → sending` once approved) for exactly one caller, in
    its own committed transaction."""
    with session_scope(engine) as session:
        result = session.execute(
            update(OutboxAction)
            .where(col(OutboxAction.id) == action_id, col(OutboxAction.status) == from_status)
            .values(status="sending", claimed_by=owner, claimed_until=now + ttl)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def record_before(session: Session, action_id: int, before: dict[str, int | None]) -> None:
    session.execute(
        update(OutboxAction).where(col(OutboxAction.id) == action_id).values(before=dict(before))
    )


def mark(
    session: Session,
    action_id: int,
    status: str,
    detail: str,
    now: datetime,
    *,
    owner: str | None = None,
    from_status: Iterable[str] = OPEN_STATES,
) -> bool:
    """Settle an action, guarded: only a row still in one of `from_status` (by default any
    state that is not final), and with `owner` only a `sending` row claimed by that owner. A
    row someone else settled or took over is left alone (False): a late writer never
    overwrites a `sent` or frees the items of an action in flight."""
    if status not in STATES:
        raise ValueError(f"unknown outbox state {status!r}")
    allowed = ["sending"] if owner is not None else list(from_status)
    stmt = update(OutboxAction).where(
        col(OutboxAction.id) == action_id, col(OutboxAction.status).in_(allowed)
    )
    if owner is not None:
        stmt = stmt.where(col(OutboxAction.claimed_by) == owner)
    result = session.execute(
        stmt.values(status=status, detail=detail[:2000], done_at=now, claimed_until=None)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if status in RELEASING:
        session.execute(
            update(OutboxItem).where(col(OutboxItem.action_id) == action_id).values(live=None)
        )
    return True


def take_over_stale(
    engine: Engine, action_id: int, owner: str, now: datetime, ttl: timedelta
) -> bool:
    """Claim a `sending` row whose claim ran out (its process died) for reconciliation, for
    exactly one caller."""
    with session_scope(engine) as session:
        result = session.execute(
            update(OutboxAction)
            .where(
                col(OutboxAction.id) == action_id,
                col(OutboxAction.status) == "sending",
                col(OutboxAction.claimed_until) < now,
            )
            .values(claimed_by=owner, claimed_until=now + ttl)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def items_of(session: Session, action_id: int) -> list[OutboxItem]:
    return list(
        session.exec(
            select(OutboxItem).where(OutboxItem.action_id == action_id).order_by(col(OutboxItem.id))
        ).all()
    )


def load_action(session: Session, row: OutboxAction) -> Action:
    items = tuple(
        ActionItem(i.invoice_ref, i.step, Money.from_minor(i.balance_minor, i.currency))
        for i in items_of(session, row.id or 0)
    )
    return Action(
        tenant=row.tenant,
        customer_ref=row.customer_ref,
        kind=ActionKind(row.kind),
        template=row.template,
        planned_for=row.planned_for,
        items=items,
        with_statement=row.with_statement,
        channel=Channel(row.channel),
        extra=dict(row.extra),
    )


def before_counters(row: OutboxAction) -> dict[str, int | None]:
    return dict(row.before or {})


def get(session: Session, action_id: int) -> OutboxAction | None:
    return session.get(OutboxAction, action_id)


def in_state(session: Session, tenant: str, states: Iterable[str]) -> list[OutboxAction]:
    stmt = (
        select(OutboxAction)
        .where(OutboxAction.tenant == tenant, col(OutboxAction.status).in_(list(states)))
        .order_by(col(OutboxAction.id))
    )
    return list(session.exec(stmt).all())


def stale_sending(session: Session, tenant: str, now: datetime) -> list[OutboxAction]:
    """`sending` rows whose claim ran out: the process that claimed them died or gave up."""
    stmt = (
        select(OutboxAction)
        .where(
            OutboxAction.tenant == tenant,
            OutboxAction.status == "sending",
            col(OutboxAction.claimed_until) < now,
        )
        .order_by(col(OutboxAction.id))
    )
    return list(session.exec(stmt).all())


def expire_pending(session: Session, tenant: str, before: datetime, now: datetime) -> int:
    """Pending rows created before `before` (an abandoned run) are expired and released."""
    rows = session.exec(
        select(OutboxAction).where(
            OutboxAction.tenant == tenant,
            OutboxAction.status == "pending",
            col(OutboxAction.created_at) < before,
        )
    ).all()
    for row in rows:
        assert row.id is not None
        mark(session, row.id, "expired", "never claimed; expired", now, from_status=["pending"])
    return len(rows)


def expire_awaiting_approval(session: Session, tenant: str, before: datetime, now: datetime) -> int:
    """`approval` rows created before `before` are stale: expired and released, so the step is
    planned again from fresh data (and waits for approval again) instead of sent late."""
    rows = session.exec(
        select(OutboxAction).where(
            OutboxAction.tenant == tenant,
            OutboxAction.status == "approval",
            col(OutboxAction.created_at) < before,
        )
    ).all()
    for row in rows:
        assert row.id is not None
        mark(
            session,
            row.id,
            "expired",
            "not approved in time; expired",
            now,
            from_status=["approval"],
        )
    return len(rows)


def history(
    session: Session,
    tenant: str,
    *,
    customer_ref: str | None = None,
    settled_since: date | None = None,
    invoice_customers: Collection[str] | None = None,
) -> list[HistoryEntry]:
    """Every (action, invoice step) of the tenant (or of one customer), for the planner.

    `settled_since`: only the entries the planner can still use — on invoices that are open,
    or that were paid (or last changed) on or after that day, which is as far back as a
    thank-you mail looks. A client's history only grows; the invoices still in play do not
    (issue #18: "history only for open invoices and live steps"). Entries on invoices the
    store does not know are left out too: the planner cannot plan for them.

    `invoice_customers` (with `settled_since`): only entries on invoices that belong to these
    customers now, for planning a tenant in groups of customers (`connector.run`).

    Plain rows of the columns it needs, not ORM objects (issue #18: a large client's history
    has tens of thousands of entries and is read every run)."""
    items = OutboxItem.__table__  # type: ignore[attr-defined]
    acts = OutboxAction.__table__  # type: ignore[attr-defined]
    stmt = (
        sa_select(
            acts.c.id,
            acts.c.customer_ref,
            items.c.invoice_ref,
            items.c.step,
            acts.c.kind,
            acts.c.status,
            acts.c.planned_for,
            acts.c.done_at,
        )
        .join(acts, acts.c.id == items.c.action_id)
        .where(items.c.tenant == tenant, acts.c.tenant == tenant)
        .order_by(acts.c.id)
    )
    if customer_ref is not None:
        stmt = stmt.where(acts.c.customer_ref == customer_ref)
    if settled_since is not None:
        inv = InvoiceRow.__table__  # type: ignore[attr-defined]
        stmt = stmt.join(
            inv, and_(inv.c.tenant == items.c.tenant, inv.c.ref == items.c.invoice_ref)
        ).where(_still_in_play(inv, settled_since))
    if invoice_customers is None:
        statements = [stmt]
    else:
        assert settled_since is not None, "grouping by customer reads the invoices' customers"
        refs = sorted(set(invoice_customers))
        statements = [
            stmt.where(inv.c.customer_ref.in_(refs[k : k + _IN_CHUNK]))
            for k in range(0, len(refs), _IN_CHUNK)
        ]
    kinds = {k.value: k for k in ActionKind}
    entries = [
        HistoryEntry(
            action_id=r[0] or 0,
            customer_ref=r[1],
            invoice_ref=r[2],
            step=r[3],
            kind=kinds[r[4]],
            status=r[5],
            planned_for=r[6],
            done_at=r[7],
        )
        for statement in statements
        for r in session.execute(statement)
    ]
    if len(statements) > 1:
        entries.sort(key=lambda e: e.action_id)  # one order, as from a single statement
    return entries


def customers_in_play(session: Session, tenant: str, settled_since: date) -> dict[str, int]:
    """Per customer, how many of their invoices have history still in play (see `history`):
    with the open invoices, what a group of customers costs the planner in memory."""
    items = OutboxItem.__table__  # type: ignore[attr-defined]
    inv = InvoiceRow.__table__  # type: ignore[attr-defined]
    stmt = (
        sa_select(inv.c.customer_ref, func.count(func.distinct(inv.c.ref)))
        .select_from(items)
        .join(inv, and_(inv.c.tenant == items.c.tenant, inv.c.ref == items.c.invoice_ref))
        .where(items.c.tenant == tenant, _still_in_play(inv, settled_since))
        .group_by(inv.c.customer_ref)
    )
    return {str(ref): int(n) for ref, n in session.execute(stmt)}


def _still_in_play(inv: Any, settled_since: date) -> Any:
    since = datetime.combine(settled_since, time.min, tzinfo=UTC)
    return or_(
        inv.c.status == InvoiceStatus.OPEN.value,
        inv.c.last_payment_date >= settled_since,
        and_(
            inv.c.last_payment_date.is_(None),
            or_(inv.c.updated_at.is_(None), inv.c.updated_at >= since),
        ),
    )


def actions(session: Session, tenant: str, *, status: str | None = None) -> list[dict[str, Any]]:
    """Actions with their items as plain dicts (reports, demo, tests)."""
    stmt = select(OutboxAction).where(OutboxAction.tenant == tenant)
    if status:
        stmt = stmt.where(OutboxAction.status == status)
    out = []
    for row in session.exec(stmt.order_by(col(OutboxAction.id))).all():
        out.append(
            {
                "id": row.id,
                "customer_ref": row.customer_ref,
                "kind": row.kind,
                "status": row.status,
                "planned_for": row.planned_for,
                "done_at": row.done_at,
                "with_statement": row.with_statement,
                "detail": row.detail,
                "items": [(i.invoice_ref, i.step) for i in items_of(session, row.id or 0)],
            }
        )
    return out
