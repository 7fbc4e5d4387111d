"""Customers by the names people know, and the customer overview.

`resolve_customer` finds one customer of a client in the local store from what a person types:
the platform id, the customer number/code, the e-mail address or the name, case-insensitive; an
unambiguous prefix of the name or number is fine. An ambiguous text raises `AmbiguousCustomer`
listing the candidates, an unknown one `UnknownCustomer`: never a silent guess. The CLI (and a
future web console) call it; it reads only the store, so run `dunning sync` for fresh data.

`customer_overview` is what `dunning customers` shows: number, name, profile, ladder, open and
overdue amounts, late-payer advice and pauses per customer. `pause_customer` and
`resume_customer` put dunning of a customer (or one invoice) on hold and back, on record. The
CLI and a console call these same functions; each opens its own store session.

Beside them in this operations package: `behaviour` (which customers pay late, for the overview's
advice) and `exports` (the statement, letter and dossier an operator asks for about a customer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlmodel import select

from connector.customers.plans import describe as describe_plan
from connector.domain import Customer, CustomerProfile, Invoice, Money, Snapshot
from connector.domain.ledger import InvoiceStatus
from connector.domain.pauses import Pause, PauseKind
from connector.store import pauses as pause_repo
from connector.store import plans as plan_repo
from connector.store.db import session_scope
from connector.store.ledger_repo import load_snapshot, to_customer
from connector.store.models import CustomerRow

if TYPE_CHECKING:
    from connector.app import App


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
    #: what an operator should know: the chronic-late-payer advice, then the pauses in force
    notes: tuple[str, ...] = field(default_factory=tuple)
    chronic_late_payer: bool = False


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


def customer_overview(
    app: App,
    tenant: str,
    now: datetime,
    *,
    search: str | None = None,
    snapshot: Snapshot | None = None,
    balances: Mapping[str, Mapping[str, tuple[int, int]]] | None = None,
) -> list[CustomerLine]:
    """One line per customer of the client (those `search` names, if given), by name: the
    profile (the client file's override, else the ledger's), the ladder that profile follows,
    open and overdue amounts as of the client's day at `now`, and notes: chronic late payer
    (per the client's `late_payers` rule) and the pauses in force.

    `balances`: the open and overdue minor units per customer and currency as the database
    sums them (`ledger_figures.customer_balances`), when the caller has them; else they are
    added up here from the snapshot (the same figures; a test proves it)."""
    from connector.config.policy_select import resolve_client_policies
    from connector.customers.behaviour import all_behaviour

    client = app.require(tenant)
    today = app.today(tenant, now)
    policies = resolve_client_policies(tenant, client, app.config_dir)
    with session_scope(app.engine) as session:
        if snapshot is None:  # the caller may have read the client's whole ledger already
            snapshot = load_snapshot(session, tenant)
        live = pause_repo.live(session, tenant)
        latest_plans = {p.customer_ref: p for p in plan_repo.of_tenant(session, tenant)}
    behaviour = {b.customer_ref: b for b in all_behaviour(snapshot, today, client.late_payers)}
    customers = list(snapshot.customers.values())
    if search:
        customers = match(customers, search)
    open_by_customer: dict[str, list[Invoice]] = {}
    for i in snapshot.invoices.values():
        if i.status is InvoiceStatus.OPEN:
            open_by_customer.setdefault(i.customer_ref, []).append(i)
    numbers = {i.ref: i.number for i in snapshot.invoices.values()}
    lines = []
    for c in sorted(customers, key=lambda c: c.name.casefold()):
        mine = open_by_customer.get(c.ref, [])
        profile = client.profile_for(c.ref, c.profile)
        b = behaviour.get(c.ref)
        chronic = b is not None and b.chronic_late_payer
        notes = []
        if b is not None and chronic:
            notes.append(f"CHRONIC LATE PAYER ({b.reason}): consider prepayment / credit hold")
        notes += [
            p.describe(numbers.get(p.invoice_ref) if p.invoice_ref else None)
            for p in live
            if p.customer_ref == c.ref and p.active_on(today)
        ]
        if c.ref in latest_plans:
            notes.append(f"payment {describe_plan(latest_plans[c.ref])}")
        if balances is not None:
            sums = balances.get(c.ref, {})
            open_ = tuple(Money.from_minor(sums[cur][0], cur) for cur in sorted(sums))
            overdue = tuple(
                Money.from_minor(sums[cur][1], cur) for cur in sorted(sums) if sums[cur][1]
            )
        else:
            open_ = _per_currency(i.balance for i in mine if i.balance.is_positive())
            overdue = _per_currency(
                i.balance for i in mine if i.balance.is_positive() and i.due_date < today
            )
        lines.append(
            CustomerLine(
                customer=c,
                profile=profile,
                ladder=policies.for_profile(profile).name,
                open=open_,
                overdue=overdue,
                notes=tuple(notes),
                chronic_late_payer=chronic,
            )
        )
    return lines


def names_text(text: str | None, name: str | None, number: str | None, email: str | None) -> bool:
    """Whether a customer's name, number or e-mail contains `text` (any case); any does
    when `text` is empty: the console's customer search."""
    wanted = (text or "").strip().casefold()
    return not wanted or any(wanted in (v or "").casefold() for v in (name, number, email))


def customer_page(
    app: App, tenant: str, now: datetime, *, search: str | None = None, limit: int | None = None
) -> tuple[list[CustomerLine], int]:
    """The first `limit` customers (by name) whose name, number or e-mail contains `search`, as
    `customer_overview` lines, and how many customers match in all.

    Only the customers shown are read in full; their open and overdue amounts are summed by the
    database. A client of 5,000 customers and 50,000 invoices is not loaded for a page of 200."""
    from sqlalchemy import select as core_select

    from connector.store import ledger_figures

    cust: Any = CustomerRow.__table__  # type: ignore[attr-defined]
    with session_scope(app.engine) as session:
        rows = session.execute(
            core_select(cust.c.ref, cust.c.name, cust.c.number, cust.c.email).where(
                cust.c.tenant == tenant
            )
        ).all()
    found = sorted(
        (r for r in rows if names_text(search, r.name, r.number, r.email)),
        key=lambda r: str(r.name).casefold(),
    )
    refs = [str(r.ref) for r in (found if limit is None else found[:limit])]
    today = app.today(tenant, now)
    with session_scope(app.engine) as session:
        snapshot = load_snapshot(session, tenant, customer_refs=refs)
        balances = ledger_figures.customer_balances(session, tenant, refs, today)
    lines = {
        ln.customer.ref: ln
        for ln in customer_overview(app, tenant, now, snapshot=snapshot, balances=balances)
    }
    return [lines[ref] for ref in refs if ref in lines], len(found)


# -- pauses --------------------------------------------------------------------------------
def resolve_pause_target(
    engine: Engine, tenant: str, customer: str | None, invoice: str | None
) -> tuple[Customer, str | None]:
    """(the customer, the invoice ref or None) a pause or resume is about: the customer `customer`
    names, or the owner of `invoice` (ref or number), or both when they agree.

    Raises:
        CustomerLookupError: neither given, an unknown invoice, an invoice of another customer
            than the one named, or a customer text that names none or several.
    """
    if invoice is None:
        if not customer:
            raise CustomerLookupError("name a CUSTOMER or pass --invoice REF")
        return resolve_customer(engine, tenant, customer), None
    with session_scope(engine) as session:
        found = pause_repo.find_invoice_customer(session, tenant, invoice)
    if found is None:
        raise CustomerLookupError(
            f"{tenant}: invoice {invoice!r} is not in the local store (run `dunning sync`)"
        )
    owner, ref = found
    if customer:
        named = resolve_customer(engine, tenant, customer)
        if named.ref != owner:
            raise CustomerLookupError(
                f"invoice {invoice} belongs to another customer than {named.name}"
            )
        return named, ref
    try:
        return resolve_customer(engine, tenant, owner), ref
    except CustomerLookupError:  # an invoice whose customer the store does not hold
        return Customer(owner, owner), ref


def pause_customer(
    app: App,
    tenant: str,
    *,
    customer: str | None,
    invoice: str | None,
    kind: PauseKind,
    until: date | None,
    reason: str,
    by: str,
    now: datetime,
) -> tuple[Customer, Pause]:
    """Pause dunning of a customer (or of one invoice), on record with who, why and when; the
    planner honours it from the next run.

    Raises:
        ValueError: `until` before the client's today, no reason, a promise without `until`.
        CustomerLookupError: see `resolve_pause_target`.
    """
    if until is not None and until < app.today(tenant, now):
        raise ValueError("--until is in the past")
    who, invoice_ref = resolve_pause_target(app.engine, tenant, customer, invoice)
    with session_scope(app.engine) as session:
        made = pause_repo.add(
            session,
            tenant,
            who.ref,
            kind,
            reason=reason,
            by=by,
            now=now,
            invoice_ref=invoice_ref,
            until=until,
        )
    return who, made


def resume_customer(
    app: App,
    tenant: str,
    *,
    customer: str | None,
    invoice: str | None,
    kind: PauseKind | None,
    by: str,
    now: datetime,
) -> tuple[Customer, list[Pause]]:
    """End the customer's live pauses by hand (only the invoice's, only those of `kind`, when
    given); the ladder continues from the step each invoice had reached. Returns the customer
    and the pauses ended (none: there was nothing to resume).

    Raises:
        CustomerLookupError: see `resolve_pause_target`.
    """
    who, invoice_ref = resolve_pause_target(app.engine, tenant, customer, invoice)
    with session_scope(app.engine) as session:
        ended = pause_repo.resume(
            session, tenant, who.ref, by=by, now=now, invoice_ref=invoice_ref, kind=kind
        )
    return who, ended
