"""`dunning serve`, `dunning report` and `dunning approve`: running unattended and looking at it.

The helpers below read the global options duck-typed from `ctx.obj` (config_dir, verbose,
log_format), so this module does not depend on where the `Globals` class lives.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from connector.clock import Clock, ShiftedClock, SystemClock, parse_now

NowOption = Annotated[
    str | None,
    typer.Option(
        "--now", help="Act as of this moment (ISO date or datetime; a date means 09:00 local)."
    ),
]
SimulateOption = Annotated[
    bool,
    typer.Option(
        "--simulate",
        help="Really perform as of a --now far from the real time (sandboxes, demos, tests).",
    ),
]


def _refuse_pretend_clock(now: str | None, clock: Clock, simulate: bool, command: str) -> None:
    from connector.clock import pretend_clock_problem

    if now is None or simulate:
        return
    problem = pretend_clock_problem(clock.now(), SystemClock().now(), command)
    if problem:
        _fail(problem)


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _open_app(ctx: typer.Context) -> Any:
    from connector.app import App
    from connector.config import ConfigError
    from connector.store.crypto import CipherError
    from connector.store.db import DatabaseError

    config_dir = Path(ctx.obj.config_dir)
    if not config_dir.is_dir():
        _fail(f"configuration directory {config_dir} does not exist; run `dunning init`")
    try:
        return App.open(config_dir)
    except (ConfigError, CipherError, DatabaseError) as exc:
        _fail(str(exc))


def _clock(now: str | None, tz: str) -> Clock:
    if now is None:
        return SystemClock()
    try:
        return ShiftedClock(parse_now(now, tz))
    except ValueError as exc:
        _fail(f"--now: {exc}")


def _client(application: Any, client: str) -> None:
    if client not in application.config.clients:
        problem = application.config.errors.get(client, "no such client file")
        _fail(f"{client}: {problem}")


# -- serve --------------------------------------------------------------------------------
def serve(
    ctx: typer.Context,
    now: NowOption = None,
    every: Annotated[
        float | None,
        typer.Option(
            "--every",
            help="Run each client every SECONDS (default: schedule."
            "every_minutes). For tests and trials.",
            metavar="SECONDS",
        ),
    ] = None,
    jitter: Annotated[
        float | None,
        typer.Option(
            "--jitter",
            help="Spread clients' phases over SECONDS (default: schedule.jitter_seconds).",
            metavar="SECONDS",
        ),
    ] = None,
    max_concurrent: Annotated[
        int | None,
        typer.Option(
            "--max-concurrent",
            help="Client runs at once (default: schedule.max_concurrent_clients).",
            min=1,
        ),
    ] = None,
    listen: Annotated[
        str | None,
        typer.Option(
            "--listen",
            help="HOST:PORT of /healthz, /readyz, /metrics (default: http.listen, loopback).",
        ),
    ] = None,
    grace: Annotated[
        float,
        typer.Option("--grace", help="Seconds a run in flight may take to finish on SIGTERM."),
    ] = 60.0,
    alert_check: Annotated[
        float, typer.Option("--alert-check", help="Seconds between alert checks.")
    ] = 60.0,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Reload when a configuration file changes (besides SIGHUP)."),
    ] = False,
    simulate: SimulateOption = False,
) -> None:
    """Run every client on its schedule until SIGTERM; SIGHUP reloads the configuration."""
    from connector.logs import setup_logging
    from connector.serve.scheduler import ServeOptions, Service

    application = _open_app(ctx)
    if application.config.connector.log_format == "json" and ctx.obj.log_format == "text":
        setup_logging(ctx.obj.verbose, "json")
    clock = _clock(now, application.config.connector.timezone)
    _refuse_pretend_clock(now, clock, simulate, "dunning serve")
    options = ServeOptions(
        every_seconds=every,
        jitter_seconds=jitter,
        max_concurrent=max_concurrent,
        listen=listen,
        grace_seconds=grace,
        alert_check_seconds=alert_check,
        watch=watch,
    )
    try:
        service = Service(application, clock, options)
    except OSError as exc:
        _fail(f"cannot listen on {listen or application.config.connector.http.listen}: {exc}")
    raise typer.Exit(service.serve())


# -- report -------------------------------------------------------------------------------
def report(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client name.")],
    fmt: Annotated[str, typer.Option("--format", help="html, csv or json")] = "html",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: stdout).")
    ] = None,
    days: Annotated[int, typer.Option("--days", help="Length of the period.", min=1)] = 90,
    now: NowOption = None,
) -> None:
    """Ageing, DSO, collections per step, actions and hand-offs of a client, from the store."""
    from connector.report import client_report
    from connector.report.render import render_csv, render_html, render_json

    renderers = {"html": render_html, "csv": render_csv, "json": render_json}
    if fmt not in renderers:
        _fail("--format must be html, csv or json")
    application = _open_app(ctx)
    _client(application, client)
    clock = _clock(now, application.config.connector.timezone)
    text = renderers[fmt](client_report(application, client, clock.now(), days))
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")


# -- approve ------------------------------------------------------------------------------
def approve(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client name.")],
    actions: Annotated[
        list[int] | None, typer.Argument(help="Action numbers (default: all waiting).")
    ] = None,
    list_only: Annotated[
        bool, typer.Option("--list", help="Only list what awaits approval.")
    ] = False,
    show: Annotated[
        int | None, typer.Option("--show", help="Show the whole message of action N.")
    ] = None,
    reject: Annotated[
        list[int] | None,
        typer.Option("--reject", help="Reject action N (repeatable): its step is skipped."),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is rejected (kept in the history).")
    ] = "",
    by: Annotated[str | None, typer.Option("--by", help="Who (default: your user name).")] = None,
    now: NowOption = None,
    simulate: SimulateOption = False,
) -> None:
    """Judge actions waiting for approval (clients with approval required): list them, show one
    message, approve (and so perform) or reject them."""
    from connector import approval
    from connector.app import ClientUnavailable

    application = _open_app(ctx)
    _client(application, client)
    clock = _clock(now, application.config.connector.timezone)
    expired = approval.expire_stale(application, client, clock.now())
    if expired:
        typer.echo(f"{client}: {expired} stale action(s) expired; they are planned afresh")
    if list_only:
        waiting = approval.waiting(application, client, clock)
        for item in waiting:
            typer.echo(f"{client}: {item.describe()}")
        typer.echo(f"{client}: {len(waiting)} action(s) awaiting approval")
        return
    try:
        if show is not None:
            for line in approval.show(application, client, show, clock):
                typer.echo(line)
            return
        if reject:
            for item in approval.reject(application, client, reject, reason, _by(by), clock):
                typer.echo(f"{client}: rejected #{item.id} {item.step} to {item.customer_name}")
            return
    except ValueError as exc:
        _fail(str(exc))
    except ClientUnavailable as exc:
        _fail(str(exc), 1)
    _refuse_pretend_clock(now, clock, simulate, "dunning approve")
    try:
        stats = approval.approve(application, client, clock, actions or None)
    except ValueError as exc:
        _fail(str(exc))
    except ClientUnavailable as exc:
        _fail(str(exc), 1)
    for line in stats.lines:
        typer.echo(f"{client}: {line}")
    typer.echo(
        f"{client}: approved: {stats.sent} done, {stats.cancelled} cancelled, "
        f"{stats.failed} failed, {stats.review} for review, {stats.already_taken} already taken"
    )
    raise typer.Exit(1 if stats.failed else 0)


def _by(by: str | None) -> str:
    import getpass

    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "cli"


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(report)
    app.command()(approve)
