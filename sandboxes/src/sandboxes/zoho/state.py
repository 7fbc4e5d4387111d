"""In-memory state of the fake Zoho Books: OAuth clients, users, tokens, quotas, organisations.

Everything is guarded by one re-entrant lock (`ZohoState.lock`): HTTP handlers run in server
threads while tests and the payment simulator mutate the ledger. Time only comes from the `now`
callable handed in, so the 1-hour access tokens, 60-second codes, per-minute and daily quotas can
be crossed without sleeping.

Facts follow docs/zoho-books.md. Choices where Zoho's pages are silent or only
integrators report behaviour (each is a `Limits` field when a test might want the other answer):
- Token endpoint errors are HTTP 200 with ``{"error": …}``: ``invalid_client`` (unknown client),
  ``invalid_client_secret`` (wrong secret), ``invalid_code`` (unknown, used or expired code, and
  an unknown or revoked refresh token), ``invalid_redirect_uri``, ``unsupported_grant_type``; the
  refresh throttle answers ``{"error": "Access Denied", "error_description": …,
  "status": "failure"}``.
- API auth: a missing header, another scheme or an unknown token answers 401 code 14 "Invalid
  value passed for authtoken."; an expired or revoked token and a missing scope answer 401 code
  `Limits.auth_error_code` (57, "You are not authorized to perform this operation").
- ``organization_id`` missing or not digits: 400 code 2; an organisation the user does not belong
  to: 400 code 6041 "This user is not associated with the CompanyID/CompanyName:…".
- Quotas per organisation: `Limits.per_minute` per calendar minute (UTC), the plan's daily quota
  per calendar day in the organisation's time zone, optional concurrency. 429 bodies carry code
  44 / 45 / 1070. ``X-Rate-Limit-Limit/-Remaining/-Reset`` describe the daily quota on every
  answer (as observed by integrators); a per-minute 429 describes the minute window instead, so a
  client sleeping until the reset waits seconds, not hours. No ``Retry-After`` unless
  `Limits.retry_after`.
- Invoice status is derived: void and draft as stored; else balance 0 -> paid, 0 < balance <
  total -> partially_paid (even when past due), past due -> overdue, else sent. Turning overdue
  does not change ``last_modified_time``; payments, reminders, voiding and status changes do;
  comments do not.
- ``last_modified_time`` filter: at or after (`Limits.modified_filter_inclusive`), as integrators
  observed; the OpenAPI text says "after".
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")
ID_BASE = 460_000_000_000_000  # Zoho ids are long digit strings
ALL_SCOPES = ("ZohoBooks.fullaccess.all",)

PLAN_DAILY: dict[str, int] = {
    "FREE": 1000,
    "STANDARD": 2000,
    "PROFESSIONAL": 5000,
    "PREMIUM": 10000,
    "ELITE": 10000,
    "ULTIMATE": 10000,
}

#: the documented data centres: location -> (accounts server, API domain)
DATA_CENTRES: dict[str, tuple[str, str]] = {
    "us": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "au": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
}

THROTTLED_TOKEN_MESSAGE = (
    "You have made too many requests continuously. Please try again after some time."  # noqa: S105
)


class OAuthError(Exception):
    """A refusal of the token endpoint: Zoho answers these with HTTP 200 and an ``error`` key."""

    def __init__(
        self,
        error: str,
        description: str | None = None,
        status: int = 200,
        extra: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error}: {description or ''}")
        self.status = status
        self.body: dict[str, str] = {"error": error}
        if description:
            self.body["error_description"] = description
        self.body.update(extra or {})


class ApiError(Exception):
    """A Books API refusal in Zoho's envelope: ``{"code": <nonzero>, "message": …}``."""

    def __init__(
        self, status: int, code: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} code {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def not_found(what: str) -> ApiError:
    return ApiError(404, 1002, f"{what} does not exist.")


def invalid(field_name: str) -> ApiError:
    return ApiError(400, 2, f"Invalid value passed for {field_name}")


@dataclass
class Limits:
    """Quotas, lifetimes and the answers where Zoho's behaviour is not documented."""

    per_minute: int = 100
    #: refuse a query parameter the operation's documentation does not list (400 code 2; the
    #: list is adapters/zoho/reference/zoho-books-api.json, its `_undocumented` part included)
    strict: bool = True
    daily: int | None = None  # None: the organisation's plan decides (PLAN_DAILY)
    concurrent: int | None = None  # simultaneous calls per organisation; None: not enforced
    latency: float = 0.0  # seconds each API call takes (holds a concurrency slot)
    minute_code: int = 44
    daily_code: int = 45
    concurrency_code: int = 1070
    retry_after: bool = False
    access_ttl: int = 3600
    code_ttl: int = 60
    token_requests_per_window: int = 10  # access tokens per refresh token per window
    token_window: int = 600
    access_tokens_per_refresh: int = 10  # live access tokens per refresh token
    refresh_tokens_per_user: int = 20
    auth_error_code: int = 57
    max_per_page: int = 200
    payments_list_key: str = "customerpayments"  # the OpenAPI text says "customer_payments"
    payment_list_modified_time: bool = True  # payment list items carry last_modified_time
    amounts_as_strings: bool = False  # the OpenAPI text types amounts as strings
    modified_filter_inclusive: bool = True


# --- OAuth records ------------------------------------------------------------------------------


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = "Dunning connector"


@dataclass
class User:
    user_id: str
    email: str
    name: str
    organization_ids: list[str]


@dataclass
class AuthCode:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    offline: bool
    consent: bool
    expires_at: datetime
    used: bool = False


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked: bool = False
    issued: deque[datetime] = field(default_factory=deque)  # access-token grants, for the throttle


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    refresh: str | None
    issued_at: datetime
    expires_at: datetime
    revoked: bool = False


@dataclass(frozen=True)
class TokenSet:
    """A token answer; `refresh_token` is None for a refresh grant (Zoho does not rotate)."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    api_domain: str
    client_id: str
    user_id: str

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": self.access_token}
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        body.update(
            api_domain=self.api_domain,
            token_type="Bearer",  # noqa: S106
            expires_in=self.expires_in,
        )
        return body


# --- Books records ------------------------------------------------------------------------------


@dataclass
class Organization:
    organization_id: str
    name: str
    currency_code: str = "EUR"
    currency_symbol: str = "€"
    time_zone: str = "Europe/Amsterdam"
    plan_name: str = "PROFESSIONAL"
    language_code: str = "en"
    contact_name: str = ""
    email: str = ""
    created: date = date(2020, 1, 6)
    is_default_org: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass
class ContactPerson:
    contact_person_id: str
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    is_primary_contact: bool = True


@dataclass
class Contact:
    contact_id: str
    contact_name: str
    company_name: str
    persons: list[ContactPerson]
    created_time: datetime
    last_modified_time: datetime
    customer_sub_type: str = "business"
    payment_reminder_enabled: bool = True
    language_code: str = "nl"
    status: str = "active"
    currency_code: str = "EUR"
    payment_terms: int = 30
    contact_type: str = "customer"
    habit: str | None = None  # simulation only, never shown by the API
    #: ``address``, ``street2``, ``city``, ``zip``, ``country`` as Zoho shows them
    billing_address: dict[str, str] = field(default_factory=dict)

    @property
    def primary(self) -> ContactPerson | None:
        return next((p for p in self.persons if p.is_primary_contact), None)

    @property
    def email(self) -> str:
        person = self.primary
        return person.email if person else ""


@dataclass
class Comment:
    comment_id: str
    description: str
    commented_by: str
    comment_type: str  # "internal" (added through the API/UI) or "system" (history)
    operation_type: str
    at: datetime
    show_comment_to_clients: bool = False


@dataclass
class Invoice:
    invoice_id: str
    invoice_number: str
    customer_id: str
    invoice_date: date  # the API's "date"
    due_date: date
    total: Decimal
    balance: Decimal
    created_time: datetime
    last_modified_time: datetime
    currency_code: str = "EUR"
    state: str = "sent"  # stored: draft, sent or void; the shown status is derived
    reference_number: str = ""
    reminders_sent: int = 0
    last_reminder_sent_date: date | None = None
    is_emailed: bool = True
    payment_reminder_enabled: bool = True
    last_payment_date: date | None = None
    payment_expected_date: date | None = None
    comments: list[Comment] = field(default_factory=list)
    payment_ids: list[str] = field(default_factory=list)

    def status(self, today: date) -> str:
        if self.state in ("void", "draft"):
            return self.state
        if self.balance <= 0:
            return "paid"
        if self.balance < self.total:
            return "partially_paid"
        if self.due_date < today:
            return "overdue"
        return "sent"


@dataclass
class CustomerPayment:
    payment_id: str
    payment_number: str
    customer_id: str
    payment_date: date  # the API's "date"
    amount: Decimal
    applied: list[tuple[str, Decimal]]  # (invoice_id, amount applied)
    created_time: datetime
    last_modified_time: datetime
    payment_mode: str = "banktransfer"
    reference_number: str = ""
    description: str = ""
    currency_code: str = "EUR"


@dataclass(frozen=True)
class SentMail:
    """One mail Zoho sent on our behalf (the sandbox's outbox)."""

    mail_id: int
    kind: str  # payment_reminder, statement, contact_email, invoice
    organization_id: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    invoice_ids: tuple[str, ...]
    contact_id: str
    at: datetime
    with_statement: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "mail_id": self.mail_id,
            "kind": self.kind,
            "organization_id": self.organization_id,
            "to": list(self.to),
            "cc": list(self.cc),
            "subject": self.subject,
            "body": self.body,
            "invoice_ids": list(self.invoice_ids),
            "contact_id": self.contact_id,
            "at": self.at.isoformat(),
            "with_statement": self.with_statement,
        }


class OrgData:
    """One organisation's ledger. `version` changes on every mutation (list caches key on it)."""

    def __init__(self, org: Organization) -> None:
        self.org = org
        self.contacts: dict[str, Contact] = {}
        self.invoices: dict[str, Invoice] = {}
        self.payments: dict[str, CustomerPayment] = {}
        self.deleted_invoices: dict[str, Invoice] = {}
        self.by_customer: dict[str, list[str]] = {}
        self.next_invoice_number = 1
        self.next_payment_number = 1
        self.touches = 0
        self.version = 0

    def today(self, now: datetime) -> date:
        return now.astimezone(self.org.zone).date()

    def contact(self, contact_id: str) -> Contact:
        found = self.contacts.get(contact_id)
        if found is None:
            raise not_found("Contact")
        return found

    def invoice(self, invoice_id: str) -> Invoice:
        found = self.invoices.get(invoice_id)
        if found is None:
            raise not_found("Invoice")
        return found

    def payment(self, payment_id: str) -> CustomerPayment:
        found = self.payments.get(payment_id)
        if found is None:
            raise not_found("Payment")
        return found


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    throttled: Counter[int] = field(default_factory=Counter)  # by Zoho code
    token_calls: int = 0
    token_errors: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # "GET /invoices/{id} 404"

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "total_calls": sum(self.calls.values()),
            "throttled_429": sum(self.throttled.values()),
            "throttled_by_code": {str(k): v for k, v in self.throttled.items()},
            "token_calls": self.token_calls,
            "token_errors": dict(self.token_errors),
            "errors": dict(self.errors),
        }


@dataclass
class RateVerdict:
    allowed: bool
    headers: dict[str, str]
    error: ApiError | None = None


def money(value: Decimal | int | str | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def zoho_time(moment: datetime, zone: ZoneInfo) -> str:
    """``2026-01-05T10:00:00+0100``: Zoho's timestamp (offset without colon, org time zone)."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S%z")


_ZOHO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:?\d{2}|Z)?$")


def parse_zoho_time(text: str, zone: ZoneInfo) -> datetime:
    """The ``last_modified_time`` filter value. A ``+`` sent unencoded arrives as a space and is
    refused, as Zoho does (the reference: encode ``+`` as ``%2B``)."""
    value = text.strip()
    if not _ZOHO_TIME.match(value):
        raise ValueError(text)
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    value = re.sub(r"([+-])(\d{2})(\d{2})$", r"\1\2:\3", value)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def scope_allows(scopes: Iterable[str], module: str, operation: str) -> bool:
    """``ZohoBooks.fullaccess.all``, ``ZohoBooks.<module>.ALL`` or ``ZohoBooks.<module>.<OP>``."""
    wanted = {
        "zohobooks.fullaccess.all",
        f"zohobooks.{module}.all".lower(),
        f"zohobooks.{module}.{operation}".lower(),
    }
    return any(s.strip().lower() in wanted for s in scopes)


class ZohoState:
    """The whole fake platform. Mutations are for tests, the generator and the control surface;
    the HTTP face (`app.py`) calls the same methods."""

    def __init__(
        self,
        now: Callable[[], datetime],
        limits: Limits | None = None,
        location: str = "eu",
        api_domain: str | None = None,
        accounts_server: str | None = None,
    ) -> None:
        self.now = now
        self.limits = limits or Limits()
        self.location = location
        #: what token answers give as ``api_domain`` / the consent redirect as ``accounts-server``;
        #: None: the sandbox's own URL (taken from the request's Host header)
        self.api_domain = api_domain
        self.accounts_server = accounts_server
        self.lock = threading.RLock()
        self.stats = Stats()
        self.clients: dict[str, Client] = {}
        self.users: dict[str, User] = {}
        self.orgs: dict[str, OrgData] = {}
        self.sent_mails: list[SentMail] = []
        self._codes: dict[str, AuthCode] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._access: dict[str, AccessToken] = {}
        self._next_id = ID_BASE
        self._minute: Counter[tuple[str, int]] = Counter()
        self._day: Counter[tuple[str, date]] = Counter()
        self._inflight: Counter[str] = Counter()

    @property
    def calls(self) -> Counter[str]:
        """API calls per ``METHOD /path-template`` (benchmarks report these)."""
        return self.stats.calls

    # --- ids and time ---------------------------------------------------------------------------

    def new_id(self) -> str:
        with self.lock:
            self._next_id += 1
            return str(self._next_id)

    def _now(self) -> datetime:
        moment = self.now()
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.replace(microsecond=0)  # Zoho timestamps have whole seconds

    def data(self, organization_id: str) -> OrgData:
        try:
            return self.orgs[organization_id]
        except KeyError:
            raise KeyError(f"unknown organization {organization_id}") from None

    def today(self, organization_id: str) -> date:
        return self.data(organization_id).today(self._now())

    def _changed(self, od: OrgData) -> None:
        od.version += 1

    # --- setup ----------------------------------------------------------------------------------

    def add_client(
        self, client_id: str, client_secret: str, redirect_uris: Iterable[str] = ()
    ) -> Client:
        with self.lock:
            client = Client(client_id, client_secret, list(redirect_uris))
            self.clients[client_id] = client
            return client

    def add_organization(self, organization_id: str, name: str, **extra: Any) -> Organization:
        with self.lock:
            if organization_id in self.orgs:
                return self.orgs[organization_id].org
            if not organization_id.isdigit():
                raise ValueError("Zoho organization ids are digits")
            org = Organization(organization_id, name, **extra)
            self.orgs[organization_id] = OrgData(org)
            return org

    def add_user(
        self,
        email: str,
        organization_ids: Iterable[str],
        name: str | None = None,
        user_id: str | None = None,
    ) -> User:
        with self.lock:
            orgs = list(organization_ids)
            for org_id in orgs:
                self.data(org_id)
            user = User(user_id or self.new_id(), email, name or email, orgs)
            self.users[user.user_id] = user
            return user

    def add_contact(
        self,
        organization_id: str,
        name: str,
        email: str = "",
        first_name: str = "",
        last_name: str = "",
        company_name: str | None = None,
        sub_type: str = "business",
        language_code: str = "nl",
        payment_terms: int = 30,
        habit: str | None = None,
        contact_id: str | None = None,
        created: datetime | None = None,
    ) -> Contact:
        with self.lock:
            od = self.data(organization_id)
            when = (created or self._now()).replace(microsecond=0)
            cid = contact_id or self.new_id()
            person = ContactPerson(self.new_id(), first_name, last_name, email)
            contact = Contact(
                cid,
                name,
                company_name if company_name is not None else name,
                [person] if email or first_name or last_name else [],
                when,
                when,
                customer_sub_type=sub_type,
                language_code=language_code,
                currency_code=od.org.currency_code,
                payment_terms=payment_terms,
                habit=habit,
            )
            od.contacts[cid] = contact
            od.by_customer.setdefault(cid, [])
            self._changed(od)
            return contact

    def add_invoice(
        self,
        organization_id: str,
        customer_id: str,
        total: Decimal | int | str,
        invoice_date: date,
        due_date: date | None = None,
        invoice_number: str | None = None,
        status: str = "sent",
        invoice_id: str | None = None,
        reference_number: str = "",
        created: datetime | None = None,
    ) -> Invoice:
        """A new invoice (``status`` draft or sent; see `void_invoice`)."""
        with self.lock:
            od = self.data(organization_id)
            contact = od.contact(customer_id)
            if status not in ("draft", "sent"):
                raise ValueError("a new invoice is draft or sent")
            amount = money(total)
            if amount <= 0:
                raise ValueError("an invoice total must be positive")
            when = (created or self._now()).replace(microsecond=0)
            number = invoice_number or f"INV-{od.next_invoice_number:06d}"
            od.next_invoice_number += 1
            inv = Invoice(
                invoice_id or self.new_id(),
                number,
                customer_id,
                invoice_date,
                due_date or invoice_date + timedelta(days=contact.payment_terms),
                amount,
                amount,
                when,
                when,
                currency_code=od.org.currency_code,
                state=status,
                reference_number=reference_number,
                is_emailed=status == "sent",
            )
            od.invoices[inv.invoice_id] = inv
            od.by_customer.setdefault(customer_id, []).append(inv.invoice_id)
            self._changed(od)
            return inv

    # --- ledger changes -------------------------------------------------------------------------

    def _history(self, inv: Invoice, text: str, operation: str, at: datetime) -> None:
        inv.comments.append(Comment(self.new_id(), text, "Zoho Books", "system", operation, at))

    def record_payment(
        self,
        organization_id: str,
        invoice_id: str,
        amount: Decimal | int | str,
        on: date | None = None,
        payment_mode: str = "banktransfer",
        reference_number: str = "",
        at: datetime | None = None,
    ) -> CustomerPayment:
        """A customer payment applied to one invoice: lowers the balance (status becomes
        partially_paid or paid), sets ``last_payment_date`` and ``last_modified_time`` (`at`,
        default now) and adds a history row. Overpaying, or paying a draft/void invoice, raises
        ValueError (Zoho would book the excess as credit; the sandbox keeps it simple)."""
        with self.lock:
            od = self.data(organization_id)
            inv = od.invoice(invoice_id)
            paid = money(amount)
            if inv.state != "sent":
                raise ValueError(f"invoice {invoice_id} is {inv.state}: cannot be paid")
            if paid <= 0 or paid > inv.balance:
                raise ValueError(f"payment {paid} must be positive and at most {inv.balance}")
            when = (at or self._now()).replace(microsecond=0)
            day = on or od.today(when)
            payment = CustomerPayment(
                self.new_id(),
                str(od.next_payment_number),
                inv.customer_id,
                day,
                paid,
                [(invoice_id, paid)],
                when,
                when,
                payment_mode,
                reference_number,
                currency_code=inv.currency_code,
            )
            od.next_payment_number += 1
            od.payments[payment.payment_id] = payment
            inv.balance = (inv.balance - paid).quantize(CENT)
            inv.last_payment_date = day
            inv.last_modified_time = when
            inv.payment_ids.append(payment.payment_id)
            self._history(
                inv,
                f"Payment of amount {inv.currency_code} {paid} received and applied for invoice.",
                "payment_added",
                when,
            )
            self._changed(od)
            return payment

    def void_invoice(self, organization_id: str, invoice_id: str) -> Invoice:
        """Status void, balance 0. An invoice with payments cannot be voided (as in Zoho)."""
        with self.lock:
            od = self.data(organization_id)
            inv = od.invoice(invoice_id)
            if inv.payment_ids:
                raise ValueError("an invoice with payments cannot be voided")
            inv.state = "void"
            inv.balance = Decimal("0.00")
            inv.last_modified_time = self._now()
            self._history(
                inv, "Invoice status changed to Void.", "status_void", inv.last_modified_time
            )
            self._changed(od)
            return inv

    def set_invoice_status(self, organization_id: str, invoice_id: str, status: str) -> Invoice:
        """``POST /invoices/{id}/status/{sent|draft|void}``."""
        if status == "void":
            return self.void_invoice(organization_id, invoice_id)
        with self.lock:
            od = self.data(organization_id)
            inv = od.invoice(invoice_id)
            if status not in ("sent", "draft"):
                raise ValueError(f"unknown status {status}")
            if status == "draft" and inv.payment_ids:
                raise ValueError("an invoice with payments cannot go back to draft")
            if inv.state == "void":  # voiding needs no payments: the full total is due again
                inv.balance = inv.total
            inv.state = status
            inv.last_modified_time = self._now()
            self._history(
                inv, f"Invoice marked as {status}.", f"status_{status}", inv.last_modified_time
            )
            self._changed(od)
            return inv

    def delete_invoice(self, organization_id: str, invoice_id: str) -> None:
        """Gone from lists; detail answers 404 code 1002. Refused with payments (as in Zoho)."""
        with self.lock:
            od = self.data(organization_id)
            inv = od.invoice(invoice_id)
            if inv.payment_ids:
                raise ValueError("an invoice with payments cannot be deleted")
            del od.invoices[invoice_id]
            od.by_customer[inv.customer_id].remove(invoice_id)
            od.deleted_invoices[invoice_id] = inv
            self._changed(od)

    def touch_invoice(
        self, organization_id: str, invoice_id: str, at: datetime | None = None
    ) -> Invoice:
        """An edit without a visible difference: only ``last_modified_time`` moves."""
        with self.lock:
            od = self.data(organization_id)
            inv = od.invoice(invoice_id)
            inv.last_modified_time = (at or self._now()).replace(microsecond=0)
            self._changed(od)
            return inv

    # --- what the connector writes --------------------------------------------------------------

    def _mail(
        self,
        od: OrgData,
        kind: str,
        to: Iterable[str],
        cc: Iterable[str],
        subject: str,
        body: str,
        invoice_ids: Iterable[str],
        contact_id: str,
        with_statement: bool = False,
    ) -> SentMail:
        mail = SentMail(
            len(self.sent_mails) + 1,
            kind,
            od.org.organization_id,
            tuple(to),
            tuple(cc),
            subject,
            body,
            tuple(invoice_ids),
            contact_id,
            self._now(),
            with_statement,
        )
        self.sent_mails.append(mail)
        return mail

    def send_payment_reminder(
        self,
        organization_id: str,
        invoice_id: str,
        to: Iterable[str] = (),
        cc: Iterable[str] = (),
        subject: str | None = None,
        body: str | None = None,
        with_statement: bool = False,
    ) -> SentMail:
        """``POST /invoices/{id}/paymentreminder``: only for open (sent, overdue, partially paid)
        invoices. Bumps ``reminders_sent``, ``last_reminder_sent_date`` and
        ``last_modified_time``, adds a history row, records the mail. Without recipients the
        primary contact person gets it; without subject/body Zoho's default template is used."""
        with self.lock:
            od = self.data(organization_id)
            inv = od.invoice(invoice_id)
            if inv.status(od.today(self._now())) not in ("sent", "overdue", "partially_paid"):
                raise ApiError(
                    400, 4010, "Payment reminders can be sent only for open and overdue invoices."
                )
            contact = od.contact(inv.customer_id)
            recipients = list(to) or ([contact.email] if contact.email else [])
            if not recipients:
                raise ApiError(400, 4011, "Please add a contact person with an email address.")
            mail = self._mail(
                od,
                "payment_reminder",
                recipients,
                cc,
                subject or f"Payment reminder for invoice {inv.invoice_number}",
                body
                or f"Dear customer, invoice {inv.invoice_number} of {inv.currency_code} "
                f"{inv.balance} is due.",
                [invoice_id],
                inv.customer_id,
                with_statement,
            )
            inv.reminders_sent += 1
            inv.last_reminder_sent_date = od.today(mail.at)
            inv.last_modified_time = mail.at
            self._history(
                inv,
                f"Payment reminder sent to {', '.join(recipients)}",
                "reminder_emailed",
                mail.at,
            )
            self._changed(od)
            return mail

    def email_invoice(
        self,
        organization_id: str,
        invoice_id: str,
        to: Iterable[str],
        cc: Iterable[str],
        subject: str,
        body: str,
    ) -> SentMail:
        """``POST /invoices/{id}/email``: a draft becomes sent."""
        with self.lock:
            od = self.data(organization_id)
            inv = od.invoice(invoice_id)
            if inv.state == "void":
                raise ApiError(400, 4012, "Void invoices cannot be emailed.")
            mail = self._mail(od, "invoice", to, cc, subject, body, [invoice_id], inv.customer_id)
            inv.state = "sent"
            inv.is_emailed = True
            inv.last_modified_time = mail.at
            self._history(inv, f"Invoice emailed to {', '.join(mail.to)}", "emailed", mail.at)
            self._changed(od)
            return mail

    def email_statement(
        self,
        organization_id: str,
        contact_id: str,
        to: Iterable[str],
        cc: Iterable[str],
        subject: str,
        body: str,
        start: date | None = None,
        end: date | None = None,
    ) -> SentMail:
        """``POST /contacts/{id}/statements/email`` (period defaults to the current month)."""
        with self.lock:
            od = self.data(organization_id)
            contact = od.contact(contact_id)
            today = od.today(self._now())
            start = start or today.replace(day=1)
            end = end or today
            if end < start:
                raise invalid("end_date")
            open_ids = [
                i
                for i in od.by_customer.get(contact.contact_id, [])
                if start <= od.invoices[i].invoice_date <= end
            ]
            return self._mail(od, "statement", to, cc, subject, body, open_ids, contact_id, True)

    def email_contact(
        self,
        organization_id: str,
        contact_id: str,
        to: Iterable[str],
        subject: str,
        body: str,
        with_statement: bool = False,
    ) -> SentMail:
        """``POST /contacts/{id}/email``."""
        with self.lock:
            od = self.data(organization_id)
            od.contact(contact_id)
            return self._mail(
                od, "contact_email", to, (), subject, body, (), contact_id, with_statement
            )

    def add_comment(
        self,
        organization_id: str,
        invoice_id: str,
        description: str,
        show_comment_to_clients: bool = False,
        commented_by: str = "API user",
    ) -> Comment:
        with self.lock:
            od = self.data(organization_id)
            inv = od.invoice(invoice_id)
            comment = Comment(
                self.new_id(),
                description,
                commented_by,
                "internal",
                "added",
                self._now(),
                show_comment_to_clients,
            )
            inv.comments.append(comment)
            return comment

    def set_contact_reminders(
        self, organization_id: str, contact_id: str, enabled: bool
    ) -> Contact:
        with self.lock:
            od = self.data(organization_id)
            contact = od.contact(contact_id)
            contact.payment_reminder_enabled = enabled
            contact.last_modified_time = self._now()
            self._changed(od)
            return contact

    def set_invoice_reminders(
        self, organization_id: str, invoice_id: str, enabled: bool
    ) -> Invoice:
        with self.lock:
            od = self.data(organization_id)
            inv = od.invoice(invoice_id)
            inv.payment_reminder_enabled = enabled
            inv.last_modified_time = self._now()
            self._changed(od)
            return inv

    def mails(
        self, kind: str | None = None, contact_id: str | None = None, invoice_id: str | None = None
    ) -> list[SentMail]:
        """The outbox, optionally filtered."""
        with self.lock:
            return [
                m
                for m in self.sent_mails
                if (kind is None or m.kind == kind)
                and (contact_id is None or m.contact_id == contact_id)
                and (invoice_id is None or invoice_id in m.invoice_ids)
            ]

    # --- OAuth ----------------------------------------------------------------------------------

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        scopes: Iterable[str] = ALL_SCOPES,
        offline: bool = True,
        consent: bool = True,
        user_id: str | None = None,
    ) -> str:
        """The consent page, auto-approved: a one-time code valid `Limits.code_ttl` seconds."""
        with self.lock:
            client = self.clients.get(client_id)
            if client is None:
                raise OAuthError("invalid_client", "Invalid Client", status=400)
            if redirect_uri not in client.redirect_uris:
                raise OAuthError("invalid_redirect_uri", "Invalid Redirect Uri", status=400)
            if user_id is None:
                if not self.users:
                    raise OAuthError("access_denied", "No user to log in.", status=400)
                user_id = next(iter(self.users))
            if user_id not in self.users:
                raise OAuthError("access_denied", "Unknown user.", status=400)
            code = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
            self._codes[code] = AuthCode(
                code,
                client_id,
                user_id,
                redirect_uri,
                tuple(scopes),
                offline,
                consent,
                self._now() + timedelta(seconds=self.limits.code_ttl),
            )
            return code

    def _new_access(
        self,
        client_id: str,
        user_id: str,
        scopes: tuple[str, ...],
        refresh: RefreshToken | None,
        now: datetime,
    ) -> AccessToken:
        token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        access = AccessToken(
            token,
            client_id,
            user_id,
            scopes,
            refresh.token if refresh else None,
            now,
            now + timedelta(seconds=self.limits.access_ttl),
        )
        self._access[token] = access
        if refresh is not None:
            refresh.issued.append(now)
            live = [
                a
                for a in self._access.values()
                if a.refresh == refresh.token and not a.revoked and a.expires_at > now
            ]
            for oldest in sorted(live, key=lambda a: a.issued_at)[
                : max(0, len(live) - self.limits.access_tokens_per_refresh)
            ]:
                oldest.revoked = True
        return access

    def _new_refresh(
        self, client_id: str, user_id: str, scopes: tuple[str, ...], now: datetime
    ) -> RefreshToken:
        token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        refresh = RefreshToken(token, client_id, user_id, scopes, now)
        self._refresh[token] = refresh
        mine = [r for r in self._refresh.values() if r.user_id == user_id and not r.revoked]
        for oldest in sorted(mine, key=lambda r: r.created_at)[
            : max(0, len(mine) - self.limits.refresh_tokens_per_user)
        ]:
            self._revoke_refresh(oldest)
        return refresh

    def _revoke_refresh(self, refresh: RefreshToken) -> None:
        refresh.revoked = True
        for access in self._access.values():
            if access.refresh == refresh.token:
                access.revoked = True

    def issue_tokens_for_tests(
        self,
        client_id: str,
        user_id: str | None = None,
        scopes: Iterable[str] = ALL_SCOPES,
        api_domain: str = "",
        issued_at: datetime | None = None,
    ) -> TokenSet:
        """A refresh token and an access token as if the user had just consented."""
        with self.lock:
            if client_id not in self.clients:
                raise KeyError(f"unknown client {client_id}")
            user = user_id or next(iter(self.users))
            when = issued_at or self._now()
            granted = tuple(scopes)
            refresh = self._new_refresh(client_id, user, granted, when)
            access = self._new_access(client_id, user, granted, refresh, when)
            return TokenSet(
                access.token,
                refresh.token,
                self.limits.access_ttl,
                self.api_domain or api_domain,
                client_id,
                user,
            )

    def token_grant(self, form: dict[str, str], api_domain: str = "") -> TokenSet:
        """``POST /oauth/v2/token``; raises `OAuthError` with the body Zoho gives."""
        with self.lock:
            self.stats.token_calls += 1
            try:
                return self._token_grant(form, self.api_domain or api_domain)
            except OAuthError as exc:
                self.stats.token_errors[exc.body["error"]] += 1
                raise

    def _token_grant(self, form: dict[str, str], api_domain: str) -> TokenSet:
        now = self._now()
        client = self.clients.get(form.get("client_id", ""))
        if client is None:
            raise OAuthError("invalid_client")
        if not secrets.compare_digest(
            client.client_secret.encode(), form.get("client_secret", "").encode()
        ):
            raise OAuthError("invalid_client_secret")
        grant = form.get("grant_type", "")
        if grant == "authorization_code":
            code = self._codes.get(form.get("code", ""))
            if (
                code is None
                or code.used
                or code.client_id != client.client_id
                or now >= code.expires_at
            ):
                raise OAuthError("invalid_code")
            if form.get("redirect_uri", "") != code.redirect_uri:
                raise OAuthError("invalid_redirect_uri")
            code.used = True
            refresh: RefreshToken | None = None
            if code.offline:
                existing = any(
                    r.client_id == client.client_id and r.user_id == code.user_id and not r.revoked
                    for r in self._refresh.values()
                )
                if code.consent or not existing:
                    refresh = self._new_refresh(client.client_id, code.user_id, code.scopes, now)
            access = self._new_access(client.client_id, code.user_id, code.scopes, refresh, now)
            return TokenSet(
                access.token,
                refresh.token if refresh else None,
                self.limits.access_ttl,
                api_domain,
                client.client_id,
                code.user_id,
            )
        if grant == "refresh_token":
            found = self._refresh.get(form.get("refresh_token", ""))
            if found is None or found.revoked or found.client_id != client.client_id:
                raise OAuthError("invalid_code")
            window = timedelta(seconds=self.limits.token_window)
            while found.issued and now - found.issued[0] >= window:
                found.issued.popleft()
            if len(found.issued) >= self.limits.token_requests_per_window:
                raise OAuthError(
                    "Access Denied", THROTTLED_TOKEN_MESSAGE, extra={"status": "failure"}
                )
            access = self._new_access(client.client_id, found.user_id, found.scopes, found, now)
            return TokenSet(
                access.token,
                None,
                self.limits.access_ttl,
                api_domain,
                client.client_id,
                found.user_id,
            )
        raise OAuthError("unsupported_grant_type")

    def revoke(self, token: str) -> bool:
        """``POST /oauth/v2/token/revoke``: a refresh token takes its access tokens with it."""
        with self.lock:
            refresh = self._refresh.get(token)
            if refresh is not None:
                self._revoke_refresh(refresh)
                return True
            access = self._access.get(token)
            if access is not None:
                access.revoked = True
                return True
            return False

    def revoke_all(self, client_id: str | None = None) -> int:
        with self.lock:
            chosen = [
                r
                for r in self._refresh.values()
                if not r.revoked and (client_id is None or r.client_id == client_id)
            ]
            for refresh in chosen:
                self._revoke_refresh(refresh)
            return len(chosen)

    def expire_access_tokens(self) -> int:
        """Every live access token expires now (the next API call answers 401)."""
        with self.lock:
            now = self._now()
            live = [a for a in self._access.values() if a.expires_at > now]
            for access in live:
                access.expires_at = now
            return len(live)

    def authenticate(self, authorization: str) -> AccessToken:
        """The token behind ``Authorization: Zoho-oauthtoken …``, or `ApiError` 401."""
        with self.lock:
            scheme, _, token = authorization.strip().partition(" ")
            found = self._access.get(token.strip()) if scheme == "Zoho-oauthtoken" else None
            if found is None:
                raise ApiError(401, 14, "Invalid value passed for authtoken.")
            if found.revoked or self._now() >= found.expires_at:
                raise ApiError(
                    401,
                    self.limits.auth_error_code,
                    "You are not authorized to perform this operation",
                )
            return found

    def check_scope(self, token: AccessToken, module: str, operation: str) -> None:
        if not scope_allows(token.scopes, module, operation):
            raise ApiError(
                401, self.limits.auth_error_code, "You are not authorized to perform this operation"
            )

    def organization_for(self, token: AccessToken, organization_id: str | None) -> OrgData:
        if not organization_id or not organization_id.isdigit():
            raise invalid("organization_id")
        user = self.users.get(token.user_id)
        if (
            user is None
            or organization_id not in user.organization_ids
            or organization_id not in self.orgs
        ):
            raise ApiError(
                400,
                6041,
                f"This user is not associated with the CompanyID/CompanyName:{organization_id}.",
            )
        return self.orgs[organization_id]

    # --- quotas ---------------------------------------------------------------------------------

    def daily_limit(self, organization_id: str) -> int:
        if self.limits.daily is not None:
            return self.limits.daily
        plan = (
            self.orgs[organization_id].org.plan_name.upper()
            if organization_id in self.orgs
            else "FREE"
        )
        return PLAN_DAILY.get(plan, PLAN_DAILY["FREE"])

    def _day_window(self, organization_id: str, now: datetime) -> tuple[date, int]:
        zone = self.orgs[organization_id].org.zone
        local = now.astimezone(zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
        return local.date(), max(1, int((midnight - now).total_seconds()))

    def count_api_call(self, organization_id: str) -> RateVerdict:
        """Count one call against the organisation's per-minute and daily quotas."""
        with self.lock:
            now = self._now()
            minute = int(now.timestamp()) // 60
            day, day_reset = self._day_window(organization_id, now)
            daily = self.daily_limit(organization_id)
            used_minute = self._minute[(organization_id, minute)]
            used_day = self._day[(organization_id, day)]
            if used_minute >= self.limits.per_minute:
                reset = 60 - int(now.timestamp()) % 60
                headers = {
                    "X-Rate-Limit-Limit": str(self.limits.per_minute),
                    "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": str(reset),
                }
                if self.limits.retry_after:
                    headers["Retry-After"] = str(reset)
                self.stats.throttled[self.limits.minute_code] += 1
                return RateVerdict(
                    False,
                    headers,
                    ApiError(
                        429,
                        self.limits.minute_code,
                        "You have made too many requests per minute. Please try again after some "
                        "time.",
                        headers,
                    ),
                )
            headers = {
                "X-Rate-Limit-Limit": str(daily),
                "X-Rate-Limit-Remaining": str(max(0, daily - used_day - 1)),
                "X-Rate-Limit-Reset": str(day_reset),
            }
            if used_day >= daily:
                headers["X-Rate-Limit-Remaining"] = "0"
                if self.limits.retry_after:
                    headers["Retry-After"] = str(day_reset)
                self.stats.throttled[self.limits.daily_code] += 1
                return RateVerdict(
                    False,
                    headers,
                    ApiError(
                        429,
                        self.limits.daily_code,
                        f"You have reached the maximum number of API requests ({daily}) allowed "
                        "for your plan in a day.",
                        headers,
                    ),
                )
            self._minute[(organization_id, minute)] += 1
            self._day[(organization_id, day)] += 1
            return RateVerdict(True, headers)

    def enter_call(self, organization_id: str) -> None:
        """Take a concurrency slot (`Limits.concurrent`), or raise the 429 code 1070."""
        with self.lock:
            cap = self.limits.concurrent
            if cap is not None and self._inflight[organization_id] >= cap:
                self.stats.throttled[self.limits.concurrency_code] += 1
                raise ApiError(
                    429,
                    self.limits.concurrency_code,
                    "You have exceeded the maximum number of concurrent API calls.",
                )
            self._inflight[organization_id] += 1

    def exit_call(self, organization_id: str) -> None:
        with self.lock:
            self._inflight[organization_id] = max(0, self._inflight[organization_id] - 1)

    def usage(self, organization_id: str) -> dict[str, int]:
        """Calls counted in the current minute and day (for tests and `/_sandbox/stats`)."""
        with self.lock:
            now = self._now()
            day, _ = self._day_window(organization_id, now)
            return {
                "minute": self._minute[(organization_id, int(now.timestamp()) // 60)],
                "day": self._day[(organization_id, day)],
                "daily_limit": self.daily_limit(organization_id),
            }

    def reset_counters(self) -> None:
        """Forget quota usage and statistics (not the ledger, tokens or mails)."""
        with self.lock:
            self._minute.clear()
            self._day.clear()
            self._inflight.clear()
            self.stats.calls.clear()  # in place: callers may hold `state.calls`
            self.stats.throttled.clear()
            self.stats.token_errors.clear()
            self.stats.errors.clear()
            self.stats.token_calls = 0
