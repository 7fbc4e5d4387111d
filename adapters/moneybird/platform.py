"""Moneybird as the core sees it: the `Platform` the registry finds by the entry point
``moneybird = "adapters.moneybird.platform:PLATFORM"``.

The adapter itself is imported when a ledger or a login is asked for: loading the registry
(every `dunning` command does) stays cheap."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from adapters.moneybird.settings import MoneybirdSettings
from connector.domain.ports import Ledger
from connector.platforms.spec import (
    Choice,
    LedgerRequest,
    LoginRequest,
    Platform,
    WebhookReceiver,
    Webhooks,
    WebLogin,
    WebLoginRequest,
)

if TYPE_CHECKING:
    import typer

#: the largest push body accepted (adapters/moneybird/webhook.py's MAX_BODY)
MAX_WEBHOOK_BODY = 256 * 1024

#: 150 requests per 5 minutes per user (Moneybird help centre, "API token limiet"): 43,200 a day
DAILY_CALLS = 150 * 12 * 24


def _settings(value: object) -> MoneybirdSettings:
    assert isinstance(value, MoneybirdSettings), "the loader validated the moneybird: section"
    return value


def build_ledger(request: LedgerRequest) -> Ledger:
    from adapters.moneybird.adapter import moneybird_ledger_from_settings
    from connector.mail import SmtpMailer

    client = request.client
    assert client.mail is not None  # the loader requires it: some steps go by SMTP
    return moneybird_ledger_from_settings(
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
    from adapters.moneybird.login import login_moneybird

    login_moneybird(
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


def web_authorize_url(request: WebLoginRequest) -> str:
    from adapters.moneybird.login import web_authorize_url as url

    return url(request)


def web_exchange(request: WebLoginRequest, code: str, extra: Mapping[str, str]) -> None:
    from adapters.moneybird.login import web_exchange as exchange

    exchange(request, code, extra)


def web_administrations(request: WebLoginRequest) -> tuple[str, list[Choice], bool]:
    from adapters.moneybird.login import web_administrations as administrations

    return administrations(request)


def web_settle(request: WebLoginRequest, picked: list[str]) -> dict[str, Any]:
    from adapters.moneybird.login import web_settle as settle

    return settle(request, picked)


def webhook_secret(settings: object) -> str | None:
    """The client's webhook token (None: its pushes are refused)."""
    from connector.logs.redact import register_secret

    token = _settings(settings).webhook_token
    if token is None:
        return None
    register_secret(token.get_secret_value())  # it is part of the URL the listener may log
    return token.get_secret_value()


def webhook_receiver(now: Callable[[], datetime]) -> WebhookReceiver:
    """`handle` checks the token in the URL; a push only brings the next run forward, so a
    repeated one changes nothing (no memory of pushes seen is needed)."""
    from adapters.moneybird.webhook import handle

    def receive(
        path: str,
        body: bytes,
        secrets: Mapping[str, str],
        trigger: Callable[[str, dict[str, Any]], None],
    ) -> tuple[int, str]:
        return handle(path, body, secrets, trigger)

    return receive


def cli() -> typer.Typer:
    """`dunning moneybird administrations|webhooks|release ...`."""
    from adapters.moneybird.cli import moneybird_app

    return moneybird_app


def daily_api_budget(settings: object) -> int | None:
    """Moneybird's limit is per user, shared by the clients of that user: the day's calls at the
    limit's pace (the budget alert compares a client's use with it)."""
    return DAILY_CALLS


def ledger_keys(settings: object) -> list[tuple[str, str]]:
    moneybird = _settings(settings)
    return [
        (
            "administration_id",
            f"Moneybird administration {moneybird.administration_id} at "
            f"{moneybird.effective_api_url}",
        )
    ]


PLATFORM = Platform(
    name="moneybird",
    title="Moneybird",
    settings_model=MoneybirdSettings,
    build_ledger=build_ledger,
    login=login,
    daily_api_budget=daily_api_budget,
    ledger_keys=ledger_keys,
    # reminders go through Moneybird, but statements, letters and thank-you mails cannot: the
    # client file needs a `mail:` relay
    sends_reminders=False,
    webhooks=Webhooks(
        receiver=webhook_receiver,
        secret=webhook_secret,
        max_body=MAX_WEBHOOK_BODY,
        path_hint="/moneybird/webhook/<client>:<token>",
    ),
    cli=cli,
    web_login=WebLogin(
        authorize_url=web_authorize_url,
        exchange=web_exchange,
        after=web_administrations,
        settle=web_settle,
    ),
)
