"""`dunning exact …`: Exact Online helpers (the division listing, webhook subscriptions).

`dunning auth login CLIENT --division N` (in connector.cli) connects a client; these commands
help choose N and run the optional webhook endpoint. Mounted by the core's CLI through the
platform registry (`Platform.cli`).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from adapters.exact.settings import ExactSettings
from connector.cli._common import NowOption, clock_for, fail, open_app

exact_app = typer.Typer(help="Exact Online: divisions and webhooks.", no_args_is_help=True)


@exact_app.command("divisions")
def divisions(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client name (an Exact Online client).")],
    now: NowOption = None,
) -> None:
    """List the divisions the stored login can reach (from current/Me and system/Divisions),
    marking those the client file follows. Never picks one by itself."""
    from adapters.exact.adapter import exact_token_manager
    from adapters.exact.client import ExactClient
    from adapters.exact.consent import reachable_divisions
    from connector.domain.ports import LedgerError

    app = open_app(ctx)
    settings = _exact_settings(app, client)
    clock = clock_for(now, app.config.connector.timezone)
    tokens = exact_token_manager(settings, app.tokens, tenant=client, clock=clock)
    api = ExactClient(tokens, settings.effective_base_url, clock)
    configured = settings.division_list
    try:
        rows = reachable_divisions(api, configured[0] if configured else None)
    except LedgerError as exc:
        fail(f"{client}: {exc}", 1)
    for row in rows:
        typer.echo(row.line(configured))
    missing = [d for d in configured if d not in {r.code for r in rows if r.active}]
    if missing:
        fail(f"{client}: not reachable: {', '.join(map(str, missing))}", 1)


def _exact_settings(app: Any, client: str) -> ExactSettings:
    """The client file's `exact:` section; a usage error for any other client."""
    cfg = app.config.clients.get(client)
    settings = cfg.settings if cfg is not None else None
    if not isinstance(settings, ExactSettings):
        fail(f"{client!r} is not a valid Exact Online client file")
    return settings


webhooks_app = typer.Typer(
    help="Exact Online webhook subscriptions (events that bring a client's next run forward).",
    no_args_is_help=True,
)
exact_app.add_typer(webhooks_app, name="webhooks")

TopicOption = Annotated[
    list[str] | None,
    typer.Option(
        "--topic",
        help="A webhook topic (repeatable); default: Accounts, Contacts, FinancialTransactions.",
    ),
]


def _subscription_setup(ctx: typer.Context, client: str, now: str | None) -> tuple[Any, Any, str]:
    """(the Exact client settings, an ExactClient, the callback URL) of an Exact client."""
    from adapters.exact.adapter import exact_token_manager
    from adapters.exact.client import ExactClient
    from adapters.exact.webhook import callback_url

    app = open_app(ctx)
    settings = _exact_settings(app, client)
    if not settings.webhook_url:
        fail(
            f"{client}: set exact.webhook_url in the client file (the https URL where "
            "`dunning serve` receives Exact's webhooks)"
        )
    try:
        url = callback_url(settings.webhook_url, client)
    except ValueError as exc:
        fail(f"{client}: {exc}")
    clock = clock_for(now, app.config.connector.timezone)
    tokens = exact_token_manager(settings, app.tokens, tenant=client, clock=clock)
    return settings, ExactClient(tokens, settings.effective_base_url, clock), url


@webhooks_app.command("subscribe")
def webhooks_subscribe(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client name (an Exact Online client).")],
    topic: TopicOption = None,
    now: NowOption = None,
) -> None:
    """Subscribe the client's webhook URL (exact.webhook_url) to Exact's events, in every
    division the client file follows. Idempotent: existing subscriptions are listed first and
    only missing ones are created."""
    from adapters.exact.webhook import DEFAULT_TOPICS, subscribe
    from connector.domain.ports import LedgerError

    settings, api, url = _subscription_setup(ctx, client, now)
    if settings.webhook_secret is None:
        fail(
            f"{client}: set exact.webhook_secret first (the app's webhook secret from Exact's "
            "app centre): without it `dunning serve` ignores this client's events"
        )
    try:
        done = subscribe(api, settings.division_list, url, topic or DEFAULT_TOPICS)
    except ValueError as exc:
        fail(f"{client}: {exc}")
    except LedgerError as exc:
        fail(f"{client}: {exc}", 1)
    for division, name, created in done:
        state = "subscribed" if created else "already subscribed"
        typer.echo(f"division {division}  {name:<22} {state}  -> {url}")


@webhooks_app.command("list")
def webhooks_list(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client name (an Exact Online client).")],
    now: NowOption = None,
) -> None:
    """List the webhook subscriptions in the client's divisions (this app's, as Exact shows
    them), marking those that point at this client's webhook URL."""
    from adapters.exact.webhook import subscriptions
    from connector.domain.ports import LedgerError

    settings, api, url = _subscription_setup(ctx, client, now)
    try:
        found = subscriptions(api, settings.division_list)
    except LedgerError as exc:
        fail(f"{client}: {exc}", 1)
    if not found:
        typer.echo(f"{client}: no webhook subscriptions")
    for sub in found:
        mark = "" if sub.callback_url == url else "  (another URL)"
        typer.echo(f"division {sub.division}  {sub.topic:<22} {sub.callback_url}{mark}")


@webhooks_app.command("remove")
def webhooks_remove(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client name (an Exact Online client).")],
    topic: TopicOption = None,
    now: NowOption = None,
) -> None:
    """Remove the client's subscriptions (those pointing at its exact.webhook_url; --topic to
    remove only some). Subscriptions to other URLs are left alone."""
    from adapters.exact.webhook import unsubscribe
    from connector.domain.ports import LedgerError

    settings, api, url = _subscription_setup(ctx, client, now)
    try:
        removed = unsubscribe(api, settings.division_list, url, topic)
    except ValueError as exc:
        fail(f"{client}: {exc}")
    except LedgerError as exc:
        fail(f"{client}: {exc}", 1)
    if not removed:
        typer.echo(f"{client}: no subscription to remove")
    for sub in removed:
        typer.echo(f"division {sub.division}  {sub.topic:<22} removed")
