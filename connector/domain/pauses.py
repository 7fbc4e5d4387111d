"""Pauses in dunning: a promise to pay, a dispute, a payment plan, or "do not dun" at all.

A credit controller stops the ladder for a reason and says until when: a customer promised to
pay by Friday, disputes one invoice, pays in instalments, or must not be chased at all. The
planner honours an active pause by planning nothing for what it covers; it never resets the
ladder, so when a promise expires unpaid the invoice climbs on from the step it had reached
(a broken promise is not a reason to start over with a friendly reminder): the planner makes
the next rung a firmer mail, due the day after the pause, and the mail says the promise was not
kept (`connector.policy.planner`, "broken promise").

Pure data, in the domain because the planner, the store and the documents all use it: stored
by `connector.store.pauses`, set from `dunning pause` / `dunning resume`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from connector.domain.ledger import Invoice

#: who set a pause from the customer's own page (`/p/<token>`): shown with the pause, and how the
#: run knows a dispute came from the customer (it writes the business a task for it)
BY_CUSTOMER_PAGE = "the customer (own page)"
#: days a promise made on the customer's own page waits past the promised day before reminders
#: resume (the payment's way through the bank): the pause's `until` is the promised day plus this
PROMISE_GRACE_DAYS = 1


class PauseKind(enum.StrEnum):
    PROMISE = "promise"  # promise to pay until a date: resumes the day after, if still unpaid
    DISPUTE = "dispute"  # the customer disputes (an invoice): until resolved and resumed
    #: payment plan: set by hand, or one per invoice of a plan the customer proposed (ended with
    #: the plan: `connector.customers.plans`)
    PLAN = "plan"
    STOP = "stop"  # do not dun this customer at all
    REPLY = "reply"  # the customer wrote back: a person answers first (until a date)
    #: the customer paid through a pay link (the provider confirmed it) and the ledger has not
    #: booked it yet: the invoice's ladder waits (until the sync shows it paid, at most a few
    #: days), and the thank-you follows the ledger, not the provider
    PAYMENT_PENDING = "payment_pending"

    @property
    def label(self) -> str:
        return {
            PauseKind.PROMISE: "promise to pay",
            PauseKind.DISPUTE: "dispute",
            PauseKind.PLAN: "payment plan",
            PauseKind.STOP: "do not dun",
            PauseKind.REPLY: "customer replied",
            PauseKind.PAYMENT_PENDING: "payment pending",
        }[self]


@dataclass(frozen=True, slots=True)
class Pause:
    """One pause as set by a person; `invoice_ref` None means every invoice of the customer."""

    id: int
    tenant: str
    customer_ref: str
    kind: PauseKind
    reason: str
    created_by: str
    created_at: datetime
    invoice_ref: str | None = None
    #: last day of the pause (inclusive); None: until resumed by hand
    until: date | None = None
    resumed_at: datetime | None = None
    resumed_by: str | None = None

    def active_on(self, day: date) -> bool:
        if self.resumed_at is not None:
            return False
        return self.until is None or day <= self.until

    def covers(self, invoice: Invoice, day: date) -> bool:
        return (
            self.active_on(day)
            and self.customer_ref == invoice.customer_ref
            and (self.invoice_ref is None or self.invoice_ref == invoice.ref)
        )

    @property
    def promised_day(self) -> date | None:
        """The day a promise to pay named: on the customer's own page the pause runs a grace
        day longer than the day they gave; a promise set by a person ends on the day given."""
        if self.kind is not PauseKind.PROMISE or self.until is None:
            return None
        if self.created_by == BY_CUSTOMER_PAGE:
            return self.until - timedelta(days=PROMISE_GRACE_DAYS)
        return self.until

    def describe(self, invoice_number: str | None = None) -> str:
        """In words for people: the invoice by its number when the caller knows it (the
        pause holds the platform's id, a GUID on Exact, which nobody recognises)."""
        shown = invoice_number or self.invoice_ref
        scope = f"invoice {shown}" if self.invoice_ref else "customer"
        until = f" until {self.until.isoformat()}" if self.until else ""
        return f"{self.kind.label} ({scope}){until}: {self.reason} [by {self.created_by}]"
