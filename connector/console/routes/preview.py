"""`/clients/<name>/preview?from=…&to=…`: day by day what would go out to whom, with the
rendered text, from the pure planner on the store (`connector.status.preview`); what waits for
approval is shown as waiting. Without dates: the next seven days from today."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from connector.console.deps import CurrentUser, client_for, console_ctx, language_of, render
from connector.console.i18n import translate
from connector.status.preview import MAX_DAYS, preview

router = APIRouter()

DEFAULT_DAYS = 7


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@router.get("/clients/{name}/preview", response_class=HTMLResponse)
def preview_page(
    request: Request,
    user: CurrentUser,
    name: str,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> HTMLResponse:
    config = client_for(user, name)
    ctx = console_ctx(request)
    language = language_of(request)
    today = ctx.app.today(name, ctx.clock.now())
    first = _day(start) or today
    last = _day(end) or first + timedelta(days=DEFAULT_DAYS - 1)
    error = None
    if (start and _day(start) is None) or (end and _day(end) is None):
        error = translate(language, "A date is not valid; showing the next seven days.")
        first, last = today, today + timedelta(days=DEFAULT_DAYS - 1)
    elif last < first or (last - first).days + 1 > MAX_DAYS:
        error = translate(
            language, "Choose at most %(n)s days, the last not before the first.", n=MAX_DAYS
        )
        first, last = today, today + timedelta(days=DEFAULT_DAYS - 1)
    days = preview(ctx.app, name, first, last, ctx.clock, language)
    return render(
        request,
        "console/preview.html",
        status_code=400 if error else 200,
        name=name,
        client=config,
        days=days,
        first=first,
        last=last,
        error=error,
        approval_required=config.approval.required,
    )
