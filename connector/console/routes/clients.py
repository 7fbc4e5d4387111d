"""`/clients/<name>`: one client's page (ageing and DSO, customers, ladders, recent actions,
connection), and `POST /clients/<name>/run`: run the client now, as `dunning run` does."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.convertors import Convertor, register_url_convertor

from connector.console.deps import (
    CsrfChecked,
    CurrentUser,
    client_for,
    console_ctx,
    language_of,
    record_audit,
    render,
)
from connector.console.i18n import translate
from connector.console.views.client import ageing_chart
from connector.status.client import client_page

router = APIRouter()

#: customers listed on the page at most; a search finds the others
CUSTOMERS_SHOWN = 200


class ClientName(Convertor[str]):
    """A client's name in a page's path; never `new`, which is the new-client form's path
    (`/clients/new`, whichever route module is included first)."""

    regex = "(?!new$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("client", ClientName())


@router.get("/clients/{name:client}", response_class=HTMLResponse)
def client(
    request: Request, user: CurrentUser, name: str, q: str | None = None, ran: str | None = None
) -> HTMLResponse:
    return _page(request, user, name, q=q, ran=ran)


def _page(
    request: Request,
    user: CurrentUser,
    name: str,
    *,
    q: str | None = None,
    ran: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    config = client_for(user, name)
    ctx = console_ctx(request)
    language = language_of(request)
    page = client_page(ctx.app, name, ctx.clock, language, search=q, customer_limit=CUSTOMERS_SHOWN)
    return render(
        request,
        "console/client.html",
        status_code=status_code,
        name=name,
        client=config,
        page=page,
        q=q or "",
        ran=ran,
        error=error,
        shown=CUSTOMERS_SHOWN,
        chart=ageing_chart(page, language, translate(language, "Open amounts by days overdue")),
    )


@router.post("/clients/{name}/run", dependencies=[CsrfChecked], response_model=None)
def run_now(request: Request, user: CurrentUser, name: str) -> Response:
    """Sync, plan and send for this client now (one run, as `dunning run NAME`); the page
    then shows the run's result with the last run."""
    from connector.app import ClientUnavailable
    from connector.status.plan import run_client

    client_for(user, name)
    ctx = console_ctx(request)
    try:
        outcome = run_client(ctx.app, name, ctx.clock)
    except ClientUnavailable as exc:
        return _page(request, user, name, error=exc.reason, status_code=409)
    result = outcome.result
    if result.skipped:  # `serve`, a worker or `dunning run` is running it right now
        busy = translate(
            language_of(request), "A run of this client is in progress; try again in a minute."
        )
        return _page(request, user, name, error=busy, status_code=409)
    record_audit(ctx, user, name, f"ran the client now: {result.summary()}", "client")
    if not result.ok:
        return _page(request, user, name, error=result.error or result.summary(), status_code=502)
    return RedirectResponse(f"/clients/{name}?ran=1", status_code=303)
