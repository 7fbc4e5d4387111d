"""Incremental sync of one tenant's ledger into the store.

Each stream (customers, invoices, payments) is read page by page from its stored cursor. Every
page is written in its own transaction together with the cursor the page carries, so an
interrupted sync resumes where it stopped and memory does not grow with the ledger. Adapters
only hand out a cursor once it is safe (the signpost rule: never past the moment the read
started, minus a lag), and upserts keyed by platform id make re-reading a window harmless.

The periodic full reconciliation re-reads every invoice; invoices the store still holds as
existing but that did not come back are looked up one by one, and those the platform no longer
knows are marked deleted (a deleted invoice is never reminded).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlmodel import Session

from connector.domain import Customer, InvoiceStatus
from connector.domain.clock import Clock
from connector.domain.ports import Ledger, Page
from connector.store import cursors, ledger_repo, summaries
from connector.store.db import session_scope

if TYPE_CHECKING:
    from connector.app import App

log = logging.getLogger("connector.sync")

Upsert = Callable[[Session, str, Sequence[Any], datetime], None]


@dataclass
class SyncStats:
    pages: int = 0
    customers: int = 0
    invoices: int = 0
    payments: int = 0
    deleted: int = 0
    full: bool = False
    #: customers read in this sync whose e-mail field holds something that is not an address
    bad_addresses: int = 0

    def summary(self) -> str:
        text = f"{self.customers} customers, {self.invoices} invoices, {self.payments} payments"
        if self.full:
            text += f", full reconciliation ({self.deleted} deleted)"
        if self.bad_addresses:
            text += f", {self.bad_addresses} customers with unusable e-mail addresses"
        return text


def _drain(
    engine: Engine,
    tenant: str,
    stream: str,
    pages: Iterator[Page[Any]],
    upsert: Upsert,
    seen_at: datetime,
    clock: Clock,
    stats: SyncStats,
) -> int:
    count = 0
    for page in pages:
        with session_scope(engine) as session:
            upsert(session, tenant, page.items, seen_at)
            summaries.touch(session, tenant)  # the console's overview figures may change
            if page.cursor is not None:
                cursors.set_cursor(session, tenant, stream, page.cursor, clock.now())
        stats.pages += 1
        count += len(page.items)
    return count


def sync_client(app: App, slug: str, clock: Clock, *, full: bool = False) -> SyncStats:
    """`sync_tenant` for a client of `app` (`dunning sync`, a console's "sync now").

    Raises:
        ClientUnavailable: the client cannot be built (no token, consent needed, broken policy).
        LedgerError: the ledger failed.
    """
    tenant = app.tenant(slug, clock)
    return sync_tenant(tenant.engine, tenant.ledger, slug, clock, full=full)


def sync_tenant(
    engine: Engine, ledger: Ledger, tenant: str, clock: Clock, *, full: bool = False
) -> SyncStats:
    """Bring the store up to date with the ledger. `full` also runs the reconciliation."""
    stats = SyncStats(full=full)
    started = clock.now()
    with session_scope(engine) as session:
        start = {s: cursors.get_cursor(session, tenant, s) for s in STREAMS}
    stats.customers = _drain(
        engine,
        tenant,
        "customers",
        _checked_addresses(tenant, ledger.iter_customers(start["customers"]), stats),
        ledger_repo.upsert_customers,
        started,
        clock,
        stats,
    )
    stats.invoices = _drain(
        engine,
        tenant,
        "invoices",
        ledger.iter_invoices(None if full else start["invoices"]),
        ledger_repo.upsert_invoices,
        started,
        clock,
        stats,
    )
    stats.payments = _drain(
        engine,
        tenant,
        "payments",
        ledger.iter_payments(start["payments"]),
        ledger_repo.upsert_payments,
        started,
        clock,
        stats,
    )
    if full:
        stats.deleted = _reconcile_unseen(engine, ledger, tenant, started)
    log.info("synced %s: %s", tenant, stats.summary())
    return stats


def _checked_addresses(
    tenant: str, pages: Iterator[Page[Customer]], stats: SyncStats
) -> Iterator[Page[Customer]]:
    """Validate and split each customer's e-mail field as it is read: mail goes only to the
    single valid addresses (`Customer.emails`); the rest is counted and logged here and listed
    per customer by `doctor` and `status`."""
    for page in pages:
        for customer in page.items:
            bad = customer.bad_emails
            if bad:
                stats.bad_addresses += 1
                log.warning(
                    "%s: e-mail address of %s not usable: %s",
                    tenant,
                    customer.name,
                    ", ".join(repr(b) for b in bad),
                )
        yield page


def _reconcile_unseen(engine: Engine, ledger: Ledger, tenant: str, started: datetime) -> int:
    """Look up invoices the full read did not return; mark those the platform lost as deleted."""
    with session_scope(engine) as session:
        unseen = ledger_repo.unseen_invoices(session, tenant, started)
    if not unseen:
        return 0
    current = ledger.get_invoices(unseen)
    found = [inv for inv in current.values() if inv is not None]
    gone = {ref: InvoiceStatus.DELETED for ref, inv in current.items() if inv is None}
    with session_scope(engine) as session:
        if found:
            ledger_repo.upsert_invoices(session, tenant, found, started)
        if gone:
            ledger_repo.mark_invoices(session, tenant, gone)
        summaries.touch(session, tenant)
    return len(gone)


STREAMS = ("customers", "invoices", "payments")
