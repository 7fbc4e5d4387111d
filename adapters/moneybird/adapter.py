"""`MoneybirdLedger`: connector.domain.ports.Ledger for one Moneybird administration.

Reads go through the synchronization API (https://developer.moneybird.com/api/sales-invoices):
``GET sales_invoices/synchronization`` lists ids and versions, ``POST`` of up to 100 ids
returns the records. Where the per-id versions live (the `Ledger` cursor is one string):

  * invoices: the cursor holds the moment of the last read (``after``) and the versions of the
    invoices changed within the overlap window: a few, or every invoice the read paused (its
    pause changed it), carried on only to the next read that may list them again (``until``).
    An incremental read lists only the invoices updated after ``after`` (the list's
    ``updated_after`` filter, Moneybird changelog 2020-10-27) and fetches those whose version
    is not the one in the window: one GET plus one POST per 100 changed invoices, whatever the
    size of the administration. ``after`` is the
    read's start minus `LAG` (clock differences, writes in flight), so nothing changed while we
    read is missed. Deleted invoices are not in an ``updated_after`` list: the core's daily full
    reconciliation (cursor None) reads every invoice and looks up the ones that did not come
    back (`get_invoices`: asked for, not returned = deleted).
  * contacts: no filter key is documented for the contacts list, so the cursor keeps every
    contact's version (packed, about 8 characters a contact) and a read fetches the changed ones.
Both streams hand out their cursor on their last page only: an interrupted read starts again
from the previous cursor (upserts make that harmless). What grows with the administration
during a read (the list of ids and versions, the cursor's versions, the pauses waiting for the
end of the read) is kept in a `spool.ReadSpool` on disk, so the heap holds one batch at a time.

Payments come inside each sales invoice (``payments``); `iter_invoices` writes those of the
invoices it read to a temporary file and `iter_payments` hands them on, as the core reads the
streams in that order.

Moneybird's own reminder workflow is paused (``POST sales_invoices/{id}/pause``) for every open
invoice as soon as the sync sees it, not at the first reminder: the workflow may fire the same
morning. An invoice that is paid or uncollectible and still paused is resumed (the connector no
longer manages it), and so is one handed off to collection (`perform`); its note
(`writeback.HANDED_OFF`) keeps later syncs from pausing it again. These calls are not dunning
steps and go to no customer, so they do not go through the outbox; they are idempotent (retried
like reads: a 429 is waited out), and an invoice whose pause still failed is kept in the cursor
and read (and paused) again next time.

Writes: see `perform` (adapters/moneybird/writeback.py says which step goes which way) and
`reconcile`; nothing is ever resent blindly.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any, Protocol

from adapters.moneybird import mapping, spool, sync, writeback
from adapters.moneybird.auth import moneybird_refresher
from adapters.moneybird.client import MoneybirdClient
from adapters.moneybird.endpoints import (
    CONTACT_NOTE,
    DUNNABLE_STATES,
    INVOICE_NOTE,
    PAID_STATES,
    PAUSE,
    RESUME,
    SALES_INVOICES,
    SEND_REMINDERS,
    SYNC_BATCH,
    VOID_STATES,
    Endpoint,
)
from adapters.moneybird.errors import MoneybirdApiError
from adapters.moneybird.settings import MoneybirdSettings
from adapters.moneybird.spool import ReadSpool
from connector.auth.tokens import TokenManager, TokenStore
from connector.domain import Action, ActionKind, Customer, Invoice, Money, Payment
from connector.domain.clock import Clock
from connector.domain.ports import (
    INVOICE_NUMBERS,
    LEAD_INVOICE,
    Capabilities,
    ErrorKind,
    Outcome,
    Page,
    RenderedMessage,
    WriteResult,
)
from connector.http import HttpMetrics, LimiterFactory, make_http
from connector.mail import MailError, build_message

log = logging.getLogger("adapters.moneybird")

#: the overlap of two incremental reads (clock differences, changes in flight)
LAG = timedelta(minutes=5)
#: without a read in this process, a re-check asks for what changed in this window
RECHECK_WINDOW = timedelta(days=2)
#: a re-check's answer serves the re-checks of other customers for this long
RECHECK_MAX_AGE = timedelta(minutes=2)
#: payments handed on per page
PAYMENT_PAGE = 500
#: the states in which Moneybird's own workflow sends reminders (past the due date)
REMINDED_STATES = ("late", "reminded")
#: the first invoice date `check` asks about (Moneybird's sales-invoice list needs a period)
EARLIEST = date(2000, 1, 1)
#: invoice numbers a `Tally` keeps (for the log and the tests)
TALLY_SHOWN = 10

_RAISE_KINDS = frozenset(
    {ErrorKind.CONSENT_NEEDED, ErrorKind.CONFIG, ErrorKind.RATE_LIMITED, ErrorKind.BUDGET_EXHAUSTED}
)


class Mailer(Protocol):
    """Returns the Message-ID, or a `connector.mail.Delivery` that also names refused
    recipients (str() of either is the Message-ID)."""

    def send(self, msg: Any) -> object: ...


# -- cursors ------------------------------------------------------------------------------------
# A cursor is a JSON header, then (when it carries versions) a space and the versions packed
# (`spool.pack`): after a first read that paused 50,000 invoices, the next cursor carries 50,000
# versions, about 8 characters each instead of 30, and they are read piece by piece into the
# read's spool, never into one dict. A cursor written before this format (the versions as a JSON
# object under ``recent`` or ``versions``) is read as well.
def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _split(value: str | None) -> tuple[dict[str, Any], int | None]:
    """(the header, where the packed versions start, or None without them)."""
    if not value:
        return {}, None
    try:
        data, end = json.JSONDecoder().raw_decode(value)
    except ValueError:
        return {}, None
    if not isinstance(data, dict):
        return {}, None
    if end < len(value) and value[end] == " ":
        return data, end + 1
    return (data, None) if end == len(value) else ({}, None)


def _versions(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)}


def _load_versions(
    value: str, data: dict[str, Any], packed: int | None, key: str, into: ReadSpool
) -> None:
    """The cursor's versions into the spool's `known`: the packed ones, or the JSON object of
    an older cursor under `key`. Packed versions that do not read back (an altered cursor) are
    all forgotten: the read then fetches what is listed, which costs calls, never a change."""
    if packed is None:
        into.add_known(_versions(data.get(key)).items())
        return
    try:
        into.add_known(spool.unpack(value, packed))
    except ValueError as exc:
        log.warning(
            "a stored Moneybird cursor does not read back (%s): its versions are fetched again", exc
        )
        into.forget_known()


def _header_time(data: dict[str, Any], key: str) -> datetime | None:
    if isinstance(data.get(key), str):
        try:
            return datetime.fromisoformat(data[key].replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _header_after(data: dict[str, Any]) -> datetime | None:
    return _header_time(data, "after")


def _header_retry(data: dict[str, Any]) -> list[str]:
    retry = data.get("retry")
    return [str(r) for r in retry if str(r).isdigit()] if isinstance(retry, list) else []


def _dump(header: dict[str, Any], versions: Iterable[tuple[str, int]], count_key: str) -> str:
    packed, count = spool.pack(versions)
    if count:
        header[count_key] = count
    text = json.dumps(header, sort_keys=True, separators=(",", ":"))
    return f"{text} {packed}" if count else text


def parse_invoice_cursor(value: str | None) -> tuple[datetime | None, dict[str, int], list[str]]:
    """(``after``, versions of the invoices changed in the overlap window, invoices whose
    pause or resume failed: read again next time). The versions as one dict: for tests and
    looking into a cursor; a read loads them into its spool instead."""
    data, packed = _split(value)
    with ReadSpool() as into:
        _load_versions(value or "", data, packed, "recent", into)
        recent = dict(into.db.execute("SELECT id, version FROM known ORDER BY id"))
    return _header_after(data), recent, _header_retry(data)


def dump_invoice_cursor(
    after: datetime,
    recent: Iterable[tuple[str, int]],
    retry: Iterable[str] = (),
    *,
    until: datetime | None = None,
) -> str:
    """`recent`: (id, version) in ascending numeric id order (`ReadSpool.kept`); `until`: when
    the read ended (its last pause): no version in `recent` is of a later change."""
    header: dict[str, Any] = {"after": _iso(after)}
    if until is not None:
        header["until"] = _iso(until)
    if retry := sorted(set(retry)):
        header["retry"] = retry
    return _dump(header, recent, "window")


def parse_contact_cursor(value: str | None) -> dict[str, int]:
    data, packed = _split(value)
    with ReadSpool() as into:
        _load_versions(value or "", data, packed, "versions", into)
        return dict(into.db.execute("SELECT id, version FROM known ORDER BY id"))


def dump_contact_cursor(versions: Iterable[tuple[str, int]]) -> str:
    """`versions`: (id, version) in ascending numeric id order (`ReadSpool.kept`)."""
    return _dump({}, versions, "contacts")


@dataclass
class Tally:
    """How many invoices this process paused (or resumed) Moneybird's workflow for, and the
    first few numbers: a first read pauses every open invoice, so not every number is kept."""

    count: int = 0
    first: list[str] = field(default_factory=list)

    def add(self, number: str) -> None:
        self.count += 1
        if len(self.first) < TALLY_SHOWN:
            self.first.append(number)

    def __str__(self) -> str:
        more = self.count - len(self.first)
        return ", ".join(self.first) + (f" and {more} more" if more > 0 else "")


class MoneybirdLedger:
    """One Moneybird administration as a `Ledger`."""

    platform = "moneybird"

    def __init__(
        self,
        client: MoneybirdClient,
        *,
        tenant: str,
        clock: Clock,
        mailer: Mailer,
        mail_from: str,
        sender_name: str | None = None,
        reply_to: str | None = None,
        reminder_style: dict[str, str | None] | None = None,
        pause_workflow: bool = True,
        currency: str = "EUR",
    ) -> None:
        self.client = client
        self.tenant = tenant
        self.clock = clock
        self.mailer = mailer
        self.mail_from = mail_from
        self.sender_name = sender_name
        self.reply_to = reply_to
        self.style = dict(reminder_style or {})
        self.pause_workflow = pause_workflow
        self.currency = currency
        # a reminder: read its invoices (1) and send (1); a mail: the note (1); plus a share of
        # the re-check (1)
        self.capabilities = Capabilities(
            kinds=frozenset(ActionKind),
            sends_mail_itself=False,
            attachments=True,
            calls_per_action=3,
        )
        #: the payments of the last invoice read, one JSON line each, for `iter_payments`
        #: (a temporary file: the first read of a large administration has many)
        self._payments: IO[bytes] | None = None
        #: invoices whose pause or resume failed in this read (the cursor keeps them)
        self._retry: list[str] = []
        #: ``after`` of this process's last invoice read and its cursor (for re-checks: the
        #: versions it carries, e.g. of every invoice it paused, are not fetched again)
        self._after: datetime | None = None
        self._last_cursor: str | None = None
        self._rechecked: tuple[datetime, dict[str, list[Invoice]]] | None = None
        #: invoices paused / resumed by this process (for the log)
        self.paused = Tally()
        self.resumed = Tally()

    # -- reads ------------------------------------------------------------------------------
    def check(self) -> str:
        """The administration's name (and that this login reaches it), and a warning naming
        the late invoices whose reminders Moneybird's own workflow still sends (not paused)
        on a line of its own: `dunning doctor` prints the first as ok, the warning as WARN."""
        wanted = self.client.administration_id
        for row in self.client.administrations():
            line = mapping.administration_line(row)
            if line.endswith(f"(administration {wanted})"):
                return line + self._reminded_by_moneybird()
        raise MoneybirdApiError(
            ErrorKind.CONFIG,
            f"{self.tenant}: administration {wanted} is not reachable with this login "
            "(`dunning auth login` lists the ones it reaches)",
        )

    def _reminded_by_moneybird(self) -> str:
        """A second line ``WARNING: …`` (doctor shows it as WARN) naming the late or reminded
        invoices whose workflow is not paused
        (the list over every invoice date: its ``period`` otherwise defaults to this year)."""
        today = self.clock.now().astimezone(UTC).date()
        query = {
            "filter": SALES_INVOICES.filter(
                {
                    "state": "|".join(REMINDED_STATES),
                    "period": f"{EARLIEST:%Y%m%d}..{today.year + 1}1231",
                }
            )
        }
        numbers = [
            mapping.invoice_from_record(r).number
            for r in self.client.rows(SALES_INVOICES, query)
            if not mapping.is_paused(r)
        ]
        if not numbers:
            return "; Moneybird's own reminders are paused for every late invoice"
        shown = ", ".join(numbers[:10]) + (
            f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
        )
        fix = (
            "they are paused at the next sync"
            if self.pause_workflow
            else "set pause_workflow: true under moneybird: in the client file"
        )
        return (
            f"\nWARNING: Moneybird's own workflow is reminding {len(numbers)} late "
            f"invoice(s) the connector manages ({shown}): customers get reminders from both; "
            f"{fix}"
        )

    def iter_customers(self, cursor: str | None) -> Iterator[Page[Customer]]:
        data, packed = _split(cursor)
        with ReadSpool() as spooled:
            _load_versions(cursor or "", data, packed, "versions", spooled)
            spooled.add_listed(mapping.version_pairs(self.client.contact_rows()))
            spooled.select_changed(keep="listed")
            changed = spooled.changed()
            for batch in sync.contact_batches(self.client, changed, currency=self.currency):
                spooled.keep(batch.versions.items())
                yield Page(batch.customers, None)
            yield Page([], dump_contact_cursor(spooled.kept()))

    def iter_invoices(self, cursor: str | None) -> Iterator[Page[Invoice]]:
        """Changed invoices (every invoice with `cursor` None), 100 a page; pauses Moneybird's
        workflow for the open ones and resumes it for the ones no longer managed.

        What grows with the administration (the list of ids and versions, the versions the
        cursor carries, the waiting workflow steps, the payments) goes to a `ReadSpool` and a
        temporary file, not into memory: a read holds one batch of records at a time."""
        started = self.clock.now()
        data, packed = _split(cursor)
        after = _header_after(data)
        new_after = started - LAG
        self._retry = []
        self._payments = self._fresh_payment_file()
        paused, resumed = self.paused.count, self.resumed.count
        with ReadSpool() as spooled:
            if after is None:
                rows = self.client.sales_invoice_rows()
            else:
                _load_versions(cursor or "", data, packed, "recent", spooled)
                rows = self.client.sales_invoice_rows(_iso(after))
            spooled.add_retry(_header_retry(data))
            spooled.add_listed(mapping.version_pairs(rows))
            # a version the last read kept (its pauses: every open invoice after a first read)
            # is carried on only while the next list may still show it: not when that read
            # ended well before this one's ``after`` (two LAGs: our clock and Moneybird's)
            until = _header_time(data, "until")
            carry = until is None or until > new_after - LAG
            spooled.select_changed(keep="same" if carry else "none")
            for batch in sync.invoice_batches(self.client, spooled.changed()):
                self._keep_payments(batch.payments)
                window: list[tuple[str, int]] = []
                for record, invoice in zip(batch.records, batch.invoices, strict=True):
                    if invoice.updated_at is None or invoice.updated_at >= new_after:
                        # changed within the overlap: the next read lists it again, and this
                        # version says it need not be fetched
                        window.append((invoice.ref, mapping.record_version(record)))
                    step = self._workflow_step(record, invoice)
                    if step is not None:
                        spooled.add_step(*step)
                spooled.keep(window)
                yield Page(batch.invoices, None)
            # the invoices Moneybird's workflow would remind first are paused first: a large
            # first read may take a while of pausing at 30 calls a minute
            for ref, number, resume in spooled.steps():
                version = self._write_workflow(ref, number, RESUME if resume else PAUSE)
                if version is not None:
                    spooled.keep([(ref, version)])  # the pause changed it: listed again next time
            self._after = new_after
            if self.paused.count > paused or self.resumed.count > resumed:
                log.info(
                    "%s: Moneybird's own workflow paused for %d invoice(s), resumed for %d",
                    self.tenant,
                    self.paused.count - paused,
                    self.resumed.count - resumed,
                )
            final = dump_invoice_cursor(
                new_after, spooled.kept(), self._retry, until=self.clock.now()
            )
        self._last_cursor = final
        yield Page([], final)

    def _fresh_payment_file(self) -> IO[bytes]:
        """A new file for this read's payments (the last read's, if never handed on, goes)."""
        if self._payments is not None:
            self._payments.close()
        return tempfile.TemporaryFile()  # no name: the system removes it, whatever happens

    def _keep_payments(self, payments: Iterable[Payment]) -> None:
        assert self._payments is not None
        for payment in payments:
            self._payments.write(_payment_line(payment))

    def iter_payments(self, cursor: str | None) -> Iterator[Page[Payment]]:
        """The payments of the invoices the last `iter_invoices` read, `PAYMENT_PAGE` a page."""
        pending, self._payments = self._payments, None
        if pending is None:
            return
        with pending:
            pending.seek(0)
            page: list[Payment] = []
            for line in pending:
                page.append(_payment_from_line(line))
                if len(page) == PAYMENT_PAGE:
                    yield Page(page, None)
                    page = []
            if page:
                yield Page(page, None)

    def get_invoices(self, refs: Sequence[str]) -> dict[str, Invoice | None]:
        """Current state by id, 100 per call; asked for but not returned = deleted (None)."""
        result: dict[str, Invoice | None] = {ref: None for ref in refs}
        for records in self.client.sales_invoices(list(refs)):
            for record in records:
                invoice = mapping.invoice_from_record(record)
                if invoice.ref in result:
                    result[invoice.ref] = invoice
        return result

    def recheck_customer(self, customer_ref: str, since: datetime | None) -> list[Invoice]:
        """The customer's invoices changed since this process's last read (or the last
        `RECHECK_WINDOW`): one list of what changed in the whole administration, then its
        records, kept for `RECHECK_MAX_AGE` for the other customers' re-checks. A payment this
        morning comes back as PAID; what did not change is as the store has it. An invoice
        listed at the version the last read left in its cursor is not fetched: after a first
        read that is every invoice it paused (the pause changed it, nothing else did)."""
        now = self.clock.now()
        if self._rechecked is None or now - self._rechecked[0] > RECHECK_MAX_AGE:
            after = self._after or (now - RECHECK_WINDOW)
            by_customer: dict[str, list[Invoice]] = {}
            with ReadSpool() as spooled:
                if self._after is not None and self._last_cursor is not None:
                    data, packed = _split(self._last_cursor)
                    _load_versions(self._last_cursor, data, packed, "recent", spooled)
                rows = self.client.sales_invoice_rows(_iso(after))
                spooled.add_listed(mapping.version_pairs(rows))
                spooled.select_changed(keep="none")
                for records in self.client.sales_invoices(spooled.changed()):
                    for record in records:
                        invoice = mapping.invoice_from_record(record)
                        by_customer.setdefault(invoice.customer_ref, []).append(invoice)
            self._rechecked = (now, by_customer)
        return list(self._rechecked[1].get(customer_ref, []))

    def get_customer(self, customer_ref: str) -> Customer:
        return mapping.customer_from_contact(
            self.client.contact(customer_ref), currency=self.currency
        )

    # -- Moneybird's own workflow -----------------------------------------------------------
    def _workflow_step(
        self, record: dict[str, Any], invoice: Invoice
    ) -> tuple[int, date, str, str, bool] | None:
        """(first, due date, id, number, resume?) when Moneybird's own workflow needs pausing
        (an open invoice the connector manages) or resuming (a paid or uncollectible one still
        paused); None otherwise. Late and reminded invoices come first (`first` 0), the most
        overdue first, then open ones by due date (1), then the resumes (2)."""
        if not self.pause_workflow:
            return None
        state, paused = mapping.state(record), mapping.is_paused(record)
        if any(writeback.HANDED_OFF in text for text in mapping.note_texts(record)):
            return None  # released at the hand-off: no longer the connector's
        if state in DUNNABLE_STATES and not paused and invoice.balance.is_positive():
            first = 0 if state in REMINDED_STATES else 1
            return first, invoice.due_date, invoice.ref, invoice.number, False
        if state in (*PAID_STATES, *VOID_STATES) and paused:
            return 2, invoice.due_date, invoice.ref, invoice.number, True
        return None

    def _write_workflow(self, ref: str, number: str, endpoint: Endpoint) -> int | None:
        """Pause or resume; the version Moneybird answers with (None: no answer to go by, or
        it failed: then the invoice is read again next time)."""
        try:
            answer = self.client.write(endpoint, id=ref)
        except MoneybirdApiError as exc:
            if exc.kind in _RAISE_KINDS:
                raise
            log.warning(
                "%s: invoice %s: %s failed (tried again at the next read): %s",
                self.tenant,
                number,
                endpoint.name,
                exc,
            )
            self._retry.append(ref)
            return None
        (self.paused if endpoint is PAUSE else self.resumed).add(number)
        if isinstance(answer, dict):
            try:
                return mapping.record_version(answer)
            except MoneybirdApiError:
                return None
        return None

    # -- writes -----------------------------------------------------------------------------
    def perform(self, action: Action, rendered: RenderedMessage | None) -> WriteResult:
        """Reminders by Moneybird itself, call tasks and hand-offs as notes, other mails by
        SMTP and a note (writeback.py).

        SENT once Moneybird accepted the reminder, the relay accepted the mail (a failing note
        afterwards is named in the detail) or the note is written. NOT_SENT for a definite
        refusal before anything went out. UNKNOWN when a reminder, mail or note got no definite
        answer: the dispatcher then asks `reconcile`. Consent/config/rate/budget refusals before
        anything went out are raised.
        """
        kind = action.kind
        if kind.is_mail and (rendered is None or not rendered.to):
            return WriteResult(Outcome.NOT_SENT, "no message or no recipient to send to")
        given = [n.strip() for n in action.extra.get(INVOICE_NUMBERS, "").split(",") if n.strip()]
        numbers = given or list(action.invoice_refs)
        if kind in writeback.MONEYBIRD_KINDS:
            assert rendered is not None
            return self._send_reminder(action, rendered, numbers)
        if kind in writeback.RECORD_IS_ACTION:
            text = writeback.note_text(action, rendered, numbers)
            try:
                answer = self.client.write(
                    CONTACT_NOTE,
                    writeback.note_body(text, todo=kind is ActionKind.CALL_TASK),
                    contact_id=action.customer_ref,
                )
            except MoneybirdApiError as exc:
                return self._failed(exc, "the note in Moneybird")
            what = "to-do" if kind is ActionKind.CALL_TASK else "note"
            detail = f"{what} on the contact in Moneybird"
            calls = 1
            if kind is ActionKind.HANDOFF:
                released, calls = self._release(action, numbers)
                detail += f"; {released}"
            return WriteResult(Outcome.SENT, detail, _ref(answer), {"calls": str(calls)})
        assert rendered is not None
        return self._mail(action, rendered, numbers)

    def _release(self, action: Action, numbers: list[str]) -> tuple[str, int]:
        """After a hand-off the connector no longer manages the invoices: each gets a note
        carrying `writeback.HANDED_OFF` (so no later sync pauses it again) and Moneybird's own
        workflow is resumed for it. Returns what happened, in words, and the calls made
        (counting the contact's note before)."""
        calls, done, failed = 1, [], []
        for index, ref in enumerate(action.invoice_refs):
            number = numbers[index] if index < len(numbers) else ref
            try:
                calls += 1
                self.client.write(
                    INVOICE_NOTE,
                    writeback.handoff_note(action),
                    sales_invoice_id=ref,
                )
                if self.pause_workflow:
                    calls += 1
                    self.client.write(RESUME, id=ref)
                done.append(number)
            except MoneybirdApiError as exc:
                if exc.kind in _RAISE_KINDS and exc.sent is False and not done:
                    raise
                log.warning("%s: invoice %s: release after hand-off: %s", self.tenant, number, exc)
                failed.append(number)
        words = f"Moneybird's own workflow resumed for {', '.join(done) or 'none'}"
        if failed:
            words += f" (not for {', '.join(failed)}: see the log)"
        return words, calls

    def _send_reminder(
        self, action: Action, rendered: RenderedMessage, numbers: list[str]
    ) -> WriteResult:
        refs = list(action.invoice_refs)
        try:
            records = {
                mapping.record_id(r.get("id"), "sales invoice"): r
                for batch in self.client.sales_invoices(refs)
                for r in batch
            }
        except MoneybirdApiError as exc:
            return self._failed(exc, "reading the invoices before the reminder")
        calls = -(-len(refs) // SYNC_BATCH)
        settled = [
            numbers[i] if i < len(numbers) else ref
            for i, ref in enumerate(refs)
            if ref not in records or mapping.state(records[ref]) not in DUNNABLE_STATES
        ]
        if settled:
            return WriteResult(
                Outcome.NOT_SENT,
                f"not sent: no longer open in Moneybird: {', '.join(settled)}",
                extra={"calls": str(calls)},
            )
        lead = records[action.extra.get(LEAD_INVOICE) or refs[0]] if refs else None
        style = writeback.reminder_style(
            mapping.reminder_style(lead) if lead is not None else {}, self.style
        )
        if style is None:
            return WriteResult(
                Outcome.NOT_SENT,
                "not sent: Moneybird needs a reminder workflow, an identity and a document "
                "style; the invoice names none: set reminder_workflow_id, identity_id and "
                "document_style_id under moneybird: in the client file",
                extra={"calls": str(calls)},
            )
        body = writeback.reminder_body(
            contact_id=action.customer_ref,
            invoice_ids=refs,
            text=rendered.text,
            email=rendered.to[0],
            **style,
        )
        try:
            self.client.write(SEND_REMINDERS, body)
        except MoneybirdApiError as exc:
            return self._failed(exc, "the reminder through Moneybird", calls + 1)
        detail = f"sent by Moneybird to {rendered.to[0]} for {', '.join(numbers)}"
        if rendered.attachments:
            # send_reminders takes no attachment: Moneybird's reminder carries the invoices
            names = ", ".join(name for name, _content, _mime in rendered.attachments)
            detail += f" (without {names}: Moneybird attaches the invoices themselves)"
        return WriteResult(Outcome.SENT, detail, extra={"calls": str(calls + 1)})

    def _mail(self, action: Action, rendered: RenderedMessage, numbers: list[str]) -> WriteResult:
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
        refused = tuple(getattr(delivery, "refused", ()) or ())
        accepted = [a for a in (*rendered.to, *rendered.cc) if a not in refused]
        details = [f"mailed to {', '.join(accepted)}"]
        extra = {"calls": "1"}
        if refused:
            details.append(f"refused by the mail server: {', '.join(refused)}")
            extra["refused"] = ", ".join(refused)
        text = writeback.note_text(action, rendered, numbers, str(delivery))
        refs: tuple[str, ...] = ()
        try:
            answer = self.client.write(
                CONTACT_NOTE, writeback.note_body(text, todo=False), contact_id=action.customer_ref
            )
            refs = _ref(answer)
            details.append("recorded in Moneybird")
        except MoneybirdApiError as exc:
            details.append(f"note not recorded in Moneybird: {exc}")
        return WriteResult(Outcome.SENT, "; ".join(details), refs, extra)

    def reconcile(self, action: Action, before: dict[str, int | None]) -> Outcome:
        """A reminder: SENT when Moneybird's ``reminder_count`` of one of its invoices went up
        since `before`, NOT_SENT when none did. Other steps: SENT when the contact carries the
        action's marker; without it NOT_SENT for call tasks and hand-offs (the note is the
        action), UNKNOWN for mails (it may have gone out before the crash: a human decides).
        Read failures are raised: the outbox row stays `sending` and is reconciled later."""
        if action.kind in writeback.MONEYBIRD_KINDS:
            now = self.get_invoices(list(action.invoice_refs))
            known = 0
            for ref, invoice in now.items():
                was = before.get(ref)
                if invoice is None or invoice.platform_reminders_sent is None or was is None:
                    continue
                known += 1
                if invoice.platform_reminders_sent > was:
                    return Outcome.SENT
            return Outcome.NOT_SENT if known else Outcome.UNKNOWN
        tag = writeback.marker(action)
        contact = self.client.contact(action.customer_ref)
        if any(tag in text for text in mapping.note_texts(contact, "contact")):
            return Outcome.SENT
        if action.kind in writeback.RECORD_IS_ACTION:
            return Outcome.NOT_SENT
        return Outcome.UNKNOWN

    def _failed(self, exc: MoneybirdApiError, purpose: str, calls: int = 1) -> WriteResult:
        extra = {"calls": str(calls)}
        if exc.sent is False:
            if exc.kind in _RAISE_KINDS:
                raise exc
            return WriteResult(Outcome.NOT_SENT, f"not sent: {purpose} refused: {exc}", extra=extra)
        log.warning("%s: %s: outcome unknown: %s", self.tenant, purpose, exc)
        return WriteResult(Outcome.UNKNOWN, f"{purpose}: no definite answer: {exc}", extra=extra)


def _payment_line(payment: Payment) -> bytes:
    """One payment as a line of JSON (amounts as decimal text, never float)."""
    fields = [
        payment.ref,
        payment.customer_ref,
        payment.date.isoformat(),
        str(payment.amount.amount),
        payment.amount.currency,
        list(payment.invoice_refs),
        payment.updated_at.isoformat() if payment.updated_at is not None else None,
    ]
    return json.dumps(fields, separators=(",", ":")).encode() + b"\n"


def _payment_from_line(line: bytes) -> Payment:
    ref, customer, day, amount, currency, invoices, updated = json.loads(line)
    return Payment(
        ref=ref,
        customer_ref=customer,
        date=date.fromisoformat(day),
        amount=Money.of(amount, currency),
        invoice_refs=tuple(invoices),
        updated_at=datetime.fromisoformat(updated) if updated is not None else None,
    )


def _ref(answer: Any) -> tuple[str, ...]:
    if isinstance(answer, dict) and answer.get("id") is not None:
        return (str(answer["id"]),)
    return ()


def moneybird_token_manager(
    settings: MoneybirdSettings, store: TokenStore, *, tenant: str, clock: Clock
) -> TokenManager:
    http = make_http(clock=clock, name="moneybird-oauth", max_read_attempts=1)
    refresher = moneybird_refresher(
        http,
        settings.effective_accounts_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
    )
    return TokenManager(store, tenant, "default", "moneybird", refresher, clock)


def moneybird_client(
    settings: MoneybirdSettings,
    tokens: TokenManager,
    clock: Clock,
    *,
    metrics: HttpMetrics | None = None,
    limiters: LimiterFactory | None = None,
) -> MoneybirdClient:
    """The client, its calls counted against the budget of the app's user (`limiter_key`)."""
    return MoneybirdClient(
        tokens,
        settings.effective_api_url,
        settings.administration_id,
        clock,
        metrics=metrics,
        limiters=limiters,
        budget=f"app-{settings.client_id}",
    )


def moneybird_ledger_from_settings(
    settings: MoneybirdSettings,
    store: TokenStore,
    *,
    tenant: str,
    clock: Clock,
    mailer: Mailer,
    mail_from: str,
    sender_name: str | None = None,
    reply_to: str | None = None,
    metrics: HttpMetrics | None = None,
    limiters: LimiterFactory | None = None,
) -> MoneybirdLedger:
    """Wire a `MoneybirdLedger` from a client's `MoneybirdSettings`, the token store and a
    mailer (the client's SMTP relay, for the steps Moneybird cannot send)."""
    tokens = moneybird_token_manager(settings, store, tenant=tenant, clock=clock)
    client = moneybird_client(settings, tokens, clock, metrics=metrics, limiters=limiters)
    return MoneybirdLedger(
        client,
        tenant=tenant,
        clock=clock,
        mailer=mailer,
        mail_from=mail_from,
        sender_name=sender_name,
        reply_to=reply_to,
        reminder_style={
            "workflow_id": settings.reminder_workflow_id,
            "identity_id": settings.identity_id,
            "document_style_id": settings.document_style_id,
        },
        pause_workflow=settings.pause_workflow,
    )
