"""The review queue of a client with `approval: required` (or `approval: {required: true,
notify: owner@acme.nl}`).

Its runs plan as usual but leave each action in the outbox in state `approval`; nothing goes
out until `dunning approve CLIENT [ACTION...]`. Approving performs the action the usual way
(claimed once, invoices re-checked against the platform, so an invoice paid in the meantime is
cancelled, not reminded). Rejecting (`--reject N --reason TEXT`) marks it `rejected`: its items
stay live, so that step is skipped for those invoices and the ladder goes on from the next step;
the rejection, who and why, stays in the outbox and the audit trail. An action not approved
within `dispatch.APPROVAL_TTL` is expired by the next run and planned afresh from current data.

What waits is shown as people judge it: customer name, invoice numbers and amounts, the step in
words, when it was planned and the subject line (`--show N`: the whole message, with each pay
link it will carry by invoice number: the platform's, read as the send reads it, or the
provider's, made or reused as the send then reuses it). The approver
named in `notify` gets one digest mail a day while anything waits.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import col, select

from connector.app import App, ClientUnavailable
from connector.dispatch import APPROVAL_TTL, Dispatcher, DispatchStats, PreviewPay
from connector.domain import Action, ActionKind, Customer, Invoice, Money
from connector.domain.actions import RECEIPT_CHECK_STEP, REPLY_STEP_PREFIX
from connector.domain.clock import Clock, local_date
from connector.domain.ports import RenderedMessage
from connector.run import default_owner
from connector.store import audit, ledger_repo, outbox
from connector.store.db import session_scope
from connector.store.models import AuditEvent, OutboxAction
from connector.tenant import Tenant

if TYPE_CHECKING:
    from connector.customers.activity import Message

log = logging.getLogger("connector.approval")

DIGEST_EVENT = "approval_digest"
REJECTED_EVENT = "approval_rejected"


def step_in_words(kind: ActionKind, with_statement: bool = False) -> str:
    words = kind.words
    return words + (" with account statement" if with_statement else "")


def money_text(amount: Money, language: str) -> str:
    from babel.numbers import format_currency

    from connector.render.mail import LOCALES

    return str(format_currency(amount.amount, amount.currency, locale=LOCALES.get(language)))


@dataclass(frozen=True)
class Waiting:
    id: int
    customer_ref: str
    customer_name: str
    kind: ActionKind
    with_statement: bool
    #: (invoice number, amount) per invoice of the action
    invoices: tuple[tuple[str, Money], ...]
    steps: tuple[str, ...]
    planned_for: date
    created_at: datetime | None
    subject: str | None
    language: str = "nl"

    @property
    def step(self) -> str:
        if self.steps and all(s == RECEIPT_CHECK_STEP for s in self.steps):
            how = "call task" if self.kind is ActionKind.CALL_TASK else "mail"
            return f"receipt check ({how}: did the invoice arrive?)"
        if self.steps and all(s.startswith(REPLY_STEP_PREFIX) for s in self.steps):
            return "task: the customer replied by e-mail (answer it)"
        return step_in_words(self.kind, self.with_statement)

    def describe(self) -> str:
        items = ", ".join(f"{n} ({money_text(m, self.language)})" for n, m in self.invoices)
        subject = f'; subject "{self.subject}"' if self.subject else ""
        return (
            f"#{self.id} {self.step} to {self.customer_name} for {items}; planned "
            f"{self.planned_for:%a %d %b %Y}{subject}"
        )


def _preview_tenant(app: App, slug: str, clock: Clock) -> Tenant | None:
    try:
        return app.tenant(slug, clock)
    except ClientUnavailable as exc:
        log.info("%s: no message preview: %s", slug, exc.reason)
        return None


def _dispatcher(tenant: Tenant, clock: Clock, run_id: str) -> Dispatcher:
    return Dispatcher(
        tenant.engine,
        tenant.ledger,
        tenant.renderer,
        tenant.dispatch_settings,
        clock,
        owner=default_owner(),
        run_id=run_id,
        payment_links=tenant.payment_links(clock),
    )


def _loaded(app: App, slug: str, row: OutboxAction) -> tuple[Action, Customer, dict[str, Invoice]]:
    with session_scope(app.engine) as session:
        action = outbox.load_action(session, row)
        snapshot = ledger_repo.load_snapshot(session, slug, customer_refs=[row.customer_ref])
    customer = snapshot.customers.get(row.customer_ref) or Customer(
        row.customer_ref, row.customer_ref
    )
    return action, customer, dict(snapshot.invoices)


def _render(
    tenant: Tenant | None, clock: Clock, row: OutboxAction, app: App, *, pay_links: bool = False
) -> tuple[RenderedMessage, PreviewPay | None]:
    """The message of a waiting action; with `pay_links`, carrying the links it will carry
    (the platform's read and the provider's made or reused, as the send then reuses them)."""
    action, customer, invoices = _loaded(app, row.tenant, row)
    if tenant is None:
        raise ClientUnavailable(row.tenant, "cannot render without the client's configuration")
    mine: dict[str, Invoice | None] = {
        item.invoice_ref: invoices.get(item.invoice_ref) for item in action.items
    }
    dispatcher = _dispatcher(tenant, clock, "preview")
    if not pay_links:
        return dispatcher.preview(action, customer, mine), None
    pay = dispatcher.preview_pay_links(action, mine, online=True)
    message = dispatcher.preview(action, customer, pay.invoices, pay_url=pay.provider_url)
    return message, pay


def pay_links_in_words(action: Action, pay: PreviewPay) -> list[tuple[str, str]]:
    """(invoice numbers, link or what is still to come) per pay link the message carries, for
    the approver: the platform's link per invoice, the provider's for the others; nothing for a
    message that asks for no payment."""
    if not action.kind.is_mail or action.kind is ActionKind.THANK_YOU:
        return []
    out = []
    for item in action.items:
        invoice = pay.invoices.get(item.invoice_ref)
        if invoice is not None and invoice.customer_ref == action.customer_ref and invoice.pay_link:
            out.append((invoice.number, invoice.pay_link))
    numbers = ", ".join(pay.provider_numbers)
    if pay.provider_url:
        out.append((numbers, pay.provider_url))
    elif pay.note:
        out.append((numbers, f"Mollie link {pay.note}"))
    return out


def waiting(
    app: App, slug: str, clock: Clock | None = None, *, subjects: bool = True
) -> list[Waiting]:
    """Actions of the client waiting for approval, oldest first, with names, invoice numbers,
    amounts and (given a clock and a connected client) the subject line."""
    with session_scope(app.engine) as session:
        rows = outbox.in_state(session, slug, ["approval"])
    client = app.config.clients.get(slug)
    language = client.language if client else "nl"
    tenant = _preview_tenant(app, slug, clock) if subjects and clock and rows else None
    out = []
    for row in rows:
        action, customer, invoices = _loaded(app, slug, row)
        numbers = []
        for item in action.items:
            invoice = invoices.get(item.invoice_ref)
            numbers.append((getattr(invoice, "number", item.invoice_ref), item.balance))
        subject = None
        if tenant is not None and clock is not None:
            try:
                subject = _render(tenant, clock, row, app)[0].subject
            except Exception as exc:  # the list must show; the problem is named instead
                subject = f"(cannot render: {exc})"
        out.append(
            Waiting(
                id=row.id or 0,
                customer_ref=row.customer_ref,
                customer_name=customer.name,
                kind=ActionKind(row.kind),
                with_statement=row.with_statement,
                invoices=tuple(numbers),
                steps=tuple(i.step for i in action.items),
                planned_for=row.planned_for,
                created_at=row.created_at,
                subject=subject,
                language=language,
            )
        )
    return out


def _waiting_row(app: App, slug: str, action_id: int) -> OutboxAction:
    with session_scope(app.engine) as session:
        row = outbox.get(session, action_id)
    if row is None or row.tenant != slug or row.status != "approval":
        raise ValueError(
            f"{slug}: #{action_id} is not awaiting approval (see `dunning approve {slug} --list`)"
        )
    return row


def show(app: App, slug: str, action_id: int, clock: Clock) -> list[str]:
    """The whole message of a waiting action, as the customer would get it."""
    row = _waiting_row(app, slug, action_id)
    item = next(w for w in waiting(app, slug, subjects=False) if w.id == action_id)
    tenant = app.tenant(slug, clock)  # ClientUnavailable: the caller says why
    message, pay = _render(tenant, clock, row, app, pay_links=True)
    assert pay is not None
    lines = [
        f"#{item.id} {item.step} to {item.customer_name}, planned {item.planned_for:%a %d %b %Y}",
        f"To: {', '.join(message.to) or '(no e-mail address)'}",
        f"Subject: {message.subject}",
    ]
    action = _loaded(app, slug, row)[0]
    links = pay_links_in_words(action, pay)
    lines += [f"Pay link {numbers}: {link}" for numbers, link in links]
    if not links and action.kind.is_mail and action.kind is not ActionKind.THANK_YOU:
        lines.append("Pay link: none (no online payment for these invoices)")
    lines += [f"Attachment: {name}" for name, _content, _mime in message.attachments]
    lines += ["", *message.text.rstrip().splitlines()]
    return lines


@dataclass(frozen=True)
class ApprovalView:
    """A waiting action as an approver judges it on a page: in words, with its whole message
    (the PDFs it would attach are named; `attachment` gives one)."""

    waiting: Waiting
    label: str  # the step in the page's language
    message: Message | None
    problem: str | None = None
    #: (invoice numbers, link) per pay link the message carries (the platform's, or a stored
    #: provider link)
    pay_links: tuple[tuple[str, str], ...] = ()
    #: invoice numbers whose provider link is made only when the message is sent
    link_to_come: str | None = None


def queue(app: App, slug: str, clock: Clock, language: str) -> list[ApprovalView]:
    """The client's actions waiting for approval, oldest first, each with its message rendered
    as the customer would get it now (offline: no platform call, no token needed)."""
    from connector.customers.activity import action_label, message_for, preview_dispatcher

    items = waiting(app, slug, subjects=False)
    if not items:
        return []
    try:
        tenant: Tenant | None = app.tenant(slug, clock, offline=True)
        unavailable = None
    except ClientUnavailable as exc:
        tenant, unavailable = None, exc.reason
    out = []
    for item in items:
        message, problem = None, unavailable
        links: tuple[tuple[str, str], ...] = ()
        to_come = None
        if tenant is not None:
            row = _waiting_row(app, slug, item.id)
            action, customer, invoices = _loaded(app, slug, row)
            try:
                message = message_for(
                    tenant, action, customer, clock.now(), attachments=True, pay_links=True
                )[0]
                mine: dict[str, Invoice | None] = {r: invoices.get(r) for r in action.invoice_refs}
                pay = preview_dispatcher(tenant, clock.now(), pay_links=True).preview_pay_links(
                    action, mine, online=False
                )
                links = tuple(pay_links_in_words(action, dataclasses.replace(pay, note=None)))
                if pay.provider_url is None and pay.note:
                    to_come = ", ".join(pay.provider_numbers)
            except Exception as exc:  # the queue must show; the problem is named instead
                problem = str(exc)
        label = action_label(item.kind, item.steps, item.with_statement, language)
        out.append(ApprovalView(item, label, message, problem, links, to_come))
    return out


def attachment(
    app: App, slug: str, action_id: int, name: str, clock: Clock
) -> tuple[str, bytes, str]:
    """One PDF a waiting action would attach: (file name, content, mime type).

    Raises:
        ValueError: the action is not this client's and waiting, or attaches no such file.
    """
    from connector.customers.activity import message_for

    row = _waiting_row(app, slug, action_id)
    action, customer, _invoices = _loaded(app, slug, row)
    tenant = app.tenant(slug, clock, offline=True)
    made = message_for(tenant, action, customer, clock.now(), attachments=True, pay_links=True)
    for found in made[1]:
        if found[0] == name:
            return found
    raise ValueError(f"{slug}: #{action_id} attaches no file {name!r}")


def reject(
    app: App, slug: str, action_ids: list[int], reason: str, by: str, clock: Clock
) -> list[Waiting]:
    """Reject waiting actions: each step is skipped for its invoices (the ladder goes on), and
    the rejection (who, why, when) is kept in the outbox and the audit trail.

    Raises ValueError naming ids that are not this client's actions awaiting approval, or when
    no reason is given."""
    if not reason.strip():
        raise ValueError("say why with --reason TEXT (it is kept in the history)")
    queue = {w.id: w for w in waiting(app, slug, subjects=False)}
    unknown = [i for i in action_ids if i not in queue]
    if unknown:
        raise ValueError(
            f"{slug}: not awaiting approval: {', '.join(f'#{i}' for i in unknown)} "
            f"(see `dunning approve {slug} --list`)"
        )
    now = clock.now()
    done = []
    for action_id in action_ids:
        with session_scope(app.engine) as session:
            changed = session.execute(  # only from `approval`: never a row being approved now
                update(OutboxAction)
                .where(
                    col(OutboxAction.id) == action_id,
                    col(OutboxAction.status) == "approval",
                )
                .values(status="rejected", detail=f"rejected by {by}: {reason}"[:2000], done_at=now)
            ).rowcount  # type: ignore[attr-defined]
            if not changed:
                continue
            item = queue[action_id]
            audit.record(
                session,
                slug,
                REJECTED_EVENT,
                f"#{action_id} {item.step} to {item.customer_name} rejected by {by}: {reason}",
                now=now,
                data={"action_id": action_id, "by": by, "reason": reason},
            )
        done.append(queue[action_id])
    return done


def expire_stale(app: App, slug: str, now: datetime) -> int:
    with session_scope(app.engine) as session:
        return outbox.expire_awaiting_approval(session, slug, now - APPROVAL_TTL, now)


def approve(app: App, slug: str, clock: Clock, ids: list[int] | None = None) -> DispatchStats:
    """Perform the given waiting actions (all of the client's when `ids` is None).

    Raises ValueError naming ids that are not this client's actions awaiting approval.
    """
    expire_stale(app, slug, clock.now())
    queue = {w.id for w in waiting(app, slug, subjects=False)}
    chosen = sorted(queue) if ids is None else list(ids)
    unknown = [i for i in chosen if i not in queue]
    if unknown:
        raise ValueError(
            f"{slug}: not awaiting approval: {', '.join(f'#{i}' for i in unknown)} "
            "(see `dunning approve " + slug + " --list`)"
        )
    if not chosen:
        return DispatchStats()
    tenant = app.tenant(slug, clock)
    return _dispatcher(tenant, clock, "approval").perform_approved(chosen)


# -- the daily digest to the approver -------------------------------------------------------
Sender = Callable[[EmailMessage], object]


def _last_digest(app: App, slug: str) -> datetime | None:
    with session_scope(app.engine) as session:
        row = session.exec(
            select(AuditEvent)
            .where(AuditEvent.tenant == slug, AuditEvent.event == DIGEST_EVENT)
            .order_by(col(AuditEvent.at).desc())
        ).first()
        return row.at if row is not None else None


def digest_sender(app: App, slug: str) -> tuple[Sender, str] | None:
    """The SMTP relay for the client's digest (its own `mail:`, else connector.yaml's) and the
    From address; None when neither is configured."""
    from connector.mail import SmtpMailer

    client = app.config.clients[slug]
    settings = client.mail or app.config.connector.mail
    if settings is None:
        return None
    return SmtpMailer(settings).send, settings.from_


def _waiting_plans(app: App, slug: str) -> list[str]:
    """The payment plans customers proposed that wait for the business, one line each, by plan
    number and customer name (issue #14: they pause the customer's ladder until decided)."""
    from connector.domain.plans import PlanStatus
    from connector.store import ledger_repo
    from connector.store import plans as plan_repo

    with session_scope(app.engine) as session:
        found = plan_repo.of_tenant(session, slug, statuses=(PlanStatus.PROPOSED,))
        customers = ledger_repo.customers_by_ref(session, slug, {p.customer_ref for p in found})
        names = {ref: c.name for ref, c in customers.items()}
    return [
        f"- plan {p.number}: {names.get(p.customer_ref, p.customer_ref)}, "
        f"{len(p.instalments)} instalments, {p.total} in all "
        f"(invoices {', '.join(i.number for i in p.invoices)}), proposed on "
        f"{p.created_at.date().isoformat()}"
        for p in found
    ]


def send_digest(app: App, slug: str, clock: Clock, send: Sender | None = None) -> bool:
    """Mail the client's approver (`approval.notify`) what waits, at most once a (local) day:
    the actions held for approval, and the payment plans customers proposed (those go to the
    client's `sender.email` when no approver is named: a plan waits for the business whether or
    not its actions need approval). True when a digest went out. A relay that fails is logged
    and retried at the next call."""
    from connector.mail import MailError, build_message

    client = app.config.clients.get(slug)
    if client is None:
        return False
    now = clock.now()
    tz = client.timezone or app.config.connector.timezone
    last = _last_digest(app, slug)
    if last is not None and local_date(last, tz) == local_date(now, tz):
        return False
    approver = client.approval.notify if client.approval.required else None
    items = waiting(app, slug, clock) if approver else []
    plans = _waiting_plans(app, slug)
    if not items and not plans:
        return False
    to = approver or client.approval.notify or client.sender.email
    relay = digest_sender(app, slug)
    if send is None and relay is None:
        log.warning("%s: actions or plans await approval but no SMTP relay is configured", slug)
        return False
    sender_address = relay[1] if relay else client.sender.email
    deliver = send or (relay[0] if relay else None)
    assert deliver is not None
    console = app.config.connector.console
    page = (
        f"\n\nSee, approve or reject them on {console.public_url}/clients/{slug}/approvals"
        if console is not None and console.public_url
        else ""
    )
    parts: list[str] = []
    if items:
        parts.append(
            f"{len(items)} action(s) of {client.display_name} await your approval:\n\n"
            + "\n".join(f"- {w.describe()}" for w in items)
        )
    if plans:
        parts.append(
            f"{len(plans)} payment plan(s) proposed by customers of {client.display_name} "
            "await your decision (their reminders wait meanwhile):\n\n" + "\n".join(plans)
        )
    body = "\n\n".join(parts) + page + "\n\n"
    if items:
        body += (
            f"See a message: dunning approve {slug} --show N\n"
            f"Approve:        dunning approve {slug} N [N...]\n"
            f"Reject:         dunning approve {slug} --reject N --reason TEXT\n"
            "Actions not approved within 3 days expire and are planned afresh.\n"
        )
    if plans:
        body += (
            f"Approve a plan: dunning plans approve {slug} NUMBER\n"
            f"Reject a plan:  dunning plans reject {slug} NUMBER --reason TEXT\n"
        )
    what = [f"{len(items)} reminder action(s)"] if items else []
    what += [f"{len(plans)} payment plan(s)"] if plans else []
    rendered = RenderedMessage(
        subject=f"{client.display_name}: {' and '.join(what)} await your approval",
        html="",
        text=body,
        to=(to,),
    )
    try:
        deliver(build_message(rendered, sender=sender_address, sender_name="dunning-connector"))
    except MailError as exc:
        log.error("%s: approval digest to the approver failed (retried later): %s", slug, exc)
        return False
    with session_scope(app.engine) as session:
        audit.record(
            session,
            slug,
            DIGEST_EVENT,
            f"approval digest of {len(items)} action(s) and {len(plans)} payment plan(s) "
            f"mailed to {to}",
            now=now,
            data={"actions": [w.id for w in items], "plans": len(plans)},
        )
    return True


def send_digests(app: App, clock: Clock) -> list[str]:
    """`send_digest` for every enabled client; the clients whose digest went out."""
    sent = []
    for slug, client in sorted(app.config.clients.items()):
        if not client.enabled:
            continue
        try:
            if send_digest(app, slug, clock):
                sent.append(slug)
        except Exception:  # one client's digest must not stop the others
            log.exception("%s: approval digest failed", slug)
    return sent
