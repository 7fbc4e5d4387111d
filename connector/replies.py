"""Customers' replies, read from the client's inbox during its run (issue #14).

A client with `inbox:` has its replies mailbox read before the plan (so no reminder goes out
over a reply nobody answered yet). Each new message is matched to a customer: by an invoice
number in its subject (the customer whose invoice it is), else by its sender address among the
customers' known addresses. A matched reply

1. writes a task for the business, "customer replied", through the outbox (a call task under
   the step ``reply:<message>`` on the customer's open invoices: the outbox writes it once,
   whatever happens to this run), and then
2. pauses the customer's ladder for the client's `inbox.pause_days` (a `PauseKind.REPLY` pause,
   shown and resumed like any other), and records the message as handled.

A message that matches no customer, or is an automatic answer (out of office), changes nothing:
it is logged and recorded as handled. Each message is handled once: by its key (Message-ID)
across runs, and the folder's UIDVALIDITY with the highest UID read as the "inbox" cursor. The
mailbox is never changed (read-only, headers only). A mailbox that cannot be read is logged and
named in the run's output; the run goes on without it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from connector.config.models import InboxSettings
from connector.dispatch import Dispatcher, DispatchStats
from connector.domain import Action, ActionItem, ActionKind, Channel, InvoiceStatus
from connector.domain.actions import REPLY_STEP_PREFIX
from connector.domain.addresses import split_addresses
from connector.domain.clock import Clock, local_date
from connector.domain.pauses import PauseKind
from connector.mail.imap import ImapInbox, InboxError, InboxMessage
from connector.render.mail import REPLY_FROM, REPLY_SUBJECT
from connector.store import audit, ledger_repo
from connector.store import inbox as inbox_repo
from connector.store import pauses as pause_repo
from connector.store.db import session_scope
from connector.store.models import CustomerRow, InvoiceRow

log = logging.getLogger("connector.replies")

#: who sets the pauses, as `dunning customers` shows it
PAUSED_BY = "inbox"
#: the template of the task
TEMPLATE = "customer_replied"
#: word-like pieces of a subject that could be an invoice number (2026001, INV-000123, F/2026/7)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*[A-Za-z0-9]|[A-Za-z0-9]")


@dataclass
class ReplyStats:
    read: int = 0
    paused: int = 0
    unmatched: int = 0
    automatic: int = 0
    #: the tasks written through the outbox
    dispatch: DispatchStats = field(default_factory=DispatchStats)
    #: for the run output: what was done, in words people know
    lines: list[str] = field(default_factory=list)


def read_replies(
    engine: Engine,
    tenant: str,
    settings: InboxSettings,
    dispatcher: Dispatcher,
    clock: Clock,
    timezone: str,
    *,
    inbox: Callable[[InboxSettings], ImapInbox] = ImapInbox,
) -> ReplyStats:
    """Read the new replies of `tenant`'s inbox and act on each once (see the module doc)."""
    stats = ReplyStats()
    today = local_date(clock.now(), timezone)
    with session_scope(engine) as session:
        where = inbox_repo.position(session, tenant)
    try:
        batch = inbox(settings).read_new(
            where.uidvalidity, where.last_uid, today - timedelta(days=settings.pause_days)
        )
    except InboxError as exc:
        line = f"the inbox {settings.username} at {settings.imap_host} was not read: {exc}"
        log.warning("%s: %s", tenant, line)
        stats.lines.append(line)
        return stats
    for message in batch.messages:
        stats.read += 1
        _handle(engine, tenant, settings, dispatcher, clock, batch.uidvalidity, message, stats)
        with session_scope(engine) as session:
            inbox_repo.advance(session, tenant, batch.uidvalidity, message.uid, clock.now())
    if batch.more:
        stats.lines.append("more replies wait in the inbox: read by the next run")
    return stats


def _handle(
    engine: Engine,
    tenant: str,
    settings: InboxSettings,
    dispatcher: Dispatcher,
    clock: Clock,
    uidvalidity: int,
    message: InboxMessage,
    stats: ReplyStats,
) -> None:
    key = message.key(uidvalidity)
    with session_scope(engine) as session:
        if inbox_repo.handled(session, tenant, key):
            return
        customer_ref = None if message.automatic else match_customer(session, tenant, message)
        name = _customer_name(session, tenant, customer_ref)
        open_items = _open_items(session, tenant, customer_ref, key) if customer_ref else ()
    if message.automatic:
        outcome = "automatic"
        stats.automatic += 1
        log.info("%s: automatic reply from %s ignored: %r", tenant, message.sender, message.subject)
    elif customer_ref is None:
        outcome = "unmatched"
        stats.unmatched += 1
        log.info(
            "%s: a reply from %s matches no customer (subject %r): left for a person",
            tenant,
            message.sender or "an unknown sender",
            message.subject,
        )
        stats.lines.append(
            f"reply from {message.sender or 'an unknown sender'} matches no customer: "
            f"{message.subject!r}"
        )
    elif not open_items:
        outcome = "nothing-open"
        log.info("%s: %s replied; nothing is open, nothing to pause", tenant, name)
    else:
        outcome = "paused"
        action = Action(
            tenant=tenant,
            customer_ref=customer_ref,
            kind=ActionKind.CALL_TASK,
            template=TEMPLATE,
            planned_for=local_date(clock.now(), dispatcher.settings.timezone),
            items=open_items,
            channel=Channel.TASK,
            extra={REPLY_FROM: message.sender, REPLY_SUBJECT: message.subject},
        )
        # the task first: a crash after it leaves the message unhandled, and the next run
        # finds the task taken in the outbox and only pauses
        stats.dispatch.merge(dispatcher.dispatch([action]))
    now = clock.now()
    with session_scope(engine) as session:
        if inbox_repo.handled(session, tenant, key):
            return
        if outcome == "paused":
            assert customer_ref is not None
            until = local_date(now, dispatcher.settings.timezone) + timedelta(
                days=settings.pause_days - 1
            )
            pause_repo.add(
                session,
                tenant,
                customer_ref,
                PauseKind.REPLY,
                reason=f"replied by e-mail from {message.sender}: {message.subject!r}",
                by=PAUSED_BY,
                now=now,
                until=until,
            )
            stats.paused += 1
            stats.lines.append(f"{name} replied by e-mail: reminders paused until {until}")
            audit.record(
                session,
                tenant,
                "inbox.reply",
                f"{name} replied by e-mail; reminders paused until {until}",
                data={"customer": customer_ref, "sender": message.sender},
                now=now,
            )
        inbox_repo.record(
            session,
            tenant,
            key=key,
            uidvalidity=uidvalidity,
            uid=message.uid,
            sender=message.sender,
            subject=message.subject,
            customer_ref=customer_ref,
            outcome=outcome,
            now=now,
        )


def match_customer(session: Session, tenant: str, message: InboxMessage) -> str | None:
    """The customer a reply is from: the one whose invoice number the subject names (one
    customer only), else the one whose known address sent it (one only); None otherwise."""
    tokens = {t for t in _TOKEN.findall(message.subject) if any(c.isdigit() for c in t)}
    if tokens:
        stmt = select(InvoiceRow.customer_ref).where(
            InvoiceRow.tenant == tenant, col(InvoiceRow.number).in_(sorted(tokens))
        )
        owners = set(session.exec(stmt).all())
        if len(owners) == 1:
            return owners.pop()
    sender = message.sender.strip().lower()
    if not sender:
        return None
    pattern = "%" + sender.replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
    rows = session.exec(
        select(CustomerRow.ref, CustomerRow.email).where(
            CustomerRow.tenant == tenant, col(CustomerRow.email).ilike(pattern, escape="\\")
        )
    ).all()
    senders = {
        ref for ref, emails in rows if sender in {a.lower() for a in split_addresses(emails).valid}
    }
    return senders.pop() if len(senders) == 1 else None


def _open_items(
    session: Session, tenant: str, customer_ref: str, key: str
) -> tuple[ActionItem, ...]:
    stmt = select(InvoiceRow).where(
        InvoiceRow.tenant == tenant,
        InvoiceRow.customer_ref == customer_ref,
        InvoiceRow.status == InvoiceStatus.OPEN.value,
    )
    step = f"{REPLY_STEP_PREFIX}{key[:16]}"
    items = []
    for row in session.exec(stmt.order_by(col(InvoiceRow.due_date), col(InvoiceRow.ref))).all():
        invoice = ledger_repo.to_invoice(row)
        if invoice.balance.is_positive():
            items.append(ActionItem(invoice.ref, step, invoice.balance))
    return tuple(items)


def _customer_name(session: Session, tenant: str, ref: str | None) -> str:
    if ref is None:
        return ""
    customer = ledger_repo.get_customer(session, tenant, ref)
    return customer.name if customer is not None else ref
