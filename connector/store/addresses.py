"""Customers whose ledger e-mail field holds something that is not an address (for `doctor`
and `status`): the connector mails only the valid addresses, and names the rest so someone
corrects them in the ledger."""

from __future__ import annotations

from sqlmodel import Session, col, select

from connector.domain.addresses import split_addresses
from connector.store.models import CustomerRow


def unusable_addresses(session: Session, tenant: str) -> list[tuple[str, tuple[str, ...]]]:
    """(customer name, the parts that are not an address) per customer, by name."""
    rows = session.exec(
        select(CustomerRow.name, CustomerRow.email).where(
            CustomerRow.tenant == tenant, col(CustomerRow.email).is_not(None)
        )
    ).all()
    out = [(name, split_addresses(email).invalid) for name, email in rows]
    return sorted((name, bad) for name, bad in out if bad)


def describe(found: list[tuple[str, tuple[str, ...]]], limit: int = 10) -> list[str]:
    """One line per customer, at most `limit`, then how many more."""
    lines = [
        f"e-mail address of {name} not usable: {', '.join(repr(b) for b in bad)}; "
        "fix it in the ledger"
        for name, bad in found[:limit]
    ]
    if len(found) > limit:
        lines.append(f"... and {len(found) - limit} more customers with unusable addresses")
    return lines
