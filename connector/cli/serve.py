"""`dunning serve` and `dunning report`: running unattended, and what it achieved."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from connector.cli._common import (
    ClientArg,
    NowOption,
    SimulateOption,
    app_clock,
    fail,
    globals_of,
    open_app,
    open_client,
    refuse_pretend_clock,
)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(report)


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
    from connector.logs.setup import setup_logging
    from connector.serve.scheduler import ServeOptions, Service

    application = open_app(ctx)
    g = globals_of(ctx)
    if application.config.connector.log_format == "json" and g.log_format == "text":
        setup_logging(g.verbose, "json")
    clock = app_clock(application, now)
    refuse_pretend_clock(now, clock, simulate, "dunning serve")
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
        fail(f"cannot listen on {listen or application.config.connector.http.listen}: {exc}")
    raise typer.Exit(service.serve())


def report(
    ctx: typer.Context,
    client: ClientArg,
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
        fail("--format must be html, csv or json")
    application = open_client(ctx, client)
    clock = app_clock(application, now)
    text = renderers[fmt](client_report(application, client, clock.now(), days))
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")
