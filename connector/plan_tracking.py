"""Each run follows the approved payment plans against the payments in the synced ledger
(issue #14), before the planner runs.

What was paid on a plan is what its invoices' open amounts went down by since the plan was
proposed (the store's balances after the sync; a payment booked on any of the plan's invoices
counts, whichever invoice the bank matched it to). The rule itself is pure
(`connector.domain.plans.standing`): a plan whose whole total is paid ends as kept; a plan
that is behind on an instalment whose day plus the grace day has passed ends as missed. Either
way its pauses are resumed, so the planner sees the invoices again and the ladder climbs on
from the step it had reached; both go on the audit trail.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from connector.domain.money import Money
from connector.domain.plans import PaymentPlan, PlanStatus, Progress, standing
from connector.store import audit, ledger_repo
from connector.store import plans as plan_repo
from connector.store.db import session_scope

log = logging.getLogger(__name__)

ACTOR = "the connector"
SOURCE = "run"


def paid_on(plan: PaymentPlan, balances: dict[str, Money]) -> Money:
    """What the plan's invoices' open amounts went down by since the plan began (an invoice
    no longer in the store counts as unpaid: nothing is assumed paid that was not seen)."""
    paid = Money.zero(plan.currency)
    for inv in plan.invoices:
        now_open = balances.get(inv.ref, inv.balance_at_start)
        if now_open.currency == plan.currency and now_open < inv.balance_at_start:
            paid = paid + (inv.balance_at_start - now_open)
    return paid


def ending_pauses(session: Session, tenant: str, today: date) -> set[int]:
    """The ids of the pauses of approved plans that the next run ends on `today` (kept or
    missed), read only: `dunning plan` and a dry run plan as that run will."""
    running = plan_repo.of_tenant(session, tenant, statuses=(PlanStatus.APPROVED,))
    if not running:
        return set()
    snapshot = ledger_repo.load_snapshot(
        session, tenant, customer_refs=sorted({p.customer_ref for p in running})
    )
    balances = {ref: inv.balance for ref, inv in snapshot.invoices.items()}
    return {
        pause_id
        for plan in running
        if standing(plan, paid_on(plan, balances), today).progress is not Progress.ON_TRACK
        for pause_id in plan_repo.pause_ids(session, tenant, plan.number)
    }


def track_plans(engine: Engine, tenant: str, today: date, now: datetime) -> list[str]:
    """End the approved plans that are kept or missed on `today`; lines for the run's report."""
    lines: list[str] = []
    with session_scope(engine) as session:
        running = plan_repo.of_tenant(session, tenant, statuses=(PlanStatus.APPROVED,))
        if not running:
            return lines
        refs = sorted({p.customer_ref for p in running})
        snapshot = ledger_repo.load_snapshot(session, tenant, customer_refs=refs)
        balances = {ref: inv.balance for ref, inv in snapshot.invoices.items()}
        for plan in running:
            where = standing(plan, paid_on(plan, balances), today)
            if where.progress is Progress.ON_TRACK:
                continue
            customer = snapshot.customers.get(plan.customer_ref)
            name = customer.name if customer else plan.customer_ref
            if where.progress is Progress.KEPT:
                status = PlanStatus.KEPT
                line = f"{name} paid payment plan {plan.number} in full ({plan.total})"
            else:
                assert where.missed is not None
                missed = plan.instalments[where.missed - 1]
                status = PlanStatus.MISSED
                line = (
                    f"{name} missed instalment {where.missed} of payment plan {plan.number} "
                    f"({missed.amount} due {missed.day.isoformat()}; paid {where.paid} of the "
                    f"plan so far): reminders resume"
                )
            plan_repo.set_status(session, tenant, plan.number, status, now=now, by=ACTOR)
            audit.record(
                session,
                tenant,
                f"payment_plan.{status.value}",
                line,
                now=now,
                data={
                    "plan": plan.number,
                    "customer": plan.customer_ref,
                    "paid": str(where.paid.amount),
                    "missed_instalment": where.missed,
                },
                actor=ACTOR,
                source=SOURCE,
            )
            log.warning("%s: %s", tenant, line)
            lines.append(line)
    return lines
