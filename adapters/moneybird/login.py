"""`dunning auth login` for Moneybird: consent in the browser, store the tokens, then list the
administrations the token reaches (``GET administrations``,
https://developer.moneybird.com/api/administrations) and check that the client file's
administration is one of them.

A Moneybird token belongs to a user and reaches every administration that user may open; the
client file names the one to follow (`administration_id`). The listing shows it marked, so an
operator who picked the wrong number sees the right one at once.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from adapters.moneybird import mapping
from adapters.moneybird.adapter import moneybird_client, moneybird_token_manager
from adapters.moneybird.auth import authorize_url, exchange_code, oauth_session
from adapters.moneybird.settings import MoneybirdSettings
from connector.auth.login import LoginError, redirect_uri_for, run_login
from connector.auth.oauth import OAuthSession
from connector.domain.clock import Clock
from connector.http import make_http
from connector.platforms.spec import Choice, WebLoginRequest

#: the local callback port (register ``http://127.0.0.1:8766/callback`` with the Moneybird app)
REDIRECT_PORT = 8766


def administration_lines(rows: list[dict[str, Any]], configured: str) -> list[str]:
    """One line per administration, the client file's marked."""
    out = []
    for row in rows:
        line = mapping.administration_line(row)
        mark = "  (in the client file)" if line.endswith(f"(administration {configured})") else ""
        out.append(f"  {line}{mark}")
    return out


def login_moneybird(
    slug: str,
    settings: MoneybirdSettings,
    display_name: str,
    tokens: Any,
    clock: Clock,
    *,
    open_browser: bool | Callable[[str], object] = True,
    echo: Callable[[str], object] = print,
    timeout: float = 300,
    redirect_port: int = REDIRECT_PORT,
    paste: Callable[[], str] | None = None,
) -> list[str]:
    """Consent, store the tokens, list the reachable administrations; returns the lines.

    Raises:
        LoginError: the client file's administration is not reachable with this login (the
            message lists those that are).
    """
    accounts = settings.effective_accounts_url
    redirect = redirect_uri_for(redirect_port)
    http = make_http(clock=clock, name="moneybird-oauth", max_read_attempts=1)
    oauth = oauth_session(
        http, settings.client_id, settings.client_secret.get_secret_value(), redirect
    )
    url, state = authorize_url(oauth, accounts)

    def show(target: str) -> object:
        echo(f"Open this URL to connect {display_name} to Moneybird:\n  {target}")
        if callable(open_browser):
            return open_browser(target)
        return webbrowser.open(target) if open_browser else None

    answer = run_login(
        url,
        lambda code: exchange_code(oauth, accounts, code),
        redirect_port=redirect_port,
        state=state,
        open_browser=show,
        timeout=timeout,
        paste=paste,
    )
    assert answer.refresh_token is not None
    now = clock.now()
    tokens.put_initial(
        slug,
        "default",
        "moneybird",
        refresh_token=answer.refresh_token,
        access_token=answer.access_token,
        expires_at=now + timedelta(seconds=answer.expires_in),
        now=now,
    )
    client = moneybird_client(
        settings, moneybird_token_manager(settings, tokens, tenant=slug, clock=clock), clock
    )
    lines = administration_lines(client.administrations(), settings.administration_id)
    listing = "\n".join(lines) or "  (none)"
    if not any(line.endswith("(in the client file)") for line in lines):
        raise LoginError(
            f"administration {settings.administration_id} from the client file is not "
            f"reachable with this login. Administrations this login reaches:\n{listing}"
        )
    echo("Administrations this login reaches:\n" + listing)
    return lines


# -- the console's Connect (connector.platforms.WebLogin) ---------------------------------------
def _web_settings(request: WebLoginRequest) -> MoneybirdSettings:
    assert isinstance(request.settings, MoneybirdSettings)
    return request.settings


def _web_oauth(request: WebLoginRequest) -> OAuthSession:
    settings = _web_settings(request)
    http = make_http(clock=request.clock, name="moneybird-oauth", max_read_attempts=1)
    return oauth_session(
        http,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        request.redirect_uri,
    )


def web_authorize_url(request: WebLoginRequest) -> str:
    settings = _web_settings(request)
    url, _ = authorize_url(
        _web_oauth(request), settings.effective_accounts_url, state=request.state
    )
    return url


def web_exchange(request: WebLoginRequest, code: str, extra: Mapping[str, str]) -> None:
    settings = _web_settings(request)
    answer = exchange_code(_web_oauth(request), settings.effective_accounts_url, code)
    assert answer.refresh_token is not None
    now = request.clock.now()
    request.tokens.put_initial(
        request.slug,
        "default",
        "moneybird",
        refresh_token=answer.refresh_token,
        access_token=answer.access_token,
        expires_at=now + timedelta(seconds=answer.expires_in),
        now=now,
    )


def _web_rows(request: WebLoginRequest) -> list[dict[str, Any]]:
    settings = _web_settings(request)
    tokens = moneybird_token_manager(
        settings, request.tokens, tenant=request.slug, clock=request.clock
    )
    return moneybird_client(settings, tokens, request.clock).administrations()


def web_administrations(request: WebLoginRequest) -> tuple[str, list[Choice], bool]:
    """The page's question after consent: which of the administrations this login reaches to
    follow (one: a client file is one administration); the client file's comes picked."""
    configured = _web_settings(request).administration_id
    choices = []
    for row in _web_rows(request):
        ref = mapping.record_id(row.get("id"), "administration")
        choices.append(
            Choice(
                value=ref,
                label=mapping.administration_line(row),
                notes=("in the client file",) if ref == configured else (),
                selected=ref == configured,
            )
        )
    return "Administration", choices, False


def web_settle(request: WebLoginRequest, picked: list[str]) -> dict[str, Any]:
    """The picked administration, checked against what the login reaches, goes into the client
    file."""
    if len(picked) != 1:
        raise ValueError("choose one administration")
    reachable = {mapping.record_id(r.get("id"), "administration") for r in _web_rows(request)}
    if picked[0] not in reachable:
        raise ValueError(f"administration {picked[0]} is not reachable with this login")
    return {"administration_id": picked[0]}
