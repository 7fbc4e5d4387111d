"""`ExactLedger`: connector.domain.ports.Ledger for one Exact Online user's division(s).

Reads (reference §5): receivables through ``sync/Cashflow/PaymentTerms`` (LineType 20),
customers through ``sync/CRM/Accounts`` and ``sync/CRM/Contacts``, deletions through
``sync/Deleted``; each with ``Timestamp gt {n}L``, 1,000 rows a page in rising Timestamp order.
Because the order is by Timestamp, *every* page carries a safe cursor: an interrupted sync (a
daily-budget stop, a crash) resumes after the last saved page. A cursor is JSON holding the
highest Timestamp per division and endpoint, e.g. ``{"1234567": {"terms": 3000000123,
"deleted": 3000000007}}``.

Divisions: a client file may follow several divisions of one Exact user. They share the one
OAuth connection (Exact's tokens are per user, not per division) and are one tenant: one store,
one policy, one sender. Limits are per division (each has its own `DivisionGate`). Refs stay
Exact's GUIDs (unique across divisions); the division of a ref is remembered from the reads and,
for a ref not seen in this process, found with one filtered call per division.

Exact has no payment list of its own for receivables: a receivable's ``IsFullyPaid``,
``Status`` and ``LastPaymentDate`` say what was paid, and
``read/financial/ReceivablesListByAccount`` what is still open (docs/exact-online.md, "Open
amounts"), so `iter_payments` yields nothing.

Writes: Exact cannot send a reminder. `perform` mails it over SMTP (the injected mailer) and then
records the step in Exact (see writeback.py); `reconcile` looks for the marker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from adapters.exact import mapping, writeback
from adapters.exact.auth import (
    MARKER_PATIENCE,
    REFRESH_LEEWAY_SECONDS,
    RETRY_AFTER_UNKNOWN,
    Hook,
    StoreIntents,
    exact_refresher,
)
from adapters.exact.client import ExactClient
from adapters.exact.endpoints import (
    ACCOUNTS,
    ATTACHMENT_POST,
    CONTACTS,
    DELETED_PAYMENT_TERM,
    NOTES,
    PAYMENT_TERMS,
    RECEIVABLES,
    RECEIVABLES_BY_ACCOUNT,
    SYNC_ACCOUNTS,
    SYNC_CONTACTS,
    SYNC_DELETED,
    TASKS,
    Endpoint,
    Filter,
    any_of,
    bool_value,
    datetime_value,
    guid_value,
    int64_value,
)
from adapters.exact.errors import ExactApiError
from adapters.exact.ratelimit import StoreErrorLog
from adapters.exact.settings import ExactSettings
from connector.auth.tokens import COMMIT_PATIENCE, TokenManager, TokenStore
from connector.domain import Action, ActionKind, Customer, Invoice, InvoiceStatus, Payment
from connector.domain.clock import Clock
from connector.domain.ports import (
    INVOICE_NUMBERS,
    Capabilities,
    ErrorKind,
    Outcome,
    Page,
    RenderedMessage,
    WriteResult,
)
from connector.http import HttpMetrics, LimiterFactory, make_http
from connector.mail import MailError, build_message

log = logging.getLogger("adapters.exact")

#: ids per filtered batch read (``ID eq guid'…' or …``): keeps the URL well under 2,000 chars
BATCH = 20
#: a receivable paid within this window is re-read by `recheck_customer` even when closed
RECHECK_WINDOW = timedelta(days=7)

_RAISE_KINDS = frozenset(
    {ErrorKind.CONSENT_NEEDED, ErrorKind.CONFIG, ErrorKind.RATE_LIMITED, ErrorKind.BUDGET_EXHAUSTED}
)


class Mailer(Protocol):
    """Returns the Message-ID, or a `connector.mail.Delivery` that also names refused
    recipients (str() of either is the Message-ID)."""

    def send(self, msg: Any) -> object: ...


Cursor = dict[str, dict[str, int]]


def parse_cursor(value: str | None) -> Cursor:
    if not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    out: Cursor = {}
    for division, marks in data.items():
        if isinstance(marks, dict):
            out[str(division)] = {
                str(k): int(v)
                for k, v in marks.items()
                if isinstance(v, int) and not isinstance(v, bool)
            }
    return out


def dump_cursor(cursor: Cursor) -> str:
    return json.dumps(cursor, sort_keys=True, separators=(",", ":"))


class ExactLedger:
    """One Exact Online user's division(s) as a `Ledger`."""

    platform = "exact"

    def __init__(
        self,
        client: ExactClient,
        *,
        tenant: str,
        divisions: Sequence[int],
        clock: Clock,
        mailer: Mailer,
        mail_from: str,
        sender_name: str | None = None,
        reply_to: str | None = None,
        debtor_management_addon: bool = False,
        currency: str = "EUR",
    ) -> None:
        if not divisions:
            raise ValueError("an Exact ledger needs at least one division")
        self.client = client
        self.tenant = tenant
        self.divisions = tuple(divisions)
        self.clock = clock
        self.mailer = mailer
        self.mail_from = mail_from
        self.sender_name = sender_name
        self.reply_to = reply_to
        self.addon = debtor_management_addon
        self.currency = currency
        kinds = frozenset(ActionKind)
        if self.addon:
            kinds -= writeback.ADDON_KINDS
        # the most calls one action takes, for planning the day's budget: the re-check reads
        # the account's receivables (shared by up to 20 accounts when the dispatcher reads
        # ahead, else 1) and its ReceivablesListByAccount (1), one note or task (1), and each
        # PDF is a document plus its attachment (2; a reminder carries its statement): 5
        self.capabilities = Capabilities(
            kinds=kinds, sends_mail_itself=False, attachments=True, calls_per_action=5
        )
        self._division_of: dict[str, int] = {}
        self._numbers: dict[str, str] = {}

    def remaining_today(self) -> int | None:
        """API calls left today over the client's divisions, as Exact's last answers said
        (``X-RateLimit-Remaining``; None until every division answered once). Read by the run
        to plan the day's actions within the budget."""
        left = 0
        for division in self.divisions:
            day = self.client.gate(division).day
            if day.remaining is None:
                return None
            left += day.remaining
        return left

    # -- reads ----------------------------------------------------------------------------
    def check(self) -> str:
        """Who we are and that every configured division is reachable and active."""
        first = self.divisions[0]
        me = self.client.me(first)
        reachable = {int(r["Code"]): r for r in self.client.divisions(first) if "Code" in r}
        lines = []
        for division in self.divisions:
            row = reachable.get(division)
            if row is None:
                raise ExactApiError(
                    ErrorKind.CONFIG,
                    f"{self.tenant}: division {division} is "
                    "not reachable with this login (choose another division or "
                    "log in as a user who has it)",
                )
            if str(row.get("Status", 1)) != "1":
                raise ExactApiError(
                    ErrorKind.CONFIG, f"{self.tenant}: division {division} is not active in Exact"
                )
            lines.append(mapping.division_line(me, division, row.get("Description")))
        return "; ".join(lines)

    def iter_invoices(self, cursor: str | None) -> Iterator[Page[Invoice]]:
        state = parse_cursor(cursor)
        for division in self.divisions:
            marks = state.setdefault(str(division), {})
            for rows, _last in self.client.pages(
                division, PAYMENT_TERMS, _after(PAYMENT_TERMS, marks.get("terms", 1))
            ):
                items = self._settled(
                    division,
                    [
                        (row, mapping.invoice_from_term(row, currency=self.currency))
                        for row in rows
                        if mapping.is_receivable(row)
                    ],
                    partly_paid_only=True,
                )
                for invoice in items:
                    self._note(division, invoice, number=False)
                if rows:
                    marks["terms"] = max(
                        marks.get("terms", 1),
                        *(mapping.timestamp(r.get("Timestamp"), PAYMENT_TERMS.path) for r in rows),
                    )
                yield Page(items, dump_cursor(state))
            for rows, _last in self.client.pages(
                division, SYNC_DELETED, _after(SYNC_DELETED, marks.get("deleted", 1))
            ):
                gone = [
                    mapping.tombstone(
                        mapping.guid(r.get("EntityKey"), "deleted record"),
                        self.clock.now(),
                        self.currency,
                    )
                    for r in rows
                    if str(r.get("EntityType")) == str(DELETED_PAYMENT_TERM)
                ]
                if rows:
                    marks["deleted"] = max(
                        marks.get("deleted", 1),
                        *(mapping.timestamp(r.get("Timestamp"), SYNC_DELETED.path) for r in rows),
                    )
                yield Page(gone, dump_cursor(state))

    def iter_customers(self, cursor: str | None) -> Iterator[Page[Customer]]:
        """Accounts changed since the cursor, then accounts whose contacts changed (an account
        without its own e-mail takes its main contact's)."""
        state = parse_cursor(cursor)
        for division in self.divisions:
            marks = state.setdefault(str(division), {})
            with_email: set[str] = set()
            without_email: dict[str, dict[str, Any]] = {}
            for rows, _last in self.client.pages(
                division, SYNC_ACCOUNTS, _after(SYNC_ACCOUNTS, marks.get("accounts", 1))
            ):
                items = []
                for row in rows:
                    customer = mapping.customer_from_account(row, currency=self.currency)
                    if len(self.divisions) > 1:
                        self._division_of[customer.ref] = division
                    if customer.email:
                        with_email.add(customer.ref)
                    else:
                        without_email[customer.ref] = row
                    items.append(customer)
                if rows:
                    marks["accounts"] = max(
                        marks.get("accounts", 1),
                        *(mapping.timestamp(r.get("Timestamp"), SYNC_ACCOUNTS.path) for r in rows),
                    )
                yield Page(items, dump_cursor(state))
            for rows, _last in self.client.pages(
                division, SYNC_CONTACTS, _after(SYNC_CONTACTS, marks.get("contacts", 1))
            ):
                emails: dict[str, str] = {}
                for row in rows:
                    if not mapping.to_bool(row.get("IsMainContact")) or not row.get("Email"):
                        continue
                    account = mapping.guid(row.get("Account"), "contact")
                    if account not in with_email:
                        emails[account] = str(row["Email"]).strip()
                items = self._accounts_with_contact_email(division, emails, without_email)
                if rows:
                    marks["contacts"] = max(
                        marks.get("contacts", 1),
                        *(mapping.timestamp(r.get("Timestamp"), SYNC_CONTACTS.path) for r in rows),
                    )
                yield Page(items, dump_cursor(state))

    def iter_payments(self, cursor: str | None) -> Iterator[Page[Payment]]:
        """Nothing: Exact's receivables carry what was paid (see the module docstring)."""
        return iter(())

    def get_invoices(self, refs: Sequence[str]) -> dict[str, Invoice | None]:
        """Current state of these receivables, one filtered call per batch of 20 ids (per
        division for refs whose division is not known yet). Absent = deleted (None)."""
        result: dict[str, Invoice | None] = {ref: None for ref in refs}
        for division in self.divisions:
            wanted = [
                r
                for r in refs
                if result[r] is None and self._division_of.get(r, division) == division
            ]
            for start in range(0, len(wanted), BATCH):
                chunk = wanted[start : start + BATCH]
                clause = _ids(RECEIVABLES, chunk)
                for row in self.client.rows(division, RECEIVABLES, clause):
                    invoice = mapping.invoice_from_term(row, currency=self.currency)
                    self._note(division, invoice)
                    if invoice.ref in result:
                        result[invoice.ref] = invoice
        return result

    def recheck_customer(self, customer_ref: str, since: datetime | None) -> list[Invoice]:
        """One filtered call: the account's open receivables plus those changed in the last
        week (so one paid this morning comes back as PAID)."""
        return self.recheck_customers([customer_ref], since)[customer_ref]

    def recheck_customers(
        self, customer_refs: Sequence[str], since: datetime | None
    ) -> dict[str, list[Invoice]]:
        """`recheck_customer` for several accounts: their receivables in one filtered call per
        batch of 20 accounts (``Account eq guid'…' or …``), then the open-items list of each
        account with an open receivable (it has no multi-account filter). The dispatcher
        re-checks the customers of its next actions this way (issue #18)."""
        out: dict[str, list[Invoice]] = {ref: [] for ref in customer_refs}
        by_division: dict[int, list[str]] = {}
        for ref in dict.fromkeys(customer_refs):
            by_division.setdefault(self._account_division(ref), []).append(ref)
        recent = datetime_value(self.clock.now() - RECHECK_WINDOW)
        for division, refs in by_division.items():
            for start in range(0, len(refs), BATCH):
                accounts = any_of(
                    RECEIVABLES.prop("Account").eq(guid_value(r))
                    for r in refs[start : start + BATCH]
                )
                clause = accounts & (
                    RECEIVABLES.prop("IsFullyPaid").eq(bool_value(False))
                    | RECEIVABLES.prop("Modified").ge(recent)
                )
                terms = [
                    (row, mapping.invoice_from_term(row, currency=self.currency))
                    for row in self.client.rows(division, RECEIVABLES, clause)
                ]
                for invoice in self._settled(division, terms, partly_paid_only=False):
                    self._note(division, invoice)
                    if invoice.customer_ref in out:
                        out[invoice.customer_ref].append(invoice)
        return out

    def get_customer(self, customer_ref: str) -> Customer:
        division = self._account_division(customer_ref)
        rows = self.client.rows(division, ACCOUNTS, _ids(ACCOUNTS, [customer_ref]))
        if not rows:
            raise ExactApiError(
                ErrorKind.FATAL,
                f"Exact account {customer_ref} not found",
                endpoint=ACCOUNTS.path,
                not_found=True,
            )
        email = None
        if not rows[0].get("Email"):
            contacts = self.client.rows(
                division, CONTACTS, CONTACTS.prop("Account").eq(guid_value(customer_ref))
            )
            email = mapping.main_contact_email(contacts)
        return mapping.customer_from_account(rows[0], contact_email=email, currency=self.currency)

    # -- writes ---------------------------------------------------------------------------
    def perform(self, action: Action, rendered: RenderedMessage | None) -> WriteResult:
        """Mail (mail steps) over SMTP, then record the step in Exact.

        SENT once the relay accepted the mail (a failing record afterwards is named in the
        detail), or, for a call task or hand-off, once its marked record is written. NOT_SENT
        for a definite refusal before anything went out. UNKNOWN when the mail may have gone
        out without an answer, or a record write got no answer: the dispatcher then asks
        `reconcile` and never resends blindly. Consent/config/rate/budget refusals before
        anything went out are raised.
        """
        kind = action.kind
        if kind not in self.capabilities.kinds:
            why = (
                "Exact's Debtor Management add-on sends reminders for this client"
                if self.addon and kind in writeback.ADDON_KINDS
                else f"the Exact adapter cannot perform {kind}"
            )
            return WriteResult(Outcome.NOT_SENT, why)
        if kind.is_mail and (rendered is None or not rendered.to):
            return WriteResult(Outcome.NOT_SENT, "no message or no recipient to send to")
        try:
            division = self._account_division(action.customer_ref)
        except ExactApiError as exc:
            if exc.kind in _RAISE_KINDS:
                raise
            return WriteResult(Outcome.NOT_SENT, f"not sent: {exc}")
        message_id = None
        extra_refused = ""
        details: list[str] = []
        if kind.is_mail:
            assert rendered is not None
            try:
                msg = build_message(
                    rendered,
                    sender=self.mail_from,
                    sender_name=self.sender_name,
                    key=action.idempotency_key,
                    reply_to=self.reply_to,
                )
                delivery = self.mailer.send(msg)
            except MailError as exc:
                if exc.definite:
                    return WriteResult(Outcome.NOT_SENT, f"mail refused: {exc}")
                log.warning("%s: mail outcome unknown: %s", self.tenant, exc)
                return WriteResult(Outcome.UNKNOWN, f"mail: no definite answer: {exc}")
            message_id = str(delivery)
            refused = tuple(getattr(delivery, "refused", ()) or ())
            accepted = [a for a in (*rendered.to, *rendered.cc) if a not in refused]
            details.append(f"mailed to {', '.join(accepted)}")
            if refused:
                # it went out to the others: sent (a resend would reach them twice)
                details.append(f"refused by the mail server: {', '.join(refused)}")
                extra_refused = ", ".join(refused)
        numbers = [self._numbers.get(r, r[:8]) for r in action.invoice_refs]
        given = [n.strip() for n in action.extra.get(INVOICE_NUMBERS, "").split(",")]
        if len(given) == len(numbers) and all(given):
            numbers = given  # as the dispatcher found them in the store
        refs: list[str] = []
        calls = 0
        for write in writeback.records(
            action, rendered, numbers=numbers, now=self.clock.now(), message_id=message_id
        ):
            try:
                calls += 1
                created = self.client.post(division, write.spec, write.body)
                ref = str(created.get("ID") or "")
                refs.append(ref)
                for filename, content in write.attachments:
                    calls += 1
                    self.client.post(
                        division,
                        ATTACHMENT_POST,
                        writeback.attachment_body(ref, filename, content),
                    )
            except ExactApiError as exc:
                if not kind.is_mail:
                    if exc.kind in _RAISE_KINDS and exc.sent is False:
                        raise
                    outcome = Outcome.UNKNOWN if exc.sent is None else Outcome.NOT_SENT
                    return WriteResult(
                        outcome,
                        f"{write.purpose} failed: {exc}",
                        tuple(refs),
                        {"calls": str(calls)},
                    )
                details.append(f"{write.purpose} not recorded in Exact: {exc}")
        details.append(f"recorded in Exact ({len(refs)} record(s))")
        extra = {"calls": str(calls)}
        if extra_refused:
            extra["refused"] = extra_refused
        return WriteResult(Outcome.SENT, "; ".join(details), tuple(refs), extra)

    def reconcile(self, action: Action, before: dict[str, int | None]) -> Outcome:
        """SENT when the account carries the action's marker (note, or task for a call step);
        for call tasks and hand-offs no marker means NOT_SENT (the record is the action);
        for mails UNKNOWN: the mail may have gone out before the crash, a human decides.
        Read failures are raised: the outbox row stays `sending` and is reconciled later."""
        division = self._account_division(action.customer_ref)
        tag = writeback.marker(action)
        since = datetime.combine(
            action.planned_for - timedelta(days=1), datetime.min.time(), mapping.AMSTERDAM
        )
        endpoint = TASKS if action.kind is ActionKind.CALL_TASK else NOTES
        clause = endpoint.prop("Account").eq(guid_value(action.customer_ref)) & endpoint.prop(
            "Created"
        ).ge(datetime_value(since))
        for row in self.client.rows(division, endpoint, clause):
            if tag in str(row.get("Notes") or ""):
                return Outcome.SENT
        if action.kind in writeback.RECORD_IS_ACTION:
            return Outcome.NOT_SENT
        return Outcome.UNKNOWN

    # -- internals ------------------------------------------------------------------------
    def _settled(
        self,
        division: int,
        terms: list[tuple[dict[str, Any], Invoice]],
        *,
        partly_paid_only: bool,
    ) -> list[Invoice]:
        """The invoices with the open amount Exact states now (`mapping.settle`), read with one
        ``read/financial/ReceivablesListByAccount`` call per account concerned: every account
        with an open receivable (`partly_paid_only=False`, the re-check before sending), or only
        accounts with a partly paid one (the sync)."""
        wanted: dict[str, list[int]] = {}
        for index, (_row, invoice) in enumerate(terms):
            if invoice.status is not InvoiceStatus.OPEN:
                continue
            if partly_paid_only and not mapping.partly_paid(invoice):
                continue
            wanted.setdefault(invoice.customer_ref, []).append(index)
        out = [invoice for _row, invoice in terms]
        for account, indexes in wanted.items():
            items = mapping.open_items(
                self.client.rows(
                    division,
                    RECEIVABLES_BY_ACCOUNT,
                    arguments={"accountId": mapping.guid_literal(account)},
                ),
                f"account {account}",
            )
            per_entry: dict[str | None, int] = {}
            for _row, invoice in terms:
                if invoice.customer_ref == account:
                    entry = mapping.entry_number(_row)
                    per_entry[entry] = per_entry.get(entry, 0) + 1
            for index in indexes:
                row, invoice = terms[index]
                entry = mapping.entry_number(row)
                out[index] = mapping.settle(invoice, entry, items, per_entry.get(entry, 1))
        return out

    def _note(self, division: int, invoice: Invoice, *, number: bool = True) -> None:
        """Remember where a ref lives (only needed with several divisions) and, for invoices
        about to be acted on, its number (for the note). The sync passes number=False so
        memory does not grow with the ledger."""
        if len(self.divisions) > 1:
            self._division_of[invoice.ref] = division
            if invoice.customer_ref:
                self._division_of[invoice.customer_ref] = division
        if number:
            self._numbers[invoice.ref] = invoice.number

    def _account_division(self, account_ref: str) -> int:
        if len(self.divisions) == 1:
            return self.divisions[0]
        known = self._division_of.get(account_ref)
        if known is not None:
            return known
        for division in self.divisions:
            if self.client.rows(division, ACCOUNTS, _ids(ACCOUNTS, [account_ref])):
                self._division_of[account_ref] = division
                return division
        raise ExactApiError(
            ErrorKind.FATAL,
            f"Exact account {account_ref} is in none of the "
            f"divisions {', '.join(map(str, self.divisions))}",
            not_found=True,
        )

    def _accounts_with_contact_email(
        self, division: int, emails: dict[str, str], without_email: dict[str, dict[str, Any]]
    ) -> list[Customer]:
        """Customers for accounts whose main contact (with an e-mail) changed: accounts read
        in this sync are taken from memory, others are read in batches; an account that has
        its own e-mail keeps it."""
        out: list[Customer] = []
        unknown = [ref for ref in emails if ref not in without_email]
        rows = {ref: without_email[ref] for ref in emails if ref in without_email}
        for start in range(0, len(unknown), BATCH):
            chunk = unknown[start : start + BATCH]
            for row in self.client.rows(division, ACCOUNTS, _ids(ACCOUNTS, chunk)):
                rows[mapping.guid(row.get("ID"), "account")] = row
        for ref, row in rows.items():
            if row.get("Email"):
                continue
            if len(self.divisions) > 1:
                self._division_of[ref] = division
            out.append(
                mapping.customer_from_account(
                    row, contact_email=emails.get(ref), currency=self.currency
                )
            )
        return out


def _after(endpoint: Endpoint, timestamp: int) -> Filter:
    """``Timestamp gt {n}L`` on a sync endpoint."""
    return endpoint.prop("Timestamp").gt(int64_value(timestamp))


def _ids(endpoint: Endpoint, refs: Sequence[str]) -> Filter:
    """``ID eq guid'…' or …`` (GUIDs checked, no injection)."""
    return any_of(endpoint.prop("ID").eq(guid_value(r)) for r in refs)


def exact_token_manager(
    settings: ExactSettings,
    store: TokenStore,
    *,
    tenant: str,
    clock: Clock,
    connection: str = "default",
    hook: Hook | None = None,
    lease_ttl: float = 30.0,
    marker_patience: float = MARKER_PATIENCE,
    retry_after: float = RETRY_AFTER_UNKNOWN,
    commit_patience: float = COMMIT_PATIENCE,
) -> TokenManager:
    """The TokenManager for an Exact connection: the rotation-safe refresher, a write-ahead
    marker in the token row, and a 30 s leeway on 600 s tokens (never earlier than Exact's
    570-second rule allows)."""
    http = make_http(clock=clock, name="exact-oauth", max_read_attempts=1)
    intents = (
        StoreIntents(store, tenant, connection, clock.now) if hasattr(store, "set_extra") else None
    )
    refresher = exact_refresher(
        http,
        settings.effective_base_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        intents=intents,
        hook=hook,
        now=clock.now,
        patience=marker_patience,
        recover=settings.refresh_rotation == "on_first_use",
        retry_after=retry_after,
    )
    return TokenManager(
        store,
        tenant,
        connection,
        "exact",
        refresher,
        clock,
        leeway=timedelta(seconds=REFRESH_LEEWAY_SECONDS),
        lease_ttl=lease_ttl,
        commit_patience=commit_patience,
    )


def exact_ledger_from_settings(
    settings: ExactSettings,
    store: TokenStore,
    *,
    tenant: str,
    clock: Clock,
    mailer: Mailer,
    mail_from: str,
    sender_name: str | None = None,
    reply_to: str | None = None,
    connection: str = "default",
    metrics: HttpMetrics | None = None,
    limiters: LimiterFactory | None = None,
    reserve: int | None = None,
) -> ExactLedger:
    """Wire an `ExactLedger` from a client's `ExactSettings`, the token store and a mailer."""
    tokens = exact_token_manager(settings, store, tenant=tenant, clock=clock, connection=connection)
    errors = (
        StoreErrorLog(store, tenant, connection, clock.now) if hasattr(store, "set_extra") else None
    )
    client = ExactClient(
        tokens,
        settings.effective_base_url,
        clock,
        metrics=metrics,
        limiters=limiters,
        reserve=reserve,
        errors=errors,
    )
    return ExactLedger(
        client,
        tenant=tenant,
        divisions=settings.division_list,
        clock=clock,
        mailer=mailer,
        mail_from=mail_from,
        sender_name=sender_name,
        reply_to=reply_to,
        debtor_management_addon=settings.debtor_management_addon,
    )
