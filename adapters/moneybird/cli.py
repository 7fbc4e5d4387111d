"""`dunning moneybird …`: Moneybird helpers, mounted by the core's CLI through the platform
registry (`Platform.cli`).

  * ``administrations CLIENT``: the administrations the stored login reaches;
  * ``webhooks subscribe CLIENT``: payment and state events to `dunning serve`'s listener;
  * ``release CLIENT``: resume Moneybird's own reminder workflow for every open invoice the
    connector paused, when a client stops being dunned by the connector (remove the client file
    afterwards; as long as it is enabled, the next sync pauses them again).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from adapters.moneybird.settings import MoneybirdSettings
from connector.cli._common import NowOption, clock_for, fail, open_app

moneybird_app = typer.Typer(
    help="Moneybird: administrations, webhooks, releasing a client.", no_args_is_help=True
)
webhooks_app = typer.Typer(
    help="Moneybird webhooks (payment and state events bring a client's next run forward).",
    no_args_is_help=True,
)
moneybird_app.add_typer(webhooks_app, name="webhooks")

ClientArgument = Annotated[str, typer.Argument(help="Client name (a Moneybird client).")]


def _setup(ctx: typer.Context, client: str, now: str | None) -> tuple[MoneybirdSettings, Any]:
    """(the client's settings, a MoneybirdClient on its stored login)."""
    from adapters.moneybird.adapter import moneybird_client, moneybird_token_manager

    app = open_app(ctx)
    cfg = app.config.clients.get(client)
    settings = cfg.settings if cfg is not None else None
    if not isinstance(settings, MoneybirdSettings):
        fail(f"{client!r} is not a valid Moneybird client file")
    clock = clock_for(now, app.config.connector.timezone)
    tokens = moneybird_token_manager(settings, app.tokens, tenant=client, clock=clock)
    return settings, moneybird_client(settings, tokens, clock)


@moneybird_app.command("administrations")
def administrations(ctx: typer.Context, client: ClientArgument, now: NowOption = None) -> None:
    """List the administrations the stored login reaches, marking the client file's."""
    from adapters.moneybird.login import administration_lines
    from connector.domain.ports import LedgerError

    settings, api = _setup(ctx, client, now)
    try:
        lines = administration_lines(api.administrations(), settings.administration_id)
    except LedgerError as exc:
        fail(f"{client}: {exc}", 1)
    for line in lines:
        typer.echo(line)
    if not any(line.endswith("(in the client file)") for line in lines):
        fail(f"{client}: administration {settings.administration_id} is not reachable", 1)


@webhooks_app.command("subscribe")
def webhooks_subscribe(ctx: typer.Context, client: ClientArgument, now: NowOption = None) -> None:
    """Subscribe the client's webhook URL (moneybird.webhook_url with its token) to payment and
    state events. Idempotent: an existing webhook with that URL is kept."""
    from adapters.moneybird.webhook import EVENTS, callback_url, subscribe
    from connector.domain.ports import LedgerError

    settings, api = _setup(ctx, client, now)
    if not settings.webhook_url or settings.webhook_token is None:
        fail(
            f"{client}: set moneybird.webhook_url (where `dunning serve` is reached) and "
            "moneybird.webhook_token (${ENV}, an unguessable token) in the client file"
        )
    try:
        url = callback_url(settings.webhook_url, client, settings.webhook_token.get_secret_value())
    except ValueError as exc:
        fail(f"{client}: {exc}")
    try:
        ref, created = subscribe(api, url, EVENTS)
    except LedgerError as exc:
        fail(f"{client}: {exc}", 1)
    shown = url.rsplit(":", 1)[0] + ":<token>"
    state = "subscribed" if created else "already subscribed"
    typer.echo(f"{client}: {state} ({', '.join(EVENTS)}) -> {shown} (webhook {ref})")


@moneybird_app.command("release")
def release(ctx: typer.Context, client: ClientArgument, now: NowOption = None) -> None:
    """Resume Moneybird's own reminder workflow for every open invoice whose workflow is paused
    (reads every invoice: one call per 100, then one per paused invoice)."""
    from adapters.moneybird import mapping
    from adapters.moneybird.endpoints import DUNNABLE_STATES, PENDING_STATES, RESUME
    from connector.domain.ports import LedgerError

    _settings, api = _setup(ctx, client, now)
    resumed: list[str] = []
    try:
        ids = sorted(mapping.versions(api.sales_invoice_versions()))
        for records in api.sales_invoices(ids):
            for record in records:
                if mapping.is_paused(record) and mapping.state(record) in (
                    *DUNNABLE_STATES,
                    *PENDING_STATES,
                ):
                    invoice = mapping.invoice_from_record(record)
                    api.write(RESUME, id=invoice.ref)
                    resumed.append(invoice.number)
    except LedgerError as exc:
        done = f" (resumed before the failure: {', '.join(resumed)})" if resumed else ""
        fail(f"{client}: {exc}{done}", 1)
    if not resumed:
        typer.echo(f"{client}: no paused open invoice")
        return
    typer.echo(f"{client}: Moneybird's own reminders resumed for {', '.join(resumed)}")
