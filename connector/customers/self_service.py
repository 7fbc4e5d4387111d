"""What a customer does on their own page (`/p/<token>`, issue #14), as library functions the
page calls: a promise to pay pauses their ladder until the promised day plus a grace day; a
dispute pauses the one invoice disputed until a person resumes it.

The pause is the same `DunningPause` a consultant sets (`pause_customer`), kind promise, with the
customer as who set it, so the planner, the preview, `dunning customers` and the console's
customer page all honour and show it. Each action goes on the client's audit trail and in the
log; the client's next run mails the business about it (`connector.notices`, over the client's
own relay), and about a promise that was not kept, whose invoices the planner then takes on to a
firmer mail that says so (`connector.policy.planner`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from connector.domain import InvoiceStatus
from connector.domain.pauses import BY_CUSTOMER_PAGE, PROMISE_GRACE_DAYS, Pause, PauseKind
from connector.store import audit, ledger_repo
from connector.store import pauses as pause_repo
from connector.store.db import session_scope

if TYPE_CHECKING:
    from connector.app import App

log = logging.getLogger(__name__)

#: who set a pause from the customer's own page (shown with the pause)
BY_CUSTOMER = BY_CUSTOMER_PAGE
#: where the audit trail says it happened
SOURCE = "customer page"
#: days after the promised day before reminders resume (the payment's way through the bank)
GRACE_DAYS = PROMISE_GRACE_DAYS


class PromiseRefused(ValueError):
    """The promise cannot be taken (day out of range, a promise already standing)."""


def standing_promise(app: App, tenant: str, customer_ref: str, today: date) -> Pause | None:
    """The customer's live promise to pay covering `today` or later, if any."""
    with session_scope(app.engine) as session:
        live = pause_repo.live(session, tenant)
    found = [
        p
        for p in live
        if p.customer_ref == customer_ref
        and p.kind is PauseKind.PROMISE
        and p.invoice_ref is None
        and p.active_on(today)
    ]
    return max(found, key=lambda p: p.until or date.max) if found else None


def latest_promise_day(app: App, tenant: str, today: date) -> date:
    return today + timedelta(days=app.require(tenant).customer_page.promise_max_days)


def promise_to_pay(
    app: App, tenant: str, customer_ref: str, customer_name: str, day: date, now: datetime
) -> Pause:
    """Record the customer's promise to pay on `day`: their ladder waits until `day` plus
    `GRACE_DAYS`. One promise at a time: a standing one is not extended from the page.

    Raises:
        PromiseRefused: `day` before today or past the client's maximum, or a promise stands.
    """
    today = app.today(tenant, now)
    if day < today or day > latest_promise_day(app, tenant, today):
        raise PromiseRefused("day out of range")
    if standing_promise(app, tenant, customer_ref, today) is not None:
        raise PromiseRefused("a promise already stands")
    until = day + timedelta(days=GRACE_DAYS)
    with session_scope(app.engine) as session:
        made = pause_repo.add(
            session,
            tenant,
            customer_ref,
            PauseKind.PROMISE,
            reason=f"promised on their own page to pay on {day.isoformat()}",
            by=BY_CUSTOMER,
            now=now,
            until=until,
        )
        audit.record(
            session,
            tenant,
            "customer_page.promise",
            f"{customer_name} promised to pay on {day.isoformat()}; reminders wait until "
            f"{until.isoformat()}",
            now=now,
            data={"customer": customer_ref, "day": day.isoformat(), "until": until.isoformat()},
            actor=f"customer: {customer_name}",
            source=SOURCE,
        )
    log.warning(
        "%s: %s promised on their own page to pay on %s; reminders wait until %s",
        tenant,
        customer_name,
        day.isoformat(),
        until.isoformat(),
    )
    return made


#: the longest reason the page takes for a dispute (characters; the ledger's note carries it)
MAX_DISPUTE_REASON = 500


def disputed_numbers(app: App, tenant: str, customer_ref: str) -> frozenset[str]:
    """The numbers of the customer's invoices under a live dispute (the page says so)."""
    with session_scope(app.engine) as session:
        refs = {
            p.invoice_ref
            for p in pause_repo.live(session, tenant)
            if p.kind is PauseKind.DISPUTE and p.customer_ref == customer_ref and p.invoice_ref
        }
        snapshot = ledger_repo.load_snapshot(session, tenant, customer_refs=[customer_ref])
        return frozenset(
            inv.number for inv in snapshot.invoices_of(customer_ref) if inv.ref in refs
        )


class DisputeRefused(ValueError):
    """The dispute cannot be taken (not an open invoice of theirs, no or too long a reason,
    a dispute already stands on that invoice)."""


def dispute_invoice(
    app: App,
    tenant: str,
    customer_ref: str,
    customer_name: str,
    invoice_number: str,
    reason: str,
    now: datetime,
) -> Pause:
    """Record that the customer disputes one of their open invoices (given by its number, as
    the page shows it): a dispute pause on exactly that invoice, until a person resumes it.
    The business's task in the ledger is written by the next run (`connector.disputes`),
    through the outbox, once per pause.

    Raises:
        DisputeRefused: not one of the customer's open invoices, an empty or over-long reason,
            or a dispute already stands on it.
    """
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_DISPUTE_REASON:
        raise DisputeRefused("reason empty or too long")
    with session_scope(app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, tenant, customer_refs=[customer_ref])
        found = [
            inv
            for inv in snapshot.invoices_of(customer_ref)
            if inv.number == invoice_number
            and inv.status is InvoiceStatus.OPEN
            and inv.balance.is_positive()
        ]
        if len(found) != 1:
            raise DisputeRefused("not an open invoice of this customer")
        invoice = found[0]
        if any(
            p.kind is PauseKind.DISPUTE
            and p.customer_ref == customer_ref
            and p.invoice_ref == invoice.ref
            for p in pause_repo.live(session, tenant)
        ):
            raise DisputeRefused("a dispute already stands on this invoice")
        made = pause_repo.add(
            session,
            tenant,
            customer_ref,
            PauseKind.DISPUTE,
            reason=reason,
            by=BY_CUSTOMER,
            now=now,
            invoice_ref=invoice.ref,
        )
        audit.record(
            session,
            tenant,
            "customer_page.dispute",
            f"{customer_name} disputes invoice {invoice.number}: {reason}",
            now=now,
            data={"customer": customer_ref, "invoice": invoice.number, "reason": reason},
            actor=f"customer: {customer_name}",
            source=SOURCE,
        )
    log.warning(
        "%s: %s disputes invoice %s on their own page; its reminders are paused",
        tenant,
        customer_name,
        invoice.number,
    )
    return made
