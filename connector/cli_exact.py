"""`dunning exact …`: Exact Online helpers (the division listing, the webhook receiver).

`dunning auth login CLIENT --division N` (in connector.cli) connects a client; these commands
help choose N and run the optional webhook endpoint.
"""

from __future__ import annotations

from typing import Annotated

import typer

from connector.cli_common import NowOption, clock_for, fail, open_app

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
    from connector.ports import LedgerError

    app = open_app(ctx)
    cfg = app.config.clients.get(client)
    if cfg is None or cfg.platform != "exact" or cfg.exact is None:
        fail(f"{client!r} is not a valid Exact Online client file")
    clock = clock_for(now, app.config.connector.timezone)
    tokens = exact_token_manager(cfg.exact, app.tokens, tenant=client, clock=clock)
    api = ExactClient(tokens, cfg.exact.effective_base_url, clock)
    configured = cfg.exact.division_list
    try:
        rows = reachable_divisions(api, configured[0])
    except LedgerError as exc:
        fail(f"{client}: {exc}", 1)
    for row in rows:
        typer.echo(row.line(configured))
    missing = [d for d in configured if d not in {r.code for r in rows if r.active}]
    if missing:
        fail(f"{client}: not reachable: {', '.join(map(str, missing))}", 1)


def register(app: typer.Typer) -> None:
    app.add_typer(exact_app, name="exact")
