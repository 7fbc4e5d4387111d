"""Customers by the names people know, and the customer overview.

`resolve_customer` finds one customer of a client in the local store from what a person types:
the platform id, the customer number/code, the e-mail address or the name, case-insensitive; an
unambiguous prefix of the name or number is fine. An ambiguous text raises `AmbiguousCustomer`
listing the candidates, an unknown one `UnknownCustomer`: never a silent guess. The CLI (and a
future web console) call it; it reads only the store, so run `dunning sync` for fresh data.

`overview` is what `dunning customers` shows: number, name, profile, ladder, open and overdue
amounts per customer, and the id last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine
from sqlmodel import select

from connector.domain import Customer, CustomerProfile, Money
from connector.domain.ledger import InvoiceStatus
from connector.store.db import session_scope
from connector.store.ledger_repo import load_snapshot, to_customer
from connector.store.models import CustomerRow


class CustomerLookupError(LookupError):
    """The text names no customer, or more than one; the message says which and what to do."""

    def __init__(self, message: str, candidates: Sequence[Customer] = ()) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


class UnknownCustomer(CustomerLookupError):
    pass


class AmbiguousCustomer(CustomerLookupError):
    pass


def label(customer: Customer) -> str:
    """`Name (number, e-mail, id …)`: enough to tell two customers apart."""
    details = [d for d in (customer.number, customer.email) if d]
    details.append(f"id {customer.ref}")
    return f"{customer.name} ({', '.join(details)})"


def match(customers: Iterable[Customer], text: str) -> list[Customer]:
    """The customers `text` names, best kind of match first: exact id; exact number, e-mail or
    name (case-insensitive); else a prefix of the name or number. Empty: none."""
    wanted = text.strip()
    folded = wanted.casefold()
    pool = list(customers)
    if not folded:
        return []
    exact_id = [c for c in pool if c.ref == wanted]
    if exact_id:
        return exact_id
    for attribute in ("number", "email", "name"):
        found = [c for c in pool if (getattr(c, attribute) or "").strip().casefold() == folded]
        if found:
            return found
    return [
        c
        for c in pool
        if c.name.casefold().startswith(folded)
        or (c.number or "").strip().casefold().startswith(folded)
    ]


def resolve_customer(engine: Engine, tenant: str, text: str) -> Customer:
    """The one customer of `tenant` that `text` names (id, number, e-mail, name or a prefix).

    Raises:
        UnknownCustomer: nothing matches (the message says to sync when the store is empty).
        AmbiguousCustomer: several match; `candidates` lists them, and so does the message.
    """
    with session_scope(engine) as session:
        rows = session.exec(select(CustomerRow).where(CustomerRow.tenant == tenant)).all()
        pool = [to_customer(r) for r in rows]
    found = match(pool, text)
    if len(found) == 1:
        return found[0]
    if not found:
        hint = (
            f"the local store has no customers of {tenant} yet: run `dunning sync {tenant}`"
            if not pool
            else f"`dunning customers {tenant} --search TEXT` lists them"
        )
        raise UnknownCustomer(f"{tenant}: no customer matches {text!r} ({hint})")
    shown = sorted(found, key=lambda c: c.name.casefold())
    listing = "; ".join(label(c) for c in shown[:10])
    more = f"; and {len(shown) - 10} more" if len(shown) > 10 else ""
    raise AmbiguousCustomer(
        f"{tenant}: {text!r} matches {len(found)} customers: {listing}{more}; "
        "give the number, e-mail or more of the name",
        shown,
    )


# -- overview ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CustomerLine:
    customer: Customer
    profile: CustomerProfile
    ladder: str
    #: open and overdue balances, one amount per currency (never added across currencies)
    open: tuple[Money, ...] = ()
    overdue: tuple[Money, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def format_amounts(amounts: Sequence[Money], language: str) -> str:
    """`€ 1.234,50` (nl) or `€1,234.50` (en); several currencies joined with ` + `; `-` none."""
    from babel.numbers import format_currency

    from connector.render.mail import LOCALES

    if not amounts:
        return "-"
    locale = LOCALES.get(language, "nl_NL")
    return " + ".join(str(format_currency(m.amount, m.currency, locale=locale)) for m in amounts)


def _per_currency(amounts: Iterable[Money]) -> tuple[Money, ...]:
    sums: dict[str, Money] = {}
    for m in amounts:
        sums[m.currency] = sums[m.currency] + m if m.currency in sums else m
    return tuple(sums[c] for c in sorted(sums))


def overview(
    engine: Engine,
    tenant: str,
    today: date,
    *,
    profile_of: Callable[[Customer], CustomerProfile],
    ladder_of: Callable[[CustomerProfile], str],
    search: str | None = None,
) -> list[CustomerLine]:
    """One line per customer of the client (those `search` names, if given), by name.

    `profile_of(customer) -> CustomerProfile` and `ladder_of(profile) -> str` come from the
    client's configuration (overrides, ladders per profile)."""
    with session_scope(engine) as session:
        snapshot = load_snapshot(session, tenant)
    customers = list(snapshot.customers.values())
    if search:
        customers = match(customers, search)
    lines = []
    for c in sorted(customers, key=lambda c: c.name.casefold()):
        mine = [
            i
            for i in snapshot.invoices.values()
            if i.customer_ref == c.ref and i.status is InvoiceStatus.OPEN
        ]
        profile = profile_of(c)
        lines.append(
            CustomerLine(
                customer=c,
                profile=profile,
                ladder=ladder_of(profile),
                open=_per_currency(i.balance for i in mine if i.balance.is_positive()),
                overdue=_per_currency(
                    i.balance for i in mine if i.balance.is_positive() and i.due_date < today
                ),
            )
        )
    return lines
