"""`dunning plan`: what the planner would do now, per open invoice, as a text table; and
`dunning run`'s library call, whose dry run says in the same words what it would do.

`run_client` lives here, in the operations, not in `connector.run`: it words the plan and what
waits for approval, and the engine does not import operations (the layers contract).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from connector.domain import Action
from connector.policy.planner import explain
from connector.run import RunResult, run_tenant
from connector.store import ledger_repo, outbox
from connector.store.db import session_scope
from connector.tenant import Tenant

if TYPE_CHECKING:
    from connector.app import App
    from connector.domain.clock import Clock


def client_plan(app: App, slug: str, clock: Clock, *, sync_first: bool = True) -> list[str]:
    """`plan_table` of a client of `app` as of `clock`, after a sync unless `sync_first` is off.

    Raises:
        ClientUnavailable: the client cannot be built (no token, consent needed, broken policy).
        LedgerError: the sync failed.
    """
    from connector.sync import sync_tenant

    tenant = app.tenant(slug, clock)
    if sync_first:
        sync_tenant(tenant.engine, tenant.ledger, slug, clock)
    return plan_table(tenant, clock.now())


def plan_table(tenant: Tenant, now: datetime) -> list[str]:
    with session_scope(tenant.engine) as session:
        history = outbox.history(session, tenant.slug)
        snapshot = ledger_repo.load_planning_snapshot(
            session, tenant.slug, also={h.invoice_ref for h in history}
        )
        handed_off = ledger_repo.handed_off_customers(session, tenant.slug)
    ctx = tenant.plan_context(handed_off, tenant.window.local(now).date())
    lines = explain(snapshot, tenant.policy, history, now, ctx)
    header = (
        f"{'customer':<28} {'invoice':<14} {'balance':>12}  {'next step':<18} {'when':<17} status"
    )
    rows = [header, "-" * len(header)]
    for line in lines:
        when = tenant.window.local(line.when).strftime("%a %d %b %H:%M") if line.when else "-"
        status = ("DUE NOW: " if line.due_now else "") + line.reason
        rows.append(
            f"{line.customer_name[:28]:<28} {line.invoice_number[:14]:<14} {line.balance!s:>12}  "
            f"{(line.next_step or '-'):<18} {when:<17} {status}"
        )
    if len(rows) == 2:
        rows.append("(no open invoices)")
    return rows


def describe_planned(tenant: Tenant, actions: list[Action]) -> list[str]:
    """Planned actions in words, with customer names, invoice numbers and amounts."""
    from connector.approval import money_text, step_in_words

    refs = {a.customer_ref for a in actions}
    with session_scope(tenant.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, tenant.slug, customer_refs=sorted(refs))
    language = tenant.config.language
    out = []
    for a in actions:
        customer = snapshot.customers.get(a.customer_ref)
        items = ", ".join(
            f"{getattr(snapshot.invoices.get(i.invoice_ref), 'number', i.invoice_ref)} "
            f"({money_text(i.balance, language)})"
            for i in a.items
        )
        name = customer.name if customer else a.customer_ref
        out.append(f"{step_in_words(a.kind, a.with_statement)} to {name} for {items}")
    return out


@dataclass(frozen=True)
class ClientRun:
    """A client's run as `dunning run` reports it."""

    result: RunResult
    #: a dry run's planned actions in words (names, invoice numbers, amounts)
    would_do: list[str] = field(default_factory=list)
    #: a dry run's actions waiting for approval, in words
    waiting: list[str] = field(default_factory=list)


def run_client(app: App, slug: str, clock: Clock, *, dry_run: bool = False) -> ClientRun:
    """`run_tenant` (the engine) for a client of `app`; a dry run also says what it would do and
    what waits for approval.

    Raises:
        ClientUnavailable: the client cannot be built (no token, consent needed, broken policy).
    """
    tenant = app.tenant(slug, clock)
    result = run_tenant(tenant, clock, dry_run=dry_run)
    if not dry_run:
        return ClientRun(result)
    from connector.approval import waiting

    return ClientRun(
        result,
        describe_planned(tenant, result.planned),
        [item.describe() for item in waiting(app, slug)],
    )
