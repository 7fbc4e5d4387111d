"""What the connector knows of a ledger: customers, invoices, payments.

Adapters map the platform's records into these; nothing outside an adapter knows a platform's
field names. Every record carries the platform's own id (`ref`) as a string.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from connector.domain.addresses import split_addresses
from connector.domain.money import Money


class InvoiceStatus(enum.StrEnum):
    """Our status, derived by the adapter; `OPEN` covers sent, viewed, overdue, partially paid."""

    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    DELETED = "deleted"


class CustomerProfile(enum.StrEnum):
    BUSINESS = "business"
    CONSUMER = "consumer"
    GOVERNMENT = "government"


@dataclass(frozen=True, slots=True)
class Customer:
    ref: str
    name: str
    email: str | None = None
    company_name: str | None = None
    profile: CustomerProfile = CustomerProfile.BUSINESS
    #: None = the platform did not say (list summaries); the adapter fills it before acting.
    reminders_enabled: bool | None = None
    language: str | None = None
    currency: str | None = None
    updated_at: datetime | None = None
    #: postal address as the platform has it, lines separated by newlines (for letters)
    address: str | None = None
    #: the customer number/code people use in the ledger (Exact `Code`); None where the
    #: platform has none
    number: str | None = None

    @property
    def emails(self) -> tuple[str, ...]:
        """The single, valid addresses of the ledger's e-mail field (a mail goes to these)."""
        return split_addresses(self.email).valid

    @property
    def bad_emails(self) -> tuple[str, ...]:
        """Parts of the e-mail field that are not an address (reported, never mailed)."""
        return split_addresses(self.email).invalid


#: a Dutch letter to a Dutch address does not name the country (as a code or a name)
HOME_COUNTRIES = frozenset({"", "nl", "nld", "nederland", "netherlands", "the netherlands"})


def postal_address(
    streets: Sequence[str | None], postcode: str | None, city: str | None, country: str | None
) -> str | None:
    """Letter lines from a platform's address fields: the street lines, "postcode city", and the
    country unless it is home. None without a street (no address worth printing)."""
    lines = [s.strip() for s in streets if s and s.strip()]
    if not lines:
        return None
    place = " ".join(p.strip() for p in (postcode, city) if p and p.strip())
    land = (country or "").strip()
    lines += [x for x in (place, "" if land.lower() in HOME_COUNTRIES else land) if x]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Invoice:
    ref: str
    number: str
    customer_ref: str
    status: InvoiceStatus
    issue_date: date
    due_date: date
    total: Money
    balance: Money
    updated_at: datetime | None = None
    last_payment_date: date | None = None
    #: The platform's own counter of reminders sent, used to reconcile unknown outcomes.
    platform_reminders_sent: int | None = None
    last_reminder_date: date | None = None
    #: where the customer can pay this invoice online, as the platform gives it (Zoho's
    #: `invoice_url`); None where the platform has none. Printed only through `pay_link`.
    pay_url: str | None = None

    @property
    def pay_link(self) -> str | None:
        """`pay_url` when it is fit to print in a mail or letter: an https link with a host and
        nothing that could break out of the text or an attribute (whitespace, quotes, angle
        brackets, control characters). Anything else is dropped: a customer is never sent to
        a plain-http or script link, whatever the ledger holds."""
        return safe_https_url(self.pay_url)

    @property
    def is_open(self) -> bool:
        return self.status is InvoiceStatus.OPEN and self.balance.is_positive()


@dataclass(frozen=True, slots=True)
class Payment:
    ref: str
    customer_ref: str
    date: date
    amount: Money
    invoice_refs: tuple[str, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One tenant's ledger as the planner sees it (read from the store, never from the network)."""

    customers: dict[str, Customer] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    payments: list[Payment] = field(default_factory=list)

    def invoices_of(self, customer_ref: str) -> list[Invoice]:
        return [i for i in self.invoices.values() if i.customer_ref == customer_ref]


_UNSAFE_IN_URL = frozenset(" \"'<>`\\")


def safe_https_url(url: str | None) -> str | None:
    """`url` if it is an https link with a host and no character that would need escaping to
    stay one link (spaces, quotes, angle brackets, backslashes, control characters); else None.
    Templates escape it as well: this decides whether a link is printed at all."""
    if not url or len(url) > 2000:
        return None
    if any(c in _UNSAFE_IN_URL or ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return None
    return url
