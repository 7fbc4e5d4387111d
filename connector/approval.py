"""The review queue of a client with `approval: required`.

Its runs plan as usual but leave each action in the outbox in state `approval`; nothing goes
out until `dunning approve CLIENT [ACTION...]`. Approving performs the action the usual way
(claimed once, invoices re-checked against the platform, so an invoice paid in the meantime is
cancelled, not reminded). An action not approved within `dispatch.APPROVAL_TTL` is expired by
the next run and planned afresh from current data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connector.app import App
from connector.clock import Clock
from connector.dispatch import APPROVAL_TTL, Dispatcher, DispatchStats
from connector.run import default_owner
from connector.store import outbox
from connector.store.db import session_scope


@dataclass(frozen=True)
class Waiting:
    id: int
    customer_ref: str
    kind: str
    invoices: tuple[str, ...]
    steps: tuple[str, ...]
    planned_for: str
    created_at: datetime | None

    def describe(self) -> str:
        return (
            f"#{self.id} {self.kind} to customer {self.customer_ref} for "
            f"{', '.join(self.invoices)} (step {', '.join(sorted(set(self.steps)))}; planned "
            f"{self.planned_for})"
        )


def waiting(app: App, slug: str) -> list[Waiting]:
    """Actions of the client waiting for approval, oldest first."""
    with session_scope(app.engine) as session:
        out = []
        for row in outbox.in_state(session, slug, ["approval"]):
            items = outbox.items_of(session, row.id or 0)
            out.append(
                Waiting(
                    id=row.id or 0,
                    customer_ref=row.customer_ref,
                    kind=row.kind,
                    invoices=tuple(i.invoice_ref for i in items),
                    steps=tuple(i.step for i in items),
                    planned_for=row.planned_for.isoformat(),
                    created_at=row.created_at,
                )
            )
        return out


def expire_stale(app: App, slug: str, now: datetime) -> int:
    with session_scope(app.engine) as session:
        return outbox.expire_awaiting_approval(session, slug, now - APPROVAL_TTL, now)


def approve(app: App, slug: str, clock: Clock, ids: list[int] | None = None) -> DispatchStats:
    """Perform the given waiting actions (all of the client's when `ids` is None).

    Raises ValueError naming ids that are not this client's actions awaiting approval.
    """
    expire_stale(app, slug, clock.now())
    queue = {w.id for w in waiting(app, slug)}
    chosen = sorted(queue) if ids is None else list(ids)
    unknown = [i for i in chosen if i not in queue]
    if unknown:
        raise ValueError(
            f"{slug}: not awaiting approval: {', '.join(f'#{i}' for i in unknown)} "
            "(see `dunning approve --list " + slug + "`)"
        )
    if not chosen:
        return DispatchStats()
    tenant = app.tenant(slug, clock)
    dispatcher = Dispatcher(
        tenant.engine,
        tenant.ledger,
        tenant.renderer,
        tenant.dispatch_settings,
        clock,
        owner=default_owner(),
        run_id="approval",
    )
    return dispatcher.perform_approved(chosen)
