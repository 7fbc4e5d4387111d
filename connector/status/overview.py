"""Every client's state at a glance (the console's overview): health, money, what waits.

One `ClientHealth` per client, read with a handful of queries for all clients together (not a
round of queries per client), so a consultant with a thousand clients gets the page quickly.
The money and work figures, and the count of what goes out in the coming days, are those
each client's last run kept (`connector.store.summaries`) while nothing has changed since;
a client whose summary no longer holds is computed for the page (its coming days by
`upcoming`, one client at a time, which plans it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import col, select

from connector.app import App
from connector.domain import Money
from connector.domain.clock import Clock, local_date
from connector.run import UPCOMING_DAYS, upcoming_steps, waiting_for_budget_count
from connector.store import summaries
from connector.store.db import session_scope
from connector.store.models import ClientSummary, OAuthToken, OpsAlert, TenantRun

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
    #: steps in the next 7 days as the last run counted them (None: the cell asks `upcoming`)
    upcoming: int | None = None
    #: the figures are the last run's summary (else they were summed for this page)
    summarised: bool = False

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
    the real time, which run bookkeeping is on (see `connector.status.next_run`).

    The money and work figures come from each client's summary, kept by its last run, when
    that summary still holds (`connector.store.summaries` says when); only the other clients
    are summed from their invoices and outbox, so a thousand clients that ran cost a thousand
    rows, not their invoices."""
    config = app.config
    valid = [n for n in names if n in config.clients]
    every = timedelta(minutes=config.connector.schedule.every_minutes)
    today = {
        n: local_date(now, config.clients[n].timezone or config.connector.timezone) for n in valid
    }
    runs: dict[str, TenantRun] = {}
    tokens: dict[str, OAuthToken] = {}
    alerts: dict[str, list[str]] = defaultdict(list)
    figures: dict[str, summaries.Figures] = {}
    cached: dict[str, ClientSummary] = {}
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
            cached = summaries.usable(session, today, config_changed_at(app.config_dir, valid))
            figures = {name: summaries.figures_of(row) for name, row in cached.items()}
            figures.update(
                summaries.live_figures(
                    session, {n: day for n, day in today.items() if n not in cached}
                )
            )
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
            problems.append("the last run failed")
        state = stored.state if stored else None
        if stored is None:
            problems.append("not connected")
        elif state == "consent_needed":
            problems.append("needs a new consent")
        if alerts.get(name):
            problems.append("alerts")
        own = figures.get(name) or summaries.Figures()
        if own.awaiting_review:
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
                outstanding=_money(own.outstanding),
                overdue=_money(own.overdue),
                awaiting_approval=own.awaiting_approval,
                awaiting_review=own.awaiting_review,
                calls_today=own.calls_today,
                upcoming=cached[name].upcoming if name in cached else None,
                summarised=name in cached,
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


def upcoming(app: App, name: str, clock: Clock, days: int = UPCOMING_DAYS) -> int:
    """How many steps the planner has for the client's open invoices from now to `days` ahead,
    from the store (no platform call): each invoice's next step, when it falls in the period.
    The last run's count when its summary still holds (same day, nothing changed since: see
    `connector.store.summaries`), else planned now.
    Raises `ClientUnavailable` when the client cannot be planned (its policy, say)."""
    now = clock.now()
    if days == UPCOMING_DAYS and name in app.config.clients:
        found = kept_summary(app, name, now)
        if found is not None and found.upcoming is not None:
            return found.upcoming
    tenant = app.tenant(name, clock, offline=True)
    return upcoming_steps(tenant, now, days)


def kept_summary(app: App, name: str, now: datetime) -> ClientSummary | None:
    """What the configured client's last run kept, when it still holds on the client's day at
    `now` (`connector.store.summaries`'s rule); None when the figures must be computed live."""
    client = app.config.clients[name]
    day = local_date(now, client.timezone or app.config.connector.timezone)
    with session_scope(app.engine) as session:
        found = summaries.usable(session, {name: day}, config_changed_at(app.config_dir, [name]))
    return found.get(name)


def config_changed_at(config_dir: Path, names: Sequence[str]) -> dict[str, datetime | None]:
    """When each client's configuration last changed: the newest of `connector.yaml`, its
    client file and the policy files (what the figures and the plan are computed from). A
    summary written by a run that started before then is not used."""
    shared = [config_dir / "connector.yaml"]
    policies = config_dir / "policies"
    if policies.is_dir():
        shared += [p for p in policies.rglob("*") if p.is_file()]
    common = max((_mtime(p) for p in shared), default=0.0)
    out: dict[str, datetime | None] = {}
    for name in names:
        newest = max(common, _mtime(config_dir / "clients" / f"{name}.yaml"))
        out[name] = datetime.fromtimestamp(newest, UTC) if newest else None
    return out


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
