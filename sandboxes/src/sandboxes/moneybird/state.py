"""In-memory state of the fake Moneybird: OAuth applications, users, tokens, administrations and
their contacts, sales invoices, notes and the reminders sent, plus the rate limit.

Everything is guarded by one re-entrant lock (`MoneybirdState.lock`): the HTTP handlers run in
server threads while tests change the ledger. Time only comes from the `now` callable handed in.

What Moneybird documents and the state copies (sources in docs/moneybird.md):
- OAuth 2.0 authorization code flow (``/oauth/authorize``, ``/oauth/token``); scopes
  ``sales_invoices documents estimates bank time_entries settings``, ``sales_invoices`` when none
  is asked for (https://developer.moneybird.com/authentication).
- 150 requests per 5 minutes per user; beyond it HTTP 429 with ``Retry-After`` and the
  ``RateLimit-*`` headers, body ``"Retry later"`` (API description, response
  ``429_too_many_requests``; Moneybird help centre, "API token limiet").
- sales invoice states draft, scheduled, open, pending_payment, late, reminded, paid,
  uncollectible; ``version`` grows with every change (the synchronization API compares it).

Choices where the documentation is silent (each a `Limits` field where a test may want another):
- Access tokens do not expire and the token answer has no ``expires_in`` (integrators report
  "access tokens currently do not expire"); `Limits.access_ttl` makes them expire after that many
  seconds and puts ``expires_in`` in the answer (another integrator reports one hour).
- A refresh answers a new access *and* refresh token; the used refresh token dies at once
  (`Limits.rotate_refresh`), as the OAuth server Moneybird runs does by default.
- ``version`` is the change's time in epoch seconds, one more than the last when two changes
  share a second (so it only grows).
- An open invoice becomes ``late`` the day after its due date (the administration's time zone).
  Moneybird's own reminder workflow sends a reminder `Limits.workflow_reminder_days` days after
  the due date (a step is due while the invoice has had fewer reminders than steps passed) to
  every late invoice that is not paused (recorded like a reminder sent through
  the API, ``by == "workflow"``): a connector that forgets to pause shows up in tests.
- A paid invoice (nothing unpaid) is ``paid``; a reminder for an invoice that is not open, late or
  reminded is refused with 422.
- Webhooks push ``payment_registered`` and ``sales_invoice_state_changed_to_<state>`` for sales
  invoices, in Moneybird's payload shape, from a thread of their own (a receiver may call the API
  back). Each push is tried once: Moneybird retries a push up to 10 times, the fake records the
  answer (``last_http_status``/``last_http_body``) and leaves retrying out. The URL is not called
  on registration (Moneybird checks it answers 200).
"""

from __future__ import annotations

import queue
import random
import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import requests

CENT = Decimal("0.01")
SCOPES = ("sales_invoices", "documents", "estimates", "bank", "time_entries", "settings")
#: what an invoice that can be reminded is in
REMINDABLE = ("open", "late", "reminded")


class OAuthError(Exception):
    """An answer of the token endpoint other than 200 (RFC 6749 error body)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.body = {"error": error, "error_description": description}


class ApiError(Exception):
    """An API answer other than 2xx, in Moneybird's ``{"error": …, "symbolic": {…}}`` shape."""

    def __init__(
        self,
        status: int,
        message: str,
        symbolic: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.symbolic = symbolic
        self.headers = headers or {}

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.symbolic is not None:
            body["symbolic"] = self.symbolic
        return body


def not_found(key: str = "id") -> ApiError:
    return ApiError(404, "record not found", {key: "not_found"})


@dataclass
class Limits:
    #: requests per window per user (help centre: 150 per 5 minutes)
    per_window: int = 150
    window_seconds: int = 300
    #: None: access tokens never expire and the answer has no expires_in
    access_ttl: int | None = None
    code_ttl: int = 600
    rotate_refresh: bool = True
    #: ``per_page`` when none is asked for
    default_per_page: int = 50
    #: days after the due date Moneybird's own workflow reminds an invoice that is not paused
    workflow_reminder_days: tuple[int, ...] = (7, 21)
    #: the authorize page approves at once (no page to click), for tests without a browser
    auto_consent: bool = False
    #: refuse query parameters, filter keys and body properties the reference does not list;
    #: False only to try out an adapter change, never in tests of the product
    strict: bool = True


@dataclass
class App:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = "Dunning connector"


@dataclass
class User:
    id: str
    name: str
    email: str
    administrations: list[str]


@dataclass
class Administration:
    id: str
    name: str
    language: str = "nl"
    currency: str = "EUR"
    country: str = "NL"
    time_zone: str = "Europe/Amsterdam"
    workflow_id: str = ""
    document_style_id: str = ""
    identity_id: str = ""
    #: Moneybird's online payments are on: invoices carry a payment_url
    online_payments: bool = True


@dataclass
class Token:
    access: str
    refresh: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None

    def as_json(self, ttl: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access,
            "token_type": "bearer",
            "refresh_token": self.refresh,
            "scope": " ".join(self.scopes),
            "created_at": int(self.created_at.timestamp()),
        }
        if ttl is not None:
            body["expires_in"] = ttl
        return body


@dataclass
class AuthCode:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    expires_at: datetime
    used: bool = False


@dataclass
class Contact:
    id: str
    administration_id: str
    company_name: str
    firstname: str
    lastname: str
    email: str
    customer_id: str
    created_at: datetime
    updated_at: datetime
    version: int
    send_invoices_to_email: str = ""
    address1: str = ""
    zipcode: str = ""
    city: str = ""
    country: str = "NL"
    phone: str = ""
    archived: bool = False
    habit: str | None = None  # simulation only, never shown by the API


@dataclass
class Payment:
    id: str
    invoice_id: str
    administration_id: str
    payment_date: date
    price: Decimal
    created_at: datetime


@dataclass
class SalesInvoice:
    id: str
    administration_id: str
    contact_id: str
    invoice_id: str | None  # the number; null on a draft
    state: str
    invoice_date: date
    due_date: date
    total: Decimal
    currency: str
    workflow_id: str
    document_style_id: str
    identity_id: str
    reference: str
    created_at: datetime
    updated_at: datetime
    version: int
    payments: list[Payment] = field(default_factory=list)
    paused: bool = False
    reminder_count: int = 0
    sent_at: date | None = None
    paid_at: date | None = None
    marked_uncollectible_on: date | None = None
    public_view_code: str = ""
    payment_url: str | None = None

    @property
    def total_paid(self) -> Decimal:
        return sum((p.price for p in self.payments), Decimal(0)).quantize(CENT)

    @property
    def total_unpaid(self) -> Decimal:
        return max(Decimal(0), self.total - self.total_paid).quantize(CENT)


@dataclass
class Note:
    id: str
    administration_id: str
    entity_id: str
    entity_type: str  # "SalesInvoice" or "Contact"
    note: str
    todo: bool
    assignee_id: str | None
    user_id: str
    created_at: datetime


@dataclass(frozen=True)
class Reminder:
    """One reminder mail Moneybird sent: through the API (``by == "api"``) or by its own
    workflow (``by == "workflow"``)."""

    id: str
    administration_id: str
    at: datetime
    contact_id: str
    sales_invoice_ids: tuple[str, ...]
    by: str
    email_address: str
    reminder_text: str = ""
    delivery_method: str = "Email"
    workflow_id: str = ""
    document_style_id: str = ""
    identity_id: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "administration_id": self.administration_id,
            "at": self.at.isoformat(),
            "contact_id": self.contact_id,
            "sales_invoice_ids": list(self.sales_invoice_ids),
            "by": self.by,
            "email_address": self.email_address,
            "reminder_text": self.reminder_text,
            "delivery_method": self.delivery_method,
            "workflow_id": self.workflow_id,
            "document_style_id": self.document_style_id,
            "identity_id": self.identity_id,
        }


@dataclass
class Webhook:
    id: str
    administration_id: str
    url: str
    enabled_events: list[str]
    token: str
    last_http_status: int | None = None
    last_http_body: str | None = None


@dataclass
class Push:
    """One webhook push: what Moneybird POSTed where, and what came back (None: no answer)."""

    webhook_id: str
    url: str
    action: str
    payload: dict[str, Any]
    idempotency_key: str
    at: datetime
    status: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "url": self.url,
            "action": self.action,
            "payload": self.payload,
            "idempotency_key": self.idempotency_key,
            "at": self.at.isoformat(),
            "status": self.status,
        }


class Ledger:
    """One administration's records (dicts in creation order)."""

    def __init__(self, administration: Administration) -> None:
        self.administration = administration
        self.contacts: dict[str, Contact] = {}
        self.invoices: dict[str, SalesInvoice] = {}
        self.notes: dict[str, Note] = {}
        self.reminders: list[Reminder] = []
        self.webhooks: dict[str, Webhook] = {}
        self.next_number = 1
        #: the local day the late/workflow pass last ran for
        self.checked_day: date | None = None


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    token_calls: int = 0
    token_errors: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "total_calls": sum(self.calls.values()),
            "throttled_429": self.throttled,
            "token_calls": self.token_calls,
            "token_errors": dict(self.token_errors),
            "errors": dict(self.errors),
            "refused": list(self.refused),
        }


@dataclass(frozen=True)
class RateVerdict:
    allowed: bool
    headers: dict[str, str]


class MoneybirdState:
    """The whole fake platform. Mutations are for tests, the generator and the control surface."""

    def __init__(
        self, now: Callable[[], datetime], limits: Limits | None = None, seed: int = 0
    ) -> None:
        self.now = now
        self.limits = limits or Limits()
        self.lock = threading.RLock()
        self.stats = Stats()
        self.apps: dict[str, App] = {}
        self.users: dict[str, User] = {}
        self.ledgers: dict[str, Ledger] = {}
        self._codes: dict[str, AuthCode] = {}
        self._access: dict[str, Token] = {}
        self._refresh: dict[str, Token] = {}
        self._dead_refresh: set[str] = set()
        self._window: Counter[tuple[str, int]] = Counter()
        self._rng = random.Random(seed)
        self._next_id = 474_244_000_000_000_000 + self._rng.randrange(10**12)
        self._version = 0
        #: shows a sales invoice as the API does (set by the app), for webhook payloads
        self.render_invoice: Callable[[SalesInvoice], dict[str, Any]] | None = None
        #: every webhook push, in the order made
        self.pushes: list[Push] = []
        self._outgoing: queue.Queue[Push] = queue.Queue()
        self._courier: threading.Thread | None = None

    # --- ids, time, versions -------------------------------------------------------------------

    def new_id(self) -> str:
        """A Moneybird id: a big integer, given as a string."""
        with self.lock:
            self._next_id += self._rng.randrange(1_000_000, 200_000_000)
            return str(self._next_id)

    def _now(self) -> datetime:
        moment = self.now()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def _next_version(self) -> tuple[datetime, int]:
        now = self._now()
        self._version = max(self._version + 1, int(now.timestamp()))
        return now, self._version

    def _bump(self, record: Contact | SalesInvoice) -> None:
        record.updated_at, record.version = self._next_version()

    def local_day(self, administration_id: str) -> date:
        zone = ZoneInfo(self.ledger(administration_id).administration.time_zone)
        return self._now().astimezone(zone).date()

    # --- setup ---------------------------------------------------------------------------------

    def add_app(self, client_id: str, client_secret: str, redirect_uris: Iterable[str] = ()) -> App:
        with self.lock:
            app = App(client_id, client_secret, list(redirect_uris))
            self.apps[client_id] = app
            return app

    def add_administration(self, name: str, id: str | None = None, **extra: Any) -> Administration:
        with self.lock:
            adm = Administration(
                id=id or self.new_id(),
                name=name,
                workflow_id=self.new_id(),
                document_style_id=self.new_id(),
                identity_id=self.new_id(),
                **extra,
            )
            self.ledgers[adm.id] = Ledger(adm)
            return adm

    def add_user(self, name: str, administrations: Iterable[str], email: str | None = None) -> User:
        with self.lock:
            ids = list(administrations)
            for adm in ids:
                self.ledger(adm)
            user = User(self.new_id(), name, email or f"{name.lower()}@example.nl", ids)
            self.users[user.id] = user
            return user

    def ledger(self, administration_id: str) -> Ledger:
        try:
            return self.ledgers[administration_id]
        except KeyError:
            raise KeyError(f"unknown administration {administration_id}") from None

    def add_contact(
        self,
        administration_id: str,
        company_name: str = "",
        email: str = "",
        *,
        firstname: str = "",
        lastname: str = "",
        send_invoices_to_email: str = "",
        customer_id: str | None = None,
        address1: str = "",
        zipcode: str = "",
        city: str = "",
        country: str = "NL",
        habit: str | None = None,
    ) -> Contact:
        with self.lock:
            ledger = self.ledger(administration_id)
            now, version = self._next_version()
            contact = Contact(
                id=self.new_id(),
                administration_id=administration_id,
                company_name=company_name,
                firstname=firstname,
                lastname=lastname,
                email=email,
                customer_id=customer_id or str(len(ledger.contacts) + 1),
                created_at=now,
                updated_at=now,
                version=version,
                send_invoices_to_email=send_invoices_to_email or email,
                address1=address1,
                zipcode=zipcode,
                city=city,
                country=country,
                habit=habit,
            )
            ledger.contacts[contact.id] = contact
            return contact

    def add_invoice(
        self,
        administration_id: str,
        contact_id: str,
        total: Decimal | int | str,
        invoice_date: date,
        due_date: date | None = None,
        *,
        state: str = "open",
        number: str | None = None,
        currency: str = "EUR",
        reference: str = "",
    ) -> SalesInvoice:
        """A sales invoice as sent (``open``; ``late`` once its due date has passed), or a
        ``draft``/``scheduled`` one (no number)."""
        with self.lock:
            ledger = self.ledger(administration_id)
            if contact_id not in ledger.contacts:
                raise KeyError(f"unknown contact {contact_id}")
            adm = ledger.administration
            now, version = self._next_version()
            draft = state in ("draft", "scheduled")
            if number is None and not draft:
                number = f"{invoice_date.year}-{ledger.next_number:04d}"
                ledger.next_number += 1
            invoice_id = self.new_id()
            invoice = SalesInvoice(
                id=invoice_id,
                administration_id=administration_id,
                contact_id=contact_id,
                invoice_id=None if draft else number,
                state=state,
                invoice_date=invoice_date,
                due_date=due_date or invoice_date + timedelta(days=14),
                total=Decimal(str(total)).quantize(CENT),
                currency=currency,
                workflow_id=adm.workflow_id,
                document_style_id=adm.document_style_id,
                identity_id=adm.identity_id,
                reference=reference,
                created_at=now,
                updated_at=now,
                version=version,
                sent_at=None if draft else invoice_date,
                public_view_code=f"{self._rng.randrange(10**6):06d}",
            )
            if adm.online_payments and not draft:
                a, b = self._rng.getrandbits(256), self._rng.getrandbits(256)
                invoice.payment_url = (
                    f"https://moneybird.com/{administration_id}/external/"
                    f"{a:064x}/{b:064x}/sales_invoice"
                )
            ledger.invoices[invoice.id] = invoice
            self._settle_state(invoice, self.local_day(administration_id))
            return invoice

    # --- what happens to invoices --------------------------------------------------------------

    def _settle_state(self, invoice: SalesInvoice, today: date) -> bool:
        """Move the invoice to the state its payments and due date give; True when it changed."""
        before = invoice.state
        if before in ("draft", "scheduled", "uncollectible"):
            return False
        if invoice.total_unpaid == 0 and invoice.total > 0:
            invoice.state = "paid"
            invoice.paid_at = max((p.payment_date for p in invoice.payments), default=today)
        elif before == "paid":
            invoice.state = "reminded" if invoice.reminder_count else "open"
            invoice.paid_at = None
        if invoice.state == "open" and invoice.due_date < today:
            invoice.state = "late"
        return invoice.state != before

    def record_payment(
        self,
        administration_id: str,
        invoice_id: str,
        amount: Decimal | int | str,
        on: date | None = None,
    ) -> Payment:
        """A payment registered on the invoice (bank link or by hand): lowers what is unpaid,
        bumps the version, makes the invoice ``paid`` when nothing is left."""
        with self.lock:
            ledger = self.ledger(administration_id)
            invoice = ledger.invoices[invoice_id]
            price = Decimal(str(amount)).quantize(CENT)
            if price <= 0:
                raise ValueError("a payment must be positive")
            now = self._now()
            payment = Payment(
                self.new_id(),
                invoice_id,
                administration_id,
                on or self.local_day(administration_id),
                price,
                now,
            )
            invoice.payments.append(payment)
            before = invoice.state
            self._settle_state(invoice, self.local_day(administration_id))
            self._bump(invoice)
            self._emit(ledger, invoice, "payment_registered")
            if invoice.state != before:
                self._emit(ledger, invoice, f"sales_invoice_state_changed_to_{invoice.state}")
            return payment

    def mark_uncollectible(self, administration_id: str, invoice_id: str) -> SalesInvoice:
        with self.lock:
            invoice = self.ledger(administration_id).invoices[invoice_id]
            invoice.state = "uncollectible"
            invoice.marked_uncollectible_on = self.local_day(administration_id)
            self._bump(invoice)
            self._emit(
                self.ledger(administration_id),
                invoice,
                "sales_invoice_state_changed_to_uncollectible",
            )
            return invoice

    def touch(self, administration_id: str, invoice_id: str) -> None:
        """A change without a visible difference (the version still grows)."""
        with self.lock:
            self._bump(self.ledger(administration_id).invoices[invoice_id])

    def daily_pass(self, administration_id: str) -> None:
        """What Moneybird does as days go by, once per local day: open invoices past their due
        date become late, and its own workflow reminds late invoices that are not paused."""
        with self.lock:
            ledger = self.ledger(administration_id)
            today = self.local_day(administration_id)
            if ledger.checked_day == today:
                return
            ledger.checked_day = today
            for invoice in ledger.invoices.values():
                if invoice.state in REMINDABLE and self._settle_state(invoice, today):
                    self._bump(invoice)
                    self._emit(ledger, invoice, f"sales_invoice_state_changed_to_{invoice.state}")
                if invoice.state in REMINDABLE and not invoice.paused:
                    overdue = (today - invoice.due_date).days
                    steps = sum(1 for d in self.limits.workflow_reminder_days if overdue >= d)
                    if invoice.reminder_count < steps:
                        self._remind(ledger, invoice.contact_id, [invoice], "workflow", {})

    def _remind(
        self,
        ledger: Ledger,
        contact_id: str,
        invoices: list[SalesInvoice],
        by: str,
        spec: dict[str, Any],
    ) -> Reminder:
        contact = ledger.contacts[contact_id]
        first = invoices[0]
        reminder = Reminder(
            id=self.new_id(),
            administration_id=ledger.administration.id,
            at=self._now(),
            contact_id=contact_id,
            sales_invoice_ids=tuple(i.id for i in invoices),
            by=by,
            email_address=str(
                spec.get("email_address") or contact.send_invoices_to_email or contact.email
            ),
            reminder_text=str(spec.get("reminder_text") or ""),
            delivery_method=str(spec.get("delivery_method") or "Email"),
            workflow_id=str(spec.get("workflow_id") or first.workflow_id),
            document_style_id=str(spec.get("document_style_id") or first.document_style_id),
            identity_id=str(spec.get("identity_id") or first.identity_id),
        )
        for invoice in invoices:
            invoice.reminder_count += 1
            before, invoice.state = invoice.state, "reminded"
            self._bump(invoice)
            if before != "reminded":
                self._emit(ledger, invoice, "sales_invoice_state_changed_to_reminded")
        ledger.reminders.append(reminder)
        return reminder

    # --- written through the API ---------------------------------------------------------------

    def send_reminders(self, administration_id: str, reminders: list[dict[str, Any]]) -> None:
        """``POST sales_invoices/send_reminders``: every reminder is checked before any is sent."""
        with self.lock:
            ledger = self.ledger(administration_id)
            adm = ledger.administration
            plan: list[tuple[str, list[SalesInvoice], dict[str, Any]]] = []
            for spec in reminders:
                contact_id = str(spec["contact_id"])
                if contact_id not in ledger.contacts:
                    raise not_found("contact_id")
                for key, known in (
                    ("workflow_id", adm.workflow_id),
                    ("document_style_id", adm.document_style_id),
                    ("identity_id", adm.identity_id),
                ):
                    if str(spec[key]) != known:
                        raise not_found(key)
                ids = [str(i) for i in spec["sales_invoice_ids"]]
                if not ids:
                    raise ApiError(
                        400, "Sales invoice ids is required", {"sales_invoice_ids": "required"}
                    )
                invoices: list[SalesInvoice] = []
                for invoice_id in ids:
                    invoice = ledger.invoices.get(invoice_id)
                    if invoice is None or invoice.contact_id != contact_id:
                        raise not_found("sales_invoice_ids")
                    if invoice.state not in REMINDABLE:
                        raise ApiError(
                            422,
                            "Sales invoice should be open, late or reminded",
                            {"sales_invoice_ids": "invalid_state"},
                        )
                    invoices.append(invoice)
                plan.append((contact_id, invoices, spec))
            for contact_id, invoices, spec in plan:
                self._remind(ledger, contact_id, invoices, "api", spec)

    def set_paused(self, administration_id: str, invoice_id: str, paused: bool) -> SalesInvoice:
        with self.lock:
            invoice = self.ledger(administration_id).invoices.get(invoice_id)
            if invoice is None:
                raise not_found()
            if invoice.state in ("draft", "scheduled"):
                raise ApiError(422, "Sales invoice is not sent", {"state": "invalid"})
            if invoice.paused != paused:
                invoice.paused = paused
                self._bump(invoice)
            return invoice

    def add_note(
        self,
        administration_id: str,
        entity_type: str,
        entity_id: str,
        user_id: str,
        note: str,
        todo: bool,
        assignee_id: str | None,
    ) -> Note:
        with self.lock:
            ledger = self.ledger(administration_id)
            table: dict[str, Any] = (
                ledger.invoices if entity_type == "SalesInvoice" else ledger.contacts
            )
            if entity_id not in table:
                raise ApiError(
                    400,
                    f"Entity is invalid; User has no permissions to notes for {entity_type}",
                    {"entity": "not_found", "user": "insufficient_permissions"},
                )
            if not note.strip():
                raise ApiError(422, "Note can't be blank", {"note": "blank"})
            created = Note(
                id=self.new_id(),
                administration_id=administration_id,
                entity_id=entity_id,
                entity_type=entity_type,
                note=note,
                todo=todo or assignee_id is not None,
                assignee_id=assignee_id,
                user_id=user_id,
                created_at=self._now(),
            )
            ledger.notes[created.id] = created
            return created

    def reminders(
        self,
        administration_id: str | None = None,
        *,
        by: str | None = None,
        invoice_id: str | None = None,
    ) -> list[Reminder]:
        """The reminders sent, oldest first (all administrations, or one)."""
        with self.lock:
            ledgers = (
                [self.ledger(administration_id)] if administration_id else self.ledgers.values()
            )
            out = [r for ledger in ledgers for r in ledger.reminders]
            if by is not None:
                out = [r for r in out if r.by == by]
            if invoice_id is not None:
                out = [r for r in out if invoice_id in r.sales_invoice_ids]
            return sorted(out, key=lambda r: r.at)

    # --- webhooks ------------------------------------------------------------------------------

    def add_webhook(
        self, administration_id: str, url: str, enabled_events: Iterable[str] = ()
    ) -> Webhook:
        with self.lock:
            hook = Webhook(
                self.new_id(),
                administration_id,
                url,
                list(enabled_events),
                secrets.token_urlsafe(18),
            )
            self.ledger(administration_id).webhooks[hook.id] = hook
            return hook

    def delete_webhook(self, administration_id: str, webhook_id: str) -> None:
        with self.lock:
            if self.ledger(administration_id).webhooks.pop(webhook_id, None) is None:
                raise not_found()

    def _emit(self, ledger: Ledger, invoice: SalesInvoice, action: str) -> None:
        """Queue a push of `action` on `invoice` to every webhook subscribed to it (a webhook
        without enabled events gets them all)."""
        for hook in ledger.webhooks.values():
            if hook.enabled_events and action not in hook.enabled_events:
                continue
            payload: dict[str, Any] = {
                "administration_id": ledger.administration.id,
                "webhook_id": hook.id,
                "webhook_token": hook.token,
                "entity_type": "SalesInvoice",
                "entity_id": invoice.id,
                "state": invoice.state,
                "action": action,
                "entity": self.render_invoice(invoice) if self.render_invoice else None,
            }
            push = Push(hook.id, hook.url, action, payload, str(uuid.uuid4()), self._now())
            self.pushes.append(push)
            self._outgoing.put(push)
            if self._courier is None:
                self._courier = threading.Thread(target=self._deliver, daemon=True)
                self._courier.start()

    def _deliver(self) -> None:
        """Deliver pushes one by one, outside the lock (a receiver may call the API back)."""
        while True:
            push = self._outgoing.get()
            status: int | None = None
            body: str | None = None
            try:
                answer = requests.post(
                    push.url,
                    json=push.payload,
                    headers={"Idempotency-Key": push.idempotency_key},
                    timeout=5,
                )
                status, body = answer.status_code, answer.text[:1000]
            except requests.RequestException as exc:
                body = str(exc)[:1000]
            with self.lock:
                push.status = status
                for ledger in self.ledgers.values():
                    hook = ledger.webhooks.get(push.webhook_id)
                    if hook is not None:
                        hook.last_http_status, hook.last_http_body = status, body
            self._outgoing.task_done()

    def flush_pushes(self) -> None:
        """Wait until every queued push has been delivered (or failed)."""
        self._outgoing.join()

    # --- OAuth ---------------------------------------------------------------------------------

    def scopes_of(self, raw: str) -> tuple[str, ...]:
        """The scopes asked for (space separated); ``sales_invoices`` when none."""
        names = tuple(dict.fromkeys(s for s in raw.replace("+", " ").split() if s))
        unknown = [s for s in names if s not in SCOPES]
        if unknown:
            raise OAuthError(400, "invalid_scope", f"The requested scope is invalid: {unknown[0]}")
        return names or ("sales_invoices",)

    def check_client(self, client_id: str, redirect_uri: str) -> App:
        app = self.apps.get(client_id)
        if app is None:
            raise OAuthError(401, "invalid_client", "Client authentication failed.")
        if redirect_uri not in app.redirect_uris:
            raise OAuthError(400, "invalid_redirect_uri", "The redirect uri included is not valid.")
        return app

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        scopes: tuple[str, ...],
        user_id: str | None = None,
    ) -> str:
        with self.lock:
            self.check_client(client_id, redirect_uri)
            user_id = user_id or next(iter(self.users), None)
            if user_id is None or user_id not in self.users:
                raise OAuthError(400, "access_denied", "No user to log in.")
            code = secrets.token_hex(32)
            self._codes[code] = AuthCode(
                code,
                client_id,
                user_id,
                redirect_uri,
                scopes,
                self._now() + timedelta(seconds=self.limits.code_ttl),
            )
            return code

    def _new_token(self, client_id: str, user_id: str, scopes: tuple[str, ...]) -> Token:
        now = self._now()
        ttl = self.limits.access_ttl
        token = Token(
            secrets.token_hex(32),
            secrets.token_hex(32),
            client_id,
            user_id,
            scopes,
            now,
            None if ttl is None else now + timedelta(seconds=ttl),
        )
        self._access[token.access] = token
        self._refresh[token.refresh] = token
        return token

    def issue_tokens_for_tests(
        self,
        client_id: str,
        user_id: str | None = None,
        scopes: tuple[str, ...] = ("sales_invoices", "settings"),
    ) -> Token:
        """A token as if the user had just consented."""
        with self.lock:
            if client_id not in self.apps:
                raise KeyError(f"unknown app {client_id}")
            return self._new_token(client_id, user_id or next(iter(self.users)), scopes)

    def token_grant(self, form: dict[str, str]) -> Token:
        """``POST /oauth/token``; raises `OAuthError` with the answer."""
        with self.lock:
            self.stats.token_calls += 1
            try:
                return self._token_grant(form)
            except OAuthError as exc:
                self.stats.token_errors[str(exc.body["error"])] += 1
                raise

    def _token_grant(self, form: dict[str, str]) -> Token:
        app = self.apps.get(form.get("client_id", ""))
        if app is None or not secrets.compare_digest(
            app.client_secret.encode(), form.get("client_secret", "").encode()
        ):
            raise OAuthError(401, "invalid_client", "Client authentication failed.")
        grant = form.get("grant_type", "")
        invalid = OAuthError(
            400,
            "invalid_grant",
            "The provided authorization grant is invalid, expired, revoked, does not match "
            "the redirection URI used in the authorization request, or was issued to another "
            "client.",
        )
        if grant == "authorization_code":
            code = self._codes.get(form.get("code", ""))
            if code is None or code.client_id != app.client_id or code.used:
                raise invalid
            if self._now() >= code.expires_at or form.get("redirect_uri") != code.redirect_uri:
                raise invalid
            code.used = True
            return self._new_token(app.client_id, code.user_id, code.scopes)
        if grant == "refresh_token":
            presented = form.get("refresh_token", "")
            old = self._refresh.get(presented)
            if old is None or presented in self._dead_refresh or old.client_id != app.client_id:
                raise invalid
            token = self._new_token(app.client_id, old.user_id, old.scopes)
            if self.limits.rotate_refresh:
                self._dead_refresh.add(presented)
                self._access.pop(old.access, None)
            return token
        raise OAuthError(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )

    def refresh_token_state(self, token: str) -> str:
        """ "live", "dead" or "unknown": for tests that check no token chain was lost."""
        with self.lock:
            if token in self._dead_refresh:
                return "dead"
            return "live" if token in self._refresh else "unknown"

    def expire_access_tokens(self) -> int:
        """Every live access token expires now (as when Moneybird starts expiring them)."""
        with self.lock:
            now = self._now()
            for token in self._access.values():
                token.expires_at = now
            return len(self._access)

    def authenticate(self, authorization: str) -> Token:
        """The token behind ``Authorization: Bearer …``, or `ApiError` 401."""
        with self.lock:
            scheme, _, raw = authorization.partition(" ")
            token = self._access.get(raw.strip()) if scheme.lower() == "bearer" else None
            if token is None:
                raise ApiError(
                    401,
                    "The access token is invalid",
                    None,
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            if token.expires_at is not None and self._now() >= token.expires_at:
                raise ApiError(
                    401,
                    "The access token expired",
                    None,
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            return token

    # --- the rate limit ------------------------------------------------------------------------

    def count_call(self, user_id: str) -> RateVerdict:
        """Count one API call of a user: `Limits.per_window` per fixed window of
        `Limits.window_seconds` (every application and administration of that user together)."""
        with self.lock:
            now = int(self._now().timestamp())
            size = self.limits.window_seconds
            window = now // size
            key = (user_id, window)
            reset = (window + 1) * size
            if self._window[key] >= self.limits.per_window:
                self.stats.throttled += 1
                return RateVerdict(
                    False,
                    {
                        "Retry-After": str(max(1, reset - now)),
                        "RateLimit-Limit": str(self.limits.per_window),
                        "RateLimit-Remaining": "0",
                        "RateLimit-Reset": str(reset),
                    },
                )
            self._window[key] += 1
            return RateVerdict(True, {})

    def calls_left(self, user_id: str) -> int:
        with self.lock:
            window = int(self._now().timestamp()) // self.limits.window_seconds
            return self.limits.per_window - self._window[(user_id, window)]

    def reset_counters(self) -> None:
        with self.lock:
            self._window.clear()
            self.stats = Stats()
