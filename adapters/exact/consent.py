"""`dunning auth login` for Exact Online: consent, then an explicit division choice.

Exact's ``current/Me.CurrentDivision`` is the division the user last clicked in the web UI: it
drifts, and it may not even be granted to the app (reference §2). So the connector never falls
back on it. The client file names the division(s) to follow; at login:

  * with ``--division N``: N must be reachable with this login *and* named in the client file;
  * without: every division the client file names must be reachable; if one is not, the login
    fails and lists the divisions this user can reach (``system/Divisions``), so the operator
    can put the right code in the file.
Either way the reachable divisions are printed, the configured ones marked.

Mapping to tenants and connections: Exact's tokens belong to a *user*, not a division, so a
client file covering several divisions (e.g. a holding and its operating company) is one tenant
with one OAuth connection ("default") whose token serves every division; one token chain means
one refresher, which is what keeps a rotating refresh token alive. Each division keeps its own
rate-limit budget and its own sync cursors (inside the tenant's cursor).
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from adapters.exact.adapter import exact_token_manager
from adapters.exact.auth import authorize_url, exchange_code, oauth_session
from adapters.exact.client import ExactClient
from adapters.exact.settings import ExactSettings
from connector.auth.login import LoginError, redirect_uri_for, run_login
from connector.domain.clock import Clock
from connector.http import make_http
from connector.platforms.spec import Choice, ConnectionIncomplete, WebLoginRequest

#: the local callback port (register ``http://127.0.0.1:8765/callback`` with the Exact app)
REDIRECT_PORT = 8765


@dataclass(frozen=True)
class DivisionRow:
    code: int
    description: str
    active: bool
    current: bool

    def line(self, configured: tuple[int, ...]) -> str:
        marks = []
        if self.code in configured:
            marks.append("in the client file")
        if self.current:
            marks.append("last opened in Exact's web UI (not used by the connector)")
        if not self.active:
            marks.append("not active")
        tail = f"  ({'; '.join(marks)})" if marks else ""
        return f"  {self.code}  {self.description}{tail}"


def reachable_divisions(client: ExactClient, via: int | None) -> list[DivisionRow]:
    """Every division the login reaches. `via` is a division of the user's for the URL (Exact
    does not check it; the rate limiter counts the call there); None: the one ``current/Me``
    names (a client file without a division yet)."""
    me = client.me(via or 0)
    current = me.get("CurrentDivision")
    if via is None:
        if current is None:
            raise LoginError("Exact names no division for this login")
        via = int(current)
    current = me.get("CurrentDivision")
    rows = []
    for row in client.divisions(via):
        code = int(row["Code"])
        rows.append(
            DivisionRow(
                code,
                str(row.get("Description") or ""),
                str(row.get("Status", 1)) == "1",
                code == current,
            )
        )
    return sorted(rows, key=lambda r: r.code)


def check_divisions(
    rows: list[DivisionRow], configured: tuple[int, ...], chosen: int | None
) -> tuple[int, ...]:
    """The divisions to follow, or LoginError naming what is wrong (with the listing)."""
    reachable = {r.code for r in rows if r.active}
    listing = "\n".join(r.line(configured) for r in rows) or "  (none)"
    if chosen is not None:
        if chosen not in reachable:
            raise LoginError(
                f"division {chosen} is not reachable with this login. "
                f"Divisions this user can reach:\n{listing}"
            )
        if chosen not in configured:
            raise LoginError(
                f"division {chosen} is not in the client file (it names "
                f"{', '.join(map(str, configured))}); put it under 'exact: "
                f"division:' first. Divisions this user can reach:\n{listing}"
            )
    missing = [d for d in configured if d not in reachable]
    if missing:
        raise LoginError(
            f"division(s) {', '.join(map(str, missing))} from the client file are "
            f"not reachable with this login. Divisions this user can reach:\n"
            f"{listing}"
        )
    return configured


def login_exact(
    slug: str,
    settings: ExactSettings,
    tokens: Any,
    clock: Clock,
    *,
    division: int | None = None,
    open_browser: bool | Callable[[str], object] = True,
    echo: Callable[[str], object] = print,
    timeout: float = 300,
    redirect_port: int = REDIRECT_PORT,
    paste: Callable[[], str] | None = None,
) -> tuple[int, ...]:
    """Consent, store the tokens, check the division choice; returns the followed divisions."""
    base = settings.effective_base_url
    redirect = redirect_uri_for(redirect_port)
    http = make_http(clock=clock, name="exact-oauth", max_read_attempts=1)
    oauth = oauth_session(
        http, settings.client_id, settings.client_secret.get_secret_value(), redirect
    )
    url, state = authorize_url(oauth, base)

    def show(target: str) -> object:
        echo(f"Open this URL to connect {slug} to Exact Online:\n  {target}")
        if callable(open_browser):
            return open_browser(target)
        return webbrowser.open(target) if open_browser else None

    answer = run_login(
        url,
        lambda code: exchange_code(oauth, base, code),
        redirect_port=redirect_port,
        state=state,
        open_browser=show,
        timeout=timeout,
        paste=paste,
    )
    _store(slug, answer, tokens, clock)
    configured = settings.division_list
    client = ExactClient(
        exact_token_manager(settings, tokens, tenant=slug, clock=clock), base, clock
    )
    rows = reachable_divisions(client, configured[0] if configured else None)
    if not configured:
        raise LoginError(
            "the client file names no division: put one of these under 'exact: division:' "
            "(or choose it on the console's connect page):\n"
            + "\n".join(r.line(configured) for r in rows)
        )
    followed = check_divisions(rows, configured, division)
    echo("Divisions this login can reach:\n" + "\n".join(r.line(configured) for r in rows))
    tokens.set_extra(slug, "default", {"divisions": list(followed)}, clock.now())
    return followed


def _store(slug: str, answer: Any, tokens: Any, clock: Clock) -> None:
    """The first token pair of a new consent, as every login stores it."""
    assert answer.refresh_token is not None
    now = clock.now()
    tokens.put_initial(
        slug,
        "default",
        "exact",
        refresh_token=answer.refresh_token,
        access_token=answer.access_token,
        expires_at=now + timedelta(seconds=answer.expires_in),
        now=now,
    )


# -- connecting from the web console (the callback on the console's own URL) -----------------
def _web_settings(request: WebLoginRequest) -> ExactSettings:
    assert isinstance(request.settings, ExactSettings), "the loader validated the exact: section"
    return request.settings


def _web_oauth(request: WebLoginRequest) -> Any:
    settings = _web_settings(request)
    http = make_http(clock=request.clock, name="exact-oauth", max_read_attempts=1)
    return oauth_session(
        http, settings.client_id, settings.client_secret.get_secret_value(), request.redirect_uri
    )


def web_authorize_url(request: WebLoginRequest) -> str:
    url, _ = authorize_url(
        _web_oauth(request), _web_settings(request).effective_base_url, state=request.state
    )
    return url


def web_exchange(request: WebLoginRequest, code: str, extra: Mapping[str, str]) -> None:
    answer = exchange_code(_web_oauth(request), _web_settings(request).effective_base_url, code)
    _store(request.slug, answer, request.tokens, request.clock)


def _web_rows(request: WebLoginRequest) -> list[DivisionRow]:
    settings = _web_settings(request)
    manager = exact_token_manager(
        settings, request.tokens, tenant=request.slug, clock=request.clock
    )
    client = ExactClient(manager, settings.effective_base_url, request.clock)
    configured = settings.division_list
    return reachable_divisions(client, configured[0] if configured else None)


def web_divisions(request: WebLoginRequest) -> tuple[str, list[Choice], bool]:
    """The page's question after consent: which of the divisions this login reaches to follow
    (several may be picked: one token serves them all). Those in the client file come checked;
    the one last opened in Exact's web UI is only named, never picked by itself."""
    configured = _web_settings(request).division_list
    choices = []
    for row in _web_rows(request):
        notes = []
        if row.code in configured:
            notes.append("in the client file")
        if row.current:
            notes.append("last opened in Exact")
        if not row.active:
            notes.append("not active")
        choices.append(
            Choice(
                value=str(row.code),
                label=f"{row.description or 'Division'} ({row.code})",
                notes=tuple(notes),
                selected=row.code in configured and row.active,
                available=row.active,
            )
        )
    return "Divisions", choices, True


def web_settle(request: WebLoginRequest, picked: list[str]) -> dict[str, Any]:
    """The picked divisions, checked against what the login reaches, go into the client file;
    the login's bookkeeping is the CLI's (the followed divisions on the connection)."""
    if not picked:
        raise ValueError("choose at least one division")
    reachable = {r.code for r in _web_rows(request) if r.active}
    try:
        codes = tuple(dict.fromkeys(int(p) for p in picked))
    except ValueError:
        raise ValueError("choose divisions from the list") from None
    missing = [c for c in codes if c not in reachable]
    if missing:
        raise ValueError(
            f"division {', '.join(map(str, missing))} is not reachable with this login"
        )
    request.tokens.set_extra(
        request.slug, "default", {"divisions": list(codes)}, request.clock.now()
    )
    if len(codes) == 1:
        return {"division": codes[0], "divisions": None}
    return {"division": None, "divisions": list(codes)}


def require_divisions(settings: ExactSettings) -> tuple[int, ...]:
    """The followed divisions; a client file without one is not connected yet."""
    if not settings.division_list:
        raise ConnectionIncomplete(
            "no Exact division chosen yet: choose it on the console's connect page, or put "
            "'division:' in the client file"
        )
    return settings.division_list
