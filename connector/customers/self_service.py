"""What a customer does on their own page (`/p/<token>`, issue #14), as library functions the
page calls: a promise to pay pauses their ladder until the promised day plus a grace day.

The pause is the same `DunningPause` a consultant sets (`pause_customer`), kind promise, with the
customer as who set it, so the planner, the preview, `dunning customers` and the console's
customer page all honour and show it. Each action goes on the client's audit trail, and a log
line tells the business (the audit trail is where they look it up).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from connector.domain.pauses import Pause, PauseKind
from connector.store import audit
from connector.store import pauses as pause_repo
from connector.store.db import session_scope

if TYPE_CHECKING:
    from connector.app import App

log = logging.getLogger(__name__)

#: who set a pause from the customer's own page (shown with the pause)
BY_CUSTOMER = "the customer (own page)"
#: where the audit trail says it happened
SOURCE = "customer page"
#: days after the promised day before reminders resume (the payment's way through the bank)
GRACE_DAYS = 1


class PromiseRefused(ValueError):
    """The promise cannot be taken (day out of range, a promise already standing)."""


def standing_promise(app: App, tenant: str, customer_ref: str, today: date) -> Pause | None:
    """The customer's live promise to pay covering `today` or later, if any."""
    with session_scope(app.engine) as session:
        live = pause_repo.live(session, tenant)
    found = [
        p
        for p in live
        if p.customer_ref == customer_ref
        and p.kind is PauseKind.PROMISE
        and p.invoice_ref is None
        and p.active_on(today)
    ]
    return max(found, key=lambda p: p.until or date.max) if found else None


def latest_promise_day(app: App, tenant: str, today: date) -> date:
    return today + timedelta(days=app.require(tenant).customer_page.promise_max_days)


def promise_to_pay(
    app: App, tenant: str, customer_ref: str, customer_name: str, day: date, now: datetime
) -> Pause:
    """Record the customer's promise to pay on `day`: their ladder waits until `day` plus
    `GRACE_DAYS`. One promise at a time: a standing one is not extended from the page.

    Raises:
        PromiseRefused: `day` before today or past the client's maximum, or a promise stands.
    """
    today = app.today(tenant, now)
    if day < today or day > latest_promise_day(app, tenant, today):
        raise PromiseRefused("day out of range")
    if standing_promise(app, tenant, customer_ref, today) is not None:
        raise PromiseRefused("a promise already stands")
    until = day + timedelta(days=GRACE_DAYS)
    with session_scope(app.engine) as session:
        made = pause_repo.add(
            session,
            tenant,
            customer_ref,
            PauseKind.PROMISE,
            reason=f"promised on their own page to pay on {day.isoformat()}",
            by=BY_CUSTOMER,
            now=now,
            until=until,
        )
        audit.record(
            session,
            tenant,
            "customer_page.promise",
            f"{customer_name} promised to pay on {day.isoformat()}; reminders wait until "
            f"{until.isoformat()}",
            now=now,
            data={"customer": customer_ref, "day": day.isoformat(), "until": until.isoformat()},
            actor=f"customer: {customer_name}",
            source=SOURCE,
        )
    log.warning(
        "%s: %s promised on their own page to pay on %s; reminders wait until %s",
        tenant,
        customer_name,
        day.isoformat(),
        until.isoformat(),
    )
    return made
