"""`/`: every client this person may see, one row each, problem clients first; and the
count of what goes out in the coming week, per client (loaded into its cell by htmx, or
followed as a link to the client's preview without JavaScript)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from connector.app import ClientUnavailable
from connector.console.deps import CurrentUser, client_for, console_ctx, render
from connector.console.views.overview import SORTS, overview_rows
from connector.status.overview import upcoming

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, user: CurrentUser, sort: str | None = None) -> HTMLResponse:
    ctx = console_ctx(request)
    chosen = sort if sort in SORTS else ""
    rows = overview_rows(ctx, user, sort=chosen)
    return render(request, "console/overview.html", rows=rows, sort=chosen)


@router.get("/overview/upcoming/{name}", response_class=HTMLResponse)
def upcoming_cell(request: Request, user: CurrentUser, name: str) -> HTMLResponse:
    """The overview's "next 7 days" cell of one client (an htmx fragment)."""
    client_for(user, name)
    ctx = console_ctx(request)
    try:
        count: int | None = upcoming(ctx.app, name, ctx.clock, days=7)
    except ClientUnavailable:
        count = None
    return render(request, "console/overview_upcoming.html", name=name, count=count)
