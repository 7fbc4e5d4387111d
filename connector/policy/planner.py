"""The planner: a pure function from (snapshot, policy, history, now) to the actions due now.

Rules (issue #2, dunning-and-law.md):
* Each open invoice climbs its policy's ladder one step at a time. Step k is due on
  `due_date + offset_k`, but never sooner after the previous step than the ladder's own spacing
  (`offset_k - offset_{k-1}` days), so an invoice found long overdue starts at the friendly
  reminder and is not hit with every step at once.
* A due day on a weekend or public holiday, or a moment outside the sending window, moves to the
  next business moment; nothing is planned while the window is closed.
* Invoices of one customer due for a mail at the same moment go out as one mail per currency, of
  the most severe kind among them (each invoice still records its own step); amounts of two
  currencies are never added. A failure on one customer's data or ladder fails that customer
  (`plan_outcome` names it with the reason), never the client's whole plan. Call tasks and the
  hand-off are separate actions; a customer handed off gets nothing automatic any more.
* Skipped: draft, void, paid or deleted invoices, balances below the minimum, customers with
  reminders disabled (in the platform or in config), steps that failed too often.
* A thank-you goes to a customer who was reminded and has now paid everything that was reminded
  (or after every payment, or never, per policy), at most once per customer per day.
* Issue #4: each customer profile (business, consumer, government; from the platform, overridden
  in config) may have its own ladder (`PlanContext.policies`); a step whose conditions do not
  hold for an invoice (minimum balance, profile, currency) is passed over; an active pause
  (promise, dispute, payment plan, do-not-dun) stops an invoice where it is, and the ladder
  resumes from there once the pause ends; a step's late fee is put on the action for the letter.
* Issue #14, a broken promise: when a promise to pay has ended (its last day, the grace day
  included, has passed) and an invoice that was overdue when it was made is still open, the
  ladder does not simply go on. The next rung is firmer than the one reached: the first later
  step that applies and is a mail to the customer of a higher severity than the step reached
  (call tasks in between are passed over: the business is told of the broken promise instead),
  due the day after the pause rather than after the ladder's usual spacing, and its mail says
  the promise was not kept. Never the same or a friendlier step, never a restart. The law
  holds: for a consumer the firmer step is never one that brings costs (a notice of default, a
  hand-off, a late fee) before a fourteen-day letter's term has run; and after a notice of
  default or a fourteen-day letter the term that letter gave still runs (the ladder goes on as
  usual). This happens once per promise: a step taken after the pause ended is the ladder's
  normal course again.

Nothing here reads the clock, the network or the database.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from connector.domain import (
    SEVERITY,
    Action,
    ActionItem,
    ActionKind,
    Channel,
    Customer,
    CustomerProfile,
    Invoice,
    InvoiceStatus,
    Money,
    Snapshot,
)
from connector.domain.actions import PAYMENT_PLAN_OFFER, PROMISE_BROKEN, RECEIPT_CHECK_STEP
from connector.domain.history import HistoryEntry
from connector.domain.pauses import Pause, PauseKind
from connector.legal.calendar import BusinessCalendar, SendingWindow
from connector.legal.fourteen_day import fourteen_day_letter_terms
from connector.policy.model import Policy, ReceiptCheck, Step

THANK_YOU_STEP = "thank-you"

#: mail kinds that count as "the customer was reminded" for the thank-you rule
_REMINDING = frozenset(
    {
        ActionKind.REMINDER,
        ActionKind.FIRM_REMINDER,
        ActionKind.NOTICE_OF_DEFAULT,
        ActionKind.FOURTEEN_DAY_LETTER,
        ActionKind.STATEMENT,
    }
)


@dataclass(frozen=True)
class PlanContext:
    tenant: str
    calendar: BusinessCalendar
    window: SendingWindow
    #: customer refs with reminders switched off in the client's config
    disabled_customers: frozenset[str] = frozenset()
    #: customers already handed off to collection
    handed_off: frozenset[str] = frozenset()
    #: a ladder per customer profile; a profile not named here uses the policy passed to plan()
    policies: Mapping[CustomerProfile, Policy] = field(default_factory=dict)
    #: profiles set per customer in the client's config (they win over the platform's)
    profiles: Mapping[str, CustomerProfile] = field(default_factory=dict)
    #: pauses not resumed by hand (expired ones included: the planner checks the dates)
    pauses: tuple[Pause, ...] = ()
    #: `pauses` by customer, built once: an invoice looks up only its own customer's pauses
    _pauses_by_customer: dict[str, tuple[Pause, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        by_customer: dict[str, list[Pause]] = defaultdict(list)
        for p in self.pauses:
            by_customer[p.customer_ref].append(p)
        index = {ref: tuple(found) for ref, found in by_customer.items()}
        object.__setattr__(self, "_pauses_by_customer", index)

    def profile_of(self, customer_ref: str, customer: Customer | None) -> CustomerProfile:
        if customer_ref in self.profiles:
            return self.profiles[customer_ref]
        return customer.profile if customer is not None else CustomerProfile.BUSINESS

    def policy_for(self, profile: CustomerProfile, default: Policy) -> Policy:
        return self.policies.get(profile, default)

    def pause_for(self, invoice: Invoice, day: date) -> Pause | None:
        """The active pause covering the invoice (a customer-wide one first), if any."""
        own = self._pauses_by_customer.get(invoice.customer_ref)
        if not own:
            return None
        covering = [p for p in own if p.covers(invoice, day)]
        return min(covering, key=lambda p: (p.invoice_ref is not None, p.id), default=None)

    def ended_promise(self, invoice: Invoice, day: date) -> Pause | None:
        """The latest promise to pay covering the invoice that ended before `day`, made while
        the invoice was already overdue (an invoice not yet due then was not promised)."""
        own = self._pauses_by_customer.get(invoice.customer_ref)
        if not own:
            return None
        ended = [
            p
            for p in own
            if p.kind is PauseKind.PROMISE
            and p.until is not None
            and p.until < day
            and p.resumed_at is None
            and (p.invoice_ref is None or p.invoice_ref == invoice.ref)
            and invoice.due_date < self.window.local(p.created_at).date()
        ]
        return max(ended, key=lambda p: (p.until or date.min, p.id), default=None)


@dataclass(slots=True)  # not frozen: a frozen init costs several times more, once per invoice
class Decision:
    """What the planner thinks of one invoice now; `due` ones become actions.

    `reason` is formatted only when read (`dunning plan` shows it; `plan()` never does): with
    `window` set, `why` is followed by `at` in local time."""

    invoice: Invoice
    customer: Customer | None
    step: Step | None
    due: bool
    at: datetime | None
    why: str
    window: SendingWindow | None = None

    @property
    def reason(self) -> str:
        if self.window is None or self.at is None:
            return self.why
        return f"{self.why} {self.window.local(self.at).strftime('%a %Y-%m-%d %H:%M')}"

    #: the planner failed on this invoice (bad data or policy): its customer gets nothing now
    error: bool = False
    #: the step follows a promise to pay that was not kept: the day the customer had promised
    promise_broken: date | None = None


@dataclass(frozen=True)
class PlanProblem:
    """A customer the planner could not plan for (the others are planned as usual)."""

    customer_ref: str
    customer_name: str
    reason: str

    def describe(self) -> str:
        return f"nothing planned for {self.customer_name}: {self.reason}"


@dataclass(frozen=True)
class PlanOutcome:
    actions: list[Action]
    problems: list[PlanProblem]


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
    """The actions due at `now`, grouped per customer and currency, in a stable order."""
    return plan_outcome(snapshot, policy, history, now, ctx).actions


def plan_outcome(
    snapshot: Snapshot,
    policy: Policy,
    history: Sequence[HistoryEntry],
    now: datetime,
    ctx: PlanContext,
) -> PlanOutcome:
    """`plan`, and the customers it could not plan for with the reason: a failure on one
    customer's data or ladder (e.g. a late fee that cannot be computed) stops that customer,
    not the client."""
    if now.tzinfo is None:
        raise ValueError("plan() needs an aware `now`")
    if not ctx.window.is_open(now, ctx.calendar):
        return PlanOutcome([], [])
    today = ctx.window.local(now).date()
    decisions = decide(snapshot, policy, history, now, ctx)
    problems: dict[str, PlanProblem] = {}

    def fail(customer_ref: str, reason: str) -> None:
        customer = snapshot.customers.get(customer_ref)
        name = customer.name if customer is not None else customer_ref
        problems.setdefault(customer_ref, PlanProblem(customer_ref, name, reason))

    for d in decisions:
        if d.error:
            fail(d.invoice.customer_ref, d.reason)
    per_customer: dict[str, list[Decision]] = defaultdict(list)
    for d in decisions:
        if d.due and d.invoice.customer_ref not in problems:
            per_customer[d.invoice.customer_ref].append(d)
    actions: list[Action] = []
    for customer_ref, due in per_customer.items():
        try:
            actions += _group(ctx.tenant, due, today)
        except Exception as exc:  # one customer's bad data or ladder must not stop the client
            fail(customer_ref, f"{type(exc).__name__}: {exc}")
    try:
        actions += [
            a
            for a in _thank_yous(snapshot, policy, history, today, ctx)
            if a.customer_ref not in problems
        ]
    except Exception as exc:
        fail("", f"thank-you mails not planned: {type(exc).__name__}: {exc}")
    actions.sort(key=lambda a: (a.customer_ref, SEVERITY[a.kind], a.idempotency_key))
    return PlanOutcome(actions, sorted(problems.values(), key=lambda p: p.customer_name))


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
        lines.append(
            PlanLine(
                customer_ref=d.invoice.customer_ref,
                customer_name=d.customer.name if d.customer else d.invoice.customer_ref,
                invoice_number=d.invoice.number,
                balance=d.invoice.balance,
                next_step=d.step.id if d.step else "-",
                when=d.at,
                due_now=due,
                reason=reason,
            )
        )
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
    today = ctx.window.local(now).date()
    sends: dict[date, datetime] = {}  # scheduled day -> first moment to send (calendar memo)
    out = []
    no_entries: list[HistoryEntry] = []
    # invoices come sorted by customer: the customer, profile and ladder are looked up once per
    # customer, not once per invoice (a million invoices, issue #18)
    current: str | None = None
    customer: Customer | None = None
    for invoice in sorted(snapshot.invoices.values(), key=_by_customer_and_ref):
        if invoice.status is not InvoiceStatus.OPEN:
            continue
        if invoice.customer_ref != current:
            current = invoice.customer_ref
            customer = snapshot.customers.get(current)
            ladder: tuple[CustomerProfile, Policy] | None = None
        try:
            if ladder is None:
                found = ctx.profile_of(invoice.customer_ref, customer)
                ladder = (found, ctx.policy_for(found, policy))
            profile, own = ladder
            entries = by_invoice.get(invoice.ref, no_entries)
            decision = _decide_invoice(
                invoice, customer, profile, own, entries, now, ctx, today, sends
            )
        except Exception as exc:  # one invoice's bad data must not stop the client's plan
            reason = f"cannot plan invoice {invoice.number}: {type(exc).__name__}: {exc}"
            decision = Decision(invoice, customer, None, False, None, reason, error=True)
        out.append(decision)
    return out


_by_customer_and_ref = operator.attrgetter("customer_ref", "ref")


# -- one invoice --------------------------------------------------------------------------
def _decide_invoice(
    invoice: Invoice,
    customer: Customer | None,
    profile: CustomerProfile,
    policy: Policy,
    entries: list[HistoryEntry],
    now: datetime,
    ctx: PlanContext,
    today: date,
    sends: dict[date, datetime],
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
    if ref in ctx._pauses_by_customer and (pause := ctx.pause_for(invoice, today)) is not None:
        return skip(f"paused: {pause.describe(invoice.number)}")
    if not invoice.balance.is_positive():
        return skip("nothing owed")
    if invoice.balance.amount < policy.min_balance:
        return skip(f"balance below the minimum of {policy.min_balance}")

    taken: dict[str, HistoryEntry] = {}
    last = -1
    if entries:  # most invoices of a large ledger have no history yet
        waiting = [e for e in entries if e.status == "approval"]
        if waiting:  # a human decides first; nothing after it is planned, and it is not done
            w = waiting[-1]
            known = (
                *policy.steps,
                *([policy.receipt_check.step()] if policy.receipt_check else []),
            )
            step_now = next((s for s in known if s.id == w.step), None)
            return skip(f"{w.step} waiting for approval (#{w.action_id})", step_now)
        taken = {e.step: e for e in entries if e.taken}
        last = max((policy.index(s) for s in taken), default=-1)
    broken = None
    if ref in ctx._pauses_by_customer:
        broken = _broken_promise(invoice, policy, entries, ctx, today)
    ladder = _ladder_decision(
        invoice, customer, profile, policy, entries, taken, last, now, ctx, sends, broken
    )
    if policy.receipt_check is None:
        return ladder
    receipt = _receipt_check(
        invoice, customer, policy, policy.receipt_check, entries, taken, now, ctx, today, sends
    )
    if receipt is None or (
        ladder.at is not None and receipt.at is not None and ladder.at < receipt.at
    ):
        return ladder
    return receipt


def _receipt_check(
    invoice: Invoice,
    customer: Customer | None,
    policy: Policy,
    check: ReceiptCheck,
    entries: list[HistoryEntry],
    taken: dict[str, HistoryEntry],
    now: datetime,
    ctx: PlanContext,
    today: date,
    sends: dict[date, datetime],
) -> Decision | None:
    """The receipt check for this invoice, or None when it does not apply (then the invoice's
    decision is the ladder's): once per invoice, for a total at or above the minimum, and only
    while nothing is overdue, neither the invoice nor a reminder of the ladder for it."""
    if RECEIPT_CHECK_STEP in taken or invoice.total.amount < check.min_total:
        return None
    scheduled = invoice.issue_date + timedelta(days=check.days)
    if max(scheduled, today) > invoice.due_date:
        return None
    if any(e.taken and e.kind is not ActionKind.PRE_DUE_NOTICE for e in entries):
        return None  # the ladder has already reminded (or called) about this invoice
    failed = sum(1 for e in entries if e.step == RECEIPT_CHECK_STEP and e.status == "failed")
    if failed >= policy.max_failed_attempts:
        return None
    at = sends.get(scheduled)
    if at is None:
        at = sends[scheduled] = ctx.window.earliest_send(scheduled, ctx.calendar)
    how = "call task" if check.channel is Channel.TASK else "mail"
    why = (
        f"{RECEIPT_CHECK_STEP} ({how}: invoice of {invoice.total} dated {invoice.issue_date}, "
        f"{check.days} days after invoicing)"
    )
    step = check.step()
    if now >= at:
        return Decision(invoice, customer, step, True, at, f"{why} due since", ctx.window)
    return Decision(invoice, customer, step, False, at, f"{why} on", ctx.window)


def _ladder_decision(
    invoice: Invoice,
    customer: Customer | None,
    profile: CustomerProfile,
    policy: Policy,
    entries: list[HistoryEntry],
    taken: dict[str, HistoryEntry],
    last: int,
    now: datetime,
    ctx: PlanContext,
    sends: dict[date, datetime],
    broken: Pause | None = None,
) -> Decision:
    """The invoice's next rung of the ladder: due now, later (when), or why none; after a
    broken promise (`broken`) the firmer rung of `_firmer_step`, where there is one."""

    def skip(reason: str, step: Step | None = None) -> Decision:
        return Decision(invoice, customer, step, False, None, reason)

    if last + 1 >= len(policy.steps):
        return skip("ladder complete")
    if broken is not None and broken.until is not None:
        today = ctx.window.local(now).date()
        firmer = _firmer_step(invoice, profile, policy, entries, last, ctx, today)
        if firmer is not None:
            return _after_broken_promise(
                invoice, customer, policy, entries, firmer, broken, now, ctx, sends
            )
    passed_over: list[str] = []
    for step in policy.steps[last + 1 :]:
        why_not = step.conditions.why_not(invoice.balance, profile)
        if why_not is None:
            break
        passed_over.append(f"{step.id} ({why_not})")
    else:
        return skip("no further step applies: " + ", ".join(passed_over))
    failed = sum(1 for e in entries if e.step == step.id and e.status == "failed") if entries else 0
    if failed >= policy.max_failed_attempts:
        return skip(f"{step.id} failed {failed} times; needs attention", step)

    scheduled = invoice.due_date + timedelta(days=step.offset_days)
    if last >= 0:
        previous = policy.steps[last]
        prev_day = _done_day(taken[previous.id], ctx.window)
        spacing = timedelta(days=step.offset_days - previous.offset_days)
        scheduled = max(scheduled, prev_day + spacing)
    if step.kind is ActionKind.HANDOFF:
        if _letter_only_rejected(entries):
            return skip(
                f"{step.id}: the fourteen-day letter was rejected, so no collection costs may be "
                "charged; hand off by hand or approve a new letter",
                step,
            )
        scheduled = max(scheduled, _costs_allowed_from(entries, ctx))
    at = sends.get(scheduled)
    if at is None:
        at = sends[scheduled] = ctx.window.earliest_send(scheduled, ctx.calendar)
    if now >= at:
        return Decision(invoice, customer, step, True, at, f"{step.id} due since", ctx.window)
    return Decision(invoice, customer, step, False, at, f"{step.id} on", ctx.window)


def _after_broken_promise(
    invoice: Invoice,
    customer: Customer | None,
    policy: Policy,
    entries: list[HistoryEntry],
    step: Step,
    promise: Pause,
    now: datetime,
    ctx: PlanContext,
    sends: dict[date, datetime],
) -> Decision:
    """The firmer step after a broken promise: due the day after the promise's pause ended
    (not after the ladder's usual spacing), at the next business moment from then."""
    assert promise.until is not None
    promised = promise.promised_day or promise.until
    failed = sum(1 for e in entries if e.step == step.id and e.status == "failed")
    if failed >= policy.max_failed_attempts:
        return Decision(
            invoice,
            customer,
            step,
            False,
            None,
            f"{step.id} failed {failed} times; needs attention",
        )
    scheduled = promise.until + timedelta(days=1)
    at = sends.get(scheduled)
    if at is None:
        at = sends[scheduled] = ctx.window.earliest_send(scheduled, ctx.calendar)
    why = f"{step.id} (promise to pay by {promised.isoformat()} not kept)"
    due = now >= at
    return Decision(
        invoice,
        customer,
        step,
        due,
        at,
        f"{why} due since" if due else f"{why} on",
        ctx.window,
        promise_broken=promised,
    )


def _broken_promise(
    invoice: Invoice, policy: Policy, entries: list[HistoryEntry], ctx: PlanContext, today: date
) -> Pause | None:
    """The promise to pay this invoice that was broken and not yet answered by the ladder:
    ended before today, and no step of the ladder taken for the invoice since it ended (a
    task or a notice to the business about the invoice is no step of the ladder)."""
    promise = ctx.ended_promise(invoice, today)
    if promise is None or promise.until is None:
        return None
    if any(
        e.taken and policy.index(e.step) >= 0 and _done_day(e, ctx.window) > promise.until
        for e in entries
    ):
        return None
    return promise


#: letters that give the customer a term: the promise does not shorten it (the ladder goes on
#: as usual after them)
_TERM_LETTERS = frozenset({ActionKind.NOTICE_OF_DEFAULT, ActionKind.FOURTEEN_DAY_LETTER})
#: steps that bring the customer costs: for a consumer only after a fourteen-day letter's term
_COSTLY = frozenset({ActionKind.NOTICE_OF_DEFAULT, ActionKind.HANDOFF})


def _firmer_step(
    invoice: Invoice,
    profile: CustomerProfile,
    policy: Policy,
    entries: list[HistoryEntry],
    last: int,
    ctx: PlanContext,
    today: date,
) -> Step | None:
    """The step a broken promise moves the invoice to: the first later step that applies and
    is a mail to the customer more severe than the step reached (at least a reminder). None
    when the ladder has no such step, or when the step reached is a letter whose term still
    runs: then the ladder goes on as usual. For a consumer, a step that brings costs (notice
    of default, hand-off, a late fee) is never the firmer step before a fourteen-day letter's
    term has run (art. 6:96 lid 6 BW): a later fourteen-day letter is, where the ladder has one."""
    reached = policy.steps[last] if last >= 0 else None
    if reached is not None and reached.kind in _TERM_LETTERS:
        return None
    floor = max(SEVERITY[reached.kind] if reached else 0, SEVERITY[ActionKind.REMINDER] - 1)
    consumer = profile is CustomerProfile.CONSUMER
    costs_from = _costs_allowed_from(entries, ctx) if consumer else date.min
    costs_ok = not consumer or (costs_from != date.min and today >= costs_from)
    for step in policy.steps[last + 1 :]:
        if not step.kind.is_mail or step.kind is ActionKind.THANK_YOU:
            continue
        if SEVERITY[step.kind] <= floor:
            continue
        if step.conditions.why_not(invoice.balance, profile) is not None:
            continue
        if consumer and not costs_ok and (step.kind in _COSTLY or step.late_fee is not None):
            continue
        return step
    return None


def _costs_allowed_from(entries: list[HistoryEntry], ctx: PlanContext) -> date:
    """The first day collection costs may be charged after a fourteen-day letter on this invoice
    (art. 6:96 lid 6 BW): the day after its term, counted from deemed postal receipt, which is
    never earlier than receipt by e-mail (connector.legal.fourteen_day). date.min: no letter."""
    letters = [
        e
        for e in entries
        if e.taken and e.status != "rejected" and e.kind is ActionKind.FOURTEEN_DAY_LETTER
    ]
    if not letters:
        return date.min
    sent_on = max(_done_day(e, ctx.window) for e in letters)
    return fourteen_day_letter_terms(sent_on, ctx.calendar, by="post").costs_from_safe


def _letter_only_rejected(entries: list[HistoryEntry]) -> bool:
    """A fourteen-day letter was planned for this invoice but every one was rejected."""
    letters = [e for e in entries if e.taken and e.kind is ActionKind.FOURTEEN_DAY_LETTER]
    return bool(letters) and all(e.status == "rejected" for e in letters)


def _done_day(entry: HistoryEntry, window: SendingWindow) -> date:
    if entry.done_at is not None:
        return window.local(entry.done_at).date()
    return entry.planned_for


# -- grouping -------------------------------------------------------------------------------
def _group(tenant: str, due: Iterable[Decision], today: date) -> list[Action]:
    """One action per customer, kind group and currency: amounts of two currencies are never
    added (one mail states one currency's total; a late fee is a share of one total)."""
    per_customer: dict[str, list[Decision]] = defaultdict(list)
    for d in due:
        per_customer[d.invoice.customer_ref].append(d)
    actions: list[Action] = []
    for customer_ref, decisions in per_customer.items():
        handoff = [d for d in decisions if d.step and d.step.kind is ActionKind.HANDOFF]
        if handoff:  # the customer leaves automatic dunning: nothing else goes out
            groups = [handoff]
        else:
            # a receipt check asks whether an invoice arrived: never merged into a reminder
            checks = [d for d in decisions if d.step and d.step.id == RECEIPT_CHECK_STEP]
            rest = [d for d in decisions if d.step and d.step.id != RECEIPT_CHECK_STEP]
            mails = [d for d in rest if d.step and d.step.kind.is_mail]
            calls = [d for d in rest if d.step and d.step.kind is ActionKind.CALL_TASK]
            groups = [g for g in (checks, mails, calls) if g]
        for group in groups:
            for same_currency in _per_currency(group):
                actions.append(_action(tenant, customer_ref, same_currency, today))
    return actions


def _per_currency(group: list[Decision]) -> list[list[Decision]]:
    by_currency: dict[str, list[Decision]] = defaultdict(list)
    for d in group:
        by_currency[d.invoice.balance.currency].append(d)
    return [by_currency[c] for c in sorted(by_currency)]


def _action(tenant: str, customer_ref: str, group: list[Decision], today: date) -> Action:
    steps = [d.step for d in group if d.step is not None]
    lead = max(steps, key=lambda s: (SEVERITY[s.kind], s.offset_days))
    items = tuple(
        ActionItem(d.invoice.ref, d.step.id, d.invoice.balance)
        for d in sorted(group, key=lambda d: (d.invoice.due_date, d.invoice.ref))
        if d.step is not None
    )
    extra: dict[str, str] = {}
    if lead.late_fee is not None:
        due = items[0].balance
        for item in items[1:]:
            due = due + item.balance
        fee = lead.late_fee.on(due)
        extra = {
            "late_fee": str(fee.amount),
            "late_fee_currency": fee.currency,
            "late_fee_basis": lead.late_fee.describe(),
        }
    if lead.offers_payment_plan:
        extra[PAYMENT_PLAN_OFFER] = "yes"
    promised = [d.promise_broken for d in group if d.promise_broken is not None]
    if promised and lead.kind.is_mail:
        extra[PROMISE_BROKEN] = max(promised).isoformat()
    return Action(
        tenant=tenant,
        customer_ref=customer_ref,
        kind=lead.kind,
        template=lead.template,
        planned_for=today,
        items=items,
        with_statement=any(s.with_statement for s in steps),
        channel=lead.effective_channel,
        extra=extra,
    )


# -- thank-you ------------------------------------------------------------------------------
def _thank_yous(
    snapshot: Snapshot,
    policy: Policy,
    history: Sequence[HistoryEntry],
    today: date,
    ctx: PlanContext,
) -> list[Action]:
    def own(customer_ref: str) -> Policy:
        customer = snapshot.customers.get(customer_ref)
        return ctx.policy_for(ctx.profile_of(customer_ref, customer), policy)

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

    def recently_paid(inv: Invoice) -> bool:
        cutoff = today - timedelta(days=own(inv.customer_ref).thank_you_within_days)
        paid_on = inv.last_payment_date or (inv.updated_at.date() if inv.updated_at else None)
        return (
            inv.status is InvoiceStatus.PAID
            and not inv.balance.is_positive()
            and (paid_on is None or paid_on >= cutoff)
        )

    candidates: dict[str, list[Invoice]] = defaultdict(list)
    for customer_ref, refs in reminded.items():
        if own(customer_ref).thank_you != "reminded":
            continue
        invoices = [snapshot.invoices[r] for r in refs if r in snapshot.invoices]
        if any(i.is_open for i in invoices):
            continue  # not everything that was reminded is paid yet
        candidates[customer_ref] = [
            i for i in invoices if i.ref not in thanked and recently_paid(i)
        ]
    for inv in snapshot.invoices.values():
        if (
            own(inv.customer_ref).thank_you == "every"
            and inv.ref not in thanked
            and recently_paid(inv)
        ):
            candidates[inv.customer_ref].append(inv)

    actions = []
    for customer_ref, invoices in sorted(candidates.items()):
        if not invoices or customer_ref in thanked_today or customer_ref in ctx.handed_off:
            continue
        items = tuple(
            ActionItem(i.ref, THANK_YOU_STEP, i.balance)
            for i in sorted(invoices, key=lambda i: i.ref)
        )
        actions.append(
            Action(
                tenant=ctx.tenant,
                customer_ref=customer_ref,
                kind=ActionKind.THANK_YOU,
                template=own(customer_ref).thank_you_template,
                planned_for=today,
                items=items,
                channel=Channel.LEDGER_MAIL,
            )
        )
    return actions
