"""The end of a "payment pending" hold: the ledger caught up, or it did not in time.

A Mollie payment confirmed by fetching it (`PaymentLinks.confirm`) holds the invoices it paid:
no reminder while the money is on its way to the business's bank and books. The hold exists only
for that gap, so each run, right after the ledger sync, ends it per invoice when:

* the ledger shows the invoice paid (or no longer open: voided, deleted): the payment arrived.
  The thank-you is the planner's, from the ledger's own payment, never from Mollie's word;
* the ledger booked part of it, so the invoice's balance is below what the paid link was made
  for: the ledger has spoken on this invoice, and what it still shows open is owed. The Mollie
  payment was for less than the balance, or the booking is another payment; either way a hold
  that outlived the booking would shelter an amount nobody paid. The remaining balance is dunned
  again as usual (the ladder goes on from the step it had reached, with a new link for the new
  balance); the business is told what was booked and what is reminded again;
* the client's `payments.pending_days` have passed and the ledger shows nothing: the ladder
  resumes, and the business is told that a payment Mollie took is still not booked (it is for
  a person to find, not a reason to stop dunning for ever).

Each ended hold is resumed in the store (kept on record: who ended it and when), written to the
audit trail and said in the run's output, in invoice numbers and customer names.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from connector.domain.ledger import Invoice, InvoiceStatus
from connector.domain.money import Money
from connector.domain.pauses import Pause, PauseKind
from connector.store import audit, ledger_repo, pauses
from connector.store import payment_links as repo
from connector.store.db import session_scope

log = logging.getLogger("connector.payments")

#: who ends a hold the ledger confirmed (shown with the pause in `dunning customers`)
LEDGER_SYNC = "the ledger sync"
#: who ends a hold the ledger never confirmed
EXPIRED = "payment pending: not booked in time"


@dataclass
class HoldsEnded:
    """What the run's check of the holds did, for its output."""

    booked: int = 0
    partly_booked: int = 0
    expired: int = 0
    lines: list[str] = field(default_factory=list)


def hold_end(
    pause: Pause, invoice: Invoice | None, held: Money | None, today: date
) -> tuple[str, str] | None:
    """Why the hold `pause` on `invoice` ends today, as (event, words), or None while it stands.

    `held` is the invoice's balance as the paid link was made for it (None: not known)."""
    if invoice is None or invoice.status is not InvoiceStatus.OPEN:
        status = invoice.status.value if invoice is not None else "gone from the ledger"
        if invoice is not None and invoice.status is InvoiceStatus.PAID:
            return "booked", "the ledger booked the payment"
        return "booked", f"the invoice is no longer open ({status})"
    if not invoice.balance.is_positive():
        return "booked", "the ledger booked the payment"
    if held is not None and held.currency == invoice.balance.currency and invoice.balance < held:
        return "partly_booked", (
            f"the ledger booked {held - invoice.balance} of the {held} paid online; the "
            f"remaining {invoice.balance} is reminded again as usual"
        )
    if pause.until is not None and today > pause.until:
        return "expired", (
            f"the {held or invoice.balance} paid online is still not booked in the ledger after "
            f"{(today - pause.created_at.date()).days} days: reminders resume; find the payment "
            "in Mollie and book it"
        )
    return None


def settled_holds(session: Session, tenant: str, holds: Sequence[Pause]) -> set[int]:
    """The ids of the "payment pending" holds among `holds` that the ledger has settled
    already (booked, partly booked, no longer open), read only: a plan made before a run ends
    them (`dunning plan`, a dry run) plans as the run will. Expiry is left to the pause's own
    `until`, which the planner checks."""
    out = set()
    for hold in holds:
        if hold.kind is not PauseKind.PAYMENT_PENDING or hold.invoice_ref is None:
            continue
        invoice = ledger_repo.invoices_by_ref(session, tenant, [hold.invoice_ref]).get(
            hold.invoice_ref
        )
        held = repo.held_balance(session, tenant, hold.customer_ref, hold.invoice_ref)
        if hold_end(hold, invoice, held, date.min) is not None:
            out.add(hold.id)
    return out


def end_pending_holds(engine: Engine, tenant: str, now: datetime, today: date) -> HoldsEnded:
    """End the tenant's "payment pending" holds the ledger has settled (see the module doc);
    `today` is the client's local date."""
    done = HoldsEnded()
    with session_scope(engine) as session:
        holds = pauses.live(session, tenant, PauseKind.PAYMENT_PENDING)
    for hold in holds:
        if hold.invoice_ref is None:  # holds are set per invoice; a customer-wide one is a
            continue  # person's doing and ends by hand
        with session_scope(engine) as session:
            invoice = ledger_repo.invoices_by_ref(session, tenant, [hold.invoice_ref]).get(
                hold.invoice_ref
            )
            held = repo.held_balance(session, tenant, hold.customer_ref, hold.invoice_ref)
            ended = hold_end(hold, invoice, held, today)
            if ended is None:
                continue
            event, words = ended
            ended_by = EXPIRED if event == "expired" else LEDGER_SYNC
            if not pauses.end(session, hold.id, by=ended_by, now=now):
                continue  # another run ended it a moment ago
            customer = ledger_repo.get_customer(session, tenant, hold.customer_ref)
            name = customer.name if customer is not None else hold.customer_ref
            number = invoice.number if invoice is not None else hold.invoice_ref
            line = f"{name}, invoice {number}: payment pending ended: {words}"
            audit.record(
                session,
                tenant,
                f"payment_pending.{event}",
                line,
                now=now,
                data={"invoice": hold.invoice_ref, "customer": hold.customer_ref},
            )
        setattr(done, event, getattr(done, event) + 1)
        done.lines.append(line)
        (log.warning if event == "expired" else log.info)("%s: %s", tenant, line)
    return done
