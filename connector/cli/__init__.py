"""The `dunning` command: a thin layer over `connector.app`, `connector.run` and friends.

Exit codes: 0 all clients ok; 1 a client failed (the others still ran, a summary is printed);
2 usage or configuration error.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from connector.cli._common import (
    AllOption,
    ClientsArg,
    DunningGroup,
    Globals,
    NowOption,
    require_client,
)
from connector.cli._common import clock_for as _clock
from connector.cli._common import fail as _fail
from connector.cli._common import globals_of as _globals
from connector.cli._common import open_app as _open_app
from connector.clock import SystemClock

app = typer.Typer(
    cls=DunningGroup,
    help="Accounts-receivable follow-up (debiteurenbeheer) on top of Zoho Books and Exact Online.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
auth_app = typer.Typer(help="Connect a client's ledger (OAuth 2.0).", no_args_is_help=True)
app.add_typer(auth_app, name="auth")


def _version(value: bool) -> None:
    if value:
        from connector import __version__

        typer.echo(f"dunning-connector {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option("--config", help="Configuration directory (env DUNNING_CONFIG)."),
    ] = None,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True, help="More output.")] = 0,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only warnings and errors.")] = False,
    log_format: Annotated[str, typer.Option("--log-format", help="text or json")] = "text",
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    """Global options may stand before or after the command: `dunning doctor --config DIR`."""
    from connector.config import resolve_config_dir
    from connector.logs import setup_logging

    setup_logging(-1 if quiet else verbose, log_format)
    ctx.obj = Globals(resolve_config_dir(config), verbose, log_format)


# -- init / doctor ------------------------------------------------------------------------
@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write the configuration.")] = Path(
        "config"
    ),
    key_only: Annotated[
        bool,
        typer.Option(
            "--key-only", help="Only create the encryption key (for a configuration you have)."
        ),
    ] = False,
) -> None:
    """Write a commented example configuration and a new encryption key; files that exist are
    kept, so it completes a configuration that lacks something (e.g. the key)."""
    from connector.config.sample import init_config

    try:
        written = init_config(directory, key_only=key_only)
    except (FileExistsError, OSError, ValueError) as exc:
        _fail(str(exc))
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"next: edit {directory}/clients/, then `dunning --config {directory} doctor`")


@app.command()
def doctor(ctx: typer.Context, now: NowOption = None) -> None:
    """Check configuration, database, templates, tokens and API reachability per client."""
    from connector.doctor import doctor as check

    config_dir = _globals(ctx).config_dir
    if not config_dir.is_dir():
        _fail(
            f"configuration directory {config_dir} does not exist; run `dunning init {config_dir}`"
        )
    lines, ok = check(config_dir, lambda tz: _clock(now, tz))
    for line in lines:
        typer.echo(line)
    raise typer.Exit(0 if ok else 1)


# -- auth ---------------------------------------------------------------------------------
@auth_app.command("login")
def auth_login(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client name.")],
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
    from connector.platforms import login

    application = _open_app(ctx)
    require_client(application, client)
    cfg = application.config.clients[client]

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
            cfg,
            application.tokens,
            SystemClock(),
            open_browser=not no_browser,
            echo=typer.echo,
            division=division,
            paste=paste if no_browser else None,
        )
    except Exception as exc:
        from connector.errors import describe

        _fail(f"{client}: login failed: {describe(exc)}", 1)
    typer.echo(f"{client}: connected")


@auth_app.command("set-token")
def auth_set_token(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client name.")],
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
    application = _open_app(ctx)
    require_client(application, client)
    cfg = application.config.clients[client]
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
        _fail("no refresh token: pipe it on standard input or set DUNNING_REFRESH_TOKEN")
    application.tokens.put_initial(
        client, "default", cfg.platform, refresh_token=refresh_token, now=SystemClock().now()
    )
    typer.echo(f"{client}: refresh token stored (encrypted)")


# -- sync / plan / run --------------------------------------------------------------------
def _selected(application, clients: list[str] | None, all_: bool) -> list[str]:  # type: ignore[no-untyped-def]
    from connector.config import ConfigError

    if not clients and not all_:
        _fail("name one or more clients, or pass --all")
    try:
        chosen = list(application.slugs(None if all_ else clients))
    except ConfigError as exc:
        _fail(str(exc))
    if not chosen:
        _fail(f"no clients configured in {application.config_dir / 'clients'}")
    return chosen


@app.command()
def sync(
    ctx: typer.Context,
    clients: ClientsArg = None,
    all_: AllOption = False,
    full: Annotated[bool, typer.Option("--full", help="Also run the full reconciliation.")] = False,
    now: NowOption = None,
) -> None:
    """Bring the local store up to date with each client's ledger."""
    from connector.app import ClientUnavailable
    from connector.ports import LedgerError
    from connector.sync import sync_tenant

    application = _open_app(ctx)
    clock = _clock(now, application.config.connector.timezone)
    failed = 0
    for slug in _selected(application, clients, all_):
        try:
            tenant = application.tenant(slug, clock)
            stats = sync_tenant(tenant.engine, tenant.ledger, slug, clock, full=full)
            typer.echo(f"{slug}: synced {stats.summary()}")
        except (ClientUnavailable, LedgerError) as exc:
            failed += 1
            typer.echo(f"{slug}: FAILED: {exc}", err=True)
    raise typer.Exit(1 if failed else 0)


@app.command()
def plan(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client name.")],
    now: NowOption = None,
    sync_first: Annotated[
        bool, typer.Option("--sync/--no-sync", help="Sync before planning.")
    ] = True,
) -> None:
    """Show what would be done for a client now, as a table (sends nothing)."""
    from connector.app import ClientUnavailable
    from connector.planview import plan_table
    from connector.ports import LedgerError
    from connector.sync import sync_tenant

    application = _open_app(ctx)
    require_client(application, client)
    clock = _clock(now, application.config.connector.timezone)
    try:
        tenant = application.tenant(client, clock)
        if sync_first:
            sync_tenant(tenant.engine, tenant.ledger, client, clock)
    except (ClientUnavailable, LedgerError) as exc:
        _fail(str(exc), 1)
    for line in plan_table(tenant, clock.now()):
        typer.echo(line)


@app.command()
def run(
    ctx: typer.Context,
    clients: ClientsArg = None,
    all_: AllOption = False,
    now: NowOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and render; send nothing.")
    ] = False,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help="Really perform as of a --now far from the real time (sandboxes, demos, tests).",
        ),
    ] = False,
) -> None:
    """Sync, plan and dispatch for each client. A failing client does not stop the others.

    With a `--now` more than an hour from the real time it performs nothing (exit 2) unless
    `--dry-run` or `--simulate` is given."""
    from connector.app import ClientUnavailable
    from connector.approval import send_digests, waiting
    from connector.clock import pretend_clock_problem
    from connector.planview import describe_planned
    from connector.run import run_tenant

    application = _open_app(ctx)
    clock = _clock(now, application.config.connector.timezone)
    if now is not None and not dry_run and not simulate:
        problem = pretend_clock_problem(clock.now(), SystemClock().now(), "dunning run")
        if problem:
            _fail(problem)
    failed = 0
    for slug in _selected(application, clients, all_):
        try:
            tenant = application.tenant(slug, clock)
        except ClientUnavailable as exc:
            failed += 1
            typer.echo(f"{'(dry run) ' if dry_run else ''}{slug}: FAILED: {exc.reason}", err=True)
            continue
        result = run_tenant(tenant, clock, dry_run=dry_run)
        for line in result.dispatch.lines:
            typer.echo(f"{'(dry run) ' if dry_run else ''}{slug}: {line}")
        if dry_run:
            for line in describe_planned(tenant, result.planned):
                typer.echo(f"(dry run) {slug}: would do: {line}")
        if dry_run:
            for item in waiting(application, slug):
                typer.echo(f"(dry run) {slug}: waiting for approval: {item.describe()}")
        typer.echo(result.summary(), err=not result.ok)
        failed += 0 if result.ok or result.skipped else 1
    if not dry_run:
        send_digests(application, clock)
    raise typer.Exit(1 if failed else 0)


@app.command()
def status(ctx: typer.Context, now: NowOption = None) -> None:
    """Per client: last run, result, token state, actions awaiting review."""
    from connector.status import status_lines

    application = _open_app(ctx)
    clock = _clock(now, application.config.connector.timezone)
    for line in status_lines(application, clock.now()):
        typer.echo(line)


# -- demo ---------------------------------------------------------------------------------
@app.command()
def demo(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the report and database.")
    ] = Path("demo-output"),
    days: Annotated[int, typer.Option("--days", help="Simulated days.")] = 90,
    seed: Annotated[int, typer.Option("--seed", help="Sample-data seed.")] = 7,
    platform: Annotated[str, typer.Option("--platform", help="zoho or exact")] = "zoho",
) -> None:
    """Run the connector against the bundled sandbox ledger for 90 simulated days; no network."""
    # The sandboxes are a distribution of their own beside the product (not in its wheel or
    # image); this command is the one place the product reaches into them.
    try:
        from sandboxes.demo import DemoFolderError, UnknownPlatform, run_demo
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "sandboxes":
            raise
        _fail(
            "the demo needs the sandboxes, which are not installed: from a checkout of the "
            "repository, run `make demo` or `pip install -e sandboxes`"
        )
    if _globals(ctx).verbose == 0:  # the day-by-day lines are the output; logs only if asked
        logging.getLogger().setLevel(logging.WARNING)
    try:
        run_demo(out, platform=platform, days=days, seed=seed, echo=typer.echo)
    except (DemoFolderError, UnknownPlatform) as exc:
        _fail(str(exc))


#: Command modules mounted on `dunning`. Each defines `register(app: typer.Typer) -> None`, so a
#: feature adds its commands in its own module without editing this file beyond this list.
EXTENSIONS = (
    "connector.cli.calc",
    "connector.cli.policy",
    "connector.cli.serve",
    "connector.cli.platforms",
    "connector.cli.worker",
    "connector.cli.keys",
)


def _mount_extensions() -> None:
    import importlib

    for name in EXTENSIONS:
        importlib.import_module(name).register(app)


_mount_extensions()


def main() -> None:
    from connector.config.environment import utf8_for_children

    utf8_for_children()
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
