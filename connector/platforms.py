"""The one place that maps a client's `platform:` to its adapter: building a ledger, logging in.

Adding a platform means adding a branch here and an `adapters/<platform>/` package; nothing
else in `connector` names a platform.
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from datetime import timedelta

from connector.auth.login import CallbackParams, redirect_uri_for, run_login
from connector.clock import Clock
from connector.config import ClientConfig, ConnectorConfig
from connector.http import HttpMetrics, LimiterFactory, make_http
from connector.ports import Ledger
from connector.store.tokens import TokenRepository


class UnsupportedPlatform(Exception):
    pass


def build_ledger(
    slug: str,
    client: ClientConfig,
    tokens: TokenRepository,
    clock: Clock,
    connector: ConnectorConfig,
    *,
    metrics: HttpMetrics | None = None,
    limiters: LimiterFactory | None = None,
) -> Ledger:
    timezone = client.timezone or connector.timezone
    if client.platform == "zoho":
        from adapters.zoho.adapter import zoho_ledger_from_settings

        assert client.zoho is not None
        return zoho_ledger_from_settings(
            client.zoho,
            tokens,
            tenant=slug,
            timezone=timezone,
            clock=clock,
            lag=timedelta(minutes=5),
            metrics=metrics,
            limiters=limiters,
        )
    if client.platform == "exact":
        from adapters.exact.adapter import exact_ledger_from_settings
        from connector.mail import SmtpMailer

        assert client.exact is not None and client.mail is not None
        # Exact cannot send reminders: the adapter mails them over the client's SMTP relay
        return exact_ledger_from_settings(
            client.exact,
            tokens,
            tenant=slug,
            clock=clock,
            mailer=SmtpMailer(client.mail),
            mail_from=client.mail.from_,
            sender_name=client.sender.name,
            reply_to=client.sender.email if client.sender.email != client.mail.from_ else None,
            metrics=metrics,
            limiters=limiters,
        )
    raise UnsupportedPlatform(
        f"{slug}: platform {client.platform!r} is not supported by this version yet"
    )


#: Zoho Books daily API calls per organisation, by plan (reference/zoho-books.md §3).
_ZOHO_DAILY_CALLS = {
    "free": 1000,
    "standard": 2000,
    "professional": 5000,
    "premium": 10000,
    "elite": 10000,
    "ultimate": 10000,
}
#: Exact Online: 5,000 calls per app per division per day, reset 00:00 UTC (exact-online.md).
_EXACT_DAILY_CALLS_PER_DIVISION = 5000


def daily_api_budget(client: ClientConfig) -> int | None:
    """The platform's daily API quota for this client, or None when it is not known (a Zoho
    client without `plan:`); the budget alert uses it."""
    if client.platform == "zoho" and client.zoho is not None:
        return _ZOHO_DAILY_CALLS.get(client.zoho.plan) if client.zoho.plan else None
    if client.platform == "exact" and client.exact is not None:
        return _EXACT_DAILY_CALLS_PER_DIVISION * len(client.exact.division_list)
    return None


def login(
    slug: str,
    client: ClientConfig,
    tokens: TokenRepository,
    clock: Clock,
    *,
    open_browser: bool | Callable[[str], object] = True,
    echo: Callable[[str], object] = print,
    timeout: float = 300,
    division: int | None = None,
    paste: Callable[[], str] | None = None,
) -> None:
    """Run the platform's authorization-code flow and store the tokens (encrypted).

    `paste`: no browser and no local callback; the user pastes the redirected URL (or code).

    Exact: `division` is the explicit division choice (see adapters.exact.consent)."""
    if client.platform == "exact" and client.exact is not None:
        from adapters.exact.consent import login_exact

        login_exact(
            slug,
            client.exact,
            tokens,
            clock,
            division=division,
            open_browser=open_browser,
            echo=echo,
            timeout=timeout,
            paste=paste,
        )
        return
    if division is not None:
        raise UnsupportedPlatform(f"{slug}: --division is for Exact Online clients")
    if client.platform != "zoho" or client.zoho is None:
        raise UnsupportedPlatform(f"{slug}: login for {client.platform!r} is not supported yet")
    from adapters.zoho.auth import authorize_url, exchange_code, oauth_session

    zoho = client.zoho
    port = zoho.redirect_port
    redirect = redirect_uri_for(port)
    http = make_http(clock=clock, name="zoho-accounts", max_read_attempts=1)
    oauth = oauth_session(http, zoho.client_id, zoho.client_secret.get_secret_value(), redirect)
    url, state = authorize_url(oauth, zoho.effective_accounts_url)
    accounts = {"url": zoho.effective_accounts_url}

    def show(target: str) -> object:
        echo(f"Open this URL to connect {client.display_name}:\n  {target}")
        if callable(open_browser):
            return open_browser(target)
        return webbrowser.open(target) if open_browser else None

    def note_dc(params: CallbackParams) -> None:
        # Multi-DC accounts: the code must be exchanged at the user's own accounts server, but
        # only when it is one of Zoho's (never follow a redirect to an arbitrary host), and an
        # explicit `accounts_url` override (sandbox) always wins.
        server = params.extra.get("accounts-server")
        if server and zoho.accounts_url is None and _is_zoho_accounts(server):
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


def _is_zoho_accounts(url: str) -> bool:
    """One of Zoho's own accounts servers, matched exactly (not `accounts.zoho.evil.example`)."""
    from connector.config.models import ZOHO_ACCOUNTS_HOSTS, is_official_host

    return is_official_host(url.rstrip("/"), ZOHO_ACCOUNTS_HOSTS)
