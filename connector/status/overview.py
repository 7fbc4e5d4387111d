"""Every client's state at a glance (the console's overview): health, money, what waits.

One `ClientHealth` per client, read with a handful of queries for all clients together (not a
round of queries per client), so a consultant with a thousand clients gets the page quickly.
What goes out in the coming days needs the planner per client and is `upcoming` (asked for
one client at a time).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func
from sqlalchemy import select as sql_select
from sqlmodel import col, select

from connector.app import App
from connector.domain import ActionKind, InvoiceStatus, Money
from connector.domain.clock import Clock, local_date
from connector.run import waiting_for_budget_count
from connector.store.db import session_scope
from connector.store.models import InvoiceRow, OAuthToken, OpsAlert, OutboxAction, TenantRun

#: what a person should do about a client's connection, by the token's state
TOKEN_WORDS = {
    None: "not connected yet",
    "ok": "connected",
    "consent_needed": "needs a new consent",
}


@dataclass(frozen=True)
class ClientHealth:
    """One client as the overview shows it (names and amounts, no internal ids)."""

    name: str
    display_name: str
    platform: str
    enabled: bool = True
    #: the client file does not load (the reason), so nothing else is known
    config_error: str | None = None
    last_run_at: datetime | None = None
    #: "ok" or "failed" (None: never run)
    last_result: str | None = None
    last_error: str | None = None
    #: actions the last (successful) run carried to tomorrow's API budget
    waiting_for_budget: int = 0
    running: bool = False
    #: when `dunning serve` runs it next (None: at serve start)
    next_run_at: datetime | None = None
    #: the connection in words (TOKEN_WORDS)
    connection: str = TOKEN_WORDS[None]
    consent_needed: bool = False
    alerts: tuple[str, ...] = ()
    outstanding: tuple[Money, ...] = ()
    overdue: tuple[Money, ...] = ()
    awaiting_approval: int = 0
    awaiting_review: int = 0
    calls_today: int = 0
    problems: tuple[str, ...] = field(default=())

    @property
    def problem(self) -> bool:
        return bool(self.problems)


def _money(sums: dict[str, int]) -> tuple[Money, ...]:
    return tuple(
        Money(Decimal(minor).scaleb(-2), currency)
        for currency, minor in sorted(sums.items())
        if minor > 0
    )


def client_health(
    app: App, names: Sequence[str], now: datetime, *, wall: datetime
) -> list[ClientHealth]:
    """The overview's row of each client in `names`, problem clients first (then by name).

    `now` is the clock's moment (which day it is for overdue amounts and today's calls); `wall`
    the real time, which run bookkeeping is on (see `connector.status.next_run`)."""
    config = app.config
    valid = [n for n in names if n in config.clients]
    every = timedelta(minutes=config.connector.schedule.every_minutes)
    today = {
        n: local_date(now, config.clients[n].timezone or config.connector.timezone) for n in valid
    }
    runs: dict[str, TenantRun] = {}
    tokens: dict[str, OAuthToken] = {}
    alerts: dict[str, list[str]] = defaultdict(list)
    outstanding: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    overdue: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    waiting: dict[tuple[str, str], int] = {}
    calls: dict[str, int] = defaultdict(int)
    with session_scope(app.engine) as session:
        if valid:
            for run in session.exec(select(TenantRun).where(col(TenantRun.tenant).in_(valid))):
                runs[run.tenant] = run
            for token in session.exec(
                select(OAuthToken).where(
                    col(OAuthToken.tenant).in_(valid), OAuthToken.connection == "default"
                )
            ):
                tokens[token.tenant] = token
            for alert in session.exec(
                select(OpsAlert).where(
                    col(OpsAlert.tenant).in_(valid), col(OpsAlert.active).is_(True)
                )
            ):
                alerts[alert.tenant].append(alert.message)
            oldest_today = min(today.values())
            # summed in the database, once per calendar day the clients are on (one, unless
            # some clients keep another time zone)
            by_day: dict[date, list[str]] = defaultdict(list)
            for name, day in today.items():
                by_day[day].append(name)
            for day, group in by_day.items():
                balance = col(InvoiceRow.balance_minor)
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
                    outstanding[tenant][currency] += int(open_minor or 0)
                    overdue[tenant][currency] += int(overdue_minor or 0)
            for tenant, status, count in session.execute(
                sql_select(col(OutboxAction.tenant), col(OutboxAction.status), func.count())
                .where(
                    col(OutboxAction.tenant).in_(valid),
                    col(OutboxAction.status).in_(["approval", "review"]),
                )
                .group_by(col(OutboxAction.tenant), col(OutboxAction.status))
            ):
                waiting[(tenant, status)] = int(count)
            for tenant, planned, count in session.execute(
                sql_select(col(OutboxAction.tenant), col(OutboxAction.planned_for), func.count())
                .where(
                    col(OutboxAction.tenant).in_(valid),
                    col(OutboxAction.kind) == ActionKind.CALL_TASK.value,
                    col(OutboxAction.status).not_in(["cancelled", "failed"]),
                    col(OutboxAction.planned_for) >= oldest_today,
                )
                .group_by(col(OutboxAction.tenant), col(OutboxAction.planned_for))
            ):
                if planned == today[tenant]:
                    calls[tenant] += int(count)
    out = []
    for name in names:
        if name not in config.clients:
            error = str(config.errors.get(name, "no client file"))
            out.append(
                ClientHealth(
                    name,
                    name,
                    "",
                    config_error=error,
                    problems=("the client file has an error",),
                )
            )
            continue
        client = config.clients[name]
        last = runs.get(name)
        stored = tokens.get(name)
        problems = []
        running = bool(last and last.lease_owner and last.lease_until and last.lease_until > wall)
        next_run = None
        if last is not None and last.last_started_at is not None and client.enabled:
            next_run = max(last.last_started_at + every, wall)
        if last is not None and last.last_result == "failed":
            problems.append("the last last failed")
        state = stored.state if stored else None
        if stored is None:
            problems.append("not connected")
        elif state == "consent_needed":
            problems.append("needs a new consent")
        if alerts.get(name):
            problems.append("alerts")
        if waiting.get((name, "review")):
            problems.append("actions to review")
        out.append(
            ClientHealth(
                name=name,
                display_name=client.display_name,
                platform=_platform_title(client.platform),
                enabled=client.enabled,
                last_run_at=last.last_finished_at if last else None,
                last_result=last.last_result if last else None,
                last_error=last.last_error if last else None,
                waiting_for_budget=(
                    waiting_for_budget_count(last.last_error)
                    if last and last.last_result == "ok"
                    else 0
                ),
                running=running,
                next_run_at=next_run,
                connection=TOKEN_WORDS.get(state, "connection problem"),
                consent_needed=state == "consent_needed",
                alerts=tuple(alerts.get(name, ())),
                outstanding=_money(outstanding.get(name, {})),
                overdue=_money(overdue.get(name, {})),
                awaiting_approval=waiting.get((name, "approval"), 0),
                awaiting_review=waiting.get((name, "review"), 0),
                calls_today=calls.get(name, 0),
                problems=tuple(problems),
            )
        )
    out.sort(key=lambda h: (not h.problem, h.display_name.casefold()))
    return out


def _platform_title(name: str) -> str:
    """The platform as people name it ("Zoho Books"), not its key."""
    from connector.platforms import platforms

    found = platforms().get(name)
    return found.title if found is not None else name


def upcoming(app: App, name: str, clock: Clock, days: int = 7) -> int:
    """How many steps the planner has for the client's open invoices from now to `days` ahead,
    from the store (no platform call): each invoice's next step, when it falls in the period.
    Raises `ClientUnavailable` when the client cannot be planned (its policy, say)."""
    from connector.policy.planner import explain
    from connector.store import ledger_repo, outbox

    tenant = app.tenant(name, clock, offline=True)
    now = clock.now()
    with session_scope(app.engine) as session:
        history = outbox.history(session, name)
        snapshot = ledger_repo.load_planning_snapshot(
            session, name, also={h.invoice_ref for h in history}
        )
        handed_off = ledger_repo.handed_off_customers(session, name)
    end = now + timedelta(days=days)
    lines = explain(snapshot, tenant.policy, history, now, tenant.plan_context(handed_off))
    return sum(1 for line in lines if line.when is not None and line.when <= end)
