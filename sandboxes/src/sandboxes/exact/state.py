"""In-memory state of the fake Exact Online: apps, users, tokens, limits and per-division ledgers.

Everything is guarded by one re-entrant lock (`ExactState.lock`): the HTTP handlers run in server
threads while tests mutate the ledger. Time only comes from the `now` callable handed in, so the
570-second rule, 30-day refresh-token expiry and rate-limit windows can be crossed without sleeping.

Choices where Exact's documentation is silent (see the reference notes, §1 and §3):
- Reusing a retired refresh token answers `Limits.old_refresh_status` (401 by default, as picqer#644
  saw; Invantive saw 400) `{"error":"unauthorized_client","error_description":"Old refresh token
  used."}`. When a refresh token dies follows `Limits.rotation`:
  * ``"on_first_use"`` (default): a refresh token stays valid until a newer token of its chain is
    first used, for a refresh or through its access token on an API call; then every older one
    dies. This is how Invantive describes Exact ("upon first use for an API call or retrieval of
    an access token, all previous refresh tokens expire", forums.invantive.com/t/2903), and what
    lets a client whose process died before storing a new pair refresh again with the old one.
  * ``"immediate"``: the old token dies the moment its successor is issued (the strictest reading
    of "single-use"; Invantive notes Exact sets this per app).
- A refresh within 570 s of the chain's last access token answers 400 `access_denied` plus the
  `Reason: TooEarlyToRefreshTokens: …` header. It does NOT consume the refresh token unless
  `Limits.too_early_consumes_token` is set, in which case the whole chain dies (worst case).
- The token endpoint quota (200 per app per user per UTC day) answers 400 `access_denied`
  "Rate limit exceeded: token request limit reached" with `Reason: TooManyTokenRequests`.
- The error budget (10 responses 400/401/403/404 per app, user, division and endpoint in a sliding
  hour) blocks that endpoint for one hour, doubling for each further block of the same key; while
  blocked the API answers 429 with `Reason: ErrorLimitExceeded` and the rate-limit headers.
"""

from __future__ import annotations

import base64
import binascii
import random
import secrets
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")
TIMESTAMP_START = 3_000_000_000  # above int32 on purpose: Exact's Timestamp is an int64


class OAuthError(Exception):
    """An answer of the token endpoint other than 200."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.body = {"error": error, "error_description": description}
        self.headers = headers or {}


class ApiError(Exception):
    """An API answer other than 2xx, in Exact's `{"error":{…}}` shape."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Limits:
    minutely: int = 60
    daily: int = 5000
    token_daily: int = 200
    errors_per_hour: int = 10
    error_block: timedelta = timedelta(hours=1)
    access_ttl: int = 600
    refresh_ttl: timedelta = timedelta(days=30)
    code_ttl: int = 180
    refresh_min_interval: int = 570
    rotation: str = "on_first_use"  # or "immediate"; see the module docstring
    old_refresh_status: int = 401
    too_early_status: int = 400
    too_early_consumes_token: bool = False
    page_size: int = 60
    sync_page_size: int = 1000
    #: refuse a $select/$filter/$orderby property the resource does not document, as Exact does
    #: (HTTP 400 "No property 'X' exists in type '…' at position 0."); False only to try out
    #: an adapter change, never in tests of the product
    strict: bool = True


@dataclass
class App:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = "Dunning connector"


@dataclass
class Division:
    code: int
    description: str
    status: int = 1  # 0 inactive, 1 active, 2 archived
    currency: str = "EUR"
    legislation: str = "NL"
    hid: int = 0
    is_main: bool = False


@dataclass
class User:
    id: str
    user_name: str
    full_name: str
    email: str
    language: str
    divisions: list[int]
    current_division: int


@dataclass
class AuthCode:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    expires_at: datetime
    used: bool = False


@dataclass
class TokenChain:
    id: int
    client_id: str
    user_id: str
    current_refresh: str
    refresh_issued_at: datetime
    last_access_issued_at: datetime
    dead: bool = False
    issued: int = 0  #: sequence number of the newest refresh token
    floor: int = 0  #: refresh tokens with a lower sequence number are retired


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str
    issued_at: datetime
    expires_at: datetime
    chain: int = 0
    seq: int = 0  #: the sequence number of the refresh token issued with it


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: str
    client_id: str
    user_id: str

    def as_json(self) -> dict[str, str]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


@dataclass
class Record:
    id: str
    created: datetime
    modified: datetime
    timestamp: int


@dataclass
class Account(Record):
    code: str = ""
    name: str = ""
    email: str = ""
    language: str = "NL"
    status: str = "C"
    is_sales: bool = True
    is_supplier: bool = False
    blocked: bool = False
    phone: str = ""
    city: str = ""
    country: str = "NL"
    address_line1: str = ""
    postcode: str = ""
    vat_number: str = ""
    chamber_of_commerce: str = ""
    main_contact: str | None = None
    payment_condition: str = "30"
    habit: str | None = None  # simulation only, never shown by the API


@dataclass
class Contact(Record):
    account: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    language: str = "NL"
    is_main: bool = False


@dataclass
class PaymentTerm(Record):
    """One receivable (LineType 20) as `sync/Cashflow/PaymentTerms` and `cashflow/Receivables`."""

    account: str = ""
    invoice_number: int = 0
    entry_number: int = 0
    entry_id: str = ""
    description: str = ""
    your_ref: str = ""
    invoice_date: date = date(2000, 1, 1)
    due_date: date = date(2000, 1, 1)
    amount_dc: Decimal = Decimal(0)  # the term's full amount
    open_amount: Decimal = Decimal(0)  # what is still to be paid (`Amount`)
    currency: str = "EUR"
    is_fully_paid: bool = False
    last_payment_date: date | None = None
    status: int = 20  # 20 open, 50 matched
    line_type: int = 20
    hid: int = 0
    payments: list[tuple[date, Decimal]] = field(default_factory=list)


@dataclass
class Deleted(Record):
    entity_key: str = ""
    entity_type: int = 0
    deleted_by: str = ""
    division: int = 0


@dataclass
class Written(Record):
    """Something the connector posted: a note, document, attachment or task."""

    kind: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    creator: str = ""


ENTITY_TYPES = {"accounts": 2, "contacts": 5, "documents": 6, "terms": 10}


class DivisionData:
    def __init__(self, division: Division) -> None:
        self.division = division
        self.timestamp = TIMESTAMP_START
        self.accounts: dict[str, Account] = {}
        self.contacts: dict[str, Contact] = {}
        self.terms: dict[str, PaymentTerm] = {}
        self.deleted: dict[str, Deleted] = {}
        self.written: dict[str, dict[str, Written]] = {
            "notes": {},
            "documents": {},
            "attachments": {},
            "tasks": {},
            "webhooks": {},
        }
        self.next_entry = 25_000_001
        self.next_hid = 1

    def next_timestamp(self) -> int:
        self.timestamp += 1
        return self.timestamp

    def table(self, name: str) -> dict[str, Any]:
        if name in self.written:
            return self.written[name]
        table: dict[str, Any] = getattr(self, name)
        return table


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    token_calls: int = 0
    token_errors: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    blocked: int = 0
    nulled_references: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "total_calls": sum(self.calls.values()),
            "throttled_429": self.throttled,
            "token_calls": self.token_calls,
            "token_errors": dict(self.token_errors),
            "errors": dict(self.errors),
            "blocked": self.blocked,
            "nulled_references": self.nulled_references,
        }


@dataclass
class RateVerdict:
    allowed: bool
    headers: dict[str, str]


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _dotnet(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {half}"


class ExactState:
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
        self.divisions: dict[int, DivisionData] = {}
        self._codes: dict[str, AuthCode] = {}
        self._chains: dict[int, TokenChain] = {}
        self._refresh: dict[str, tuple[int, bool]] = {}  # token -> (chain id, retired)
        self._refresh_seq: dict[str, int] = {}  # token -> its sequence number in the chain
        self._access: dict[str, AccessToken] = {}
        self._rng = random.Random(seed)
        self._minute: Counter[tuple[str, int, int]] = Counter()
        self._day: Counter[tuple[str, int, date]] = Counter()
        self._token_day: Counter[tuple[str, str, date]] = Counter()
        self._errors: dict[tuple[str, str, int, str], deque[datetime]] = {}
        self._blocks: dict[tuple[str, str, int, str], tuple[datetime, int]] = {}

    # --- ids and time -----------------------------------------------------------------------

    def new_guid(self) -> str:
        with self.lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _now(self) -> datetime:
        moment = self.now()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    # --- setup ------------------------------------------------------------------------------

    def add_app(self, client_id: str, client_secret: str, redirect_uris: Iterable[str] = ()) -> App:
        with self.lock:
            app = App(client_id, client_secret, list(redirect_uris))
            self.apps[client_id] = app
            return app

    def add_division(self, code: int, description: str, **extra: Any) -> Division:
        with self.lock:
            if code in self.divisions:
                return self.divisions[code].division
            division = Division(code, description, hid=len(self.divisions) + 1, **extra)
            self.divisions[code] = DivisionData(division)
            return division

    def add_user_with_divisions(
        self,
        user_name: str,
        divisions: Iterable[tuple[int, str] | int],
        current: int | None = None,
        full_name: str | None = None,
        email: str | None = None,
        language: str = "NL",
        user_id: str | None = None,
    ) -> User:
        with self.lock:
            codes: list[int] = []
            for item in divisions:
                code, description = item if isinstance(item, tuple) else (item, f"BV {item}")
                self.add_division(code, description, is_main=not codes)
                codes.append(code)
            if not codes:
                raise ValueError("a user needs at least one division")
            user = User(
                id=user_id or self.new_guid(),
                user_name=user_name,
                full_name=full_name or user_name,
                email=email or f"{user_name}@example.nl",
                language=language,
                divisions=codes,
                current_division=current if current is not None else codes[0],
            )
            self.users[user.id] = user
            return user

    def data(self, division: int) -> DivisionData:
        try:
            return self.divisions[division]
        except KeyError:
            raise KeyError(f"unknown division {division}") from None

    def _stamp(self, dd: DivisionData, table: dict[str, Any], record: Record) -> None:
        """Give `record` the next Timestamp and move it to the end (dict order = Timestamp)."""
        record.timestamp = dd.next_timestamp()
        record.modified = self._now()
        table.pop(record.id, None)
        table[record.id] = record

    def add_account(
        self,
        division: int,
        name: str,
        email: str = "",
        code: str | int | None = None,
        language: str = "NL",
        habit: str | None = None,
        id: str | None = None,
        **extra: Any,
    ) -> Account:
        with self.lock:
            dd = self.data(division)
            now = self._now()
            number = code if code is not None else 1000 + len(dd.accounts) + 1
            account = Account(
                id=id or self.new_guid(),
                created=now,
                modified=now,
                timestamp=0,
                code=str(number).strip().rjust(18),
                name=name,
                email=email,
                language=language,
                habit=habit,
                **extra,
            )
            self._stamp(dd, dd.accounts, account)
            return account

    def add_contact(
        self,
        division: int,
        account_id: str,
        first_name: str,
        last_name: str,
        email: str = "",
        is_main: bool = True,
        id: str | None = None,
    ) -> Contact:
        with self.lock:
            dd = self.data(division)
            account = dd.accounts[account_id]
            now = self._now()
            contact = Contact(
                id=id or self.new_guid(),
                created=now,
                modified=now,
                timestamp=0,
                account=account_id,
                first_name=first_name,
                last_name=last_name,
                email=email,
                language=account.language,
                is_main=is_main,
            )
            self._stamp(dd, dd.contacts, contact)
            if is_main:
                account.main_contact = contact.id
                self._stamp(dd, dd.accounts, account)
            return contact

    def add_receivable(
        self,
        division: int,
        account_id: str,
        amount: Decimal | int | str,
        invoice_date: date,
        due_date: date | None = None,
        invoice_number: int | None = None,
        description: str = "",
        currency: str = "EUR",
        your_ref: str = "",
        id: str | None = None,
    ) -> PaymentTerm:
        with self.lock:
            dd = self.data(division)
            if account_id not in dd.accounts:
                raise KeyError(f"unknown account {account_id}")
            now = self._now()
            entry = dd.next_entry
            dd.next_entry += 1
            total = Decimal(str(amount)).quantize(CENT)
            number = invoice_number if invoice_number is not None else entry
            term = PaymentTerm(
                id=id or self.new_guid(),
                created=now,
                modified=now,
                timestamp=0,
                account=account_id,
                invoice_number=number,
                entry_number=entry,
                entry_id=self.new_guid(),
                description=description or f"Factuur {number}",
                your_ref=your_ref,
                invoice_date=invoice_date,
                due_date=due_date or invoice_date + timedelta(days=30),
                amount_dc=total,
                open_amount=total,
                currency=currency,
                hid=dd.next_hid,
            )
            dd.next_hid += 1
            self._stamp(dd, dd.terms, term)
            return term

    def record_payment(
        self, division: int, receivable_id: str, amount: Decimal | int | str, on: date
    ) -> PaymentTerm:
        """A payment matched to the receivable: lowers the open amount, bumps Timestamp."""
        with self.lock:
            dd = self.data(division)
            term = dd.terms[receivable_id]
            paid = Decimal(str(amount)).quantize(CENT)
            if paid <= 0:
                raise ValueError("a payment must be positive")
            term.open_amount = max(Decimal(0), term.open_amount - paid).quantize(CENT)
            term.payments.append((on, paid))
            term.last_payment_date = on
            term.is_fully_paid = term.open_amount == 0
            term.status = 50 if term.is_fully_paid else 20
            self._stamp(dd, dd.terms, term)
            return term

    def touch(self, division: int, table: str, record_id: str) -> None:
        """Record changed without a visible difference (Exact bumps Timestamp on any save)."""
        with self.lock:
            dd = self.data(division)
            rows = dd.table(table)
            self._stamp(dd, rows, rows[record_id])

    def _delete(self, division: int, table: str, record_id: str, deleted_by: str | None) -> None:
        with self.lock:
            dd = self.data(division)
            rows = dd.table(table)
            rows.pop(record_id)
            now = self._now()
            gone = Deleted(
                id=self.new_guid(),
                created=now,
                modified=now,
                timestamp=0,
                entity_key=record_id,
                entity_type=ENTITY_TYPES[table],
                deleted_by=deleted_by or next(iter(self.users), ""),
                division=division,
            )
            self._stamp(dd, dd.deleted, gone)

    def delete_receivable(
        self, division: int, receivable_id: str, deleted_by: str | None = None
    ) -> None:
        self._delete(division, "terms", receivable_id, deleted_by)

    def delete_account(self, division: int, account_id: str, deleted_by: str | None = None) -> None:
        self._delete(division, "accounts", account_id, deleted_by)

    # --- written by the connector -----------------------------------------------------------

    def create_written(
        self, division: int, kind: str, fields: dict[str, Any], creator: str
    ) -> Written:
        """Store a POSTed note/document/attachment/task. Unknown `Account` GUIDs are silently
        nulled, as Exact does with GUIDs from another division."""
        with self.lock:
            dd = self.data(division)
            for ref, table in (("Account", dd.accounts), ("Contact", dd.contacts)):
                if fields.get(ref) and str(fields[ref]).lower() not in table:
                    fields[ref] = None
                    self.stats.nulled_references += 1
                elif fields.get(ref):
                    fields[ref] = str(fields[ref]).lower()
            now = self._now()
            item = Written(
                id=self.new_guid(),
                created=now,
                modified=now,
                timestamp=0,
                kind=kind,
                fields=fields,
                creator=creator,
            )
            self._stamp(dd, dd.written[kind], item)
            return item

    def written(self, division: int) -> dict[str, list[dict[str, Any]]]:
        """What the connector wrote: notes, documents (with their attachments) and tasks."""
        with self.lock:
            dd = self.data(division)

            def plain(item: Written) -> dict[str, Any]:
                out = {"ID": item.id, "Created": item.created.isoformat(), "Creator": item.creator}
                for key, value in item.fields.items():
                    if isinstance(value, bytes):
                        continue
                    out[key] = value.isoformat() if isinstance(value, datetime | date) else value
                return out

            attachments = list(dd.written["attachments"].values())
            documents = []
            for doc in dd.written["documents"].values():
                entry = plain(doc)
                entry["Attachments"] = [
                    plain(a) for a in attachments if a.fields.get("Document") == doc.id
                ]
                documents.append(entry)
            return {
                "notes": [plain(n) for n in dd.written["notes"].values()],
                "documents": documents,
                "tasks": [plain(t) for t in dd.written["tasks"].values()],
            }

    def attachment_bytes(self, division: int, attachment_id: str) -> bytes:
        with self.lock:
            data: bytes = self.data(division).written["attachments"][attachment_id].fields["_bytes"]
            return data

    # --- OAuth ------------------------------------------------------------------------------

    def issue_code(self, client_id: str, redirect_uri: str, user_id: str | None = None) -> str:
        with self.lock:
            app = self.apps.get(client_id)
            if app is None:
                raise OAuthError(400, "invalid_client", "Unknown client_id.")
            if app.redirect_uris and redirect_uri not in app.redirect_uris:
                raise OAuthError(400, "invalid_request", "The redirect_uri is not registered.")
            if user_id is None:
                if not self.users:
                    raise OAuthError(400, "access_denied", "No user to log in.")
                user_id = next(iter(self.users))
            if user_id not in self.users:
                raise OAuthError(400, "access_denied", "Unknown user.")
            code = "stampNL001." + secrets.token_urlsafe(24)
            self._codes[code] = AuthCode(
                code,
                client_id,
                user_id,
                redirect_uri,
                self._now() + timedelta(seconds=self.limits.code_ttl),
            )
            return code

    def _new_tokens(self, chain: TokenChain, now: datetime) -> TokenSet:
        refresh = "Gcp!IAAAA" + secrets.token_urlsafe(48)
        access = "stampNL001.gAAAA" + secrets.token_urlsafe(64)
        if chain.current_refresh and self.limits.rotation == "immediate":
            self._refresh[chain.current_refresh] = (chain.id, True)
        chain.issued += 1
        chain.current_refresh = refresh
        chain.refresh_issued_at = now
        chain.last_access_issued_at = now
        self._refresh[refresh] = (chain.id, False)
        self._refresh_seq[refresh] = chain.issued
        self._access[access] = AccessToken(
            access,
            chain.client_id,
            chain.user_id,
            now,
            now + timedelta(seconds=self.limits.access_ttl),
            chain.id,
            chain.issued,
        )
        return TokenSet(
            access, refresh, str(self.limits.access_ttl), chain.client_id, chain.user_id
        )

    def _new_chain(self, client_id: str, user_id: str, now: datetime) -> TokenChain:
        chain = TokenChain(len(self._chains) + 1, client_id, user_id, "", now, now)
        self._chains[chain.id] = chain
        return chain

    def issue_tokens_for_tests(
        self, client_id: str, user_id: str | None = None, issued_at: datetime | None = None
    ) -> TokenSet:
        """A fresh token chain as if the user had just consented. With `issued_at` in the past the
        access token is older (e.g. `now - 600 s` so the next refresh is allowed at once)."""
        with self.lock:
            if client_id not in self.apps:
                raise KeyError(f"unknown app {client_id}")
            user_id = user_id or next(iter(self.users))
            when = issued_at or self._now()
            return self._new_tokens(self._new_chain(client_id, user_id, when), when)

    def token_grant(self, form: dict[str, str]) -> TokenSet:
        """`POST /api/oauth2/token`; raises `OAuthError` with the answer Exact gives."""
        with self.lock:
            self.stats.token_calls += 1
            try:
                return self._token_grant(form)
            except OAuthError as exc:
                self.stats.token_errors[str(exc.body["error"])] += 1
                raise

    def _token_grant(self, form: dict[str, str]) -> TokenSet:
        now = self._now()
        app = self.apps.get(form.get("client_id", ""))
        if app is None or not secrets.compare_digest(
            app.client_secret.encode(), form.get("client_secret", "").encode()
        ):
            raise OAuthError(400, "invalid_client", "Client authentication failed.")
        grant = form.get("grant_type", "")
        if grant == "authorization_code":
            code = self._codes.get(form.get("code", ""))
            if code is None or code.client_id != app.client_id:
                raise OAuthError(400, "invalid_grant", "Invalid authorization code.")
            self._count_token_call(app.client_id, code.user_id, now)
            if code.used:
                raise OAuthError(400, "invalid_grant", "Authorization code already used.")
            if now >= code.expires_at:
                raise OAuthError(400, "invalid_grant", "Authorization code expired.")
            if form.get("redirect_uri", "") != code.redirect_uri:
                raise OAuthError(400, "invalid_grant", "The redirect_uri does not match.")
            code.used = True
            return self._new_tokens(self._new_chain(app.client_id, code.user_id, now), now)
        if grant == "refresh_token":
            found = self._refresh.get(form.get("refresh_token", ""))
            if found is None:
                raise OAuthError(400, "invalid_grant", "Invalid refresh token.")
            chain = self._chains[found[0]]
            if chain.client_id != app.client_id:
                raise OAuthError(400, "invalid_grant", "Invalid refresh token.")
            self._count_token_call(app.client_id, chain.user_id, now)
            seq = self._refresh_seq.get(form.get("refresh_token", ""), 0)
            if found[1] or chain.dead or seq < chain.floor:
                raise OAuthError(
                    self.limits.old_refresh_status, "unauthorized_client", "Old refresh token used."
                )
            expires = chain.refresh_issued_at + self.limits.refresh_ttl
            if now >= expires:
                raise OAuthError(
                    400,
                    "invalid_request",
                    f"The refresh token expired at {_dotnet(expires)} and it is now "
                    f"{_dotnet(now)}.",
                )
            age = (now - chain.last_access_issued_at).total_seconds()
            if age < self.limits.refresh_min_interval:
                if self.limits.too_early_consumes_token:
                    chain.dead = True
                message = "Rate limit exceeded: access_token not expired"
                raise OAuthError(
                    self.limits.too_early_status,
                    "access_denied",
                    message,
                    {"Reason": f"TooEarlyToRefreshTokens: {message}"},
                )
            self._first_use(chain, seq)
            return self._new_tokens(chain, now)
        raise OAuthError(400, "unsupported_grant_type", f"Grant type '{grant}' is not supported.")

    def _first_use(self, chain: TokenChain, seq: int) -> None:
        """A token of sequence `seq` was used: every older refresh token of the chain dies."""
        chain.floor = max(chain.floor, seq)

    def refresh_token_state(self, token: str) -> str:
        """ "live", "retired" (presenting it answers "Old refresh token used.") or "unknown";
        for tests that check no token chain was lost."""
        with self.lock:
            found = self._refresh.get(token)
            if found is None:
                return "unknown"
            chain = self._chains[found[0]]
            if found[1] or chain.dead or self._refresh_seq.get(token, 0) < chain.floor:
                return "retired"
            return "live"

    def _count_token_call(self, client_id: str, user_id: str, now: datetime) -> None:
        key = (client_id, user_id, now.date())
        if self._token_day[key] >= self.limits.token_daily:
            message = "Rate limit exceeded: token request limit reached"
            raise OAuthError(
                400, "access_denied", message, {"Reason": f"TooManyTokenRequests: {message}"}
            )
        self._token_day[key] += 1

    def authenticate(self, authorization: str) -> AccessToken:
        """The access token behind an `Authorization: Bearer …` header, or `ApiError` 401."""
        with self.lock:
            scheme, _, token = authorization.partition(" ")
            found = self._access.get(token.strip()) if scheme.lower() == "bearer" else None
            if found is None:
                raise ApiError(
                    401,
                    "Unauthorized",
                    {
                        "WWW-Authenticate": 'Bearer error="invalid_token", '
                        'error_description="access token invalid"'
                    },
                )
            if self._now() >= found.expires_at:
                raise ApiError(
                    401,
                    "Unauthorized",
                    {
                        "WWW-Authenticate": 'Bearer error="invalid_token", error_description='
                        '"message expired: access token expired"'
                    },
                )
            if found.chain in self._chains:
                self._first_use(self._chains[found.chain], found.seq)
            return found

    # --- limits -----------------------------------------------------------------------------

    def _rate_headers(
        self, minute_used: int, day_used: int, now: datetime, minutely_only: bool = False
    ) -> dict[str, str]:
        next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        headers = {
            "X-RateLimit-Minutely-Limit": str(self.limits.minutely),
            "X-RateLimit-Minutely-Remaining": str(max(0, self.limits.minutely - minute_used)),
            "X-RateLimit-Minutely-Reset": _ms(next_minute),
        }
        if not minutely_only:
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
            headers.update(
                {
                    "X-RateLimit-Limit": str(self.limits.daily),
                    "X-RateLimit-Remaining": str(max(0, self.limits.daily - day_used)),
                    "X-RateLimit-Reset": _ms(midnight),
                }
            )
        return headers

    def count_api_call(self, client_id: str, division: int) -> RateVerdict:
        """Count one call of an app in a division (calendar minute, UTC day)."""
        with self.lock:
            now = self._now().astimezone(UTC)
            mkey = (client_id, division, int(now.timestamp()) // 60)
            dkey = (client_id, division, now.date())
            if self._minute[mkey] >= self.limits.minutely:
                self.stats.throttled += 1
                return RateVerdict(False, self._rate_headers(self._minute[mkey], 0, now, True))
            if self._day[dkey] >= self.limits.daily:
                self.stats.throttled += 1
                return RateVerdict(
                    False, self._rate_headers(self._minute[mkey], self._day[dkey], now)
                )
            self._minute[mkey] += 1
            self._day[dkey] += 1
            return RateVerdict(True, self._rate_headers(self._minute[mkey], self._day[dkey], now))

    def peek_rate(self, client_id: str, division: int) -> dict[str, str]:
        """The rate-limit headers as they stand, without counting a call."""
        with self.lock:
            now = self._now().astimezone(UTC)
            used_minute = self._minute[(client_id, division, int(now.timestamp()) // 60)]
            used_day = self._day[(client_id, division, now.date())]
            return self._rate_headers(used_minute, used_day, now)

    def blocked_until(self, key: tuple[str, str, int, str]) -> datetime | None:
        with self.lock:
            block = self._blocks.get(key)
            if block and self._now() < block[0]:
                return block[0]
            return None

    def record_error(self, key: tuple[str, str, int, str], status: int) -> None:
        """Count a 400/401/403/404 against the error budget; the 10th in an hour blocks."""
        with self.lock:
            now = self._now()
            self.stats.errors[f"{key[3]} {status}"] += 1
            window = self._errors.setdefault(key, deque())
            window.append(now)
            while window and now - window[0] >= timedelta(hours=1):
                window.popleft()
            if len(window) >= self.limits.errors_per_hour:
                previous = self._blocks.get(key)
                times = previous[1] + 1 if previous else 1
                self._blocks[key] = (now + self.limits.error_block * 2 ** (times - 1), times)
                self.stats.blocked += 1
                window.clear()


def decode_attachment(value: Any) -> bytes:
    """Exact's `Attachment` is a base64 Byte[]; anything else is a conversion error."""
    if not isinstance(value, str):
        raise ApiError(
            400, "Error converting the value to type 'Byte[]' for property 'Attachment'."
        )
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(
            400,
            f"Error converting the value \"{value[:20]}\" for property 'Attachment' to type "
            "'Byte[]'.",
        ) from None
