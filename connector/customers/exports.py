"""The documents an operator asks for about a client's customers, made from the local store:
an account statement, a letter for (registered) post, the collection dossiers of handed-off
customers.

The CLI (`dunning statement`, `letter`, `handoff`) and a console call these same functions: they
find the customer by the name people know, apply the client file's exceptions for the customer
(profile, language, postal address: see `ClientConfig`), open their own store session and return
the files' bytes; writing them somewhere is the caller's business. Run `dunning sync` first for
fresh data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from connector.customers import resolve_customer
from connector.documents import (
    dossier,
    last_statement_day,
    letter_address,
    letter_pdf,
    settings_for,
    statement_pdf,
)
from connector.domain import ActionKind, Customer
from connector.store import ledger_repo, outbox
from connector.store import pauses as pause_repo
from connector.store.db import session_scope

if TYPE_CHECKING:
    from connector.app import App

#: the letters for post `customer_letter` writes
LETTERS = (ActionKind.NOTICE_OF_DEFAULT, ActionKind.FOURTEEN_DAY_LETTER)


class NotInStore(LookupError):
    """The local store holds nothing to make the document from (sync first, or nothing owed)."""


@dataclass(frozen=True)
class CustomerDocument:
    customer: Customer
    pdf: bytes


@dataclass(frozen=True)
class Dossier:
    customer_ref: str
    name: str
    #: `<ref>-<name as a file name>`: the file name of both files, without extension
    stem: str
    pdf: bytes
    csv: str


def customer_statement(
    app: App, tenant: str, customer: str, now: datetime, *, language: str | None = None
) -> CustomerDocument:
    """The account statement of the customer `customer` names (open invoices, paid since the
    last statement, ageing) as of the client's day at `now`, in `language`, else the customer's.

    Raises:
        CustomerLookupError: `customer` names no customer, or several.
        NotInStore: the store holds neither the customer nor any of its invoices.
    """
    client = app.require(tenant)
    named = resolve_customer(app.engine, tenant, customer)
    ref = named.ref
    with session_scope(app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, tenant, customer_refs=[ref])
        history = outbox.history(session, tenant)
    if ref not in snapshot.customers and not snapshot.invoices:
        raise NotInStore(
            f"{tenant}: customer {ref!r} is not in the local store (run `dunning sync`)"
        )
    pdf = statement_pdf(
        settings_for(client, language=language or client.language_for(ref)),
        snapshot,
        ref,
        app.today(tenant, now),
        since=last_statement_day(history, ref),
        address=letter_address(snapshot.customers.get(ref) or named, client.address_for(ref)),
    )
    return CustomerDocument(named, pdf)


def customer_letter(
    app: App, tenant: str, customer: str, kind: ActionKind, now: datetime
) -> CustomerDocument:
    """A notice of default or fourteen-day letter (`kind`, one of `LETTERS`) about the open
    invoices of the customer `customer` names, as of the client's day at `now`.

    Raises:
        CustomerLookupError: `customer` names no customer, or several.
        NotInStore: the customer has no open invoices in the store.
    """
    if kind not in LETTERS:
        raise ValueError(f"{kind.value} is not a letter for post")
    client = app.require(tenant)
    named = resolve_customer(app.engine, tenant, customer)
    ref = named.ref
    with session_scope(app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, tenant, customer_refs=[ref])
    open_ = [i for i in snapshot.invoices.values() if i.is_open]
    if not open_:
        raise NotInStore(f"{tenant}: {named.name} has no open invoices in the local store")
    who = snapshot.customers.get(ref) or Customer(ref, ref)
    pdf = letter_pdf(
        settings_for(client, language=client.language_for(ref)),
        kind,
        who,
        open_,
        app.today(tenant, now),
        profile=client.profile_for(ref, who.profile),
        address=letter_address(who, client.address_for(ref)),
    )
    return CustomerDocument(named, pdf)


def handoff_dossiers(
    app: App, tenant: str, now: datetime, customers: list[str] | None = None
) -> list[Dossier]:
    """A collection dossier (PDF and CSV) per handed-off customer of the client, or per customer
    the texts in `customers` name; by customer ref. Empty: nobody handed off.

    Raises:
        CustomerLookupError: a text in `customers` names no customer, or several.
    """
    client = app.require(tenant)
    named = [resolve_customer(app.engine, tenant, c).ref for c in customers or []]
    with session_scope(app.engine) as session:
        refs = sorted(named or ledger_repo.handed_off_customers(session, tenant))
        snapshot = ledger_repo.load_snapshot(session, tenant, customer_refs=refs)
        history = outbox.history(session, tenant)
        all_pauses = pause_repo.history(session, tenant)
    today = app.today(tenant, now)
    settings = settings_for(client)
    out = []
    for ref in refs:
        who = snapshot.customers.get(ref) or Customer(ref, ref)
        result = dossier(
            settings,
            snapshot,
            history,
            all_pauses,
            ref,
            today,
            profile=client.profile_for(ref, who.profile),
            address=letter_address(who, client.address_for(ref)),
        )
        name = snapshot.customers[ref].name if ref in snapshot.customers else ref
        stem = f"{ref}-{re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-').lower()}"
        out.append(Dossier(ref, name, stem, result.pdf, result.csv))
    return out
