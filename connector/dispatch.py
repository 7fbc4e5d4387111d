"""Perform planned actions through the outbox, so that nothing is sent twice and nothing lost.

For each action:
1. `enqueue` writes it to the outbox; a row for the same (invoice, step) already taken makes the
   insert a no-op (another run or worker planned it first).
2. `claim` moves it `pending → sending` in its own committed transaction; only one claimer wins.
3. The customer's invoices are re-read from the platform right before acting. If any invoice of
   the action was paid, voided or changed balance, the action is cancelled (it will be re-planned
   from fresh data) — silence beats a wrong mail.
4. The platform's reminder counters are recorded, then the adapter performs the action.
5. The row is marked `sent`, `failed` (definitely not sent: may be planned again) or `review`
   (outcome unknown: a human decides; never resent blindly).

A row left in `sending` by a crash is reconciled on a later run through `Ledger.reconcile`.

A client with `approval: required` stops after step 1: the row waits in `approval` (its items
live, so the step is not planned again) until `perform_approved` claims it `approval → sending`
and goes on from step 3; one not approved within `APPROVAL_TTL` is expired and planned afresh.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from connector.domain import Action, ActionKind, Customer, CustomerProfile, Invoice, InvoiceStatus
from connector.domain.clock import Clock, local_date
from connector.domain.ports import (
    INVOICE_NUMBERS,
    LEAD_INVOICE,
    ErrorKind,
    Ledger,
    LedgerError,
    Outcome,
    RenderedMessage,
    WriteResult,
)
from connector.payments.links import PaymentLinks
from connector.payments.mollie import PaymentProviderError
from connector.render import MessageContext, Renderer, TemplateProblem
from connector.store import audit, cursors, ledger_repo, outbox
from connector.store.db import session_scope

log = logging.getLogger("connector.dispatch")

#: How long a claim protects a `sending` row; after that a later run reconciles it.
CLAIM_TTL = timedelta(minutes=10)

#: How long a planned action may wait for approval before it is stale and expired.
APPROVAL_TTL = timedelta(days=3)
#: a platform that re-checks several customers in one call (`recheck_customers`) is asked for
#: the customers of the next this-many actions together; a result older than `RECHECK_MAX_AGE`
#: when its action's turn comes is not used (the customer is re-read on its own)
RECHECK_AHEAD = 20
RECHECK_MAX_AGE = timedelta(minutes=2)

#: Errors that are raised before anything was written, so the action was definitely not sent.
_NOT_SENT_KINDS = {
    ErrorKind.CONFIG,
    ErrorKind.CONSENT_NEEDED,
    ErrorKind.RATE_LIMITED,
    ErrorKind.BUDGET_EXHAUSTED,
}


@dataclass(frozen=True)
class DispatchSettings:
    """What the dispatcher needs from the client's configuration."""

    tenant: str
    company: str
    sender: dict[str, str | None]
    language: str
    timezone: str
    min_balance: Decimal
    customer_languages: dict[str, str] = field(default_factory=dict)
    #: postal addresses from the client file, which win over the platform's
    customer_addresses: dict[str, str] = field(default_factory=dict)
    approval_required: bool = False
    #: customer profiles set in the client file (they win over the platform's)
    customer_profiles: dict[str, CustomerProfile] = field(default_factory=dict)


@dataclass
class DispatchStats:
    enqueued: int = 0
    already_taken: int = 0
    sent: int = 0
    cancelled: int = 0
    failed: int = 0
    review: int = 0
    reconciled: int = 0
    awaiting_approval: int = 0
    #: the run stopped between actions because the process is stopping
    stopped: bool = False
    lines: list[str] = field(default_factory=list)  # human-readable, for the run output

    def merge(self, other: DispatchStats) -> None:
        for name in (
            "enqueued",
            "already_taken",
            "sent",
            "cancelled",
            "failed",
            "review",
            "reconciled",
            "awaiting_approval",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.stopped = self.stopped or other.stopped
        self.lines += other.lines


@dataclass(frozen=True)
class PreviewPay:
    """The pay links a waiting message will carry, for the approver's preview."""

    #: the action's invoices, with the platform's own link where it was read
    invoices: dict[str, Invoice | None]
    #: the payment provider's link for the invoices without one of their platform's
    provider_url: str | None = None
    #: the numbers of the invoices that link pays
    provider_numbers: tuple[str, ...] = ()
    #: why there is no provider link to show yet (the approver is told), or None
    note: str | None = None


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        ledger: Ledger,
        renderer: Renderer,
        settings: DispatchSettings,
        clock: Clock,
        *,
        owner: str,
        run_id: str,
        after_send: Callable[[int, WriteResult], None] | None = None,
        stop: threading.Event | None = None,
        payment_links: PaymentLinks | None = None,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.renderer = renderer
        self.settings = settings
        self.clock = clock
        self.owner = owner
        self.run_id = run_id
        #: test seam: called after the platform answered and before the outbox is marked
        self.after_send = after_send
        #: set when the process is asked to stop (SIGTERM): the action in flight finishes and
        #: is recorded, no further action starts (the next run plans them again)
        self.stop = stop
        #: pay links from the client's payment provider (`payments:`), for the invoices whose
        #: platform gives none; None: the platform's own links only
        self.payment_links = payment_links
        #: whether pay links only given on an invoice's detail are read (one call each); the
        #: run turns it off on a day whose budget has no room for them (policy.budget)
        self.read_pay_links = True
        #: the customer's own page (pay, promise, ask for a payment plan) as a link for the
        #: mails, where one is configured (the console's public URL); None: no page, and a
        #: mail that offers a payment plan asks the customer to reply or call instead
        self.customer_page: Callable[[Customer], str | None] | None = None
        #: customer ref -> (when read, invoices): re-checks read ahead for the next actions
        self._ahead: dict[str, tuple[datetime, list[Invoice]]] = {}

    @property
    def tenant(self) -> str:
        return self.settings.tenant

    # -- crash recovery -----------------------------------------------------------------
    def reconcile_stale(self) -> DispatchStats:
        """Settle rows left in `sending` by a crash or an unknown outcome, and expire actions
        that waited too long for approval or were never claimed (before planning, so they are
        planned afresh)."""
        stats = DispatchStats()
        now = self.clock.now()
        with session_scope(self.engine) as session:
            outbox.expire_awaiting_approval(session, self.tenant, now - APPROVAL_TTL, now)
            # A row still `pending` after a claim's lifetime was enqueued by a run that died
            # before claiming it (runs of one client are serialised by the lease): nothing went
            # out, so it is expired and its step released to be planned again, not lost.
            outbox.expire_pending(session, self.tenant, now - CLAIM_TTL, now)
            stale = outbox.stale_sending(session, self.tenant, now)
            pending = [
                (row.id or 0, outbox.load_action(session, row), outbox.before_counters(row))
                for row in stale
            ]
        for action_id, action, before in pending:
            if not outbox.take_over_stale(self.engine, action_id, self.owner, now, CLAIM_TTL):
                continue  # another process reconciles it
            if action.is_business_notice:  # mailed over SMTP, not through the ledger
                detail = "interrupted while mailing the business: not resent blindly"
                self._mark(action_id, action, "review", detail)
                stats.reconciled += 1
                stats.review += 1
                continue
            outcome = self.ledger.reconcile(action, before)
            status = {Outcome.SENT: "sent", Outcome.NOT_SENT: "failed"}.get(outcome, "review")
            self._mark(action_id, action, status, f"reconciled after interruption: {outcome}")
            stats.reconciled += 1
            setattr(stats, status, getattr(stats, status) + 1)
            if status == "sent":
                self._after_sent(action)
            stats.lines.append(f"reconciled {action.kind} for {action.customer_ref}: {status}")
        return stats

    # -- the main path ------------------------------------------------------------------
    def dispatch(self, actions: list[Action]) -> DispatchStats:
        stats = DispatchStats()
        waiting = self.settings.approval_required
        for done, action in enumerate(actions):
            if self.stopping(stats, len(actions) - done):
                break
            now = self.clock.now()
            with session_scope(self.engine) as session:
                action_id = outbox.enqueue(
                    session, action, now, self.run_id, "approval" if waiting else "pending"
                )
            if action_id is None:
                stats.already_taken += 1
                continue
            stats.enqueued += 1
            if waiting:
                stats.awaiting_approval += 1
                continue
            if not outbox.claim(self.engine, action_id, self.owner, now, CLAIM_TTL):
                stats.already_taken += 1
                continue
            self._read_ahead(actions, done)
            status = self._perform(action_id, action, stats)
            setattr(stats, status, getattr(stats, status) + 1)
        return stats

    def _read_ahead(self, actions: list[Action], index: int) -> None:
        """Re-check the customers of this and the next actions in one batched read, where the
        platform can (issue #18: fewer calls per action); `_recheck` takes each result when its
        action's turn comes. Best effort: a failure here leaves each action to its own read."""
        batch = getattr(self.ledger, "recheck_customers", None)
        if batch is None or actions[index].customer_ref in self._ahead:
            return
        refs = list(
            dict.fromkeys(
                a.customer_ref
                for a in actions[index : index + RECHECK_AHEAD]
                if a.customer_ref not in self._ahead
            )
        )
        if len(refs) < 2:
            return
        with session_scope(self.engine) as session:
            since = cursors.get_cursor(session, self.tenant, "invoices")
        try:
            found = batch(refs, _parse_cursor(since))
        except Exception as exc:  # each action then re-checks its own customer, as always
            log.info("%s: batched re-check failed, re-checking one by one: %s", self.tenant, exc)
            return
        now = self.clock.now()
        for ref in refs:
            self._ahead[ref] = (now, list(found.get(ref, [])))

    def perform_approved(self, action_ids: list[int]) -> DispatchStats:
        """Perform actions a human approved: each is claimed `approval → sending` (so two
        approvers never send it twice) and then re-checked and performed like any other."""
        stats = DispatchStats()
        for done, action_id in enumerate(action_ids):
            if self.stopping(stats, len(action_ids) - done):
                break
            with session_scope(self.engine) as session:
                row = outbox.get(session, action_id)
                if row is None or row.tenant != self.tenant:
                    continue  # not this client's: never act on another client's row
                action = outbox.load_action(session, row)
            now = self.clock.now()
            if not outbox.claim(self.engine, action_id, self.owner, now, CLAIM_TTL, "approval"):
                stats.already_taken += 1
                continue
            status = self._perform(action_id, action, stats)
            setattr(stats, status, getattr(stats, status) + 1)
        return stats

    def stopping(self, stats: DispatchStats, left: int) -> bool:
        """True (once noted in the stats) when the process is stopping: no new action."""
        if self.stop is None or not self.stop.is_set():
            return False
        if not stats.stopped:
            stats.stopped = True
            stats.lines.append(f"stopping: {left} action(s) left for the next run")
        return True

    def _perform(self, action_id: int, action: Action, stats: DispatchStats) -> str:
        """Everything before the platform call fails the row definitely (`failed`, with the
        reason) whatever the exception: nothing went out, so no row is left in `sending`."""
        try:
            prepared = self._prepare(action_id, action, stats)
        except TemplateProblem as exc:
            self._mark(action_id, action, "failed", str(exc))
            raise
        except LedgerError as exc:
            return self._not_sent(action_id, action, exc)
        except Exception as exc:  # e.g. CurrencyMismatch while rendering: a bug or bad data
            log.exception("%s: action %s failed before sending", self.tenant, action_id)
            reason = f"not sent: {type(exc).__name__}: {exc}"
            self._mark(action_id, action, "failed", reason)
            stats.lines.append(f"failed: {action.kind} for {action.customer_ref}: {reason}")
            return "failed"
        if isinstance(prepared, str):
            return prepared
        customer, fresh, rendered = prepared
        return self._send(action_id, action, stats, customer, fresh, rendered)

    def _prepare(
        self, action_id: int, action: Action, stats: DispatchStats
    ) -> str | tuple[Customer, dict[str, Invoice | None], RenderedMessage | None]:
        """Re-check, read the customer, render: a final status, or what `_send` needs."""
        fresh, stored = self._recheck(action)
        problem = self._still_valid(action, fresh)
        if problem:
            self._mark(action_id, action, "cancelled", problem)
            stats.lines.append(f"cancelled {action.kind} for {action.customer_ref}: {problem}")
            return "cancelled"
        customer = stored
        if customer is None or self._needs_detail(action, customer):
            customer = self.ledger.get_customer(action.customer_ref)
            with session_scope(self.engine) as session:
                ledger_repo.upsert_customers(session, self.tenant, [customer], self.clock.now())
        own = self.settings.customer_profiles.get(customer.ref)
        if own is not None and own is not customer.profile:
            customer = dataclasses.replace(customer, profile=own)
        unfit = self._unfit_for_consumer(action, customer)
        if unfit:
            self._mark(action_id, action, "cancelled", unfit)
            stats.lines.append(
                f"cancelled {action.kind.value.replace('_', ' ')} for {customer.name}: {unfit}"
            )
            return "cancelled"
        if customer.reminders_enabled is False and action.kind is not ActionKind.THANK_YOU:
            self._mark(action_id, action, "cancelled", "reminders are disabled for this customer")
            return "cancelled"
        if action.kind.is_mail and not customer.emails:
            why = (
                f"the customer's e-mail address is not usable: {customer.email}"
                if customer.email
                else "the customer has no e-mail address"
            )
            self._mark(action_id, action, "review", why)
            stats.lines.append(f"review: {customer.name}: {why}")
            return "review"
        fresh = self._with_pay_links(action, fresh)
        try:
            pay_url = self._provider_link(action, fresh)
        except PaymentProviderError as exc:
            # no reminder without its link where the client asked for links: nothing went out,
            # the step is released and planned again (a provider's outage is not the step's
            # failure, so it does not count towards giving the step up)
            why = f"not sent: no payment link yet ({exc})"
            self._mark(action_id, action, "failed" if exc.definite else "expired", why)
            stats.lines.append(f"{action.kind.words} for {customer.name} waits: {why}")
            return "failed" if exc.definite else "cancelled"
        rendered = self._render(action, customer, fresh, pay_url=pay_url)
        return customer, fresh, rendered

    def _send(
        self,
        action_id: int,
        action: Action,
        stats: DispatchStats,
        customer: Customer,
        fresh: dict[str, Invoice | None],
        rendered: RenderedMessage | None,
    ) -> str:
        before = {ref: (inv.platform_reminders_sent if inv else None) for ref, inv in fresh.items()}
        with session_scope(self.engine) as session:
            outbox.record_before(session, action_id, before)
        try:
            result = self.ledger.perform(_with_hints(action, fresh), rendered)
        except LedgerError as exc:
            if exc.kind in _NOT_SENT_KINDS:
                return self._not_sent(action_id, action, exc)
            raise  # outcome unknown: the row stays `sending` and is reconciled later
        if self.after_send is not None:
            self.after_send(action_id, result)
        if result.outcome is Outcome.UNKNOWN:
            outcome = self.ledger.reconcile(action, before)
            detail = f"{result.detail}; reconciled: {outcome}"
        else:
            outcome, detail = result.outcome, result.detail
        status = {Outcome.SENT: "sent", Outcome.NOT_SENT: "failed"}.get(outcome, "review")
        self._mark(action_id, action, status, detail)
        refused = result.extra.get("refused") if status == "sent" else None
        if refused:
            self._record_refused(action_id, action, customer, refused)
            stats.lines.append(f"{customer.name}: the mail server refused {refused}")
        if status == "sent":
            self._after_sent(action)
            stats.lines.append(self._describe(action, customer, fresh))
        else:
            stats.lines.append(f"{status}: {action.kind} for {customer.name}: {detail}")
        return status

    def preview(
        self,
        action: Action,
        customer: Customer,
        invoices: dict[str, Invoice | None],
        *,
        attachments: bool = True,
        pay_url: str | None = None,
    ) -> RenderedMessage:
        """The message `action` would send (for approvers: `dunning approve --show`), as of the
        dispatcher's clock; without `attachments` the PDFs are not made (a day-by-day preview
        shows the text of many messages and names the attachments in words). `pay_url`: the
        provider's link it carries (`preview_pay_links`)."""
        return self._render(action, customer, invoices, attachments=attachments, pay_url=pay_url)

    def preview_pay_links(
        self, action: Action, invoices: dict[str, Invoice | None], *, online: bool
    ) -> PreviewPay:
        """The pay links the message of `action` will carry, for an approver to see before it
        goes out. `online` (`dunning approve --show`): the platform's link is read where the
        platform gives it on the detail only, and the provider's link is made or reused through
        the store, exactly as the send does; the send then finds both stored and reuses them,
        so nothing is read or made twice. Offline (the console's page: no platform or provider
        call) only what is stored, and a note where the provider's link is still to be made."""
        if online:
            invoices = self._with_pay_links(action, invoices)
        unlinked = self._unlinked(action, invoices)
        if not unlinked or self.payment_links is None:
            return PreviewPay(invoices)
        numbers = tuple(sorted(inv.number for inv in unlinked))
        if online:
            try:
                url = self.payment_links.link_for(action.customer_ref, unlinked)
            except PaymentProviderError as exc:
                why = f"not made yet ({exc}): the message waits until one is made"
                return PreviewPay(invoices, None, numbers, why)
            return PreviewPay(invoices, url, numbers)
        stored = self.payment_links.stored_link(action.customer_ref, unlinked)
        if stored is None:
            return PreviewPay(invoices, None, numbers, "made when the message is sent")
        return PreviewPay(invoices, stored, numbers)

    # -- helpers ------------------------------------------------------------------------
    def _recheck(self, action: Action) -> tuple[dict[str, Invoice | None], Customer | None]:
        """Re-read the customer's invoices from the platform and store them; return the
        action's invoices as they are now (None: unknown to the store) and the customer as
        stored (the sync keeps its contact details: no second call to fetch it again)."""
        ahead = self._ahead.pop(action.customer_ref, None)
        if ahead is not None and self.clock.now() - ahead[0] <= RECHECK_MAX_AGE:
            changed = ahead[1]
        else:
            with session_scope(self.engine) as session:
                since = cursors.get_cursor(session, self.tenant, "invoices")
            changed = self.ledger.recheck_customer(action.customer_ref, _parse_cursor(since))
        with session_scope(self.engine) as session:
            if changed:
                ledger_repo.upsert_invoices(session, self.tenant, changed, self.clock.now())
            found = ledger_repo.invoices_by_ref(session, self.tenant, action.invoice_refs)
            customer = ledger_repo.get_customer(session, self.tenant, action.customer_ref)
        return {ref: found.get(ref) for ref in action.invoice_refs}, customer

    def _with_pay_links(
        self, action: Action, fresh: dict[str, Invoice | None]
    ) -> dict[str, Invoice | None]:
        """The action's invoices with the platform's pay link, read in detail (and stored) for
        those without one yet, where the platform gives it on the detail only. A mail that asks
        for payment carries the link; a failed read leaves it out rather than stopping the
        mail (the bank details are always in it)."""
        if (
            not self.ledger.capabilities.pay_links_on_detail
            or not self.read_pay_links
            or not action.kind.is_mail
            or action.kind is ActionKind.THANK_YOU
        ):
            return fresh
        missing = [ref for ref, inv in fresh.items() if inv is not None and inv.pay_url is None]
        if not missing:
            return fresh
        try:
            found = self.ledger.get_invoices(missing)
        except LedgerError as exc:
            log.warning("pay links of %s not read: %s", ", ".join(missing), exc)
            return fresh
        out = dict(fresh)
        for ref in missing:
            inv, detail = fresh[ref], found.get(ref)
            if inv is not None and detail is not None and detail.pay_url:
                out[ref] = dataclasses.replace(inv, pay_url=detail.pay_url)
        linked = [inv for ref, inv in out.items() if inv is not None and inv is not fresh[ref]]
        if linked:
            with session_scope(self.engine) as session:
                ledger_repo.upsert_invoices(session, self.tenant, linked, self.clock.now())
        return out

    def _provider_link(self, action: Action, fresh: dict[str, Invoice | None]) -> str | None:
        """The payment provider's link for the open amount of the action's invoices that have
        no link of their platform's (None when the client has no provider, the action asks for
        no payment, or every invoice has its platform's link). Made once per reminder and reused
        while no balance changes (`connector.payments.links`)."""
        unlinked = self._unlinked(action, fresh)
        if not unlinked or self.payment_links is None:
            return None
        return self.payment_links.link_for(action.customer_ref, unlinked)

    def _unlinked(self, action: Action, fresh: dict[str, Invoice | None]) -> list[Invoice]:
        """The action's invoices the provider's link pays: the customer's own, open, without a
        link of their platform's; none when the client has no provider or the action asks for
        no payment."""
        if (
            self.payment_links is None
            or not action.kind.is_mail
            or action.kind is ActionKind.THANK_YOU
            or action.is_receipt_check
        ):
            return []
        return [
            inv
            for ref in action.invoice_refs
            if (inv := fresh.get(ref)) is not None
            and inv.customer_ref == action.customer_ref
            and inv.pay_link is None
            and inv.balance.is_positive()
        ]

    def _needs_detail(self, action: Action, customer: Customer) -> bool:
        """Whether the stored customer is not enough to act on: no e-mail for a mail, or a
        platform whose sync does not say whether reminders are off and no detail read yet."""
        if action.kind.is_mail and not customer.email:
            return True
        return (
            not self.ledger.capabilities.customer_details_in_sync
            and customer.reminders_enabled is None
        )

    def _unfit_for_consumer(self, action: Action, customer: Customer) -> str | None:
        """The last gate of consumer law (art. 6:96 lid 6 BW): a consumer gets no notice of
        default and no hand-off for an invoice without a fourteen-day letter sent for it first.
        The planner keeps to this through the consumer ladder; this catches a profile the
        platform reveals only now (Zoho says "individual" on the contact's detail only)."""
        if customer.profile is not CustomerProfile.CONSUMER:
            return None
        if action.kind not in (ActionKind.NOTICE_OF_DEFAULT, ActionKind.HANDOFF):
            return None
        with session_scope(self.engine) as session:
            lettered = {
                e.invoice_ref
                for e in outbox.history(session, self.tenant, customer_ref=action.customer_ref)
                if e.kind is ActionKind.FOURTEEN_DAY_LETTER and e.status == "sent"
            }
        missing = [ref for ref in action.invoice_refs if ref not in lettered]
        if not missing:
            return None
        return (
            f"{customer.name} is a consumer: no {action.kind.value.replace('_', ' ')} before a "
            "fourteen-day letter (art. 6:96 lid 6 BW); planned again on the consumer ladder"
        )

    def _still_valid(self, action: Action, fresh: dict[str, Invoice | None]) -> str | None:
        for item in action.items:
            inv = fresh.get(item.invoice_ref)
            if inv is None:
                return f"invoice {item.invoice_ref} is no longer known"
            if action.kind is ActionKind.THANK_YOU:
                if inv.status is not InvoiceStatus.PAID:
                    return f"invoice {inv.number} is not paid any more"
                continue
            if inv.status is not InvoiceStatus.OPEN or not inv.balance.is_positive():
                return f"invoice {inv.number} is {inv.status.value} now"
            if inv.balance != item.balance:
                return f"invoice {inv.number} balance changed to {inv.balance}"
        return None

    def _render(
        self,
        action: Action,
        customer: Customer,
        fresh: dict[str, Invoice | None],
        *,
        attachments: bool = True,
        pay_url: str | None = None,
    ) -> RenderedMessage:
        invoices = {ref: inv for ref, inv in fresh.items() if inv is not None}
        language = self.settings.customer_languages.get(
            customer.ref, customer.language or self.settings.language
        )
        if language not in ("nl", "en"):
            language = self.settings.language
        ctx = MessageContext.for_action(
            action,
            customer,
            invoices,
            sender=self.settings.sender,
            company=self.settings.company,
            today=local_date(self.clock.now(), self.settings.timezone),
            language=language,
            customer_page_url=self.customer_page(customer) if self.customer_page else None,
            pay_url=pay_url,
        )
        to = customer.emails
        rendered = self.renderer.render(action.template, ctx, to)
        if attachments and self.ledger.capabilities.attachments:  # statement/letter PDFs (#4)
            from connector.documents import attachments_for, letter_address

            files = attachments_for(
                self.engine,
                self.tenant,
                action,
                customer,
                list(invoices.values()),
                today=ctx.today,
                language=language,
                company=self.settings.company,
                sender=self.settings.sender,
                address=letter_address(
                    customer, self.settings.customer_addresses.get(customer.ref)
                ),
                pay_url=ctx.pay_url,
                pay_numbers=", ".join(
                    inv.number for inv in invoices.values() if inv.pay_link is None
                ),
            )
            rendered = dataclasses.replace(rendered, attachments=rendered.attachments + files)
        return rendered

    def _not_sent(self, action_id: int, action: Action, exc: LedgerError) -> str:
        self._mark(action_id, action, "failed", f"{exc.kind}: {exc}")
        if exc.kind in (ErrorKind.CONSENT_NEEDED, ErrorKind.BUDGET_EXHAUSTED, ErrorKind.CONFIG):
            raise exc
        return "failed"

    def _mark(self, action_id: int, action: Action, status: str, detail: str) -> None:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            if not outbox.mark(session, action_id, status, detail, now, owner=self.owner):
                log.warning(
                    "%s: action %s was not %s: it is no longer claimed by this run",
                    self.tenant,
                    action_id,
                    status,
                )
                return
            audit.record(
                session,
                self.tenant,
                f"action.{status}",
                f"{action.kind} for customer {action.customer_ref}: {detail}",
                data={
                    "action_id": action_id,
                    "key": action.idempotency_key,
                    "invoices": list(action.invoice_refs),
                },
                now=now,
                run_id=self.run_id,
            )

    def _record_refused(
        self, action_id: int, action: Action, customer: Customer, refused: str
    ) -> None:
        """The mail went out, but not to every address: named in the history (an audit event
        the alerts pick up), so someone corrects the address in the ledger."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            audit.record(
                session,
                self.tenant,
                audit.MAIL_REFUSED,
                f"{action.kind} for {customer.name}: the mail server refused {refused}; "
                "the other recipients got it",
                data={"action_id": action_id, "customer": customer.name, "refused": refused},
                now=now,
                run_id=self.run_id,
            )

    def _after_sent(self, action: Action) -> None:
        if action.kind is ActionKind.HANDOFF:
            with session_scope(self.engine) as session:
                ledger_repo.set_handed_off(
                    session, self.tenant, action.customer_ref, self.clock.now()
                )

    @staticmethod
    def _describe(action: Action, customer: Customer, fresh: dict[str, Invoice | None]) -> str:
        numbers = ", ".join(
            inv.number if (inv := fresh.get(ref)) is not None else ref
            for ref in action.invoice_refs
        )
        if action.is_reply_task:
            return f"task: {customer.name} replied by e-mail about invoices {numbers}"
        if action.is_dispute_task:
            return f"task: {customer.name} disputes invoice {numbers}"
        if action.kind is ActionKind.CALL_TASK:
            return f"call task: call {customer.name} about invoices {numbers}"
        if action.kind is ActionKind.HANDOFF:
            return f"hand-off: {customer.name} handed off to collection ({numbers})"
        to = ", ".join(customer.emails)
        return f"sent {action.kind.words} to {customer.name} <{to}> for {numbers}"


def _with_hints(action: Action, fresh: dict[str, Invoice | None]) -> Action:
    """The action with what the store knows that saves the adapter a call: the invoice it
    leads with (oldest due date) and its invoice numbers (connector.domain.ports)."""
    invoices = [inv for ref in action.invoice_refs if (inv := fresh.get(ref)) is not None]
    if len(invoices) != len(action.items):
        return action
    lead = min(invoices, key=lambda inv: (inv.due_date, inv.ref))
    numbers = ", ".join(inv.number.replace(",", " ") for inv in invoices)
    hints = {LEAD_INVOICE: lead.ref, INVOICE_NUMBERS: numbers}
    return dataclasses.replace(action, extra={**action.extra, **hints})


def _parse_cursor(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
