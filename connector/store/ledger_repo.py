"""Customers, invoices and payments as last synced, per tenant.

Writes are bulk upserts keyed by (tenant, platform id), so re-reading a window of the ledger is
harmless. Reads build the domain `Snapshot` the planner works on; the planning snapshot holds only
what can matter (open invoices plus the ones with dunning history), so it stays small for large
ledgers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from connector.domain import (
    Customer,
    CustomerProfile,
    Invoice,
    InvoiceStatus,
    Money,
    Payment,
    Snapshot,
)
from connector.store.models import CustomerRow, InvoiceRow, PaymentRow

_CHUNK = 500

#: (dialect, table, columns, keep_on_update, keep_if_null) -> the upsert statement, built once
_UPSERTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], Any] = {}


def _upsert_statement(
    dialect: str,
    model: type[SQLModel],
    columns: tuple[str, ...],
    keep_on_update: tuple[str, ...],
    keep_if_null: tuple[str, ...],
) -> Any:
    """One `INSERT … ON CONFLICT (tenant, ref) DO UPDATE` with bound parameters per column,
    built (and, by SQLAlchemy's statement cache, compiled) once per shape and executed over a
    page's rows with executemany. A multi-row `VALUES` list built per page would be compiled
    anew for every page (~200k bind parameters each time)."""
    table = model.__table__  # type: ignore[attr-defined]
    key = (dialect, table.name, columns, keep_on_update, keep_if_null)
    stmt = _UPSERTS.get(key)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert(table)
        updates = {
            c: func.coalesce(base.excluded[c], table.c[c])
            if c in keep_if_null
            else base.excluded[c]
            for c in columns
            if c not in ("tenant", "ref", *keep_on_update)
        }
        stmt = _UPSERTS[key] = base.on_conflict_do_update(
            index_elements=["tenant", "ref"], set_=updates
        )
    return stmt


def _upsert(
    session: Session,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    keep_on_update: Sequence[str] = (),
    keep_if_null: Sequence[str] = (),
) -> None:
    """Insert or update on (tenant, ref). `keep_on_update`: columns an update never changes;
    `keep_if_null`: columns an update changes only to a non-null value."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt = _upsert_statement(
        dialect, model, tuple(rows[0]), tuple(keep_on_update), tuple(keep_if_null)
    )
    session.execute(stmt, rows)


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per ref (the last wins): a multi-row upsert may not touch a row twice."""
    return list({r["ref"]: r for r in rows}.values())


def upsert_customers(
    session: Session, tenant: str, customers: Sequence[Customer], seen_at: datetime
) -> None:
    rows = [
        {
            "tenant": tenant,
            "ref": c.ref,
            "name": c.name,
            "email": c.email,
            "company_name": c.company_name,
            "profile": c.profile.value,
            "reminders_enabled": c.reminders_enabled,
            "language": c.language,
            "currency": c.currency,
            "updated_at": c.updated_at,
            "seen_at": seen_at,
            "address": c.address,
            "number": c.number,
        }
        for c in customers
    ]
    # A list summary (reminders_enabled None: the platform did not say) does not carry the
    # profile either (Zoho's customer_sub_type is on the detail only): keep what a detail read
    # stored, so a consumer does not turn back into a business at the next sync (issue #4).
    details = [r for r in rows if r["reminders_enabled"] is not None]
    summaries = [r for r in rows if r["reminders_enabled"] is None]
    # Likewise the address: a list without addresses keeps the one a detail read stored.
    _upsert(session, CustomerRow, _dedupe(details), keep_if_null=("address",))
    _upsert(
        session,
        CustomerRow,
        _dedupe(summaries),
        keep_on_update=("profile",),
        keep_if_null=("address",),
    )


def upsert_invoices(
    session: Session, tenant: str, invoices: Sequence[Invoice], seen_at: datetime
) -> None:
    """Insert or replace the invoices. A tombstone (status DELETED without a customer: a platform
    that reports only the id of a deleted record, like Exact's sync/Deleted) only marks a known
    invoice deleted, so its number, customer and amounts stay for the history."""
    tombstones = {
        i.ref: i for i in invoices if i.status is InvoiceStatus.DELETED and not i.customer_ref
    }
    if tombstones:
        known = set(
            session.exec(
                select(InvoiceRow.ref).where(
                    InvoiceRow.tenant == tenant, col(InvoiceRow.ref).in_(list(tombstones))
                )
            ).all()
        )
        for ref in known:
            session.execute(
                update(InvoiceRow)
                .where(col(InvoiceRow.tenant) == tenant, col(InvoiceRow.ref) == ref)
                .values(
                    status=InvoiceStatus.DELETED.value,
                    last_seen_at=seen_at,
                    updated_at=tombstones[ref].updated_at,
                )
            )
        invoices = [i for i in invoices if i.ref not in known]
    rows = [
        {
            "tenant": tenant,
            "ref": i.ref,
            "number": i.number,
            "customer_ref": i.customer_ref,
            "status": i.status.value,
            "issue_date": i.issue_date,
            "due_date": i.due_date,
            "currency": i.total.currency,
            "total_minor": i.total.minor,
            "balance_minor": i.balance.minor,
            "updated_at": i.updated_at,
            "last_payment_date": i.last_payment_date,
            "platform_reminders_sent": i.platform_reminders_sent,
            "last_reminder_date": i.last_reminder_date,
            "pay_url": i.pay_url,
            "last_seen_at": seen_at,
        }
        for i in invoices
    ]
    # a list item does not carry the pay link (Zoho documents it on the detail only)
    _upsert(session, InvoiceRow, _dedupe(rows), keep_if_null=("pay_url",))


def upsert_payments(
    session: Session, tenant: str, payments: Sequence[Payment], seen_at: datetime
) -> None:
    rows = [
        {
            "tenant": tenant,
            "ref": p.ref,
            "customer_ref": p.customer_ref,
            "paid_on": p.date,
            "currency": p.amount.currency,
            "amount_minor": p.amount.minor,
            "invoice_refs": list(p.invoice_refs),
            "updated_at": p.updated_at,
        }
        for p in payments
    ]
    _upsert(session, PaymentRow, _dedupe(rows))


def mark_invoices(session: Session, tenant: str, statuses: dict[str, InvoiceStatus]) -> None:
    for ref, status in statuses.items():
        session.execute(
            update(InvoiceRow)
            .where(col(InvoiceRow.tenant) == tenant, col(InvoiceRow.ref) == ref)
            .values(status=status.value)
        )


def unseen_invoices(session: Session, tenant: str, since: datetime) -> list[str]:
    """Refs of invoices not deleted that no sync has returned since `since`."""
    stmt = select(InvoiceRow.ref).where(
        InvoiceRow.tenant == tenant,
        InvoiceRow.status != InvoiceStatus.DELETED.value,
        or_(col(InvoiceRow.last_seen_at).is_(None), col(InvoiceRow.last_seen_at) < since),
    )
    return list(session.exec(stmt).all())


# -- reads -------------------------------------------------------------------------------
def to_customer(row: CustomerRow | Any) -> Customer:
    """From an ORM row or a plain (Core) row of the customer table."""
    return Customer(
        ref=row.ref,
        name=row.name,
        email=row.email,
        company_name=row.company_name,
        profile=CustomerProfile(row.profile),
        reminders_enabled=row.reminders_enabled,
        language=row.language,
        currency=row.currency,
        updated_at=row.updated_at,
        address=row.address,
        number=row.number,
    )


def to_invoice(row: InvoiceRow | Any) -> Invoice:
    """From an ORM row or a plain (Core) row of the invoice table."""
    return Invoice(
        ref=row.ref,
        number=row.number,
        customer_ref=row.customer_ref,
        status=InvoiceStatus(row.status),
        issue_date=row.issue_date,
        due_date=row.due_date,
        total=Money.from_minor(row.total_minor, row.currency),
        balance=Money.from_minor(row.balance_minor, row.currency),
        updated_at=row.updated_at,
        last_payment_date=row.last_payment_date,
        platform_reminders_sent=row.platform_reminders_sent,
        last_reminder_date=row.last_reminder_date,
        pay_url=row.pay_url,
    )


def to_payment(row: PaymentRow | Any) -> Payment:
    """From an ORM row or a plain (Core) row of the payment table."""
    return Payment(
        ref=row.ref,
        customer_ref=row.customer_ref,
        date=row.paid_on,
        amount=Money.from_minor(row.amount_minor, row.currency),
        invoice_refs=tuple(row.invoice_refs or ()),
        updated_at=row.updated_at,
    )


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _payments(session: Session, tenant: str, customer_refs: Iterable[str]) -> list[Payment]:
    out: list[Payment] = []
    session.flush()
    table = PaymentRow.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(customer_refs):
        rows = session.execute(
            select(table)
            .where(table.c.tenant == tenant, table.c.customer_ref.in_(chunk))
            .order_by(table.c.paid_on)
        )
        out += [to_payment(r) for r in rows]
    return out


def load_snapshot(
    session: Session, tenant: str, *, customer_refs: Sequence[str] | None = None
) -> Snapshot:
    """Everything stored for the tenant, or for the given customers only.

    A whole tenant is read as plain rows, not ORM objects (a report or a console page reads
    every invoice of a client: tens of thousands)."""
    invoices: dict[str, Invoice] = {}
    if customer_refs is None:
        inv = InvoiceRow.__table__  # type: ignore[attr-defined]
        cust = CustomerRow.__table__  # type: ignore[attr-defined]
        invoices = {
            r.ref: to_invoice(r) for r in session.execute(select(inv).where(inv.c.tenant == tenant))
        }
        customers = {
            r.ref: to_customer(r)
            for r in session.execute(select(cust).where(cust.c.tenant == tenant))
        }
        payments = [
            to_payment(r)
            for r in session.exec(select(PaymentRow).where(PaymentRow.tenant == tenant)).all()
        ]
        return Snapshot(customers, invoices, payments)
    # plain rows here too (a console page reads two hundred customers' invoices per request);
    # flushed first, as an ORM query would, so this session's own writes are read back
    session.flush()
    inv = InvoiceRow.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(customer_refs):
        rows = session.execute(
            select(inv).where(inv.c.tenant == tenant, inv.c.customer_ref.in_(chunk))
        )
        invoices.update({r.ref: to_invoice(r) for r in rows})
    return Snapshot(
        customers_by_ref(session, tenant, customer_refs),
        invoices,
        _payments(session, tenant, customer_refs),
    )


def load_planning_snapshot(
    session: Session,
    tenant: str,
    *,
    also: Iterable[str] = (),
    customer_refs: Collection[str] | None = None,
) -> Snapshot:
    """Open invoices, plus the invoices named in `also` (those with dunning history, which the
    planner needs for thank-you mails), and their customers.

    `customer_refs`: only these customers' invoices (`also` included), for planning a large
    tenant in groups of customers: an invoice is planned in its own customer's group only.

    No payments: the planner reads invoices' balances and payment dates, never the payment
    records (issue #18: loading every payment of every customer ever reminded was the largest
    part of the snapshot). Plain rows, not ORM objects: a run reads tens of thousands."""
    invoices: dict[str, Invoice] = {}
    table = InvoiceRow.__table__  # type: ignore[attr-defined]
    open_rows = select(table).where(
        table.c.tenant == tenant,
        table.c.status == InvoiceStatus.OPEN.value,
        table.c.balance_minor > 0,
    )
    if customer_refs is None:
        invoices.update({r.ref: to_invoice(r) for r in session.execute(open_rows)})
    else:
        for chunk in _chunks(customer_refs):
            rows = session.execute(open_rows.where(table.c.customer_ref.in_(chunk)))
            invoices.update({r.ref: to_invoice(r) for r in rows})
    missing = [ref for ref in set(also) if ref not in invoices]
    for chunk in _chunks(missing):
        rows = session.execute(
            select(table).where(table.c.tenant == tenant, table.c.ref.in_(chunk))
        )
        invoices.update({r.ref: to_invoice(r) for r in rows})
    if customer_refs is not None:
        group = set(customer_refs)
        invoices = {ref: i for ref, i in invoices.items() if i.customer_ref in group}
    customers = {i.customer_ref for i in invoices.values()}
    return Snapshot(customers_by_ref(session, tenant, customers), invoices, [])


def open_invoice_counts(session: Session, tenant: str) -> dict[str, int]:
    """Open invoices (with a balance) per customer: the planner's work per customer."""
    table = InvoiceRow.__table__  # type: ignore[attr-defined]
    stmt = (
        select(table.c.customer_ref, func.count())
        .where(
            table.c.tenant == tenant,
            table.c.status == InvoiceStatus.OPEN.value,
            table.c.balance_minor > 0,
        )
        .group_by(table.c.customer_ref)
    )
    return {str(ref): int(n) for ref, n in session.execute(stmt)}


def customers_by_ref(session: Session, tenant: str, refs: Iterable[str]) -> dict[str, Customer]:
    """The stored customers with these refs (plain rows; this session's writes flushed first)."""
    session.flush()
    table = CustomerRow.__table__  # type: ignore[attr-defined]
    out: dict[str, Customer] = {}
    for chunk in _chunks(refs):
        rows = session.execute(
            select(table).where(table.c.tenant == tenant, table.c.ref.in_(chunk))
        )
        out.update({r.ref: to_customer(r) for r in rows})
    return out


def invoices_by_ref(session: Session, tenant: str, refs: Iterable[str]) -> dict[str, Invoice]:
    """The stored invoices with these refs (those the store does not know are left out)."""
    out: dict[str, Invoice] = {}
    session.flush()
    table = InvoiceRow.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(refs):
        rows = session.execute(
            select(table).where(table.c.tenant == tenant, table.c.ref.in_(chunk))
        )
        out.update({r.ref: to_invoice(r) for r in rows})
    return out


def due_dates(session: Session, tenant: str, refs: Iterable[str]) -> dict[str, date]:
    """Due date per invoice ref (plain rows: no objects built)."""
    out: dict[str, date] = {}
    table = InvoiceRow.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(refs):
        rows = session.execute(
            select(table.c.ref, table.c.due_date).where(
                table.c.tenant == tenant, table.c.ref.in_(chunk)
            )
        ).all()
        out.update({ref: due for ref, due in rows})
    return out


def get_customer(session: Session, tenant: str, ref: str) -> Customer | None:
    row = session.exec(
        select(CustomerRow).where(CustomerRow.tenant == tenant, CustomerRow.ref == ref)
    ).first()
    return to_customer(row) if row else None


def set_handed_off(session: Session, tenant: str, customer_ref: str, now: datetime) -> None:
    session.execute(
        update(CustomerRow)
        .where(col(CustomerRow.tenant) == tenant, col(CustomerRow.ref) == customer_ref)
        .values(handed_off_at=now)
    )


def handed_off_customers(session: Session, tenant: str) -> set[str]:
    rows = session.exec(
        select(CustomerRow.ref).where(
            CustomerRow.tenant == tenant, col(CustomerRow.handed_off_at).is_not(None)
        )
    ).all()
    return set(rows)


def counts(session: Session, tenant: str) -> dict[str, int]:
    """Rows per table for the tenant (status output, tests)."""
    from sqlalchemy import func

    out: dict[str, int] = {}
    for name, model in (
        ("customers", CustomerRow),
        ("invoices", InvoiceRow),
        ("payments", PaymentRow),
    ):
        stmt = select(func.count()).select_from(model).where(model.tenant == tenant)
        out[name] = int(session.exec(stmt).one())
    return out
