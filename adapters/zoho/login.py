"""`dunning auth login` for Zoho Books: the authorization-code flow on a local callback.

Multi-DC accounts: Zoho tells the callback which accounts server the user belongs to
(``accounts-server``); the code is exchanged there, but only when it is one of Zoho's own servers
(never a redirect to an arbitrary host), and an explicit `accounts_url` override (a sandbox)
always wins.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from datetime import timedelta

from adapters.zoho.auth import authorize_url, exchange_code, oauth_session
from adapters.zoho.settings import ZOHO_ACCOUNTS_HOSTS, ZohoSettings
from connector.auth.login import CallbackParams, redirect_uri_for, run_login
from connector.config.models import is_official_host
from connector.domain.clock import Clock
from connector.http import make_http
from connector.store.tokens import TokenRepository


def login_zoho(
    slug: str,
    zoho: ZohoSettings,
    display_name: str,
    tokens: TokenRepository,
    clock: Clock,
    *,
    open_browser: bool | Callable[[str], object] = True,
    echo: Callable[[str], object] = print,
    timeout: float = 300,
    paste: Callable[[], str] | None = None,
) -> None:
    """Consent in the browser (or pasted back), exchange the code, store the tokens."""
    port = zoho.redirect_port
    redirect = redirect_uri_for(port)
    http = make_http(clock=clock, name="zoho-accounts", max_read_attempts=1)
    oauth = oauth_session(http, zoho.client_id, zoho.client_secret.get_secret_value(), redirect)
    url, state = authorize_url(oauth, zoho.effective_accounts_url)
    accounts = {"url": zoho.effective_accounts_url}

    def show(target: str) -> object:
        echo(f"Open this URL to connect {display_name}:\n  {target}")
        if callable(open_browser):
            return open_browser(target)
        return webbrowser.open(target) if open_browser else None

    def note_dc(params: CallbackParams) -> None:
        server = params.extra.get("accounts-server")
        if server and zoho.accounts_url is None and is_zoho_accounts(server):
            accounts["url"] = server

    answer = run_login(
        url,
        lambda code: exchange_code(oauth, accounts["url"], code),
        redirect_port=port,
        state=state,
        open_browser=show,
        timeout=timeout,
        on_callback=note_dc,
        paste=paste,
    )
    assert answer.refresh_token is not None
    tokens.put_initial(
        slug,
        "default",
        "zoho",
        refresh_token=answer.refresh_token,
        access_token=answer.access_token,
        expires_at=clock.now() + timedelta(seconds=answer.expires_in),
        api_domain=answer.api_domain,
        now=clock.now(),
    )


def is_zoho_accounts(url: str) -> bool:
    """One of Zoho's own accounts servers, matched exactly (not `accounts.zoho.evil.example`)."""
    return is_official_host(url.rstrip("/"), ZOHO_ACCOUNTS_HOSTS)
