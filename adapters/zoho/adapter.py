"""`ZohoLedger`: connector.domain.ports.Ledger for one Zoho Books organisation.

Official pages: https://www.zoho.com/books/api/v3/introduction/ and the resource pages linked in
adapters/zoho/endpoints.py and writeback.py.

Incremental reads (style-and-libraries.md §1.8.3, the Singer "signpost"): every list is read with
``last_modified_time`` = the stored cursor (closed lower bound; upserts make re-reads harmless).
Zoho cannot sort invoices by modification time, so an interrupted stream cannot resume mid-way:
intermediate pages carry ``cursor=None`` and only the LAST page carries the new cursor
``min(max last_modified_time seen, run start - lag)``, so rows changed while we read are re-read
next time. Payment list items may lack ``last_modified_time`` (not in Zoho's documentation); then
the payment date minus 7 days is the basis (documented choice: a payment recorded up to a week
after its date is still caught; with no usable filter Zoho returns everything, which is correct).

Writes: see `perform` and `reconcile`; nothing is ever resent blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from adapters.zoho import mapping, writeback
from adapters.zoho.auth import zoho_refresher
from adapters.zoho.client import PER_MINUTE, ZohoClient, limiter_key
from adapters.zoho.endpoints import (
    CONTACTS,
    INVOICES,
    ORGANIZATIONS,
    PAYMENTS,
    Endpoint,
    contact_path,
    invoice_path,
    payment_path,
)
from adapters.zoho.errors import ZohoApiError
from adapters.zoho.settings import ZOHO_API_HOSTS, ZohoSettings
from connector.auth.tokens import TokenManager, TokenStore
from connector.config.models import is_official_host
from connector.domain import Action, ActionKind, Customer, Invoice, Payment
from connector.domain.clock import Clock
from connector.domain.ports import (
    LEAD_INVOICE,
    Capabilities,
    ErrorKind,
    Outcome,
    Page,
    RenderedMessage,
    WriteResult,
)
from connector.http import HttpMetrics, LimiterFactory, make_http

log = logging.getLogger("adapters.zoho")

BOOKS_PATH = "/books/v3"

T = TypeVar("T")

#: Zoho allows 10 access-token requests per 10 minutes per refresh token (reference §1,
#: https://www.zoho.com/accounts/protocol/oauth/token-limits.html): one every 65 s (one a
#: minute plus a margin for clock skew) keeps any 10-minute window at 10 or fewer, through
#: long rate-limit waits and across workers (the last refresh is in the token store)
TOKEN_PACE = timedelta(seconds=65)

#: kinds that stop the run / are definitely not sent: re-raised to the dispatcher
_RAISE_KINDS = frozenset(
    {ErrorKind.CONSENT_NEEDED, ErrorKind.CONFIG, ErrorKind.RATE_LIMITED, ErrorKind.BUDGET_EXHAUSTED}
)


def parse_cursor(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = mapping.parse_zoho_datetime(value)
    return parsed


class ZohoLedger:
    """One Zoho Books organisation as a `Ledger`."""

    platform = "zoho"
    capabilities = Capabilities(
        kinds=frozenset(ActionKind),
        sends_mail_itself=True,
        customer_details_in_sync=False,
        pay_links_on_detail=True,
    )

    def __init__(
        self,
        client: ZohoClient,
        *,
        tenant: str,
        timezone: str,
        lag: timedelta = timedelta(minutes=5),
        clock: Clock,
        currency: str | None = None,
    ) -> None:
        self.client = client
        self.tenant = tenant
        self.timezone = timezone
        self.lag = lag
        self.clock = clock
        self._currency = currency
        self._due_dates: dict[str, date] = {}
        #: invoice numbers seen by re-checks (for the comment), dropped with the due dates
        self._numbers: dict[str, str] = {}

    # -- reads ----------------------------------------------------------------------------------
    def check(self) -> str:
        body = self.client.get(f"{ORGANIZATIONS.path}/{self.client.organization_id}")
        org = self.client.detail(body, ORGANIZATIONS)
        self._currency = self._currency or mapping.organization_currency(org)
        return mapping.organization_line(org)

    def iter_customers(self, cursor: str | None) -> Iterator[Page[Customer]]:
        return self._stream(
            CONTACTS,
            cursor,
            lambda r: mapping.customer_from_zoho(r, currency=self._cur(r), tz=self.timezone),
            lambda c: c.updated_at,
        )

    def iter_invoices(self, cursor: str | None) -> Iterator[Page[Invoice]]:
        return self._stream(INVOICES, cursor, self._invoice, lambda i: i.updated_at)

    def iter_payments(self, cursor: str | None) -> Iterator[Page[Payment]]:
        return self._stream(
            PAYMENTS,
            cursor,
            self._payment,
            lambda p: mapping.payment_cursor_basis(p, self.timezone),
        )

    def get_invoices(self, refs: Sequence[str]) -> dict[str, Invoice | None]:
        result: dict[str, Invoice | None] = {}
        for ref in refs:
            result[ref] = self._invoice_detail(ref)
        return result

    def recheck_customer(self, customer_ref: str, since: datetime | None) -> list[Invoice]:
        params: dict[str, Any] = {"customer_id": customer_ref}
        if since is not None:
            params[INVOICES.cursor_param] = mapping.format_zoho_time(since, self.timezone)
        invoices: list[Invoice] = []
        for items, _last in self.client.pages(INVOICES, params):
            invoices.extend(self._invoice(item) for item in items)
        for invoice in invoices:  # used to pick the primary invoice of the next `perform`
            self._due_dates[invoice.ref] = invoice.due_date
            self._numbers[invoice.ref] = invoice.number
        return invoices

    def get_customer(self, customer_ref: str) -> Customer:
        body = self.client.get(contact_path(customer_ref))
        record = self.client.detail(body, CONTACTS)
        return mapping.customer_from_zoho(record, currency=self._cur(record), tz=self.timezone)

    def remaining_today(self) -> int | None:
        """API calls left today for the organisation, as Zoho's last answer said (None: no
        answer yet). Read by the run to plan the day's actions within the quota."""
        return self.client.remaining_today

    def daily_quota(self) -> int | None:
        """The organisation's daily quota as Zoho's answers state it (None: not seen yet);
        used when the client's file does not name the Zoho plan."""
        return self.client.daily_limit

    # -- writes ---------------------------------------------------------------------------------
    def perform(self, action: Action, rendered: RenderedMessage | None) -> WriteResult:
        """Send the action's one call, then one marked comment naming the action's invoices.

        SENT once the send call answered code 0 (a failing comment afterwards does not change
        that; the detail says so). NOT_SENT for a definite refusal before or by Zoho. UNKNOWN
        when the send may have reached Zoho without an answer (timeout, connection error, 5xx,
        unreadable answer): the dispatcher then asks `reconcile`, never resends.
        Consent/config/rate-limit/budget refusals are raised (nothing was sent; they decide the
        rest of the run).
        """
        kind = action.kind
        if kind not in self.capabilities.kinds:
            return WriteResult(Outcome.NOT_SENT, f"Zoho adapter cannot perform {kind}")
        if kind.is_mail and (rendered is None or not rendered.to):
            return WriteResult(Outcome.NOT_SENT, "no message or no recipient to send to")
        primary: str | None = None
        if kind in writeback.REMINDER_KINDS:
            try:
                lead = action.extra.get(LEAD_INVOICE) in action.invoice_refs
                due_dates = {} if lead else self._due_dates_for(action)
                primary = writeback.primary_invoice(action, due_dates)
            except ZohoApiError as exc:
                return self._failed_before_send(exc, "reading the invoices' due dates")
        send = writeback.send_call(action, rendered, primary)
        details: list[str] = []
        refs: list[str] = []
        calls = 0
        if send is not None:
            calls += 1
            try:
                answer = self.client.call(
                    send.method, send.path, params=send.params, json=send.json
                )
            except ZohoApiError as exc:
                return self._failed_send(exc, send.purpose)
            details.append(f"{send.purpose}: {answer.get('message') or 'ok'}")
        written, failures, unknown = 0, [], False
        numbers = writeback.invoice_numbers(action, self._numbers)
        on = primary or action.extra.get(LEAD_INVOICE)
        for call in writeback.comment_calls(action, rendered, on, numbers):
            calls += 1
            try:
                answer = self.client.call(call.method, call.path, json=call.json)
            except ZohoApiError as exc:
                if send is None and exc.kind in _RAISE_KINDS and written == 0:
                    raise
                failures.append(f"{call.purpose} failed: {exc}")
                unknown = unknown or exc.sent is None
                continue
            written += 1
            comment = answer.get("comment")
            if isinstance(comment, Mapping) and comment.get("comment_id"):
                refs.append(str(comment["comment_id"]))
        details.extend(failures)
        extra = {"calls": str(calls)}
        if send is not None or written:
            # the mail/flag went out (or, for a call task, at least one note carries the marker)
            return WriteResult(
                Outcome.SENT, "; ".join(details) or "comments written", tuple(refs), extra
            )
        outcome = Outcome.UNKNOWN if unknown else Outcome.NOT_SENT
        return WriteResult(outcome, "; ".join(details), tuple(refs), extra)

    def reconcile(self, action: Action, before: dict[str, int | None]) -> Outcome:
        """SENT when an invoice of the action carries the marker comment, or (reminders) the
        platform's reminder counter grew past `before` or its last-reminder date is on/after the
        planned day; for call tasks and hand-offs no marker means NOT_SENT (the comment is the
        action, redoing it is safe); otherwise UNKNOWN (a human decides; never resend blindly).
        Read failures are raised: the outbox row stays `sending` and is reconciled later."""
        tag = writeback.marker(action)
        for ref in action.invoice_refs:
            try:
                body = self.client.get(f"{invoice_path(ref)}/comments")
            except ZohoApiError as exc:
                if exc.not_found:
                    continue
                raise
            if any(tag in text for text in mapping.comment_descriptions(body)):
                return Outcome.SENT
        if action.kind in writeback.REMINDER_KINDS:
            for ref in action.invoice_refs:
                invoice = self._invoice_detail(ref)
                if invoice is None:
                    continue
                counter = before.get(ref)
                now_sent = invoice.platform_reminders_sent
                if counter is not None and now_sent is not None and now_sent > counter:
                    return Outcome.SENT
                if (
                    invoice.last_reminder_date is not None
                    and invoice.last_reminder_date >= action.planned_for
                ):
                    return Outcome.SENT
        if action.kind in writeback.COMMENT_IS_ACTION:
            return Outcome.NOT_SENT
        return Outcome.UNKNOWN

    # -- internals ------------------------------------------------------------------------------
    def _stream(
        self,
        endpoint: Endpoint,
        cursor: str | None,
        mapper: Callable[[dict[str, Any]], T],
        basis: Callable[[T], datetime | None],
    ) -> Iterator[Page[T]]:
        started = self.clock.now()
        since = parse_cursor(cursor)
        params: dict[str, Any] = {}
        if since is not None:
            params[endpoint.cursor_param] = mapping.format_zoho_time(since, self.timezone)
        max_seen: datetime | None = None
        for items, last in self.client.pages(endpoint, params):
            records = [mapper(item) for item in items]
            for record in records:
                seen = basis(record)
                if seen is not None and (max_seen is None or seen > max_seen):
                    max_seen = seen
            yield Page(records, self._next_cursor(max_seen, started, since) if last else None)

    def _next_cursor(
        self, max_seen: datetime | None, started: datetime, since: datetime | None
    ) -> str | None:
        if max_seen is None:
            return None  # nothing dated came back: keep the stored cursor
        new = min(max_seen, started - self.lag)
        if since is not None and new < since:
            new = since
        return new.astimezone(UTC).isoformat()

    def _cur(self, record: Mapping[str, Any]) -> str | None:
        """The organisation's currency, fetched once, only for records without one."""
        if record.get("currency_code"):
            return None
        if self._currency is None:
            self.check()
        return self._currency

    def _payment(self, record: dict[str, Any]) -> Payment:
        """A payment list item -> Payment. Zoho documents no ``customer_id`` on list items
        (docs/zoho-books.md): an item without one is read in full from its documented detail
        (``GET /customerpayments/{payment_id}``: ``customer_id``, ``currency_code``,
        ``invoices[].invoice_id``)."""
        if not record.get("customer_id") and record.get("payment_id"):
            body = self.client.get(payment_path(str(record["payment_id"])))
            record = self.client.detail(body, PAYMENTS)
        return mapping.payment_from_zoho(record, currency=self._cur(record), tz=self.timezone)

    def _invoice(self, record: dict[str, Any]) -> Invoice:
        invoice = mapping.invoice_from_zoho(record, currency=self._cur(record), tz=self.timezone)
        return invoice

    def _invoice_detail(self, ref: str) -> Invoice | None:
        try:
            body = self.client.get(invoice_path(ref))
        except ZohoApiError as exc:
            if exc.not_found:
                return None
            raise
        invoice = self._invoice(self.client.detail(body, INVOICES))
        self._due_dates[invoice.ref] = invoice.due_date
        return invoice

    def _due_dates_for(self, action: Action) -> dict[str, date]:
        """Due dates of the action's invoices: one list call for the customer (plus a detail
        call for any invoice that list did not show)."""
        wanted = set(action.invoice_refs)
        found: dict[str, date] = {r: self._due_dates[r] for r in wanted if r in self._due_dates}
        if len(found) < len(wanted):
            for items, _last in self.client.pages(INVOICES, {"customer_id": action.customer_ref}):
                for item in items:
                    ref = str(item.get("invoice_id"))
                    if ref in wanted:
                        found[ref] = self._invoice(item).due_date
        for ref in wanted - set(found):
            invoice = self._invoice_detail(ref)
            if invoice is not None:
                found[ref] = invoice.due_date
        return found

    def _failed_before_send(self, exc: ZohoApiError, doing: str) -> WriteResult:
        if exc.kind in _RAISE_KINDS:
            raise exc
        return WriteResult(Outcome.NOT_SENT, f"not sent: {doing} failed: {exc}")

    def _failed_send(self, exc: ZohoApiError, purpose: str) -> WriteResult:
        if exc.sent is False:
            if exc.kind in _RAISE_KINDS:
                raise exc
            return WriteResult(Outcome.NOT_SENT, f"{purpose} refused: {exc}")
        log.warning("%s: %s outcome unknown: %s", self.tenant, purpose, exc)
        return WriteResult(Outcome.UNKNOWN, f"{purpose}: no definite answer: {exc}")


def zoho_ledger_from_settings(
    settings: ZohoSettings,
    store: TokenStore,
    *,
    tenant: str,
    timezone: str,
    clock: Clock,
    connection: str = "default",
    lag: timedelta = timedelta(minutes=5),
    metrics: HttpMetrics | None = None,
    currency: str | None = None,
    limiters: LimiterFactory | None = None,
) -> ZohoLedger:
    """Wire a `ZohoLedger` from a client's `ZohoSettings` and the token store.

    The API base is, in order: the configured ``api_url`` override (sandbox, proxy), the
    ``api_domain`` Zoho returned with the token (the user's data centre) when it is exactly one
    of Zoho's API hosts over https, the data centre's default host.
    """
    accounts_http = make_http(clock=clock, name="zoho-accounts", max_read_attempts=1)
    refresher = zoho_refresher(
        accounts_http,
        settings.effective_accounts_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
    )
    tokens = TokenManager(
        store, tenant, connection, "zoho", refresher, clock, min_refresh_interval=TOKEN_PACE
    )
    api_base = settings.effective_api_url
    if settings.api_url is None:
        record = store.get(tenant, connection)
        domain = getattr(record, "api_domain", None) if record is not None else None
        if domain and is_official_host(str(domain).rstrip("/"), ZOHO_API_HOSTS):
            api_base = str(domain).rstrip("/") + BOOKS_PATH
        elif domain:
            # the access token goes to this host with every call: only one of Zoho's own
            log.warning(
                "%s: ignoring api_domain %r from the token answer (not a Zoho API host); using %s",
                tenant,
                str(domain)[:100],
                api_base,
            )
    client = ZohoClient.create(
        tokens=tokens,
        api_base=api_base,
        organization_id=settings.organization_id,
        clock=clock,
        metrics=metrics,
        limiter=limiters(limiter_key(settings.organization_id), PER_MINUTE, clock)
        if limiters is not None
        else None,
    )
    return ZohoLedger(
        client, tenant=tenant, timezone=timezone, lag=lag, clock=clock, currency=currency
    )
