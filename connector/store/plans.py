"""Payment plans, stored (`PaymentPlanRow`, issue #14): added, decided, ended; never deleted.

A plan refers to its pauses (kind plan, one per invoice) by id, so ending the plan resumes
exactly those and no pause a person set by hand. Numbers are per client, the next after the
highest, so people can say "plan 3" (`dunning plans approve acme 3`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from connector.domain.money import Money
from connector.domain.plans import Instalment, PaymentPlan, PlanInvoice, PlanStatus
from connector.store.models import DunningPause, PaymentPlanRow


def add(
    session: Session,
    tenant: str,
    customer_ref: str,
    instalments: tuple[Instalment, ...],
    invoices: tuple[PlanInvoice, ...],
    *,
    every_days: int | None,
    pause_ids: list[int],
    by: str,
    now: datetime,
) -> PaymentPlan:
    highest = session.exec(
        select(func.max(PaymentPlanRow.number)).where(PaymentPlanRow.tenant == tenant)
    ).one()
    row = PaymentPlanRow(
        tenant=tenant,
        number=(highest or 0) + 1,
        customer_ref=customer_ref,
        status=PlanStatus.PROPOSED.value,
        currency=instalments[0].amount.currency,
        every_days=every_days,
        instalments=[[i.day.isoformat(), i.amount.minor] for i in instalments],
        invoices=[[i.ref, i.number, i.balance_at_start.minor] for i in invoices],
        pause_ids=list(pause_ids),
        created_at=now,
        created_by=by,
    )
    session.add(row)
    session.flush()
    return _plan(row)


def set_status(
    session: Session,
    tenant: str,
    number: int,
    status: PlanStatus,
    *,
    now: datetime,
    by: str | None = None,
    reason: str | None = None,
) -> PaymentPlan:
    """Record a decision (approved / rejected, with who and why) or an end (missed / kept); a
    plan that ends (rejected, missed, kept) resumes its pauses."""
    row = _row(session, tenant, number)
    if row is None:
        raise LookupError(f"no payment plan {number}")
    row.status = status.value
    if status in (PlanStatus.APPROVED, PlanStatus.REJECTED):
        row.decided_at, row.decided_by = now, by
    if reason is not None:
        row.reason = reason
    if not status.live:
        row.ended_at = now
        for pause in session.exec(
            select(DunningPause).where(
                col(DunningPause.id).in_([int(i) for i in row.pause_ids]),
                col(DunningPause.resumed_at).is_(None),
            )
        ).all():
            pause.resumed_at = now
            pause.resumed_by = f"payment plan {row.number} {status.value}"
            session.add(pause)
    session.add(row)
    session.flush()
    return _plan(row)


def get(session: Session, tenant: str, number: int) -> PaymentPlan | None:
    row = _row(session, tenant, number)
    return _plan(row) if row is not None else None


def of_tenant(
    session: Session,
    tenant: str,
    *,
    customer_ref: str | None = None,
    statuses: tuple[PlanStatus, ...] | None = None,
) -> list[PaymentPlan]:
    """The client's plans (one customer's, when given; only those in `statuses`), oldest first."""
    stmt = select(PaymentPlanRow).where(PaymentPlanRow.tenant == tenant)
    if customer_ref is not None:
        stmt = stmt.where(PaymentPlanRow.customer_ref == customer_ref)
    if statuses is not None:
        stmt = stmt.where(col(PaymentPlanRow.status).in_([s.value for s in statuses]))
    return [_plan(r) for r in session.exec(stmt.order_by(col(PaymentPlanRow.number))).all()]


def pause_ids(session: Session, tenant: str, number: int) -> list[int]:
    """The ids of the plan's pauses (one per invoice, set when it was proposed)."""
    row = _row(session, tenant, number)
    return [int(i) for i in row.pause_ids] if row is not None else []


def _row(session: Session, tenant: str, number: int) -> PaymentPlanRow | None:
    return session.exec(
        select(PaymentPlanRow).where(
            PaymentPlanRow.tenant == tenant, PaymentPlanRow.number == number
        )
    ).first()


def _plan(row: PaymentPlanRow) -> PaymentPlan:
    assert row.id is not None and row.created_at is not None
    return PaymentPlan(
        id=row.id,
        tenant=row.tenant,
        number=row.number,
        customer_ref=row.customer_ref,
        status=PlanStatus(row.status),
        instalments=tuple(
            Instalment(date.fromisoformat(str(day)), Money.from_minor(int(minor), row.currency))
            for day, minor in row.instalments
        ),
        invoices=tuple(
            PlanInvoice(str(ref), str(number), Money.from_minor(int(minor), row.currency))
            for ref, number, minor in row.invoices
        ),
        created_at=row.created_at,
        created_by=row.created_by,
        every_days=row.every_days,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        reason=row.reason,
        ended_at=row.ended_at,
    )
