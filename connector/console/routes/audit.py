"""`/clients/<name>/audit`: the client's audit log (who did what, when, from which page or
command), and its CSV export (`?format=csv` or `/clients/<name>/audit.csv`). People's actions by
default; `everything=1` adds what the connector did by itself (its steps, in words)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from connector.console.deps import ConsoleContext, CurrentUser, client_for, console_ctx
from connector.console.deps import render as render_page
from connector.status.audit import AuditLine, audit_csv, audit_log

router = APIRouter()


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _lines(
    ctx: ConsoleContext, name: str, start: date | None, end: date | None, people: bool
) -> list[AuditLine]:
    zone = ZoneInfo(ctx.app.config.connector.timezone)
    since = datetime.combine(start, time(), zone) if start else None
    until = datetime.combine(end + timedelta(days=1), time(), zone) if end else None
    return audit_log(ctx.app.engine, name, since=since, until=until, people_only=people)


def _csv(ctx: ConsoleContext, name: str, lines: list[AuditLine]) -> Response:
    body = audit_csv(lines, ctx.app.config.connector.timezone)
    stamp = ctx.clock.now().date().isoformat()
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{name}-{stamp}.csv"'},
    )


@router.get("/clients/{name}/audit", response_model=None)
def audit_page(
    request: Request,
    user: CurrentUser,
    name: str,
    format: str | None = None,
    start: str | None = None,
    end: str | None = None,
    everything: str | None = None,
) -> Response:
    ctx = console_ctx(request)
    client = client_for(user, name)
    first, last, only_people = _day(start), _day(end), not everything
    lines = _lines(ctx, name, first, last, only_people)
    if format == "csv":
        return _csv(ctx, name, lines)
    return render_page(
        request,
        "console/audit.html",
        name=name,
        client=client,
        lines=lines,
        start=first.isoformat() if first else "",
        end=last.isoformat() if last else "",
        everything=not only_people,
        query=str(request.url.query),
    )


@router.get("/clients/{name}/audit.csv", response_class=HTMLResponse, response_model=None)
def audit_export(
    request: Request,
    user: CurrentUser,
    name: str,
    start: str | None = None,
    end: str | None = None,
    everything: str | None = None,
) -> Response:
    ctx = console_ctx(request)
    client_for(user, name)
    return _csv(ctx, name, _lines(ctx, name, _day(start), _day(end), not everything))
