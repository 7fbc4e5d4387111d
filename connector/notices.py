"""Tell the business what a customer did on their own page (issue #14).

A customer who promises to pay or disputes an invoice on `/p/<token>` sets a pause
(`connector.customers.self_service`); the page itself mails nobody. The client's next run mails
the business a short notice: who (the customer's name and number), which invoices with their
amounts, the promised day or the dispute's reason, and a link to the customer in the console
(`console.public_url`). It mails once more, "promise not kept", the first run after a promise's
last day (the grace day included) when the promised invoices are still open.

Where it goes: the client's `approval.notify` address if set (the person who follows up the
client's receivables), else the client's own `sender.email`. How: over the client's SMTP relay
(`mail:`), else the installation's (connector.yaml's `mail:`, as the approval digest does: a
Zoho or Moneybird client's reminders go out through its platform and often have no relay of
their own), in the client's language. Without either relay no notice is mailed: nothing is
queued, the console's customer page shows the pause with "by the customer (own page)", and
`dunning doctor` warns that notices are not mailed.

Never twice: each notice is an outbox action like every other outgoing action, with one item
per invoice under the step ``notify:<pause id>`` (``notify:<pause id>:broken``), so the outbox
takes it once however many runs see the pause; it is claimed, mailed, and marked `sent`, `failed`
(definitely not mailed: tried again by the next run) or `review` (the relay's answer was lost:
never resent blindly). A pause resumed by a person before a run saw it is not mailed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from connector.config.models import ClientConfig, SmtpSettings
from connector.domain import Action, ActionItem, ActionKind, Channel, Customer, Invoice
from connector.domain.actions import NOTICE_STEP_PREFIX
from connector.domain.clock import Clock, local_date
from connector.domain.pauses import BY_CUSTOMER_PAGE, Pause, PauseKind
from connector.mail import MailError, SmtpMailer, build_message
from connector.render import MessageContext, Renderer
from connector.render.mail import DISPUTE_REASON, NOTICE_CONSOLE_URL, NOTICE_PROMISED_DAY
from connector.store import audit, ledger_repo, outbox
from connector.store import pauses as pause_repo
from connector.store.db import session_scope
from connector.store.models import InvoiceRow

log = logging.getLogger("connector.notices")

#: the templates of the three notices (`connector/render/templates/<language>/`)
PROMISE_TEMPLATE = "business_promise"
DISPUTE_TEMPLATE = "business_dispute"
BROKEN_TEMPLATE = "business_promise_broken"
TEMPLATES = (PROMISE_TEMPLATE, DISPUTE_TEMPLATE, BROKEN_TEMPLATE)
#: the step's suffix of a "promise not kept" notice
BROKEN = ":broken"
#: a promise that ended longer ago than this is not mailed about any more (the first run after
#: an upgrade does not mail the business about every promise ever broken)
BROKEN_NOTICE_DAYS = 14
#: how long a claim protects a notice being mailed (as the dispatcher's)
CLAIM_TTL = timedelta(minutes=10)


def business_address(client: ClientConfig) -> str:
    """Who gets the notices: the client's approver (`approval.notify`), else its sender."""
    return str(client.approval.notify or client.sender.email)


@dataclass(frozen=True)
class Notice:
    action: Action
    customer: Customer
    invoices: dict[str, Invoice]

    @property
    def numbers(self) -> str:
        return ", ".join(self.invoices[i.invoice_ref].number for i in self.action.items)


@dataclass
class NoticeStats:
    sent: int = 0
    failed: int = 0
    review: int = 0
    already_taken: int = 0
    #: for the run output: what was done, in words people know
    lines: list[str] = field(default_factory=list)


def pending_notices(
    session: Session,
    tenant: str,
    today: date,
    timezone: str,
    console_url: str | None = None,
) -> list[Notice]:
    """The notices the customers' page actions call for today (the outbox drops those sent)."""
    notices = []
    for pause in pause_repo.live(session, tenant):
        if pause.created_by != BY_CUSTOMER_PAGE:
            continue
        made_on = local_date(pause.created_at, timezone)
        if pause.kind is PauseKind.DISPUTE and pause.invoice_ref is not None:
            found = _open_invoices(session, tenant, pause)
            notice = _notice(session, tenant, pause, found, DISPUTE_TEMPLATE, "", today)
        elif pause.kind is PauseKind.PROMISE and pause.until is not None:
            if pause.until >= today:  # standing: the invoices open when it was made
                found = _open_invoices(session, tenant, pause, issued_by=made_on)
                notice = _notice(session, tenant, pause, found, PROMISE_TEMPLATE, "", today)
            elif pause.until >= today - timedelta(days=BROKEN_NOTICE_DAYS):
                # broken: the invoices overdue when it was made (as the planner sees it)
                found = _open_invoices(session, tenant, pause, due_before=made_on)
                notice = _notice(session, tenant, pause, found, BROKEN_TEMPLATE, BROKEN, today)
            else:
                notice = None
        else:
            notice = None
        if notice is not None:
            if console_url:
                link = f"{console_url}/clients/{tenant}/customers/{pause.customer_ref}"
                notice.action.extra[NOTICE_CONSOLE_URL] = link
            notices.append(notice)
    return notices


def _open_invoices(
    session: Session,
    tenant: str,
    pause: Pause,
    *,
    issued_by: date | None = None,
    due_before: date | None = None,
) -> dict[str, Invoice]:
    """The pause's open invoices (of its one invoice, or all the customer's), those issued by
    `issued_by` or due before `due_before` where given."""
    stmt = select(InvoiceRow).where(
        InvoiceRow.tenant == tenant, InvoiceRow.customer_ref == pause.customer_ref
    )
    if pause.invoice_ref is not None:
        stmt = stmt.where(InvoiceRow.ref == pause.invoice_ref)
    found = {}
    for row in session.exec(stmt.order_by(col(InvoiceRow.due_date), col(InvoiceRow.ref))).all():
        inv = ledger_repo.to_invoice(row)
        if not (inv.is_open and inv.balance.is_positive()):
            continue
        if issued_by is not None and inv.issue_date > issued_by:
            continue
        if due_before is None or inv.due_date < due_before:
            found[inv.ref] = inv
    return found


def _notice(
    session: Session,
    tenant: str,
    pause: Pause,
    invoices: dict[str, Invoice],
    template: str,
    suffix: str,
    today: date,
) -> Notice | None:
    if not invoices:
        return None  # paid (or gone) meanwhile: nothing to tell
    customer = ledger_repo.get_customer(session, tenant, pause.customer_ref)
    if customer is None:
        return None
    extra: dict[str, str] = {}
    if pause.kind is PauseKind.DISPUTE:
        extra[DISPUTE_REASON] = pause.reason
    elif pause.promised_day is not None:
        extra[NOTICE_PROMISED_DAY] = pause.promised_day.isoformat()
    step = f"{NOTICE_STEP_PREFIX}{pause.id}{suffix}"
    action = Action(
        tenant=tenant,
        customer_ref=pause.customer_ref,
        kind=ActionKind.CALL_TASK,
        template=template,
        planned_for=today,
        items=tuple(ActionItem(inv.ref, step, inv.balance) for inv in invoices.values()),
        channel=Channel.SMTP,
        extra=extra,
    )
    return Notice(action, customer, invoices)


def send_notices(
    engine: Engine,
    tenant: str,
    client: ClientConfig,
    renderer: Renderer,
    clock: Clock,
    timezone: str,
    *,
    console_url: str | None,
    owner: str,
    installation_relay: SmtpSettings | None,
    run_id: str | None = None,
) -> NoticeStats:
    """Mail the business each notice due (see the module doc); nothing without a relay (the
    client's `mail:`, else `installation_relay`: connector.yaml's)."""
    stats = NoticeStats()
    relay = client.mail or installation_relay
    if relay is None:
        return stats
    now = clock.now()
    today = local_date(now, timezone)
    with session_scope(engine) as session:
        notices = pending_notices(session, tenant, today, timezone, console_url)
    for notice in notices:
        with session_scope(engine) as session:
            action_id = outbox.enqueue(session, notice.action, now, run_id)
        if action_id is None or not outbox.claim(engine, action_id, owner, now, CLAIM_TTL):
            stats.already_taken += 1
            continue
        status, detail = _mail(notice, client, relay, renderer, today)
        with session_scope(engine) as session:
            if not outbox.mark(session, action_id, status, detail, clock.now(), owner=owner):
                continue
            audit.record(
                session,
                tenant,
                f"action.{status}",
                f"notice to the business about {notice.customer.name}: {detail}",
                data={"action_id": action_id, "invoices": list(notice.action.invoice_refs)},
                now=clock.now(),
                run_id=run_id,
            )
        setattr(stats, status, getattr(stats, status) + 1)
        what = _WHAT[notice.action.template]
        if status == "sent":
            stats.lines.append(
                f"mailed {business_address(client)}: {notice.customer.name} {what} "
                f"({notice.numbers})"
            )
        else:
            stats.lines.append(f"{status}: the notice that {notice.customer.name} {what}: {detail}")
    return stats


_WHAT = {
    PROMISE_TEMPLATE: "promised to pay",
    DISPUTE_TEMPLATE: "disputes an invoice",
    BROKEN_TEMPLATE: "did not keep their promise to pay",
}


def _mail(
    notice: Notice, client: ClientConfig, relay: SmtpSettings, renderer: Renderer, today: date
) -> tuple[str, str]:
    """Render and mail one notice: the outbox status and its detail."""
    to = business_address(client)
    try:
        ctx = MessageContext.for_action(
            notice.action,
            notice.customer,
            notice.invoices,
            sender=client.sender.as_dict(),
            company=client.display_name,
            today=today,
            language=client.language,
        )
        rendered = renderer.render(notice.action.template, ctx, [to])
        message = build_message(
            rendered,
            sender=relay.from_,
            sender_name=client.display_name,
            key=notice.action.idempotency_key,
        )
        delivery = SmtpMailer(relay).send(message)
    except MailError as exc:
        return ("failed" if exc.definite else "review"), f"mail to {to}: {exc}"
    except Exception as exc:  # a template or data problem: nothing went out
        log.exception("%s: notice about %s not mailed", notice.action.tenant, notice.customer.name)
        return "failed", f"not mailed: {type(exc).__name__}: {exc}"
    return "sent", f"mailed to {to} ({delivery})"
