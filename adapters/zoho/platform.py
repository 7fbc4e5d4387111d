"""Zoho Books as the core sees it: the `Platform` the registry finds by the entry point
``zoho = "adapters.zoho.platform:PLATFORM"``.

The adapter itself is imported when a ledger or a login is asked for: loading the registry
(every `dunning` command does) stays cheap."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from adapters.zoho.settings import ZohoSettings
from connector.domain.ports import Ledger
from connector.platforms.spec import (
    Choice,
    LedgerRequest,
    LoginRequest,
    Platform,
    WebLogin,
    WebLoginRequest,
)

#: Zoho Books daily API calls per organisation, by plan (reference/zoho-books.md §3).
DAILY_CALLS = {
    "free": 1000,
    "standard": 2000,
    "professional": 5000,
    "premium": 10000,
    "elite": 10000,
    "ultimate": 10000,
}


def _settings(value: object) -> ZohoSettings:
    assert isinstance(value, ZohoSettings), "the loader validated the zoho: section"
    return value


def build_ledger(request: LedgerRequest) -> Ledger:
    from adapters.zoho.adapter import zoho_ledger_from_settings

    return zoho_ledger_from_settings(
        _settings(request.settings),
        request.tokens,
        tenant=request.slug,
        timezone=request.timezone,
        clock=request.clock,
        lag=timedelta(minutes=5),
        metrics=request.metrics,
        limiters=request.limiters,
    )


def login(request: LoginRequest) -> None:
    from adapters.zoho.login import login_zoho

    login_zoho(
        request.slug,
        _settings(request.settings),
        request.client.display_name,
        request.tokens,
        request.clock,
        open_browser=request.open_browser,
        echo=request.echo,
        timeout=request.timeout,
        paste=request.paste,
    )


def data_centres(settings: object) -> tuple[str, list[Choice]]:
    from adapters.zoho.login import data_centres as choices

    return choices(settings)


def web_authorize_url(request: WebLoginRequest) -> str:
    from adapters.zoho.login import web_authorize_url as url

    return url(request)


def web_exchange(request: WebLoginRequest, code: str, extra: Mapping[str, str]) -> None:
    from adapters.zoho.login import web_exchange as exchange

    exchange(request, code, extra)


def web_settle(request: WebLoginRequest, picked: list[str]) -> dict[str, Any]:
    from adapters.zoho.login import web_settle as settle

    return settle(request, picked)


def daily_api_budget(settings: object) -> int | None:
    """By the organisation's plan; None without `plan:`."""
    plan = _settings(settings).plan
    return DAILY_CALLS.get(plan) if plan else None


def ledger_keys(settings: object) -> list[tuple[str, str]]:
    zoho = _settings(settings)
    return [
        (
            "organization_id",
            f"Zoho organisation {zoho.organization_id} at {zoho.effective_api_url}",
        )
    ]


PLATFORM = Platform(
    name="zoho",
    title="Zoho Books",
    settings_model=ZohoSettings,
    build_ledger=build_ledger,
    login=login,
    daily_api_budget=daily_api_budget,
    ledger_keys=ledger_keys,
    web_login=WebLogin(
        authorize_url=web_authorize_url,
        exchange=web_exchange,
        before=data_centres,
        settle=web_settle,
    ),
)
