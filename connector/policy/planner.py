"""The planner: a pure function from (snapshot, policy, history, now) to the actions due now.

Rules (issue #2, dunning-and-law.md):
* Each open invoice climbs its policy's ladder one step at a time. Step k is due on
  `due_date + offset_k`, but never sooner after the previous step than the ladder's own spacing
  (`offset_k - offset_{k-1}` days), so an invoice found long overdue starts at the friendly
  reminder and is not hit with every step at once.
* A due day on a weekend or public holiday, or a moment outside the sending window, moves to the
  next business moment; nothing is planned while the window is closed.
* Invoices of one customer due for a mail at the same moment go out as one mail, of the most
  severe kind among them (each invoice still records its own step). Call tasks and the hand-off
  are separate actions; a customer handed off gets nothing automatic any more.
* Skipped: draft, void, paid or deleted invoices, balances below the minimum, customers with
  reminders disabled (in the platform or in config), steps that failed too often.
* A thank-you goes to a customer who was reminded and has now paid everything that was reminded
  (or after every payment, or never, per policy), at most once per customer per day.

Nothing here reads the clock, the network or the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from connector.domain import (
    SEVERITY,
    Action,
    ActionItem,
    ActionKind,
    Channel,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
    Snapshot,
)
from connector.legal.calendar import BusinessCalendar, SendingWindow
from connector.policy.history import HistoryEntry
from connector.policy.model import Policy, Step

THANK_YOU_STEP = "thank-you"

#: mail kinds that count as "the customer was reminded" for the thank-you rule
_REMINDING = frozenset({
    ActionKind.REMINDER, ActionKind.FIRM_REMINDER, ActionKind.NOTICE_OF_DEFAULT,
    ActionKind.FOURTEEN_DAY_LETTER, ActionKind.STATEMENT,
})


@dataclass(frozen=True)
class PlanContext:
    tenant: str
    calendar: BusinessCalendar
    window: SendingWindow
    #: customer refs with reminders switched off in the client's config
    disabled_customers: frozenset[str] = frozenset()
    #: customers already handed off to collection
    handed_off: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    """What the planner thinks of one invoice now; `due` ones become actions."""

    invoice: Invoice
    customer: Customer | None
    step: Step | None
    due: bool
    at: datetime | None
    reason: str


@dataclass(frozen=True)
class PlanLine:
    """One row of `dunning plan`."""

    customer_ref: str
    customer_name: str
    invoice_number: str
    balance: Money
    next_step: str
    when: datetime | None
    due_now: bool
    reason: str
    extra: dict[str, str] = field(default_factory=dict)


# -- public API -------------------------------------------------------------------------
def plan(
    snapshot: Snapshot,
    policy: Policy,
    history: Sequence[HistoryEntry],
    now: datetime,
    ctx: PlanContext,
) -> list[Action]:
    """The actions due at `now`, grouped per customer, in a stable order."""
    if now.tzinfo is None:
        raise ValueError("plan() needs an aware `now`")
    if not ctx.window.is_open(now, ctx.calendar):
        return []
    today = ctx.window.local(now).date()
    decisions = decide(snapshot, policy, history, now, ctx)
    actions = _group(ctx.tenant, [d for d in decisions if d.due], today)
    actions += _thank_yous(snapshot, policy, history, today, ctx)
    return sorted(actions, key=lambda a: (a.customer_ref, SEVERITY[a.kind], a.idempotency_key))


def explain(
    snapshot: Snapshot,
    policy: Policy,
    history: Sequence[HistoryEntry],
    now: datetime,
    ctx: PlanContext,
) -> list[PlanLine]:
    """Every open invoice with its next step and why (for `dunning plan`)."""
    open_now = ctx.window.is_open(now, ctx.calendar)
    lines = []
    for d in decide(snapshot, policy, history, now, ctx):
        reason = d.reason
        due = d.due and open_now
        if d.due and not open_now:
            reason = "due, waiting for the sending window to open"
        lines.append(PlanLine(
            customer_ref=d.invoice.customer_ref,
            customer_name=d.customer.name if d.customer else d.invoice.customer_ref,
            invoice_number=d.invoice.number,
            balance=d.invoice.balance,
            next_step=d.step.id if d.step else "-",
            when=d.at,
            due_now=due,
            reason=reason,
        ))
    return sorted(lines, key=lambda x: (x.customer_name, x.invoice_number))


def decide(
    snapshot: Snapshot,
    policy: Policy,
    history: Sequence[HistoryEntry],
    now: datetime,
    ctx: PlanContext,
) -> list[Decision]:
    """One decision per open invoice of the snapshot."""
    by_invoice: dict[str, list[HistoryEntry]] = defaultdict(list)
    for entry in history:
        by_invoice[entry.invoice_ref].append(entry)
    out = []
    for invoice in sorted(snapshot.invoices.values(), key=lambda i: (i.customer_ref, i.ref)):
        if invoice.status is not InvoiceStatus.OPEN:
            continue
        customer = snapshot.customers.get(invoice.customer_ref)
        out.append(_decide_invoice(invoice, customer, policy, by_invoice[invoice.ref], now, ctx))
    return out


# -- one invoice --------------------------------------------------------------------------
def _decide_invoice(
    invoice: Invoice,
    customer: Customer | None,
    policy: Policy,
    entries: list[HistoryEntry],
    now: datetime,
    ctx: PlanContext,
) -> Decision:
    def skip(reason: str, step: Step | None = None) -> Decision:
        return Decision(invoice, customer, step, False, None, reason)

    ref = invoice.customer_ref
    if ref in ctx.handed_off:
        return skip("customer handed off to collection")
    if ref in ctx.disabled_customers:
        return skip("reminders disabled for this customer in the client's config")
    if customer is not None and customer.reminders_enabled is False:
        return skip("reminders disabled for this customer in the ledger")
    if not invoice.balance.is_positive():
        return skip("nothing owed")
    if invoice.balance.amount < policy.min_balance:
        return skip(f"balance below the minimum of {policy.min_balance}")

    taken = {e.step: e for e in entries if e.taken}
    done = [policy.index(s) for s in taken if policy.index(s) >= 0]
    last = max(done, default=-1)
    if last + 1 >= len(policy.steps):
        return skip("ladder complete")
    step = policy.steps[last + 1]
    failed = sum(1 for e in entries if e.step == step.id and e.status == "failed")
    if failed >= policy.max_failed_attempts:
        return skip(f"{step.id} failed {failed} times; needs attention", step)

    scheduled = invoice.due_date + timedelta(days=step.offset_days)
    if last >= 0:
        previous = policy.steps[last]
        prev_day = _done_day(taken[previous.id], ctx.window)
        spacing = timedelta(days=step.offset_days - previous.offset_days)
        scheduled = max(scheduled, prev_day + spacing)
    at = ctx.window.earliest_send(scheduled, ctx.calendar)
    if now >= at:
        return Decision(invoice, customer, step, True, at, f"{step.id} due since {_fmt(at, ctx)}")
    return Decision(invoice, customer, step, False, at, f"{step.id} on {_fmt(at, ctx)}")


def _done_day(entry: HistoryEntry, window: SendingWindow) -> date:
    if entry.done_at is not None:
        return window.local(entry.done_at).date()
    return entry.planned_for


def _fmt(moment: datetime, ctx: PlanContext) -> str:
    return ctx.window.local(moment).strftime("%a %Y-%m-%d %H:%M")


# -- grouping -------------------------------------------------------------------------------
def _group(tenant: str, due: Iterable[Decision], today: date) -> list[Action]:
    per_customer: dict[str, list[Decision]] = defaultdict(list)
    for d in due:
        per_customer[d.invoice.customer_ref].append(d)
    actions: list[Action] = []
    for customer_ref, decisions in per_customer.items():
        handoff = [d for d in decisions if d.step and d.step.kind is ActionKind.HANDOFF]
        if handoff:  # the customer leaves automatic dunning: nothing else goes out
            actions.append(_action(tenant, customer_ref, handoff, today))
            continue
        mails = [d for d in decisions if d.step and d.step.kind.is_mail]
        calls = [d for d in decisions if d.step and d.step.kind is ActionKind.CALL_TASK]
        for group in (mails, calls):
            if group:
                actions.append(_action(tenant, customer_ref, group, today))
    return actions


def _action(tenant: str, customer_ref: str, group: list[Decision], today: date) -> Action:
    steps = [d.step for d in group if d.step is not None]
    lead = max(steps, key=lambda s: (SEVERITY[s.kind], s.offset_days))
    items = tuple(
        ActionItem(d.invoice.ref, d.step.id, d.invoice.balance)
        for d in sorted(group, key=lambda d: (d.invoice.due_date, d.invoice.ref))
        if d.step is not None
    )
    return Action(
        tenant=tenant, customer_ref=customer_ref, kind=lead.kind, template=lead.template,
        planned_for=today, items=items,
        with_statement=any(s.with_statement for s in steps),
        channel=lead.effective_channel,
    )


# -- thank-you ------------------------------------------------------------------------------
def _thank_yous(
    snapshot: Snapshot,
    policy: Policy,
    history: Sequence[HistoryEntry],
    today: date,
    ctx: PlanContext,
) -> list[Action]:
    if policy.thank_you == "never":
        return []
    reminded: dict[str, set[str]] = defaultdict(set)
    thanked: set[str] = set()
    thanked_today: set[str] = set()
    for e in history:
        if not e.taken:
            continue
        if e.kind is ActionKind.THANK_YOU:
            thanked.add(e.invoice_ref)
            if e.planned_for == today:
                thanked_today.add(e.customer_ref)
        elif e.kind in _REMINDING and e.status == "sent":
            reminded[e.customer_ref].add(e.invoice_ref)
    cutoff = today - timedelta(days=policy.thank_you_within_days)

    def recently_paid(inv: Invoice) -> bool:
        paid_on = inv.last_payment_date or (inv.updated_at.date() if inv.updated_at else None)
        return (inv.status is InvoiceStatus.PAID and not inv.balance.is_positive()
                and (paid_on is None or paid_on >= cutoff))

    candidates: dict[str, list[Invoice]] = defaultdict(list)
    if policy.thank_you == "reminded":
        for customer_ref, refs in reminded.items():
            invoices = [snapshot.invoices[r] for r in refs if r in snapshot.invoices]
            if any(i.is_open for i in invoices):
                continue  # not everything that was reminded is paid yet
            candidates[customer_ref] = [
                i for i in invoices if i.ref not in thanked and recently_paid(i)
            ]
    else:  # "every"
        for inv in snapshot.invoices.values():
            if inv.ref not in thanked and recently_paid(inv):
                candidates[inv.customer_ref].append(inv)

    actions = []
    for customer_ref, invoices in sorted(candidates.items()):
        if not invoices or customer_ref in thanked_today or customer_ref in ctx.handed_off:
            continue
        items = tuple(ActionItem(i.ref, THANK_YOU_STEP, i.balance)
                      for i in sorted(invoices, key=lambda i: i.ref))
        actions.append(Action(
            tenant=ctx.tenant, customer_ref=customer_ref, kind=ActionKind.THANK_YOU,
            template=policy.thank_you_template, planned_for=today, items=items,
            channel=Channel.LEDGER_MAIL,
        ))
    return actions
