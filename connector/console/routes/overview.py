"""`/`: every client this person may see, one row each."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from connector.console.deps import CurrentUser, console_ctx, render
from connector.console.views.overview import overview_rows

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, user: CurrentUser, sort: str | None = None) -> HTMLResponse:
    ctx = console_ctx(request)
    rows = overview_rows(ctx, sorted(user.clients), sort=sort)
    return render(request, "console/overview.html", rows=rows, sort=sort or "")
