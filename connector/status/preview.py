"""What would go out, day by day, from one day to another: the console's preview.

The pure planner is run on the store's snapshot, outbox history, pauses and hand-offs, once per
day at the moment the sending window opens (today: from `now`), and what it plans for a day is
added to the history as if it went out, so the next day continues the ladder from there. Each
action is shown with the customer's name, the invoices and amounts, the step in words, to whom
and the rendered text (the client's templates, as of that day). Actions already waiting for
approval are shown as waiting on the first day, not planned again (the planner sees them as
taken). Time is an input: nothing here reads the clock.

It shows what the planner decides from what is in the store now: payments that arrive, a sync
that brings new invoices, and a day's API budget that carries part of a large backlog to the
next day are not foreseen.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from connector.customers.activity import Message, action_label, lang, message_for
from connector.domain import Action, ActionKind, Customer, Money
from connector.domain.history import HistoryEntry
from connector.policy.planner import plan_outcome
from connector.store import ledger_repo, outbox
from connector.store.db import session_scope

if TYPE_CHECKING:
    from connector.app import App
    from connector.domain.clock import Clock

#: the longest preview asked for at once (the planner runs once per day)
MAX_DAYS = 62


@dataclass(frozen=True)
class PreviewItem:
    customer_ref: str  # for links only, never shown
    customer_name: str
    label: str
    invoices: tuple[tuple[str, Money], ...]
    #: already waiting for an approver (not planned again), or planned and would wait for one
    waiting_approval: bool
    task: bool
    message: Message | None
    problem: str | None = None


@dataclass(frozen=True)
class PreviewDay:
    day: date
    items: list[PreviewItem]


def preview(
    app: App, slug: str, start: date, end: date, clock: Clock, language: str = "nl"
) -> list[PreviewDay]:
    """Day by day from `start` to `end` (inclusive; the client's local days), what would go
        out, as of `clock` (days before the client's today are not planned; the days from today to
    `start` are planned but not shown).

        Raises:
            ValueError: `end` before `start`, or more than `MAX_DAYS` days.
            ClientUnavailable: the client's configuration or policy cannot be built.
    """
    if end < start:
        raise ValueError("the last day is before the first")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days at once")
    language = lang(language)
    now = clock.now()
    tenant = app.tenant(slug, clock, offline=True)
    window, calendar = tenant.window, tenant.calendar
    today = window.local(now).date()
    with session_scope(tenant.engine) as session:
        history = list(outbox.history(session, slug))
        snapshot = ledger_repo.load_planning_snapshot(
            session, slug, also={h.invoice_ref for h in history}
        )
        handed_off = set(ledger_repo.handed_off_customers(session, slug))
        waiting_rows = outbox.in_state(session, slug, ["approval"])
        waiting = [(row, outbox.load_action(session, row)) for row in waiting_rows]
    ctx = tenant.plan_context(handed_off)
    customers = dict(snapshot.customers)
    invoices = dict(snapshot.invoices)
    approval = tenant.config.approval.required

    def item(action: Action, when: datetime, waits: bool) -> PreviewItem:
        customer = customers.get(action.customer_ref) or Customer(
            action.customer_ref, action.customer_ref
        )
        message, problem = None, None
        try:
            message = message_for(tenant, action, customer, when)[0]
        except Exception as exc:  # the preview must show; the problem is named instead
            problem = str(exc)
        return PreviewItem(
            customer_ref=action.customer_ref,
            customer_name=customer.name,
            label=action_label(
                action.kind,
                tuple(i.step for i in action.items),
                action.with_statement,
                language,
            ),
            invoices=tuple(
                (getattr(invoices.get(i.invoice_ref), "number", i.invoice_ref), i.balance)
                for i in action.items
            ),
            waiting_approval=waits,
            task=action.kind is ActionKind.CALL_TASK,
            message=message,
            problem=problem,
        )

    days: list[PreviewDay] = []
    simulated = 0
    # a preview that starts after today plans the days in between too (not shown), so that
    # what is due now is not shown as going out on the first day shown
    day = min(start, today)
    while day <= end:
        items: list[PreviewItem] = []
        if day == max(start, today):
            items += [item(action, now, True) for _row, action in waiting]
        moment = window.next_moment(max(now, window.opening_on(day)), calendar)
        if day >= today and window.local(moment).date() == day:
            planned = plan_outcome(snapshot, tenant.policy, history, moment, ctx).actions
            for action in planned:
                items.append(item(action, moment, approval))
                for part in action.items:
                    simulated += 1
                    history.append(
                        HistoryEntry(
                            action_id=-simulated,
                            customer_ref=action.customer_ref,
                            invoice_ref=part.invoice_ref,
                            step=part.step,
                            kind=action.kind,
                            status="pending",
                            planned_for=day,
                            done_at=moment,
                        )
                    )
                if action.kind is ActionKind.HANDOFF:
                    handed_off.add(action.customer_ref)
                    ctx = dataclasses.replace(ctx, handed_off=frozenset(handed_off))
        if day >= start:
            days.append(PreviewDay(day, items))
        day += timedelta(days=1)
    return days
