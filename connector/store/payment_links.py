"""Pay links made at a payment provider, one per reminder's open amount (`PaymentLinkRow`).

The row is the link's record of truth, like the outbox is the action's: `begin` writes it
(`creating`, with the idempotency key the provider is asked with) and commits before the
provider is called; `opened` stores the provider's answer; `reusable` finds the open link for
the same invoices and balances; `mark_paid` records a payment the provider confirmed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from connector.domain.money import Money
from connector.store.models import PaymentLinkRow


@dataclass(frozen=True, slots=True)
class StoredLink:
    id: int
    customer_ref: str
    status: str
    idempotency_key: str
    link_id: str | None
    url: str | None
    amount: Money
    #: invoice ref -> balance, as the link was made for them
    invoices: dict[str, Money]


def fingerprint(tenant: str, customer_ref: str, balances: Mapping[str, Money]) -> str:
    """The invoices and balances a link pays, as one key: equal while no balance changes."""
    parts = [tenant, customer_ref] + [
        f"{ref}={balances[ref].minor}{balances[ref].currency}" for ref in sorted(balances)
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def reusable(session: Session, tenant: str, print_: str) -> StoredLink | None:
    """The latest link for exactly these invoices and balances that is not paid (`open`, or
    `creating`: made by a run that died before storing the answer; its key gets the same link)."""
    row = session.exec(
        select(PaymentLinkRow)
        .where(
            PaymentLinkRow.tenant == tenant,
            PaymentLinkRow.fingerprint == print_,
            col(PaymentLinkRow.status).in_(["creating", "open"]),
        )
        .order_by(col(PaymentLinkRow.id).desc())
    ).first()
    return _stored(row) if row is not None else None


def begin(
    session: Session,
    tenant: str,
    customer_ref: str,
    provider: str,
    print_: str,
    balances: Mapping[str, Money],
    now: datetime,
) -> StoredLink:
    """Record a link about to be made, with its idempotency key: the fingerprint and how many
    links were made for it before (a paid link's invoices, unbooked, may need a second one)."""
    earlier = len(
        session.exec(
            select(PaymentLinkRow.id).where(
                PaymentLinkRow.tenant == tenant, PaymentLinkRow.fingerprint == print_
            )
        ).all()
    )
    key = hashlib.sha256(f"{print_}|{earlier}".encode()).hexdigest()[:32]
    amounts = list(balances.values())
    currency = amounts[0].currency
    row = PaymentLinkRow(
        tenant=tenant,
        customer_ref=customer_ref,
        provider=provider,
        fingerprint=print_,
        idempotency_key=key,
        status="creating",
        currency=currency,
        amount_minor=sum(m.minor for m in amounts),
        invoices={ref: m.minor for ref, m in balances.items()},
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another run began the same link a moment ago: use its row
        found = session.exec(
            select(PaymentLinkRow).where(
                PaymentLinkRow.tenant == tenant, PaymentLinkRow.idempotency_key == key
            )
        ).one()
        return _stored(found)
    return _stored(row)


def opened(session: Session, row_id: int, link_id: str, url: str) -> None:
    session.execute(
        update(PaymentLinkRow)
        .where(col(PaymentLinkRow.id) == row_id, col(PaymentLinkRow.status) == "creating")
        .values(status="open", link_id=link_id, url=url)
    )


def open_links(session: Session, tenant: str, limit: int = 200) -> list[StoredLink]:
    """The tenant's links not known to be paid, newest first (what a webhook re-checks)."""
    rows = session.exec(
        select(PaymentLinkRow)
        .where(PaymentLinkRow.tenant == tenant, PaymentLinkRow.status == "open")
        .order_by(col(PaymentLinkRow.id).desc())
        .limit(limit)
    ).all()
    return [_stored(r) for r in rows]


def by_link_id(session: Session, tenant: str, link_id: str) -> StoredLink | None:
    row = session.exec(
        select(PaymentLinkRow).where(
            PaymentLinkRow.tenant == tenant, PaymentLinkRow.link_id == link_id
        )
    ).first()
    return _stored(row) if row is not None else None


def mark_paid(session: Session, row_id: int, paid_at: datetime) -> bool:
    """Record the provider's confirmed payment; False if it was already recorded."""
    result = session.execute(
        update(PaymentLinkRow)
        .where(col(PaymentLinkRow.id) == row_id, col(PaymentLinkRow.status) == "open")
        .values(status="paid", paid_at=paid_at)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def held_balance(
    session: Session, tenant: str, customer_ref: str, invoice_ref: str
) -> Money | None:
    """The balance of `invoice_ref` as the customer's latest paid link was made for it (what
    that payment covers of the invoice); None when no paid link names it."""
    rows = session.exec(
        select(PaymentLinkRow)
        .where(
            PaymentLinkRow.tenant == tenant,
            PaymentLinkRow.customer_ref == customer_ref,
            PaymentLinkRow.status == "paid",
        )
        .order_by(col(PaymentLinkRow.id).desc())
    ).all()
    for row in rows:
        if invoice_ref in row.invoices:
            return Money.from_minor(row.invoices[invoice_ref], row.currency)
    return None


def links_of(session: Session, tenant: str) -> list[StoredLink]:
    """Every link of the tenant, oldest first (tests, reports)."""
    rows = session.exec(
        select(PaymentLinkRow)
        .where(PaymentLinkRow.tenant == tenant)
        .order_by(col(PaymentLinkRow.id))
    ).all()
    return [_stored(r) for r in rows]


def _stored(row: PaymentLinkRow) -> StoredLink:
    assert row.id is not None
    return StoredLink(
        id=row.id,
        customer_ref=row.customer_ref,
        status=row.status,
        idempotency_key=row.idempotency_key,
        link_id=row.link_id,
        url=row.url,
        amount=Money.from_minor(row.amount_minor, row.currency),
        invoices={ref: Money.from_minor(m, row.currency) for ref, m in row.invoices.items()},
    )
