"""The one place that maps a client's `platform:` to its adapter, through the registry.

Each adapter package exports one `Platform` (`connector.platforms.spec`) and declares it as a
package entry point (`connector.platforms.registry`); nothing in `connector` imports an adapter.
The functions here are what the rest of the core calls: build a client's ledger, log in, the
daily API budget.
"""

from __future__ import annotations

from collections.abc import Callable

from connector.config import ClientConfig, ConnectorConfig
from connector.domain.clock import Clock
from connector.domain.ports import Ledger
from connector.http import HttpMetrics, LimiterFactory
from connector.platforms.registry import UnknownPlatform, get_platform, platforms
from connector.platforms.spec import (
    KeepAlive,
    LedgerRequest,
    LoginRequest,
    Platform,
    UnsupportedPlatform,
    WebhookReceiver,
    Webhooks,
)
from connector.store.tokens import TokenRepository

__all__ = [
    "KeepAlive",
    "LedgerRequest",
    "LoginRequest",
    "Platform",
    "UnknownPlatform",
    "UnsupportedPlatform",
    "WebhookReceiver",
    "Webhooks",
    "build_ledger",
    "daily_api_budget",
    "get_platform",
    "login",
    "platform_of",
    "platforms",
]


def platform_of(slug: str, client: ClientConfig) -> Platform:
    """The client's platform.

    Raises:
        UnsupportedPlatform: it is not installed (the message names the client).
    """
    try:
        return get_platform(client.platform)
    except UnknownPlatform as exc:
        raise UnsupportedPlatform(f"{slug}: {exc}") from None


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
    platform = platform_of(slug, client)
    request = LedgerRequest(
        slug=slug,
        client=client,
        settings=client.settings,
        connector=connector,
        tokens=tokens,
        clock=clock,
        metrics=metrics,
        limiters=limiters,
    )
    return platform.build_ledger(request)


def daily_api_budget(client: ClientConfig) -> int | None:
    """The platform's daily API quota for this client, or None when it is not known (a Zoho
    client without `plan:`); the budget alert uses it."""
    try:
        platform = get_platform(client.platform)
    except UnknownPlatform:
        return None
    settings = client.settings
    return None if settings is None else platform.daily_api_budget(settings)


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
    `division`: the explicit division choice, for platforms that take one (Exact Online)."""
    platform = platform_of(slug, client)
    if division is not None and not platform.takes_division:
        titles = " / ".join(p.title for p in platforms().values() if p.takes_division)
        raise UnsupportedPlatform(f"{slug}: --division is for {titles} clients")
    platform.login(
        LoginRequest(
            slug=slug,
            client=client,
            settings=client.settings,
            tokens=tokens,
            clock=clock,
            open_browser=open_browser,
            echo=echo,
            timeout=timeout,
            division=division,
            paste=paste,
        )
    )
