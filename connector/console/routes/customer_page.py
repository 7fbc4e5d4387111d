"""`/p/<token>`: a customer's own page, opened from the link in their reminders (issue #14).

No login: the token is the key. It opens exactly one customer of one client; an unknown,
expired or revoked token gets the same plain "link not valid" page (404), which names no one.
Visits are rate limited per remote address (in this process) so tokens cannot be guessed at
speed. The page is plain HTML and CSS that fits a phone; it needs no JavaScript.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connector.console.deps import console_ctx, render
from connector.console.views.customer_page import customer_language, customer_page
from connector.customers.exports import NotInStore, customer_statement
from connector.customers.plans import latest_plan, offer, preview, propose
from connector.customers.self_service import (
    MAX_DISPUTE_REASON,
    DisputeRefused,
    PromiseRefused,
    dispute_invoice,
    disputed_numbers,
    latest_promise_day,
    promise_to_pay,
    standing_promise,
)
from connector.domain.money import Money
from connector.domain.plans import Instalment, PlanRefused
from connector.store import page_tokens
from connector.store.page_tokens import PageAccess

router = APIRouter()

#: a form on the page is good for this long (then: reload the page)
FORM_SECONDS = 4 * 3600
#: visits allowed per remote address within `WINDOW_SECONDS`
VISITS_PER_WINDOW = 60
WINDOW_SECONDS = 600.0


class _RateLimit:
    """A sliding window of visit times per remote address (monotonic clock: this limits
    guessing speed, it decides nothing about dunning)."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, remote: str) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(remote, deque())
            while seen and seen[0] <= now - WINDOW_SECONDS:
                seen.popleft()
            if len(seen) >= VISITS_PER_WINDOW:
                return False
            seen.append(now)
            if len(self._seen) > 10_000:  # forget the quiet addresses
                for key in [k for k, v in self._seen.items() if not v]:
                    del self._seen[key]
            return True


LIMIT = _RateLimit()


def form_token(page_token: str, now: datetime) -> str:
    """A CSRF token for one view of the page: a nonce and the time it was made, signed with
    the page token (there is no session; whoever holds the page token may act anyway, this
    only stops another site from posting in the customer's browser)."""
    issued = int(now.timestamp())
    nonce = f"{secrets.token_urlsafe(12)}.{issued}"
    mac = hmac.new(page_token.encode(), f"customer page {nonce}".encode(), hashlib.sha256)
    return f"{nonce}.{mac.hexdigest()}"


def form_token_ok(page_token: str, sent: str, now: datetime) -> bool:
    nonce, _, mac = sent.rpartition(".")
    _, _, issued = nonce.rpartition(".")
    if not issued.isdigit() or now.timestamp() - int(issued) > FORM_SECONDS:
        return False
    want = hmac.new(page_token.encode(), f"customer page {nonce}".encode(), hashlib.sha256)
    return hmac.compare_digest(mac, want.hexdigest())


def _remote(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _not_valid(request: Request, status_code: int = 404) -> HTMLResponse:
    return render(
        request,
        "console/customer_page_invalid.html",
        status_code=status_code,
        too_many=status_code == 429,
    )


def _access(request: Request, token: str) -> PageAccess | Response:
    if not LIMIT.allow(_remote(request)):
        return _not_valid(request, 429)
    ctx = console_ctx(request)
    with ctx.session() as session:
        access = page_tokens.find(session, token, now=ctx.now())
    if access is None or access.tenant not in ctx.app.config.clients:
        return _not_valid(request)
    return access


@router.get("/p/{token}", response_class=HTMLResponse)
def page(request: Request, token: str) -> Response:
    access = _access(request, token)
    if isinstance(access, Response):
        return access
    return _page(request, token, access)


def _page(
    request: Request,
    token: str,
    access: PageAccess,
    *,
    error: str | None = None,
    status_code: int = 200,
    plan_preview: tuple[Instalment, ...] | None = None,
    plan_values: dict[str, str] | None = None,
) -> Response:
    ctx = console_ctx(request)
    today = ctx.app.today(access.tenant, ctx.now())
    view = customer_page(ctx.app, access.tenant, access.customer_ref, today)
    if view is None:
        return _not_valid(request)
    plan_offer = offer(ctx.app, access.tenant, access.customer_ref, today)
    return render(
        request,
        "console/customer_page.html",
        status_code=status_code,
        language=view.language,
        page=view,
        token=token,
        form_token=form_token(token, ctx.now()),
        promise=standing_promise(ctx.app, access.tenant, access.customer_ref, today),
        latest_day=latest_promise_day(ctx.app, access.tenant, today),
        disputed=disputed_numbers(ctx.app, access.tenant, access.customer_ref),
        max_reason=MAX_DISPUTE_REASON,
        error=error,
        plan=latest_plan(ctx.app, access.tenant, access.customer_ref),
        plan_offer=plan_offer,
        plan_min=Money.of(
            ctx.app.require(access.tenant).payment_plans.min_instalment,
            plan_offer.total.currency if plan_offer.total else "EUR",
        ),
        plan_preview=plan_preview,
        plan_values=plan_values,
    )


@router.post("/p/{token}/promise", response_class=HTMLResponse)
def promise(
    request: Request,
    token: str,
    csrf_token: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
) -> Response:
    access = _access(request, token)
    if isinstance(access, Response):
        return access
    if not form_token_ok(token, csrf_token, console_ctx(request).now()):
        return _page(request, token, access, error="expired", status_code=403)
    ctx = console_ctx(request)
    try:
        promised = date.fromisoformat(day)
    except ValueError:
        return _page(request, token, access, error="day", status_code=400)
    view = customer_page(
        ctx.app, access.tenant, access.customer_ref, ctx.app.today(access.tenant, ctx.now())
    )
    if view is None:
        return _not_valid(request)
    try:
        promise_to_pay(
            ctx.app, access.tenant, access.customer_ref, view.customer_name, promised, ctx.now()
        )
    except PromiseRefused:
        return _page(request, token, access, error="day", status_code=400)
    return RedirectResponse(f"/p/{token}", status_code=303)


@router.post("/p/{token}/dispute", response_class=HTMLResponse)
def dispute(
    request: Request,
    token: str,
    csrf_token: Annotated[str, Form()] = "",
    invoice: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """ "I dispute this invoice": pauses that invoice only; the run writes the business's task."""
    access = _access(request, token)
    if isinstance(access, Response):
        return access
    ctx = console_ctx(request)
    if not form_token_ok(token, csrf_token, ctx.now()):
        return _page(request, token, access, error="expired", status_code=403)
    view = customer_page(
        ctx.app, access.tenant, access.customer_ref, ctx.app.today(access.tenant, ctx.now())
    )
    if view is None:
        return _not_valid(request)
    try:
        dispute_invoice(
            ctx.app,
            access.tenant,
            access.customer_ref,
            view.customer_name,
            invoice,
            reason,
            ctx.now(),
        )
    except DisputeRefused:
        return _page(request, token, access, error="dispute", status_code=400)
    return RedirectResponse(f"/p/{token}", status_code=303)


def _plan_input(instalments: str, every: str, start: str) -> tuple[int, int | None, date] | None:
    """The plan form's fields, bounded: None for anything but a small number, `month` or a
    small number of days, and a day."""
    if not (instalments.isdigit() and len(instalments) <= 2 and len(start) <= 10):
        return None
    if every != "month" and not (every.isdigit() and len(every) <= 2):
        return None
    try:
        first = date.fromisoformat(start)
    except ValueError:
        return None
    return int(instalments), None if every == "month" else int(every), first


@router.post("/p/{token}/plan", response_class=HTMLResponse)
def plan(
    request: Request,
    token: str,
    csrf_token: Annotated[str, Form()] = "",
    instalments: Annotated[str, Form()] = "",
    every: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """ "I would like a payment plan": the first post shows the schedule the connector computed
    (nothing stored), the second (`confirm`) proposes it; the proposal pauses the ladder of the
    plan's invoices (`connector.customers.plans`)."""
    access = _access(request, token)
    if isinstance(access, Response):
        return access
    ctx = console_ctx(request)
    if not form_token_ok(token, csrf_token, ctx.now()):
        return _page(request, token, access, error="expired-plan", status_code=403)
    view = customer_page(
        ctx.app, access.tenant, access.customer_ref, ctx.app.today(access.tenant, ctx.now())
    )
    if view is None:
        return _not_valid(request)
    parsed = _plan_input(instalments, every, start)
    if parsed is None:
        return _page(request, token, access, error="plan-input", status_code=400)
    count, every_days, first = parsed
    values = {"instalments": instalments, "every": every, "start": start}
    try:
        if confirm != "yes":
            schedule = preview(
                ctx.app,
                access.tenant,
                access.customer_ref,
                count,
                first,
                every_days,
                ctx.app.today(access.tenant, ctx.now()),
            )
            return _page(request, token, access, plan_preview=schedule, plan_values=values)
        propose(
            ctx.app,
            access.tenant,
            access.customer_ref,
            view.customer_name,
            count,
            first,
            every_days,
            ctx.now(),
        )
    except PlanRefused as refused:
        return _page(
            request,
            token,
            access,
            error=f"plan-{refused.code}",
            plan_values=values,
            status_code=400,
        )
    return RedirectResponse(f"/p/{token}", status_code=303)


@router.get("/p/{token}/statement.pdf")
def statement(request: Request, token: str) -> Response:
    access = _access(request, token)
    if isinstance(access, Response):
        return access
    ctx = console_ctx(request)
    try:
        document = customer_statement(ctx.app, access.tenant, access.customer_ref, ctx.now())
    except (NotInStore, LookupError):
        return _not_valid(request)
    language = customer_language(
        ctx.app, access.tenant, access.customer_ref, document.customer.language
    )
    name = "rekeningoverzicht.pdf" if language == "nl" else "statement.pdf"
    return Response(
        document.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
