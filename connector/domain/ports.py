"""The `Ledger` protocol every platform adapter implements, and the small types it speaks.

Reads are streamed page by page (`Page`), each with the cursor to store once the page is saved,
so memory does not grow with the size of the ledger. Writes go through `perform`, called only by
the dispatcher after the action is in the outbox; `reconcile` answers "did this happen?" for an
action whose outcome is unknown (crash between send and mark, timeout after send).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from connector.domain import Action, ActionKind, Customer, Invoice, Payment

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of records. `cursor` is what to store after this page is saved (None: keep the
    previous cursor until the stream ends)."""

    items: list[T]
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What an adapter can do itself; the dispatcher fills the gaps (e.g. SMTP for Exact)."""

    kinds: frozenset[ActionKind]
    sends_mail_itself: bool = True
    attachments: bool = False
    #: the customers the sync stores carry what the dispatcher checks before acting (e-mail,
    #: reminders switched off); when False (Zoho: the flag is on the contact's detail only) a
    #: customer is read once in detail before its first action and kept until it changes
    customer_details_in_sync: bool = True
    #: the most API calls one action takes (re-check, send, ledger note, documents): what the
    #: run plans the day's budget with (connector.policy.budget)
    calls_per_action: int = 4
    #: the invoice's online payment link comes with `get_invoices` (the detail) only, not with
    #: the sync's lists (Zoho's `invoice_url`): the dispatcher reads an invoice in detail before
    #: the first customer mail naming it, and the store keeps the link
    pay_links_on_detail: bool = False


#: `Action.extra` keys the dispatcher fills from the store just before `Ledger.perform`, so an
#: adapter needs no call to learn them: the invoice the action leads with (the oldest due date)
#: and the action's invoice numbers (comma-separated, in the items' order)
LEAD_INVOICE = "lead_invoice"
INVOICE_NUMBERS = "invoice_numbers"


class Outcome(enum.StrEnum):
    SENT = "sent"  # the platform shows it happened
    NOT_SENT = "not_sent"  # the platform shows it did not happen: safe to try again
    UNKNOWN = "unknown"  # no evidence either way: leave for human review


@dataclass(frozen=True, slots=True)
class WriteResult:
    outcome: Outcome
    detail: str = ""
    #: platform references of what was written (comment ids, mail ids), for the audit log
    refs: tuple[str, ...] = ()
    #: calls that went out while performing, for metrics
    extra: dict[str, str] = field(default_factory=dict)


class ErrorKind(enum.StrEnum):
    """How a failure is handled: retried, fails the tenant run, or needs a human (see adapters'
    `errors.py`)."""

    CONFIG = "config"
    CONSENT_NEEDED = "consent_needed"
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    BUDGET_EXHAUSTED = "budget_exhausted"
    MALFORMED = "malformed"
    FATAL = "fatal"


class LedgerError(Exception):
    """Any adapter failure, classified. The message never contains a secret."""

    def __init__(self, kind: ErrorKind, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


class Ledger(Protocol):
    """One connected organisation/division on one platform."""

    platform: str
    capabilities: Capabilities

    def check(self) -> str:
        """One cheap authenticated call (e.g. read the organisation); returns a one-line
        description such as "Acme B.V. (organization 20071234)". Used by `dunning doctor`.

        Further lines starting with ``WARNING: `` are warnings about this connection that
        doctor shows as WARN lines (e.g. the platform's own reminders still running beside
        ours); they do not fail the check."""
        ...

    def iter_customers(self, cursor: str | None) -> Iterator[Page[Customer]]: ...

    def iter_invoices(self, cursor: str | None) -> Iterator[Page[Invoice]]:
        """Invoices changed since `cursor`; with `None`, every invoice (the full reconciliation
        reads this way and then checks locally-known invoices that did not come back)."""
        ...

    def iter_payments(self, cursor: str | None) -> Iterator[Page[Payment]]: ...

    def get_invoices(self, refs: Sequence[str]) -> dict[str, Invoice | None]:
        """Current state of these invoices (None = deleted). Used for reconciliation."""
        ...

    def recheck_customer(self, customer_ref: str, since: datetime | None) -> list[Invoice]:
        """Re-read a customer's invoices right before acting (one call where the API allows)."""
        ...

    def get_customer(self, customer_ref: str) -> Customer:
        """The customer's details (e-mail, reminders enabled), read right before acting."""
        ...

    def perform(self, action: Action, rendered: RenderedMessage | None) -> WriteResult: ...

    def reconcile(self, action: Action, before: dict[str, int | None]) -> Outcome:
        """Did `action` happen? `before` holds each invoice's platform reminder counter as read
        right before the send was attempted."""
        ...


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A mail ready to go: subject, HTML and text bodies, recipients, optional attachments."""

    subject: str
    html: str
    text: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (filename, content, mime type)
    note: str = ""  # the comment/note written back to the ledger
