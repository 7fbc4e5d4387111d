"""Each client's overview figures, kept by its run (`ClientSummary`), so the console's overview
reads one row per client and never sums a client's invoices per request (issue #13: 1,000
clients with 50,000 invoices each would be 50 million rows per page).

When a summary may be used; the rule is kept simple enough to be plainly right:

* `changes` is a per-client counter that whatever may change the figures bumps with `touch`,
  in the same transaction as its change: a run as it starts (its sync, the replies it reads,
  what it dispatches), every synced page (a sync outside a run too: `dunning sync`, `dunning
  plan`), every audited event (each person's action: pause, resume, approve, reject, a payment
  plan; each action the dispatcher completes; a customer's dispute from their page), every
  pause set or ended.
* The run, after its own writes, reads the counter (`mark`) *before* it computes the figures
  and stores it as `computed_changes`: anything that happens while it computes bumps the
  counter past it, so a summary is never newer in name than in fact.
* A summary is used only when `computed_changes == changes`, its `day` is the client's today by
  the reader's clock (overdue amounts and today's calls are per day), and no configuration file
  of the client was changed after the run that wrote it started (`config_seen_at`; the reader
  says when they last changed). Otherwise the overview computes that client live with
  `live_figures`, the same queries the run used.

A run that fails leaves the counter bumped at its start, so its client is computed live until
a run succeeds; a client that was never run has no summary and is computed live too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, case, func, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from connector.domain import ActionKind, InvoiceStatus
from connector.store.db import session_scope
from connector.store.models import ClientSummary, InvoiceRow, OutboxAction


@dataclass
class Figures:
    """One client's money and work as the overview shows it (amounts in minor units)."""

    outstanding: dict[str, int] = field(default_factory=dict)
    overdue: dict[str, int] = field(default_factory=dict)
    awaiting_approval: int = 0
    awaiting_review: int = 0
    calls_today: int = 0


def touch(session: Session, tenant: str) -> None:
    """Something that may change the client's figures happens in this transaction: its
    summary (if it has one) is no longer to be trusted."""
    session.execute(
        update(ClientSummary)
        .where(col(ClientSummary.tenant) == tenant)
        .values(changes=col(ClientSummary.changes) + 1)
    )


def touch_now(engine: Engine, tenant: str) -> None:
    """`touch` in a transaction of its own (a run as it starts)."""
    with session_scope(engine) as session:
        touch(session, tenant)


def mark(session: Session, tenant: str) -> int:
    """The client's change counter, read before its figures are computed (the row is made
    here the first time, so a change from now on bumps a counter that exists)."""
    found = session.exec(
        select(ClientSummary.changes).where(ClientSummary.tenant == tenant)
    ).first()
    if found is not None:
        return int(found)
    session.add(ClientSummary(tenant=tenant, changes=0, computed_changes=-1))
    session.flush()
    return 0


def write(
    session: Session,
    tenant: str,
    figures: Figures,
    *,
    computed_changes: int,
    day: date,
    computed_at: datetime,
    config_seen_at: datetime,
    upcoming: int | None,
    headline: dict[str, Any] | None = None,
) -> None:
    """Keep the figures computed after `mark` returned `computed_changes` (the counter itself
    is left alone: a change since then keeps the summary stale)."""
    session.execute(
        update(ClientSummary)
        .where(col(ClientSummary.tenant) == tenant)
        .values(
            computed_changes=computed_changes,
            day=day,
            computed_at=computed_at,
            config_seen_at=config_seen_at,
            outstanding=dict(figures.outstanding),
            overdue=dict(figures.overdue),
            awaiting_approval=figures.awaiting_approval,
            awaiting_review=figures.awaiting_review,
            calls_today=figures.calls_today,
            upcoming=upcoming,
            headline=headline,
        )
    )


def usable(
    session: Session,
    today: Mapping[str, date],
    config_changed: Mapping[str, datetime | None],
) -> dict[str, ClientSummary]:
    """The summaries of the clients in `today` (each with its calendar day) that may be shown
    as they are (see the module's rule); `config_changed`: when each client's configuration
    files last changed (None: unknown, taken as unchanged)."""
    if not today:
        return {}
    out: dict[str, ClientSummary] = {}
    rows = session.exec(
        select(ClientSummary).where(
            col(ClientSummary.tenant).in_(list(today)),
            col(ClientSummary.computed_changes) == col(ClientSummary.changes),
        )
    )
    for row in rows:
        changed = config_changed.get(row.tenant)
        if row.day != today[row.tenant] or row.config_seen_at is None:
            continue
        if changed is not None and changed > row.config_seen_at:
            continue
        out[row.tenant] = row
    return out


def figures_of(row: ClientSummary) -> Figures:
    return Figures(
        outstanding={str(k): int(v) for k, v in (row.outstanding or {}).items()},
        overdue={str(k): int(v) for k, v in (row.overdue or {}).items()},
        awaiting_approval=row.awaiting_approval,
        awaiting_review=row.awaiting_review,
        calls_today=row.calls_today,
    )


def live_figures(session: Session, today: Mapping[str, date]) -> dict[str, Figures]:
    """The figures of the clients in `today` (each with its calendar day) from the invoices and
    the outbox: a handful of queries for all of them together, summed in the database."""
    out = {name: Figures() for name in today}
    if not today:
        return out
    by_day: dict[date, list[str]] = {}
    for name, day in today.items():
        by_day.setdefault(day, []).append(name)
    balance = col(InvoiceRow.balance_minor)
    for day, group in by_day.items():  # once per calendar day the clients are on (usually one)
        rows = session.execute(
            sql_select(
                col(InvoiceRow.tenant),
                col(InvoiceRow.currency),
                func.sum(balance),
                func.sum(case((col(InvoiceRow.due_date) < day, balance), else_=0)),
            )
            .where(
                col(InvoiceRow.tenant).in_(group),
                col(InvoiceRow.status) == InvoiceStatus.OPEN.value,
                balance > 0,
            )
            .group_by(col(InvoiceRow.tenant), col(InvoiceRow.currency))
        )
        for tenant, currency, open_minor, overdue_minor in rows:
            figures = out[tenant]
            figures.outstanding[currency] = figures.outstanding.get(currency, 0) + int(
                open_minor or 0
            )
            figures.overdue[currency] = figures.overdue.get(currency, 0) + int(overdue_minor or 0)
    names: Collection[str] = list(today)
    for tenant, status, count in session.execute(
        sql_select(col(OutboxAction.tenant), col(OutboxAction.status), func.count())
        .where(
            col(OutboxAction.tenant).in_(names),
            col(OutboxAction.status).in_(["approval", "review"]),
        )
        .group_by(col(OutboxAction.tenant), col(OutboxAction.status))
    ):
        if status == "approval":
            out[tenant].awaiting_approval = int(count)
        else:
            out[tenant].awaiting_review = int(count)
    for tenant, planned, count in session.execute(
        sql_select(col(OutboxAction.tenant), col(OutboxAction.planned_for), func.count())
        .where(
            col(OutboxAction.tenant).in_(names),
            col(OutboxAction.kind) == ActionKind.CALL_TASK.value,
            col(OutboxAction.status).not_in(["cancelled", "failed"]),
            col(OutboxAction.planned_for) >= min(today.values()),
        )
        .group_by(col(OutboxAction.tenant), col(OutboxAction.planned_for))
    ):
        if planned == today[tenant]:
            out[tenant].calls_today += int(count)
    return out
