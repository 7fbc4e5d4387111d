"""The overview's rows (`connector.status.overview`), in the order the person asked for."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from connector.console.deps import ConsoleContext, User
from connector.domain.clock import SystemClock
from connector.domain.money import Money
from connector.status.overview import ClientHealth, client_health


def _total(amounts: tuple[Money, ...]) -> Decimal:
    return sum((m.amount for m in amounts), Decimal(0))


#: the columns that sort, and how (besides the default: problem clients first, then by name)
SORTS: dict[str, Callable[[ClientHealth], Any]] = {
    "name": lambda h: h.display_name.casefold(),
    "outstanding": lambda h: -_total(h.outstanding),
    "overdue": lambda h: -_total(h.overdue),
    "approvals": lambda h: -h.awaiting_approval,
    "calls": lambda h: -h.calls_today,
    "last_run": lambda h: (h.last_run_at is None, h.last_run_at and -h.last_run_at.timestamp()),
}


def overview_rows(
    ctx: ConsoleContext, user: User, *, sort: str | None = None
) -> list[ClientHealth]:
    """Every client `user` may see (broken client files too), problem clients first unless
    `sort` names a column."""
    config = ctx.app.config
    names = user.account.visible(set(config.clients) | set(config.errors))
    rows = client_health(ctx.app, names, ctx.clock.now(), wall=SystemClock().now())
    if sort in SORTS:
        rows.sort(key=SORTS[sort])
    return rows
