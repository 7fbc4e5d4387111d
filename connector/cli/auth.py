"""`dunning auth login` and `dunning auth set-token`: connect a client's ledger (OAuth 2.0)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from connector.cli._common import ClientArg, by_whom, fail, open_client, record_command
from connector.domain.clock import SystemClock

auth_app = typer.Typer(help="Connect a client's ledger (OAuth 2.0).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(auth_app, name="auth")


@auth_app.command("login")
def auth_login(
    ctx: typer.Context,
    client: ClientArg,
    no_browser: Annotated[
        bool,
        typer.Option(
            "--no-browser",
            help="No browser here (container, SSH): print the consent URL, open it anywhere, "
            "then paste the URL it leads to (or the code).",
        ),
    ] = False,
    division: Annotated[
        int | None,
        typer.Option(
            "--division", help="Exact Online: the division to connect (listed when not given)."
        ),
    ] = None,
) -> None:
    """Open the platform's consent page and capture the authorization code on a local callback
    (or, with --no-browser, from the redirected URL pasted back)."""
    from connector.app.errors import describe
    from connector.platforms import login

    application = open_client(ctx, client)

    def paste() -> str:
        typer.echo(
            "After consenting, your browser is sent to a page on 127.0.0.1 that will not load "
            "here.\nCopy that whole URL from the address bar (or just its code) and paste it:",
            err=True,
        )
        return sys.stdin.readline()

    try:
        login(
            client,
            application.config.clients[client],
            application.tokens,
            SystemClock(),
            open_browser=not no_browser,
            echo=typer.echo,
            division=division,
            paste=paste if no_browser else None,
        )
    except Exception as exc:
        fail(f"{client}: login failed: {describe(exc)}", 1)
    title = platform_title(application.config.clients[client].platform)
    record_command(
        application,
        client,
        "connect",
        f"connected {title}",
        by=by_whom(None),
        command="auth login",
        clock=SystemClock(),
    )
    typer.echo(f"{client}: connected")


def platform_title(name: str) -> str:
    """How people name the platform ("Zoho Books"), for the audit trail."""
    from connector.platforms.registry import platforms

    found = platforms().get(name)
    return found.title if found is not None else name


@auth_app.command("set-token")
def auth_set_token(
    ctx: typer.Context,
    client: ClientArg,
    refresh_token: Annotated[
        str | None,
        typer.Option(
            "--refresh-token",
            help="Discouraged (visible in `ps` and shell history): give the token on standard "
            "input or in env DUNNING_REFRESH_TOKEN instead.",
            envvar="DUNNING_REFRESH_TOKEN",
            show_envvar=True,
        ),
    ] = None,
) -> None:
    """Store a refresh token obtained elsewhere (headless set-ups), read from standard input (or
    env DUNNING_REFRESH_TOKEN). It is encrypted at rest."""
    application = open_client(ctx, client)
    source = ctx.get_parameter_source("refresh_token")
    if refresh_token and source is not None and source.name == "COMMANDLINE":
        typer.echo(
            "warning: a token on the command line is visible to other users (`ps`) and in shell "
            "history; next time pipe it in: `dunning auth set-token CLIENT < token.txt`",
            err=True,
        )
    if not refresh_token:
        if sys.stdin.isatty():
            import getpass

            refresh_token = getpass.getpass("refresh token (not shown): ")
        else:
            refresh_token = sys.stdin.readline()
        refresh_token = refresh_token.strip()
    if not refresh_token:
        fail("no refresh token: pipe it on standard input or set DUNNING_REFRESH_TOKEN")
    application.tokens.put_initial(
        client,
        "default",
        application.config.clients[client].platform,
        refresh_token=refresh_token,
        now=SystemClock().now(),
    )
    record_command(
        application,
        client,
        "connect",
        f"stored a refresh token for {platform_title(application.config.clients[client].platform)}",
        by=by_whom(None),
        command="auth set-token",
        clock=SystemClock(),
    )
    typer.echo(f"{client}: refresh token stored (encrypted)")
