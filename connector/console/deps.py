"""What every console page uses: the context, the signed-in user, the client check, CSRF,
rendering, and the audit trail of human actions.

Route modules (`connector/console/routes/*.py`) use these and nothing lower for access control:

    @router.get("/clients/{name}/thing")
    def thing(request: Request, user: CurrentUser, name: str) -> HTMLResponse:
        client = client_for(user, name)          # 404 unless this user may see it
        return render(request, "console/thing.html", client=client)

    @router.post("/clients/{name}/thing", dependencies=[CsrfChecked])
    def do_thing(...): ...
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from sqlmodel import Session

from connector.app import App
from connector.config import ClientConfig
from connector.config.models import ConsoleSettings
from connector.console.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator
from connector.console.sessions import SignedIn, resume_session
from connector.console.users import Account, Role
from connector.domain.clock import Clock
from connector.domain.money import LOCALES, Money, format_money
from connector.store import audit
from connector.store.db import session_scope

#: the session cookie (HttpOnly, SameSite=Lax, Secure behind https)
SESSION_COOKIE = "dunning_session"
#: up to this many clients are linked in the page header
NAV_CLIENTS = 12
#: the language a person chose on the page (overrides their account's)
LANGUAGE_COOKIE = "dunning_lang"


@dataclass
class ConsoleContext:
    """What the console runs on: the opened installation, the clock and its settings."""

    app: App
    clock: Clock
    settings: ConsoleSettings = field(default_factory=ConsoleSettings)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One store transaction (committed on success)."""
        with session_scope(self.app.engine) as session:
            yield session

    def now(self) -> datetime:
        return self.clock.now()


def console_ctx(request: Request) -> ConsoleContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, ConsoleContext)
    return ctx


Ctx = Annotated[ConsoleContext, Depends(console_ctx)]


@dataclass(frozen=True)
class User:
    """The person signed in on this request, with the clients they may see."""

    account: Account
    session_id: str
    #: the clients this person may see (valid client files only), by name
    clients: Mapping[str, ClientConfig]

    @property
    def email(self) -> str:
        return self.account.email

    @property
    def role(self) -> Role:
        return self.account.role

    @property
    def csrf_token(self) -> str:
        return SignedIn(self.session_id, self.account).csrf_token


class LoginRequired(Exception):
    """No live session: a page asked for sends the browser to /login (a POST gets 403)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def current_user(request: Request) -> User:
    """The signed-in user; `LoginRequired` (→ 303 to /login, 403 for a POST) otherwise."""
    cached = getattr(request.state, "user", None)
    if isinstance(cached, User):
        return cached
    ctx = console_ctx(request)
    signed = resume_session(
        ctx.app.engine, request.cookies.get(SESSION_COOKIE, ""), now=ctx.clock.now()
    )
    if signed is None:
        if request.method not in ("GET", "HEAD"):
            raise HTTPException(status_code=403, detail="not signed in")
        raise LoginRequired(request.url.path)
    clients = ctx.app.config.clients
    user = User(
        signed.account,
        signed.session_id,
        {slug: clients[slug] for slug in signed.account.visible(clients)},
    )
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def client_for(user: User, name: str) -> ClientConfig:
    """The client `name` if `user` may see it; 404 otherwise — the same answer for a client
    that does not exist and one that is not theirs, so nothing tells the two apart."""
    client = user.clients.get(name)
    if client is None:
        raise HTTPException(status_code=404, detail="no such client")
    return client


async def require_csrf(request: Request, user: CurrentUser) -> None:
    """A POST's `csrf_token` form field (or htmx's X-CSRF-Token header) must be the session's
    token; 403 otherwise."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, user.csrf_token):
        raise HTTPException(status_code=403, detail="the form has expired; reload the page")


CsrfChecked = Depends(require_csrf)


def language_of(request: Request) -> str:
    """The page's language: the one chosen on the page, else the user's, else Dutch."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    user = getattr(request.state, "user", None)
    if isinstance(user, User) and user.account.language in LANGUAGES:
        return user.account.language
    return DEFAULT_LANGUAGE


_ENV = Environment(
    loader=PackageLoader("connector.console", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def money_filter(value: Money | list[Money] | tuple[Money, ...] | None, language: str) -> str:
    """One amount, or several currencies joined with ` + ` (never added); `-` for none."""
    if value is None:
        return "-"
    if isinstance(value, Money):
        return format_money(value, language)
    return " + ".join(format_money(m, language) for m in value) or "-"


def date_filter(value: date | datetime | None, language: str, timezone: str) -> str:
    """A day as people write it (`2 dec. 2026`, `2 Dec 2026`); a moment in the connector's
    time zone with its time."""
    from babel.dates import format_date, format_datetime

    if value is None:
        return "-"
    locale = LOCALES.get(language, LOCALES["nl"])
    if isinstance(value, datetime):
        local = value.astimezone(ZoneInfo(timezone))
        return str(format_datetime(local, "d MMM y HH:mm", locale=locale))
    return str(format_date(value, "d MMM y", locale=locale))


@pass_context
def _money_in_page_language(context: Context, value: Any) -> str:
    return money_filter(value, str(context.get("locale", DEFAULT_LANGUAGE)))


@pass_context
def _date_in_page_language(context: Context, value: Any) -> str:
    return date_filter(value, str(context.get("locale", DEFAULT_LANGUAGE)), context["timezone"])


# The page's language and time zone come from each render's own values, so the one environment
# (and its compiled templates) serves every request: a per-request copy of the environment would
# compile every template again for each page.
_ENV.filters["money"] = _money_in_page_language
_ENV.filters["date"] = _date_in_page_language


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    language: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page: `template` with `context` plus user, csrf_token, locale, `_`, the `money` and
    `date` filters in the user's language (or `language`: a customer's page is in the
    customer's), and the clients for the navigation."""
    ctx = console_ctx(request)
    language = language if language in LANGUAGES else language_of(request)
    user = getattr(request.state, "user", None)
    timezone = ctx.app.config.connector.timezone
    values: dict[str, Any] = {
        "request": request,
        "user": user if isinstance(user, User) else None,
        "csrf_token": user.csrf_token if isinstance(user, User) else context.pop("csrf_token", ""),
        "locale": language,
        "_": translator(language),
        #: (name, display name) of each client the user may see, for the navigation (a
        #: consultant with many clients finds them on the overview instead)
        "nav_clients": (
            [(slug, user.clients[slug].display_name) for slug in sorted(user.clients)]
            if isinstance(user, User) and len(user.clients) <= NAV_CLIENTS
            else []
        ),
        "path": request.url.path,
    }
    values.update(context)
    values["timezone"] = timezone
    html = _ENV.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)


def record_audit(
    ctx: ConsoleContext,
    user: User,
    client: str,
    what: str,
    page: str,
    *,
    event: str = "console.action",
    data: dict[str, Any] | None = None,
) -> None:
    """Put a person's action on the client's audit trail: who (their e-mail address), when,
    what (a sentence in plain words) and from which page."""
    with ctx.session() as session:
        audit.record(
            session,
            client,
            event,
            what,
            now=ctx.clock.now(),
            data=data,
            actor=user.email,
            source=f"console: {page}",
        )
