"""Pauses in dunning, stored with who set them, why and when (`DunningPause`).

`add` records a pause; `resume` ends the matching live ones by hand (keeping them on record);
`live` gives the planner every pause not resumed (it checks the `until` dates itself, so an
expired promise ends without anyone touching the table).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from connector.domain.pauses import Pause, PauseKind
from connector.store import summaries
from connector.store.models import DunningPause, InvoiceRow


def add(
    session: Session,
    tenant: str,
    customer_ref: str,
    kind: PauseKind,
    *,
    reason: str,
    by: str,
    now: datetime,
    invoice_ref: str | None = None,
    until: date | None = None,
) -> Pause:
    if not reason.strip():
        raise ValueError("a pause needs a reason")
    if kind is PauseKind.PROMISE and until is None:
        raise ValueError("a promise to pay needs the date it was promised for (--until)")
    row = DunningPause(
        tenant=tenant,
        customer_ref=customer_ref,
        invoice_ref=invoice_ref,
        kind=kind.value,
        until=until,
        reason=reason.strip(),
        created_by=by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    summaries.touch(session, tenant)  # the plan changes: the overview's cached count too
    return _pause(row)


def resume(
    session: Session,
    tenant: str,
    customer_ref: str,
    *,
    by: str,
    now: datetime,
    invoice_ref: str | None = None,
    kind: PauseKind | None = None,
) -> list[Pause]:
    """End the live pauses of the customer (only the invoice's, when given); returns them."""
    stmt = select(DunningPause).where(
        DunningPause.tenant == tenant,
        DunningPause.customer_ref == customer_ref,
        col(DunningPause.resumed_at).is_(None),
    )
    if invoice_ref is not None:
        stmt = stmt.where(DunningPause.invoice_ref == invoice_ref)
    if kind is not None:
        stmt = stmt.where(DunningPause.kind == kind.value)
    rows = list(session.exec(stmt).all())
    for row in rows:
        row.resumed_at = now
        row.resumed_by = by
        session.add(row)
    if rows:
        summaries.touch(session, tenant)
    return [_pause(r) for r in rows]


def end(session: Session, pause_id: int, *, by: str, now: datetime) -> bool:
    """End one live pause (kept on record, with who ended it); False when it had ended."""
    result = session.execute(
        update(DunningPause)
        .where(col(DunningPause.id) == pause_id, col(DunningPause.resumed_at).is_(None))
        .values(resumed_at=now, resumed_by=by)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def live(session: Session, tenant: str, kind: PauseKind | None = None) -> tuple[Pause, ...]:
    """Every pause of the tenant (of `kind`, when given) not resumed (expired promises
    included)."""
    stmt = select(DunningPause).where(
        DunningPause.tenant == tenant, col(DunningPause.resumed_at).is_(None)
    )
    if kind is not None:
        stmt = stmt.where(DunningPause.kind == kind.value)
    stmt = stmt.order_by(col(DunningPause.id))
    return tuple(_pause(r) for r in session.exec(stmt).all())


def history(session: Session, tenant: str, customer_ref: str | None = None) -> list[Pause]:
    """All pauses, resumed ones too, oldest first (for dossiers and `dunning customers`)."""
    stmt = select(DunningPause).where(DunningPause.tenant == tenant)
    if customer_ref is not None:
        stmt = stmt.where(DunningPause.customer_ref == customer_ref)
    return [_pause(r) for r in session.exec(stmt.order_by(col(DunningPause.id))).all()]


def find_invoice_customer(session: Session, tenant: str, invoice: str) -> tuple[str, str] | None:
    """(customer ref, invoice ref) of an invoice given by ref or by number."""
    stmt = select(InvoiceRow).where(
        InvoiceRow.tenant == tenant,
        (InvoiceRow.ref == invoice) | (InvoiceRow.number == invoice),
    )
    row = session.exec(stmt).first()
    return (row.customer_ref, row.ref) if row is not None else None


def _pause(row: DunningPause) -> Pause:
    assert row.id is not None and row.created_at is not None
    return Pause(
        id=row.id,
        tenant=row.tenant,
        customer_ref=row.customer_ref,
        kind=PauseKind(row.kind),
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        invoice_ref=row.invoice_ref,
        until=row.until,
        resumed_at=row.resumed_at,
        resumed_by=row.resumed_by,
    )
