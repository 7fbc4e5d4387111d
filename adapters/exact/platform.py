"""Exact Online as the core sees it: the `Platform` the registry finds by the entry point
``exact = "adapters.exact.platform:PLATFORM"``.

The adapter itself is imported when a ledger, a login or a token manager is asked for: loading
the registry (every `dunning` command does) stays cheap."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from adapters.exact.settings import ExactServiceSettings, ExactSettings
from adapters.exact.webhook import MAX_BODY, ReplayGuard, handle
from connector.domain.clock import Clock
from connector.domain.ports import Ledger
from connector.platforms.spec import (
    Choice,
    KeepAlive,
    LedgerRequest,
    LoginRequest,
    Platform,
    WebhookReceiver,
    Webhooks,
    WebLogin,
    WebLoginRequest,
)
from connector.store.tokens import TokenRepository

if TYPE_CHECKING:
    import typer

#: Exact Online: 5,000 calls per app per division per day, reset 00:00 UTC (exact-online.md).
DAILY_CALLS_PER_DIVISION = 5000


def _settings(value: object) -> ExactSettings:
    assert isinstance(value, ExactSettings), "the loader validated the exact: section"
    return value


def build_ledger(request: LedgerRequest) -> Ledger:
    from adapters.exact.adapter import exact_ledger_from_settings
    from adapters.exact.consent import require_divisions
    from connector.mail import SmtpMailer

    require_divisions(_settings(request.settings))
    client = request.client
    assert client.mail is not None  # the loader requires it for a platform that cannot send
    # Exact cannot send reminders: the adapter mails them over the client's SMTP relay
    return exact_ledger_from_settings(
        _settings(request.settings),
        request.tokens,
        tenant=request.slug,
        clock=request.clock,
        mailer=SmtpMailer(client.mail),
        mail_from=client.mail.from_,
        sender_name=client.sender.name,
        # the client's chosen reply address, else the sender's when the relay's differs
        reply_to=client.reply_to
        or (client.sender.email if client.sender.email != client.mail.from_ else None),
        metrics=request.metrics,
        limiters=request.limiters,
    )


def login(request: LoginRequest) -> None:
    from adapters.exact.consent import login_exact

    login_exact(
        request.slug,
        _settings(request.settings),
        request.tokens,
        request.clock,
        division=request.division,
        open_browser=request.open_browser,
        echo=request.echo,
        timeout=request.timeout,
        paste=request.paste,
    )


def web_authorize_url(request: WebLoginRequest) -> str:
    from adapters.exact.consent import web_authorize_url as url

    return url(request)


def web_exchange(request: WebLoginRequest, code: str, extra: Mapping[str, str]) -> None:
    from adapters.exact.consent import web_exchange as exchange

    exchange(request, code, extra)


def web_divisions(request: WebLoginRequest) -> tuple[str, list[Choice], bool]:
    from adapters.exact.consent import web_divisions as divisions

    return divisions(request)


def web_settle(request: WebLoginRequest, picked: list[str]) -> dict[str, Any]:
    from adapters.exact.consent import web_settle as settle

    return settle(request, picked)


def daily_api_budget(settings: object) -> int | None:
    return DAILY_CALLS_PER_DIVISION * len(_settings(settings).division_list)


def ledger_keys(settings: object) -> list[tuple[str, str]]:
    exact = _settings(settings)
    host = exact.effective_base_url
    key = "division" if exact.division is not None else "divisions"
    return [(key, f"Exact division {d} at {host}") for d in exact.division_list]


def keep_alive(settings: object, store: TokenRepository, tenant: str, clock: Clock) -> KeepAlive:
    """Exact's refresh tokens lapse after about 30 days unused: upkeep refreshes them daily."""
    from adapters.exact.adapter import exact_token_manager

    return exact_token_manager(_settings(settings), store, tenant=tenant, clock=clock)


def webhook_secret(settings: object) -> str | None:
    secret = _settings(settings).webhook_secret
    return None if secret is None else secret.get_secret_value()


def webhook_receiver(
    now: Callable[[], datetime],
) -> WebhookReceiver:
    """`handle` with this service's memory of events seen (a replay is acknowledged only)."""
    guard = ReplayGuard(now)

    def receive(
        path: str,
        body: bytes,
        secrets: Mapping[str, str],
        trigger: Callable[[str, dict[str, Any]], None],
    ) -> tuple[int, str]:
        return handle(path, body, secrets, trigger, guard)

    return receive


def cli() -> typer.Typer:
    """`dunning exact divisions|webhooks ...`."""
    from adapters.exact.cli import exact_app

    return exact_app


PLATFORM = Platform(
    name="exact",
    title="Exact Online",
    settings_model=ExactSettings,
    build_ledger=build_ledger,
    login=login,
    daily_api_budget=daily_api_budget,
    ledger_keys=ledger_keys,
    sends_reminders=False,
    profiles_known=False,
    takes_division=True,
    keep_alive=keep_alive,
    webhooks=Webhooks(
        receiver=webhook_receiver,
        secret=webhook_secret,
        max_body=MAX_BODY,
        path_hint="/exact/webhook/<client>",
    ),
    cli=cli,
    service_settings_model=ExactServiceSettings,
    web_login=WebLogin(
        authorize_url=web_authorize_url,
        exchange=web_exchange,
        after=web_divisions,
        settle=web_settle,
    ),
)
