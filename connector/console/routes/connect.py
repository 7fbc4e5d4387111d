"""`/clients/<name>/connect` and `/oauth/callback/<platform>`: connecting a client's platform
from the browser, the callback on the console's own URL (`connector.auth.web`).

GET shows the connection and, when the platform asks, the question before consent (Zoho's data
centre) or the open question after it (Exact's divisions). POST starts the consent and sends the
browser to the platform. The callback is only accepted in the browser session that started the
connect, once, within ten minutes, and only for a client this person may see.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connector.auth.tokens import TokenError
from connector.auth.web import ConnectError, Question, question_before
from connector.console.deps import CsrfChecked, CurrentUser, client_for, console_ctx, record_audit
from connector.console.deps import render as render_page
from connector.console.views.connect import (
    callback_url,
    connection,
    consent_states,
    platform_of,
    remember,
    target,
)
from connector.domain.ports import LedgerError
from connector.platforms.registry import platforms

router = APIRouter()

PAGE = "connect"


def _page(
    request: Request,
    user: CurrentUser,
    name: str,
    *,
    error: str | None = None,
    after: Question | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx = console_ctx(request)
    client = client_for(user, name)
    platform = platform_of(client)
    before = None
    supported = platform is not None and platform.web_login is not None
    if platform is not None and supported and after is None:
        states = consent_states(request)
        try:
            after = states.question_after(platform, target(ctx, name, client), user.session_id)
        except ConnectError:
            after = None
        except (LedgerError, TokenError) as exc:  # the listing failed: the page still shows
            error = error or f"the platform's listing failed: {exc}"
            after = None
        if after is None:
            before = question_before(platform, client)
    return render_page(
        request,
        "console/connect.html",
        status_code=status_code,
        name=name,
        client=client,
        platform_title=platform.title if platform else client.platform,
        supported=supported,
        connection=connection(ctx, name),
        before=before,
        after=after,
        error=error,
        done=request.query_params.get("done") == "1",
        unresolved=bool(client.unresolved_env),
        callback=callback_url(ctx, request, client.platform),
    )


@router.get("/clients/{name}/connect", response_class=HTMLResponse)
def connect_page(request: Request, user: CurrentUser, name: str) -> HTMLResponse:
    return _page(request, user, name)


@router.post("/clients/{name}/connect", dependencies=[CsrfChecked], response_model=None)
async def start_connect(request: Request, user: CurrentUser, name: str) -> Response:
    ctx = console_ctx(request)
    client = client_for(user, name)
    platform = platform_of(client)
    if platform is None:
        raise HTTPException(status_code=404)
    form = await request.form()
    before = form.get("before")
    try:
        url = consent_states(request).start(
            platform,
            target(ctx, name, client),
            redirect_uri=callback_url(ctx, request, platform.name),
            binding=user.session_id,
            before=before if isinstance(before, str) and before else None,
        )
    except ConnectError as exc:
        return _page(request, user, name, error=str(exc), status_code=400)
    return RedirectResponse(url, status_code=303)


@router.get("/oauth/callback/{platform_name}", response_class=HTMLResponse, response_model=None)
def callback(request: Request, user: CurrentUser, platform_name: str) -> Response:
    ctx = console_ctx(request)
    platform = platforms().get(platform_name)
    if platform is None:
        raise HTTPException(status_code=404)
    params = {k: v for k, v in request.query_params.items()}
    states = consent_states(request)
    try:
        pending = states.take(
            params.get("state", ""),
            binding=user.session_id,
            platform=platform_name,
            now=ctx.clock.now(),
        )
    except ConnectError as exc:
        return render_page(
            request, "console/connect.html", status_code=400, name=None, error=str(exc)
        )
    client = client_for(user, pending.slug)
    try:
        outcome = states.finish(platform, pending, target(ctx, pending.slug, client), params)
    except ConnectError as exc:
        return _page(request, user, pending.slug, error=str(exc), status_code=400)
    remember(ctx, pending.slug, outcome.client)
    if outcome.question is not None:
        record_audit(
            ctx, user, pending.slug, f"gave consent for {platform.title}", PAGE, event="connect"
        )
        return RedirectResponse(f"/clients/{pending.slug}/connect", status_code=303)
    record_audit(
        ctx, user, pending.slug, _connected(platform.title, outcome.changed), PAGE, event="connect"
    )
    return RedirectResponse(f"/clients/{pending.slug}/connect?done=1", status_code=303)


@router.post("/clients/{name}/connect/choose", dependencies=[CsrfChecked], response_model=None)
async def choose(request: Request, user: CurrentUser, name: str) -> Response:
    ctx = console_ctx(request)
    client = client_for(user, name)
    platform = platform_of(client)
    if platform is None:
        raise HTTPException(status_code=404)
    form = await request.form()
    picked = [v for v in form.getlist("choice") if isinstance(v, str)]
    try:
        outcome = consent_states(request).choose(
            platform, target(ctx, name, client), user.session_id, picked
        )
    except ConnectError as exc:
        return _page(request, user, name, error=str(exc), status_code=400)
    remember(ctx, name, outcome.client)
    record_audit(
        ctx, user, name, _connected(platform.title, outcome.changed), PAGE, event="connect"
    )
    return RedirectResponse(f"/clients/{name}/connect?done=1", status_code=303)


def _connected(title: str, changed: dict[str, object]) -> str:
    """The audit line: what was connected, and what the client file now says."""
    if not changed:
        return f"connected {title}"
    settings = ", ".join(
        f"{key.split('.', 1)[1].replace('_', ' ')} {_words(value)}"
        for key, value in changed.items()
        if value is not None
    )
    return f"connected {title}; client file now names {settings}"


def _words(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
