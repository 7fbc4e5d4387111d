"""The overview's rows: one per client, problem clients first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connector.console.deps import ConsoleContext
from connector.store import leases


@dataclass(frozen=True)
class OverviewRow:
    name: str
    display_name: str
    platform: str
    last_run: datetime | None
    last_result: str | None
    problem: bool


def overview_rows(
    ctx: ConsoleContext, clients: list[str], *, sort: str | None = None
) -> list[OverviewRow]:
    rows = []
    for slug in clients:
        client = ctx.app.config.clients[slug]
        state = leases.get_state(ctx.app.engine, slug)
        result = state.last_result if state else None
        rows.append(
            OverviewRow(
                name=slug,
                display_name=client.display_name,
                platform=client.platform,
                last_run=state.last_finished_at if state else None,
                last_result=result,
                problem=result not in (None, "ok"),
            )
        )
    rows.sort(key=lambda r: (not r.problem, r.name))
    return rows
