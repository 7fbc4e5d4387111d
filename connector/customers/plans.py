"""Payment plans (issue #14): a customer proposes one on their own page, the business approves
or rejects it (console, `dunning plans`), or the client's policy approves it at once when its
total is below `payment_plans.auto_approve_below`.

The design: a plan is a row of its own (`payment_plan`: schedule, invoices with their open
amounts at the start, status proposed → approved / rejected → kept / missed) that refers to its
pauses, one pause of kind plan per invoice, set when the plan is proposed. So the ladder of
those invoices waits while the plan waits for the business and while it is being kept, and
nothing else the planner does changes: when the plan is rejected or missed the pauses are
resumed and the ladder climbs on from the step it had reached. New invoices of the customer are
not in the plan and are reminded as usual. Every step is on the audit trail with who did it
and where. Each run follows the approved plans (`connector.plan_tracking`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from connector.config.models import PaymentPlanSettings
from connector.domain import InvoiceStatus
from connector.domain.money import Money
from connector.domain.pauses import BY_CUSTOMER_PAGE, PauseKind
from connector.domain.plans import (
    Instalment,
    Limits,
    PaymentPlan,
    PlanInvoice,
    PlanRefused,
    PlanStatus,
    propose_schedule,
)
from connector.store import audit, ledger_repo
from connector.store import pauses as pause_repo
from connector.store import plans as plan_repo
from connector.store.db import session_scope

if TYPE_CHECKING:
    from connector.app import App

log = logging.getLogger(__name__)

#: where the audit trail says a proposal came from
PAGE = "customer page"
#: who approved a plan below the client's limit
POLICY = "policy (below the auto-approve amount)"


def limits(settings: PaymentPlanSettings, today: date) -> Limits:
    return Limits(
        today=today,
        max_instalments=settings.max_instalments,
        min_instalment=settings.min_instalment,
        max_days=settings.max_days,
        start_within_days=settings.start_within_days,
    )


@dataclass(frozen=True, slots=True)
class Offer:
    """What the customer's page may offer: the invoices a plan would cover, their total and
    the limits; `most` 0 when no plan can be offered (too small, several currencies, disabled)."""

    invoices: tuple[PlanInvoice, ...]
    total: Money | None
    limits: Limits
    most: int


def offer(app: App, tenant: str, customer_ref: str, today: date) -> Offer:
    """The customer's open invoices not under a dispute and not in a plan that was rejected or
    missed, in one currency, and the limits."""
    settings = app.require(tenant).payment_plans
    bounds = limits(settings, today)
    with session_scope(app.engine) as session:
        disputed = {
            p.invoice_ref
            for p in pause_repo.live(session, tenant)
            if p.kind is PauseKind.DISPUTE and p.customer_ref == customer_ref
        }
        snapshot = ledger_repo.load_snapshot(session, tenant, customer_refs=[customer_ref])
        # a rejected or missed plan's invoices are not offered again: otherwise a new proposal
        # would pause their ladder again and again (the business may still agree one by hand)
        ended = {
            inv.ref
            for p in plan_repo.of_tenant(
                session,
                tenant,
                customer_ref=customer_ref,
                statuses=(PlanStatus.REJECTED, PlanStatus.MISSED),
            )
            for inv in p.invoices
        }
    open_ = sorted(
        (
            inv
            for inv in snapshot.invoices_of(customer_ref)
            if inv.status is InvoiceStatus.OPEN
            and inv.balance.is_positive()
            and inv.ref not in disputed
            and inv.ref not in ended
        ),
        key=lambda i: (i.due_date, i.number),
    )
    currencies = {inv.balance.currency for inv in open_}
    if not settings.enabled or len(currencies) != 1:
        return Offer((), None, bounds, 0)
    invoices = tuple(PlanInvoice(inv.ref, inv.number, inv.balance) for inv in open_)
    total = sum((i.balance_at_start for i in invoices[1:]), invoices[0].balance_at_start)
    return Offer(invoices, total, bounds, bounds.most_instalments(total))


def live_plan(app: App, tenant: str, customer_ref: str) -> PaymentPlan | None:
    """The customer's plan that is proposed or approved, if any (one at a time)."""
    with session_scope(app.engine) as session:
        found = plan_repo.of_tenant(
            session,
            tenant,
            customer_ref=customer_ref,
            statuses=(PlanStatus.PROPOSED, PlanStatus.APPROVED),
        )
    return found[-1] if found else None


def latest_plan(app: App, tenant: str, customer_ref: str) -> PaymentPlan | None:
    """The customer's most recent plan, whatever became of it (the page says how it ended)."""
    with session_scope(app.engine) as session:
        found = plan_repo.of_tenant(session, tenant, customer_ref=customer_ref)
    return found[-1] if found else None


def preview(
    app: App,
    tenant: str,
    customer_ref: str,
    count: int,
    start: date,
    every_days: int | None,
    today: date,
) -> tuple[Instalment, ...]:
    """The schedule a proposal would have, checked against the limits (nothing is stored).

    Raises:
        PlanRefused: outside the client's limits, nothing to plan, or a plan already stands.
    """
    if live_plan(app, tenant, customer_ref) is not None:
        raise PlanRefused("standing", "a payment plan already stands")
    found = offer(app, tenant, customer_ref, today)
    if found.total is None or found.most == 0:
        raise PlanRefused("amount", "no payment plan can be offered for these invoices")
    return propose_schedule(found.total, count, start, every_days, found.limits)


def describe_schedule(instalments: tuple[Instalment, ...]) -> str:
    return ", ".join(f"{i.amount} on {i.day.isoformat()}" for i in instalments)


def propose(
    app: App,
    tenant: str,
    customer_ref: str,
    customer_name: str,
    count: int,
    start: date,
    every_days: int | None,
    now: datetime,
) -> PaymentPlan:
    """Record the customer's proposal: the plan, and a pause of kind plan on each of its
    invoices; approved at once when its total is below the client's auto-approve amount.

    Raises:
        PlanRefused: as `preview`.
    """
    today = app.today(tenant, now)
    settings = app.require(tenant).payment_plans
    instalments = preview(app, tenant, customer_ref, count, start, every_days, today)
    invoices = offer(app, tenant, customer_ref, today).invoices
    total = sum((i.amount for i in instalments[1:]), instalments[0].amount)
    schedule_words = describe_schedule(instalments)
    with session_scope(app.engine) as session:
        pause_ids = [
            pause_repo.add(
                session,
                tenant,
                customer_ref,
                PauseKind.PLAN,
                reason="payment plan proposed on their own page",
                by=BY_CUSTOMER_PAGE,
                now=now,
                invoice_ref=inv.ref,
            ).id
            for inv in invoices
        ]
        plan = plan_repo.add(
            session,
            tenant,
            customer_ref,
            instalments,
            invoices,
            every_days=every_days,
            pause_ids=pause_ids,
            by=BY_CUSTOMER_PAGE,
            now=now,
        )
        numbers = ", ".join(i.number for i in invoices)
        audit.record(
            session,
            tenant,
            "payment_plan.proposed",
            f"{customer_name} proposed payment plan {plan.number} for invoices {numbers}: "
            f"{count} instalments of {total} in all ({schedule_words}); reminders for these "
            "invoices wait",
            now=now,
            data={"plan": plan.number, "customer": customer_ref, "total": str(total.amount)},
            actor=f"customer: {customer_name}",
            source=PAGE,
        )
        below = settings.auto_approve_below
        if below > 0 and total.amount < below:
            plan = plan_repo.set_status(
                session, tenant, plan.number, PlanStatus.APPROVED, now=now, by=POLICY
            )
            audit.record(
                session,
                tenant,
                "payment_plan.approved",
                f"payment plan {plan.number} of {customer_name} approved by the policy: "
                f"{total} is below {Money.of(below, total.currency)}",
                now=now,
                data={"plan": plan.number, "customer": customer_ref},
                actor=POLICY,
                source=PAGE,
            )
    log.warning(
        "%s: %s proposed payment plan %s (%s); %s",
        tenant,
        customer_name,
        plan.number,
        schedule_words,
        "approved by the policy"
        if plan.status is PlanStatus.APPROVED
        else "it waits for the business's approval",
    )
    return plan


class DecisionRefused(ValueError):
    """No such plan, or it is no longer waiting for a decision."""


def decide(
    app: App,
    tenant: str,
    number: int,
    *,
    approve: bool,
    by: str,
    source: str,
    now: datetime,
    reason: str | None = None,
) -> PaymentPlan:
    """Approve or reject plan `number` of the client (a rejection needs a reason): approving
    keeps its pauses while it is kept; rejecting resumes them (the ladder climbs on).

    Raises:
        DecisionRefused: no such plan, not waiting for a decision, or a rejection without reason.
    """
    reason = " ".join(reason.split()) if reason else None
    if not approve and not reason:
        raise DecisionRefused("a rejection needs a reason (the customer may ask why)")
    with session_scope(app.engine) as session:
        plan = plan_repo.get(session, tenant, number)
        if plan is None:
            raise DecisionRefused(f"no payment plan {number} for {tenant}")
        if plan.status is not PlanStatus.PROPOSED:
            raise DecisionRefused(
                f"payment plan {number} is {plan.status.label}, not waiting for a decision"
            )
        customer = ledger_repo.load_snapshot(
            session, tenant, customer_refs=[plan.customer_ref]
        ).customers.get(plan.customer_ref)
        name = customer.name if customer else plan.customer_ref
        status = PlanStatus.APPROVED if approve else PlanStatus.REJECTED
        plan = plan_repo.set_status(session, tenant, number, status, now=now, by=by, reason=reason)
        said = (
            f"payment plan {number} of {name} approved ({plan.total})"
            if approve
            else f"payment plan {number} of {name} rejected: {reason}; reminders resume"
        )
        audit.record(
            session,
            tenant,
            f"payment_plan.{status.value}",
            said,
            now=now,
            data={"plan": number, "customer": plan.customer_ref, "reason": reason},
            actor=by,
            source=source,
        )
    log.info("%s: %s by %s", tenant, said, by)
    return plan


def plans_of(
    app: App, tenant: str, customer_ref: str | None = None
) -> list[tuple[PaymentPlan, str]]:
    """The client's plans (one customer's, when given) with the customer's name, newest first."""
    with session_scope(app.engine) as session:
        found = plan_repo.of_tenant(session, tenant, customer_ref=customer_ref)
        refs = sorted({p.customer_ref for p in found})
        customers = (
            ledger_repo.load_snapshot(session, tenant, customer_refs=refs).customers if refs else {}
        )
    return [
        (p, customers[p.customer_ref].name if p.customer_ref in customers else p.customer_ref)
        for p in reversed(found)
    ]


def describe(plan: PaymentPlan) -> str:
    """One line for people: number, status, instalments, total (no internal ids)."""
    every = "monthly" if plan.every_days is None else f"every {plan.every_days} days"
    return (
        f"plan {plan.number}: {plan.status.label}, {len(plan.instalments)} instalments {every} "
        f"from {plan.start.isoformat()} to {plan.last_day.isoformat()}, {plan.total} in all "
        f"(invoices {', '.join(i.number for i in plan.invoices)})"
    )
