"""`/login`, `/logout` and the language switch.

The login form carries a CSRF token before any session exists: a random value in a short-lived
cookie and the same in the form (double submit), so another site cannot sign a browser in to an
account of its choosing. A successful login drops whatever session the browser had and starts a
new one (a new id), so an id planted beforehand never becomes signed in.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connector.console.auth import clear_failures, login_blocked, record_failure
from connector.console.deps import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    CurrentUser,
    console_ctx,
    render,
)
from connector.console.i18n import LANGUAGES
from connector.console.sessions import end_session, purge_expired, start_session
from connector.console.users import authenticate

router = APIRouter()

LOGIN_CSRF_COOKIE = "dunning_login_csrf"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def safe_next(value: str | None) -> str:
    """Where to go after the login: a path on this site only (never another site's address)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login_page(
    request: Request,
    next_path: str,
    *,
    failed: bool,
    status: int = 200,
    too_many: bool = False,
    stale: bool = False,
) -> Response:
    # the token of the browser's login cookie when it has one: a second page load (another
    # tab, a page asked for while signed out) must not invalidate the form already shown
    held = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    token = held if _TOKEN.fullmatch(held) else secrets.token_urlsafe(32)
    response = render(
        request,
        "console/login.html",
        status_code=status,
        csrf_token=token,
        next=next_path,
        failed=failed,
        too_many=too_many,
        stale=stale,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=console_ctx(request).settings.secure,
        path="/login",
    )
    return response


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """Browsers ask for /favicon.ico on their own; without an answer here it would be a page
    not found, which sends a signed-out browser to /login, and that login page's fresh form
    token would replace the one of the form on screen (the login then fails as stale)."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, safe_next(next), failed=False)


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    ctx = console_ctx(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        # a form kept open past its cookie, or one another tab's login page replaced: said so,
        # with a fresh form, rather than the same page again without a word
        return _login_page(request, safe_next(next), failed=False, status=403, stale=True)
    remote = request.client.host if request.client else None
    now = ctx.clock.now()
    if login_blocked(ctx.app.engine, email, remote, now=now):
        return _login_page(request, safe_next(next), failed=False, status=429, too_many=True)
    account = authenticate(ctx.app.engine, email, password)
    if account is None:
        record_failure(ctx.app.engine, email, remote, now=now)
        return _login_page(request, safe_next(next), failed=True, status=401)
    clear_failures(ctx.app.engine, email)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        end_session(ctx.app.engine, old)
    purge_expired(ctx.app.engine, now=now)  # ended sessions go (a login is rare enough)
    signed = start_session(ctx.app.engine, account, now=now)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed.session_id,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get("/logout", response_class=HTMLResponse)
def logout_form(request: Request, user: CurrentUser) -> Response:
    return render(request, "console/logout.html")


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, user: CurrentUser) -> Response:
    end_session(console_ctx(request).app.engine, user.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language/{language}")
def choose_language(language: str, next: str | None = None) -> Response:
    """Switch the pages' language (a cookie; the link works without JavaScript)."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/"
        )
    return response
