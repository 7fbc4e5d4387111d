"""What was done for a client's customers, in words people use, with the messages themselves.

A console's client and customer pages show every action of the outbox (the record of truth:
sent, waiting for approval, rejected, cancelled ...) with the customer's name, the invoice
numbers and amounts, the step and its state in plain Dutch or English, and the message. The
outbox does not keep a copy of each mail: the message is rendered again from what the outbox
recorded (the action's invoices and their balances as they were, on the day it went out) with
the client's templates, which is the text that went out unless the templates changed since.

Pauses are shown the same way: what kind, for which invoice, why, who set it, until when, and
who ended it. Nothing here shows an internal id or an enum name; `ref`/`action_id` fields are
for links and forms only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlmodel import col, select

from connector.domain import Action, ActionKind, Customer, Invoice, Money
from connector.domain.actions import RECEIPT_CHECK_STEP
from connector.domain.clock import Clock, ManualClock, local_date
from connector.domain.pauses import Pause, PauseKind
from connector.store import ledger_repo, outbox
from connector.store import pauses as pause_repo
from connector.store.db import session_scope
from connector.store.models import OutboxAction

if TYPE_CHECKING:
    from connector.app import App
    from connector.dispatch import Dispatcher
    from connector.tenant import Tenant

log = logging.getLogger("connector.customers.activity")

LANGUAGES = ("nl", "en")

#: an action's state as a person reads it (the outbox's state names never reach a page)
STATUS_WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "pending": "wordt verstuurd",
        "sending": "wordt verstuurd",
        "sent": "verstuurd",
        "approval": "wacht op goedkeuring",
        "rejected": "afgewezen",
        "cancelled": "niet verstuurd: betaald of gewijzigd vlak voor verzending",
        "failed": "niet gelukt, wordt opnieuw geprobeerd",
        "review": "uitkomst onbekend: wordt nagekeken",
        "expired": "niet op tijd goedgekeurd, opnieuw gepland",
    },
    "en": {
        "pending": "being sent",
        "sending": "being sent",
        "sent": "sent",
        "approval": "waiting for approval",
        "rejected": "rejected",
        "cancelled": "not sent: paid or changed just before sending",
        "failed": "did not go through, will be retried",
        "review": "outcome unknown: being checked",
        "expired": "not approved in time, planned again",
    },
}
#: states in which the message was (or is about to be) sent: the page shows its text
SHOWN_WITH_MESSAGE = frozenset({"pending", "sending", "sent", "approval", "review"})

PAUSE_WORDS: dict[str, dict[PauseKind, str]] = {
    "nl": {
        PauseKind.PROMISE: "Betaalbelofte",
        PauseKind.DISPUTE: "Betwist",
        PauseKind.PLAN: "Betalingsregeling",
        PauseKind.STOP: "Niet aanmanen",
    },
    "en": {
        PauseKind.PROMISE: "Promise to pay",
        PauseKind.DISPUTE: "Dispute",
        PauseKind.PLAN: "Payment plan",
        PauseKind.STOP: "Do not chase",
    },
}


def lang(language: str | None) -> str:
    return language if language in LANGUAGES else "en"


def action_label(
    kind: ActionKind | str, steps: tuple[str, ...], with_statement: bool, language: str
) -> str:
    """`Herinnering met rekeningoverzicht`, `Ontvangstcheck`: the step as people call it."""
    from connector.report.story import kind_label

    language = lang(language)
    value = kind.value if isinstance(kind, ActionKind) else kind
    if steps and all(s == RECEIPT_CHECK_STEP for s in steps):
        value = "receipt_check"
    label = kind_label(value, language)
    if with_statement:
        label += " met rekeningoverzicht" if language == "nl" else " with account statement"
    return label


@dataclass(frozen=True)
class Message:
    """A message as the customer gets (or got) it; a call task's note for a task."""

    to: tuple[str, ...]
    subject: str
    text: str
    #: file names of the PDFs attached (statement, letter), when the platform attaches them
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionView:
    """One action of the outbox in words."""

    action_id: int  # for links and forms only, never shown
    customer_ref: str  # for links only, never shown
    customer_name: str
    label: str
    status: str
    #: the outbox's state, for styling (`sent`, `approval` ...); never shown
    state: str
    #: the local day it went out (sent) or was planned
    day: date
    invoices: tuple[tuple[str, Money], ...]
    task: bool
    #: why it did not go out, who rejected it and why (as recorded), if anything
    note: str | None = None
    message: Message | None = None
    problem: str | None = None  # the message could not be rendered again: why


def preview_dispatcher(tenant: Tenant, when: datetime, *, pay_links: bool = False) -> Dispatcher:
    """A dispatcher that only renders, as of `when` (with the client's provider links, read
    from the store, when `pay_links`)."""
    from connector.dispatch import Dispatcher

    clock = ManualClock(when)
    return Dispatcher(
        tenant.engine,
        tenant.ledger,
        tenant.renderer,
        tenant.dispatch_settings,
        clock,
        owner="console",
        run_id="preview",
        payment_links=tenant.payment_links(clock) if pay_links else None,
    )


def message_for(
    tenant: Tenant,
    action: Action,
    customer: Customer,
    when: datetime,
    *,
    attachments: bool = False,
    pay_links: bool = False,
    invoices: Mapping[str, Invoice] | None = None,
) -> tuple[Message, tuple[tuple[str, bytes, str], ...]]:
    """The message `action` sends to `customer` as of `when`, with the client's templates and
    settings (the dispatcher's own rendering), and the attachments themselves when asked for.
    With `pay_links` (a message still to be sent, for its approver) it carries the payment
    provider's link where one is stored for it (`Dispatcher.preview_pay_links`, offline).
    `invoices`: the stored invoices by ref, when the caller read them for several actions."""
    if invoices is None:
        with session_scope(tenant.engine) as session:
            invoices = ledger_repo.invoices_by_ref(session, tenant.slug, action.invoice_refs)
    dispatcher = preview_dispatcher(tenant, when, pay_links=pay_links)
    mine = {ref: invoices.get(ref) for ref in action.invoice_refs}
    pay_url = dispatcher.preview_pay_links(action, mine, online=False).provider_url
    rendered = dispatcher.preview(action, customer, mine, attachments=attachments, pay_url=pay_url)
    files = tuple(rendered.attachments)
    return (
        Message(
            to=tuple(rendered.to),
            subject=rendered.subject,
            text=rendered.text,
            attachments=tuple(name for name, _content, _mime in files),
        ),
        files,
    )


def actions(
    app: App,
    slug: str,
    clock: Clock,
    language: str,
    *,
    customer_ref: str | None = None,
    limit: int | None = None,
    messages: bool = True,
) -> list[ActionView]:
    """The client's actions (one customer's, when given), newest first, at most `limit`, each
    with its message rendered again from the record (see the module docstring)."""
    from connector.app import ClientUnavailable

    language = lang(language)
    client = app.require(slug)
    timezone = client.timezone or app.config.connector.timezone
    stmt = select(OutboxAction).where(OutboxAction.tenant == slug)
    if customer_ref is not None:
        stmt = stmt.where(OutboxAction.customer_ref == customer_ref)
    stmt = stmt.order_by(col(OutboxAction.id).desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    with session_scope(app.engine) as session:
        rows = list(session.exec(stmt).all())
        loaded = [(row, outbox.load_action(session, row)) for row in rows]
        customers = ledger_repo.customers_by_ref(
            session, slug, sorted({row.customer_ref for row in rows})
        )
        invoices = ledger_repo.invoices_by_ref(
            session, slug, {i.invoice_ref for _row, action in loaded for i in action.items}
        )
    tenant = None
    problem = None
    if messages and rows:
        try:
            tenant = app.tenant(slug, clock, offline=True)
        except ClientUnavailable as exc:
            problem = exc.reason
    out = []
    for row, action in loaded:
        customer = customers.get(row.customer_ref) or Customer(row.customer_ref, row.customer_ref)
        when = row.done_at if row.status == "sent" and row.done_at else row.created_at
        day = local_date(when, timezone) if when else row.planned_for
        message = None
        why = problem
        if tenant is not None and row.status in SHOWN_WITH_MESSAGE and action.items:
            try:
                message = message_for(
                    tenant, action, customer, when or clock.now(), invoices=invoices
                )[0]
            except Exception as exc:  # the list must show; the problem is named instead
                log.warning("%s: action %s not rendered again: %s", slug, row.id, exc)
                why = str(exc)
        out.append(
            ActionView(
                action_id=row.id or 0,
                customer_ref=row.customer_ref,
                customer_name=customer.name,
                label=action_label(
                    action.kind, tuple(i.step for i in action.items), row.with_statement, language
                ),
                status=STATUS_WORDS[language].get(row.status, row.status),
                state=row.status,
                day=day,
                invoices=tuple(
                    (
                        getattr(invoices.get(i.invoice_ref), "number", i.invoice_ref),
                        i.balance,
                    )
                    for i in action.items
                ),
                task=action.kind is ActionKind.CALL_TASK,
                note=_note(row),
                message=message,
                problem=None if message is not None else why,
            )
        )
    return out


def _note(row: OutboxAction) -> str | None:
    """What the outbox recorded about an action that did not simply go out."""
    if row.status in ("rejected", "cancelled", "failed", "review") and row.detail:
        return row.detail
    return None


# -- pauses --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PauseView:
    pause_id: int  # for forms only, never shown
    kind: PauseKind  # for forms only; `label` is what is shown
    label: str
    #: None: every invoice of the customer; else the invoice number
    invoice: str | None
    reason: str
    by: str
    since: datetime
    until: date | None
    active: bool
    ended_at: datetime | None = None
    ended_by: str | None = None


def pauses(app: App, slug: str, customer_ref: str, today: date, language: str) -> list[PauseView]:
    """Every pause of the customer, newest first, resumed ones too, in words."""
    language = lang(language)
    with session_scope(app.engine) as session:
        found: list[Pause] = pause_repo.history(session, slug, customer_ref)
        refs = [p.invoice_ref for p in found if p.invoice_ref]
        numbers = {
            ref: inv.number for ref, inv in ledger_repo.invoices_by_ref(session, slug, refs).items()
        }
    return [
        PauseView(
            pause_id=p.id,
            kind=p.kind,
            label=PAUSE_WORDS[language][p.kind],
            invoice=numbers.get(p.invoice_ref, p.invoice_ref) if p.invoice_ref else None,
            reason=p.reason,
            by=p.created_by,
            since=p.created_at,
            until=p.until,
            active=p.active_on(today),
            ended_at=p.resumed_at,
            ended_by=p.resumed_by,
        )
        for p in reversed(found)
    ]
