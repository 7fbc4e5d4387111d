"""`dunning auth login` for Zoho Books: the authorization-code flow on a local callback.

Multi-DC accounts: Zoho tells the callback which accounts server the user belongs to
(``accounts-server``); the code is exchanged there, but only when it is one of Zoho's own servers
(never a redirect to an arbitrary host), and an explicit `accounts_url` override (a sandbox)
always wins.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import get_args

from adapters.zoho.auth import authorize_url, exchange_code, oauth_session
from adapters.zoho.settings import (
    ZOHO_ACCOUNTS_HOSTS,
    ZohoDataCenter,
    ZohoSettings,
    zoho_hosts,
)
from connector.auth.login import CallbackParams, redirect_uri_for, run_login
from connector.auth.tokens import TokenResponse
from connector.config.models import is_official_host
from connector.domain.clock import Clock
from connector.http import make_http
from connector.platforms.spec import Choice, WebLoginRequest
from connector.store.tokens import TokenRepository

#: the data centres as a person knows them: where they log in to Zoho Books
DATA_CENTRE_NAMES: dict[str, str] = {
    "com": "United States (zoho.com)",
    "eu": "Europe (zoho.eu)",
    "in": "India (zoho.in)",
    "com.au": "Australia (zoho.com.au)",
    "jp": "Japan (zoho.jp)",
    "ca": "Canada (zohocloud.ca)",
    "com.cn": "China (zoho.com.cn)",
    "sa": "Saudi Arabia (zoho.sa)",
}


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
    _store(slug, answer, tokens, clock)


def _store(slug: str, answer: TokenResponse, tokens: TokenRepository, clock: Clock) -> None:
    """The tokens of a new consent, as every login stores them."""
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


# -- connecting from the web console (the callback on the console's own URL) -----------------
def _web_settings(request: WebLoginRequest) -> ZohoSettings:
    assert isinstance(request.settings, ZohoSettings), "the loader validated the zoho: section"
    return request.settings


def _chosen_centre(request: WebLoginRequest) -> str:
    zoho = _web_settings(request)
    centre = request.before or zoho.data_center
    if centre not in get_args(ZohoDataCenter):
        raise ValueError("choose one of Zoho's data centres")
    return centre


def _web_accounts(request: WebLoginRequest) -> str:
    """The chosen data centre's accounts server; a configured override (a sandbox) wins."""
    zoho = _web_settings(request)
    return zoho.accounts_url or zoho_hosts(_chosen_centre(request))[0]


def data_centres(settings: object) -> tuple[str, list[Choice]]:
    """The page's question before consent: where the Zoho account lives."""
    assert isinstance(settings, ZohoSettings)
    return "Data centre", [
        Choice(
            value=centre,
            label=name,
            notes=("in the client file",) if centre == settings.data_center else (),
            selected=centre == settings.data_center,
        )
        for centre, name in DATA_CENTRE_NAMES.items()
    ]


def web_authorize_url(request: WebLoginRequest) -> str:
    zoho = _web_settings(request)
    http = make_http(clock=request.clock, name="zoho-accounts", max_read_attempts=1)
    oauth = oauth_session(
        http, zoho.client_id, zoho.client_secret.get_secret_value(), request.redirect_uri
    )
    url, _ = authorize_url(oauth, _web_accounts(request), state=request.state)
    return url


def web_exchange(request: WebLoginRequest, code: str, extra: Mapping[str, str]) -> None:
    """Exchange at the accounts server Zoho named in the callback when it is one of Zoho's own
    (multi-DC), else at the chosen data centre's; store the tokens as `login_zoho` does."""
    zoho = _web_settings(request)
    accounts = _web_accounts(request)
    server = extra.get("accounts-server")
    if server and zoho.accounts_url is None and is_zoho_accounts(server):
        accounts = server
    http = make_http(clock=request.clock, name="zoho-accounts", max_read_attempts=1)
    oauth = oauth_session(
        http, zoho.client_id, zoho.client_secret.get_secret_value(), request.redirect_uri
    )
    _store(request.slug, exchange_code(oauth, accounts, code), request.tokens, request.clock)


def web_settle(request: WebLoginRequest, picked: list[str]) -> dict[str, object]:
    """The data centre chosen on the page goes into the client file when it differs."""
    centre = _chosen_centre(request)
    return {} if centre == _web_settings(request).data_center else {"data_center": centre}


def is_zoho_accounts(url: str) -> bool:
    """One of Zoho's own accounts servers, matched exactly (not `accounts.zoho.evil.example`)."""
    return is_official_host(url.rstrip("/"), ZOHO_ACCOUNTS_HOSTS)
