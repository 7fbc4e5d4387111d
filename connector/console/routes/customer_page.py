"""`/p/<token>`: a customer's own page, opened from the link in their reminders (issue #14).

No login: the token is the key. It opens exactly one customer of one client; an unknown,
expired or revoked token gets the same plain "link not valid" page (404), which names no one.
Visits are rate limited per remote address (in this process) so tokens cannot be guessed at
speed. The page is plain HTML and CSS that fits a phone; it needs no JavaScript.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from connector.console.deps import console_ctx, render
from connector.console.views.customer_page import customer_language, customer_page
from connector.customers.exports import NotInStore, customer_statement
from connector.store import page_tokens
from connector.store.page_tokens import PageAccess

router = APIRouter()

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
    ctx = console_ctx(request)
    today = ctx.app.today(access.tenant, ctx.now())
    view = customer_page(ctx.app, access.tenant, access.customer_ref, today)
    if view is None:
        return _not_valid(request)
    return render(
        request,
        "console/customer_page.html",
        language=view.language,
        page=view,
        token=token,
    )


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
