"""A client's receivables figures summed by the database, one function per figure.

A console page of a client with 50,000 invoices cannot turn every invoice into an object for
five bucket totals (seconds per page); these are the same sums as SQL aggregates over the
invoice table (milliseconds). Which invoices count is the report's rule (`connector.report`):
open means status "open" with a positive balance; void, deleted and draft invoices are never
invoiced. The caller gives the bucket boundaries (the report owns them) and the days; tests
prove every figure equal to the report's Python computation on the same ledger.

Amounts are integer minor units, as stored; one figure per currency, never added across.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlmodel import Session

from connector.store.models import InvoiceRow

_INVOICE: Any = InvoiceRow.__table__  # type: ignore[attr-defined]
#: never invoiced (the report skips them)
NOT_INVOICED = ("void", "deleted", "draft")
_CHUNK = 500


def _open(tenant: str) -> Any:
    c = _INVOICE.c
    return and_(c.tenant == tenant, c.status == "open", c.balance_minor > 0)


def main_currency(session: Session, tenant: str) -> str | None:
    """The currency most of the tenant's invoices are in (all of them, whatever their status,
    as the report counts); on a tie the one met first in the table. None: no invoices."""
    c = _INVOICE.c
    row = session.execute(
        select(c.currency)
        .where(c.tenant == tenant)
        .group_by(c.currency)
        .order_by(func.count().desc(), func.min(c.id))
        .limit(1)
    ).first()
    return None if row is None else str(row[0])


def ageing(
    session: Session,
    tenant: str,
    currency: str,
    today: date,
    limits: Sequence[tuple[int, str]],
    last: str,
) -> dict[str, tuple[int, int]]:
    """Open balances in `currency` by days past due on `today`: {bucket: (minor units, count)}.

    `limits`: (at most this many days overdue, bucket) in increasing order; older is `last`."""
    c = _INVOICE.c
    bucket = case(
        *[(c.due_date >= today - timedelta(days=days), literal(name)) for days, name in limits],
        else_=literal(last),
    ).label("bucket")
    rows = session.execute(
        select(bucket, func.sum(c.balance_minor), func.count())
        .where(_open(tenant), c.currency == currency)
        .group_by(bucket)
    ).all()
    found = {str(name): (int(total), int(n)) for name, total, n in rows}
    return {name: found.get(name, (0, 0)) for name in [*(n for _d, n in limits), last]}


def invoiced_between(session: Session, tenant: str, currency: str, after: date, until: date) -> int:
    """Minor units invoiced in `currency` with an issue date after `after`, up to `until`."""
    c = _INVOICE.c
    total = session.execute(
        select(func.coalesce(func.sum(c.total_minor), 0)).where(
            c.tenant == tenant,
            c.currency == currency,
            c.status.not_in(NOT_INVOICED),
            c.issue_date > after,
            c.issue_date <= until,
        )
    ).scalar_one()
    return int(total)


def open_in_other_currencies(session: Session, tenant: str, currency: str) -> dict[str, int]:
    """Open balances in every currency but `currency`: {currency: minor units}."""
    c = _INVOICE.c
    rows = session.execute(
        select(c.currency, func.sum(c.balance_minor))
        .where(_open(tenant), c.currency != currency)
        .group_by(c.currency)
    ).all()
    return {str(cur): int(total) for cur, total in rows}


def customer_balances(
    session: Session, tenant: str, customer_refs: Iterable[str], today: date
) -> dict[str, dict[str, tuple[int, int]]]:
    """Per customer (of those given) and currency: (open, overdue) minor units, overdue meaning
    due before `today`. Customers with nothing open are absent."""
    c = _INVOICE.c
    overdue = func.sum(case((c.due_date < today, c.balance_minor), else_=0))
    out: dict[str, dict[str, tuple[int, int]]] = {}
    refs = sorted(set(customer_refs))
    for start in range(0, len(refs), _CHUNK):
        rows = session.execute(
            select(c.customer_ref, c.currency, func.sum(c.balance_minor), overdue)
            .where(_open(tenant), c.customer_ref.in_(refs[start : start + _CHUNK]))
            .group_by(c.customer_ref, c.currency)
        ).all()
        for ref, cur, total, late in rows:
            out.setdefault(str(ref), {})[str(cur)] = (int(total), int(late))
    return out
