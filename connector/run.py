"""One tenant run: lease → sync → plan → dispatch → record; and the loop over all tenants.

Runs are serialised per tenant by a lease in the database (so `dunning run` from cron beside
`dunning serve`, or two workers, never run one client at once) and are idempotent: a second run
in the same hour finds every planned (invoice, step) already taken in the outbox and sends
nothing. A failing client is logged with its name and does not stop the others.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connector.dispatch import Dispatcher, DispatchStats
from connector.disputes import write_dispute_tasks
from connector.domain import Action
from connector.domain.clock import Clock, SystemClock, local_date
from connector.domain.ports import LedgerError
from connector.notices import send_notices
from connector.payments.pending import end_pending_holds
from connector.plan_tracking import track_plans
from connector.policy.budget import DayBudget, Fitted, fit, room_for_one_read_per_invoice
from connector.policy.planner import PlanProblem, decide, plan_outcome
from connector.replies import read_replies
from connector.report.ageing import headline_on, headline_record
from connector.store import leases, ledger_repo, outbox, summaries
from connector.store.db import session_scope
from connector.store.page_tokens import PageLinks
from connector.sync import SyncStats, sync_tenant
from connector.tenant import Tenant

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.domain.history import HistoryEntry
    from connector.domain.ledger import Snapshot

log = logging.getLogger("connector.run")


class LeaseKeeper:
    """Renews a run lease from a daemon thread until stopped, every third of its lifetime.

    A run's lease (`Tenant.lease_ttl`, 90 s unless `DUNNING_RUN_LEASE_SECONDS` says otherwise)
    is short and renewed while the run is alive, so a killed process frees its clients within
    that time instead of blocking them for the length of a long run."""

    def __init__(self, tenant: Tenant, owner: str, liveness: Clock) -> None:
        self._stop = threading.Event()
        self._liveness = liveness
        self._thread = threading.Thread(
            target=self._loop,
            args=(tenant, owner),
            daemon=True,
            name=f"lease-{tenant.slug}",
        )

    def _loop(self, tenant: Tenant, owner: str) -> None:
        ttl = tenant.lease_ttl
        while not self._stop.wait(ttl.total_seconds() / 3):
            try:
                leases.renew(tenant.engine, tenant.slug, owner, self._liveness.now(), ttl)
            except Exception:  # a database hiccup: try again at the next beat
                log.warning("%s: could not renew the run lease", tenant.slug, exc_info=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class RunResult:
    tenant: str
    ok: bool
    skipped: bool = False
    error: str | None = None
    sync: SyncStats | None = None
    planned: list[Action] = field(default_factory=list)
    dispatch: DispatchStats = field(default_factory=DispatchStats)
    dry_run: bool = False
    #: due actions left for a later day because today's API budget does not pay for them
    deferred: int = 0

    def summary(self) -> str:
        prefix = "(dry run) " if self.dry_run else ""
        if self.skipped:
            return f"{prefix}{self.tenant}: skipped: {self.error}"
        if not self.ok:
            return f"{prefix}{self.tenant}: FAILED: {self.error}"
        d = self.dispatch
        parts = [f"{len(self.planned)} planned"]
        if not self.dry_run:
            parts += [
                f"{d.sent} done",
                f"{d.cancelled} cancelled",
                f"{d.failed} failed",
                f"{d.review} for review",
                f"{d.already_taken} already taken",
            ]
            if d.awaiting_approval:
                parts.append(f"{d.awaiting_approval} awaiting approval")
            if self.deferred:
                parts.append(waiting_for_budget(self.deferred))
        sync = f"; synced {self.sync.summary()}" if self.sync else ""
        return f"{prefix}{self.tenant}: " + ", ".join(parts) + sync


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_tenant(
    tenant: Tenant,
    clock: Clock,
    *,
    dry_run: bool = False,
    owner: str | None = None,
    full_reconcile: bool | None = None,
    dispatcher_hook: object | None = None,
    stop: threading.Event | None = None,
    liveness: Clock | None = None,
) -> RunResult:
    """Run one client once. Never raises for a client-level failure: the result says why.
    `stop` (set on SIGTERM by serve and worker): the run stops between actions; the action in
    flight finishes and is recorded, the rest is planned again by the next run.

    `liveness` is the clock of the run's lease (default: the system clock). Leases are about
    liveness of processes, so they run on real time, not on the run's `clock`: a run "as of" a
    simulated hour must still see a dead worker's lease run out."""
    owner = owner or default_owner()
    liveness = SystemClock() if liveness is None else liveness
    result = RunResult(tenant=tenant.slug, ok=False, dry_run=dry_run)
    if not leases.try_acquire(tenant.engine, tenant.slug, owner, liveness.now(), tenant.lease_ttl):
        result.skipped = True
        result.error = "another run of this client is in progress; skipped"
        log.warning("%s: %s", tenant.slug, result.error)
        return result
    error: str | None = None
    keeper = LeaseKeeper(tenant, owner, liveness)
    # the run is about to change the client's figures: its summary is stale until it ends well
    config_seen_at = liveness.now()
    try:
        keeper.__enter__()
        summaries.touch_now(tenant.engine, tenant.slug)
        _run_locked(
            tenant,
            clock,
            result,
            dry_run=dry_run,
            owner=owner,
            full_reconcile=full_reconcile,
            dispatcher_hook=dispatcher_hook,
            stop=stop,
        )
        if not dry_run:
            keep_summary(tenant, clock, config_seen_at=config_seen_at)
        result.ok = True
    except LedgerError as exc:
        error = f"{exc.kind}: {exc}"
    except Exception as exc:  # a client's failure must not stop the others
        log.exception("%s: run failed", tenant.slug)
        error = f"{type(exc).__name__}: {exc}"
    finally:
        keeper.__exit__()
        result.error = error
        # a backlog carried to tomorrow is said where `dunning status` shows the last run
        note = waiting_for_budget(result.deferred) if error is None and result.deferred else None
        leases.release(
            tenant.engine,
            tenant.slug,
            owner,
            "ok" if error is None else "failed",
            error or note,
            liveness.now(),
        )
    if error:
        log.error("%s: run failed: %s", tenant.slug, error)
    else:
        log.info("%s", result.summary())
    return result


def _run_locked(
    tenant: Tenant,
    clock: Clock,
    result: RunResult,
    *,
    dry_run: bool,
    owner: str,
    full_reconcile: bool | None,
    dispatcher_hook: object | None,
    stop: threading.Event | None = None,
) -> None:
    run_id = uuid.uuid4().hex[:12]
    full = tenant.full_reconcile_due(clock.now()) if full_reconcile is None else full_reconcile
    result.sync = sync_tenant(tenant.engine, tenant.ledger, tenant.slug, clock, full=full)
    if full and not dry_run:
        leases.mark_full_reconcile(tenant.engine, tenant.slug, clock.now())
    dispatcher = Dispatcher(
        tenant.engine,
        tenant.ledger,
        tenant.renderer,
        tenant.dispatch_settings,
        clock,
        owner=owner,
        run_id=run_id,
        after_send=dispatcher_hook,  # type: ignore[arg-type]
        stop=stop,
        payment_links=tenant.payment_links(clock),
    )
    console = tenant.connector.console
    if console is not None and console.public_url and tenant.cipher is not None:
        # every customer-facing mail links to the customer's own page (one link per customer)
        dispatcher.customer_page = PageLinks(
            tenant.engine,
            tenant.slug,
            console.public_url,
            now=clock.now(),
            cipher=tenant.cipher,
            days=console.page_link_days,
        )
    if not dry_run:
        # Mollie payments the ledger has now booked (or not in time) release their invoices
        # before the plan: a partly booked invoice's remainder is dunned again this run
        holds = end_pending_holds(
            tenant.engine, tenant.slug, clock.now(), local_date(clock.now(), tenant.timezone)
        )
        result.dispatch.lines += holds.lines
        result.dispatch.merge(dispatcher.reconcile_stale())
        if tenant.config.inbox is not None:
            # before the plan: a customer who wrote back is paused before anything goes out
            replies = read_replies(
                tenant.engine, tenant.slug, tenant.config.inbox, dispatcher, clock, tenant.timezone
            )
            result.dispatch.merge(replies.dispatch)
            result.dispatch.lines += replies.lines
        # the customers' disputes from their own pages: a task for the business, once each
        result.dispatch.merge(
            write_dispute_tasks(tenant.engine, tenant.slug, dispatcher, clock, tenant.timezone)
        )
        # approved payment plans against the synced payments: a missed instalment (or a plan
        # paid in full) ends the plan and resumes the ladder before the planner runs
        result.dispatch.lines += track_plans(
            tenant.engine, tenant.slug, local_date(clock.now(), tenant.timezone), clock.now()
        )
        # the business hears of each promise and dispute on a page (and each promise not kept)
        notices = send_notices(
            tenant.engine,
            tenant.slug,
            tenant.config,
            tenant.renderer,
            clock,
            tenant.timezone,
            console_url=console.public_url if console is not None else None,
            owner=owner,
            installation_relay=tenant.connector.mail,
            run_id=run_id,
        )
        result.dispatch.sent += notices.sent
        result.dispatch.failed += notices.failed
        result.dispatch.review += notices.review
        result.dispatch.lines += notices.lines
    # Plan, dispatch, and plan once more if something was cancelled because it changed
    # between sync and send (e.g. a partial payment that morning): it is re-planned from the
    # fresh data right away instead of an hour later.
    for _attempt in range(2):
        actions, problems = plan_tenant_outcome(tenant, clock.now())
        result.planned = actions
        for problem in problems:
            line = problem.describe()
            if line not in result.dispatch.lines:
                result.dispatch.lines.append(line)
                log.warning("%s: %s", tenant.slug, line)
        if dry_run:
            return
        stats, waiting = dispatch_within_budget(tenant, dispatcher, actions, clock)
        result.dispatch.merge(stats)
        result.deferred = waiting
        if waiting:
            log.info("%s: %s", tenant.slug, waiting_for_budget(waiting))
        if stats.cancelled == 0 or stats.stopped:
            break


def dispatch_within_budget(
    tenant: Tenant,
    dispatcher: Dispatcher,
    actions: list[Action],
    clock: Clock,
) -> tuple[DispatchStats, int]:
    """Perform the actions today's API budget pays for; returns the stats and how many wait.

    The budget is fitted with the most calls an action can take (`calls_per_action`); most
    take fewer (no PDF, re-checks read ahead for several customers at once), so once the fitted
    actions are done, what the platform says is left may pay for more of those waiting. They
    are fitted again from what is left, in the same order (whole customers, oldest overdue
    first), until the day's remaining calls pay for no further customer: the budget is still
    planned before each round, never run into, and the backlog goes faster (issue #18)."""
    total = DispatchStats()
    todo = actions
    while True:
        budget = day_budget(tenant, clock.now())
        fitted = fit_to_budget(tenant, todo, budget)
        if not fitted.now:
            return total, len(fitted.waiting)
        dispatcher.read_pay_links = room_for_one_read_per_invoice(budget, fitted.now)
        stats = dispatcher.dispatch(fitted.now)
        total.merge(stats)
        performed = stats.sent + stats.failed + stats.review
        if not fitted.waiting or stats.stopped or stats.cancelled or not performed:
            # (actions queued for approval took no calls: they are not topped up, as before)
            return total, len(fitted.waiting)
        todo = fitted.waiting


def waiting_for_budget(count: int) -> str:
    return f"{count:,} action{'s' if count != 1 else ''} wait for tomorrow's API budget"


def waiting_for_budget_count(note: str | None) -> int:
    """The number a run's `waiting_for_budget` note carries (0 for any other text): the
    console tells it in the reader's language."""
    match = re.fullmatch(r"([\d,]+) actions? wait for tomorrow's API budget", note or "")
    return int(match.group(1).replace(",", "")) if match else 0


def day_budget(tenant: Tenant, now: datetime) -> DayBudget | None:
    """What today's API budget leaves for actions (None: the platform's quota is not known).

    Calls left: as the platform's last answer said (rate-limit headers; shared by every
    integration of the organisation), else the quota minus the calls counted today."""
    from connector.platforms import daily_api_budget
    from connector.store.usage import api_calls_on

    daily = daily_api_budget(tenant.config)
    if daily is None:
        stated = getattr(tenant.ledger, "daily_quota", None)
        daily = stated() if callable(stated) else None
    if not isinstance(daily, int):
        return None
    said = getattr(tenant.ledger, "remaining_today", None)
    remaining = said() if callable(said) else None
    if not isinstance(remaining, int):
        remaining = daily - api_calls_on(tenant.engine, tenant.slug, now.astimezone(UTC).date())
    per_action = tenant.ledger.capabilities.calls_per_action
    return DayBudget(remaining=max(0, remaining), daily=daily, per_action=per_action)


def fit_to_budget(tenant: Tenant, actions: list[Action], budget: DayBudget | None) -> Fitted:
    """The actions today's budget pays for, most urgent customers first; the rest waits."""
    if budget is None or len(actions) <= budget.actions:
        return Fitted(actions, [])
    with session_scope(tenant.engine) as session:
        due = ledger_repo.due_dates(
            session, tenant.slug, {i.invoice_ref for a in actions for i in a.items}
        )
    return fit(actions, budget.actions, due)


def plan_tenant(tenant: Tenant, now: datetime) -> list[Action]:
    """The pure planner on the tenant's stored snapshot and outbox history."""
    return plan_tenant_outcome(tenant, now)[0]


def plan_tenant_outcome(
    tenant: Tenant, now: datetime, *, group_size: int | None = None
) -> tuple[list[Action], list[PlanProblem]]:
    """The planned actions and the customers the planner could not plan for (with why).

    Customers are planned in groups of about `group_size` invoices in play (open, or settled
    within the thank-you look-back with history), each group read from the store on its own:
    the run's memory follows the group, not the ledger (issue #18). The planner decides each
    customer on that customer's invoices alone, so the actions are those of one plan over
    the whole tenant, in the same order."""
    size = PLAN_GROUP_INVOICES if group_size is None else group_size
    handed_off, groups = _planning_groups(tenant, now, size)
    ctx = tenant.plan_context(handed_off, tenant.window.local(now).date())
    actions: list[Action] = []
    problems: list[PlanProblem] = []
    for snapshot, history in groups:
        outcome = plan_outcome(snapshot, tenant.policy, history, now, ctx)
        actions += outcome.actions
        problems += outcome.problems
    if len(problems) > 1:
        problems.sort(key=lambda p: p.customer_name)
    return actions, problems


def _planning_groups(
    tenant: Tenant, now: datetime, size: int
) -> tuple[set[str], Iterator[tuple[Snapshot, list[HistoryEntry]]]]:
    """The customers handed off, and the store's planning input (snapshot, outbox history)
    group by group of about `size` invoices in play: open, or settled within the thank-you
    look-back with history (older settled invoices are done with). Each group is read in its
    own session when the caller gets to it, so memory follows the group, not the ledger."""
    ladders = tenant.policies.all() if tenant.policies else [tenant.policy]
    look_back = max(p.thank_you_within_days for p in ladders)
    settled_since = tenant.window.local(now).date() - timedelta(days=look_back + 1)
    with session_scope(tenant.engine) as session:
        handed_off = ledger_repo.handed_off_customers(session, tenant.slug)
        weights = ledger_repo.open_invoice_counts(session, tenant.slug)
        for ref, n in outbox.customers_in_play(session, tenant.slug, settled_since).items():
            weights[ref] = weights.get(ref, 0) + n

    def read() -> Iterator[tuple[Snapshot, list[HistoryEntry]]]:
        for group in _groups(weights, size):
            with session_scope(tenant.engine) as session:
                history = outbox.history(
                    session, tenant.slug, settled_since=settled_since, invoice_customers=group
                )
                snapshot = ledger_repo.load_planning_snapshot(
                    session,
                    tenant.slug,
                    also={h.invoice_ref for h in history},
                    customer_refs=group,
                )
            yield snapshot, history

    return handed_off, read()


#: the overview's "what goes out in the coming days" looks this far ahead
UPCOMING_DAYS = 7


def upcoming_steps(tenant: Tenant, now: datetime, days: int = UPCOMING_DAYS) -> int:
    """How many steps the planner has for the client's open invoices from `now` to `days`
    ahead, from the store (no platform call): each open invoice's next step, when it falls in
    the period (those due now included). Planned in the groups `plan_tenant_outcome` uses, so
    a large client's count takes the memory of a group, not of the ledger."""
    handed_off, groups = _planning_groups(tenant, now, PLAN_GROUP_INVOICES)
    ctx = tenant.plan_context(handed_off)
    end = now + timedelta(days=days)
    count = 0
    for snapshot, history in groups:
        for decision in decide(snapshot, tenant.policy, history, now, ctx):
            if decision.at is not None and decision.at <= end:
                count += 1
    return count


def keep_summary(tenant: Tenant, clock: Clock, *, config_seen_at: datetime) -> None:
    """The end of a run: the client's overview figures and its count of the coming days'
    steps, kept for the console (`connector.store.summaries`, where the rule is when they may
    be used). Never fails the run: without a summary the console computes the client live."""
    now = clock.now()
    day = local_date(now, tenant.timezone)
    try:
        with session_scope(tenant.engine) as session:  # read (and committed) before computing
            seen = summaries.mark(session, tenant.slug)
        with session_scope(tenant.engine) as session:
            figures = summaries.live_figures(session, {tenant.slug: day})[tenant.slug]
        try:  # the client page's ageing and DSO, on the same day as the figures
            kept_headline: dict[str, Any] | None = headline_record(
                headline_on(tenant.engine, tenant.slug, day)
            )
        except Exception:
            log.warning("%s: the ageing was not summed", tenant.slug, exc_info=True)
            kept_headline = None
        try:
            upcoming: int | None = upcoming_steps(tenant, now)
        except Exception:  # a customer's bad data: the console's cell plans it live and says so
            log.warning("%s: the coming days' steps were not counted", tenant.slug, exc_info=True)
            upcoming = None
        with session_scope(tenant.engine) as session:
            summaries.write(
                session,
                tenant.slug,
                figures,
                computed_changes=seen,
                day=day,
                computed_at=now,
                config_seen_at=config_seen_at,
                upcoming=upcoming,
                headline=kept_headline,
            )
    except Exception:  # a database hiccup: the console computes this client live instead
        log.warning("%s: the overview's summary was not kept", tenant.slug, exc_info=True)


#: invoices in play per planning group (see `plan_tenant_outcome`); a few thousand keep memory flat
PLAN_GROUP_INVOICES = 2_000


def _groups(weights: dict[str, int], size: int) -> list[list[str]]:
    """Customers in ref order, cut into consecutive groups of about `size` invoices."""
    groups: list[list[str]] = []
    current: list[str] = []
    total = 0
    for ref in sorted(weights):
        current.append(ref)
        total += weights[ref]
        if total >= size:
            groups.append(current)
            current, total = [], 0
    if current:
        groups.append(current)
    return groups
