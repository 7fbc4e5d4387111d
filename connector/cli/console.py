"""`dunning console`: the web console on its own (`dunning serve` runs it too when
connector.yaml has a `console:` section)."""

from __future__ import annotations

from typing import Annotated

import typer

from connector.cli._common import (
    NowOption,
    SimulateOption,
    app_clock,
    fail,
    open_app,
    refuse_pretend_clock,
)


def register(app: typer.Typer) -> None:
    app.command()(console)


def console(
    ctx: typer.Context,
    listen: Annotated[
        str | None,
        typer.Option(
            "--listen",
            help="HOST:PORT to serve on (default: console.listen, else 127.0.0.1:8080). "
            "Put a TLS reverse proxy in front for anything but loopback.",
        ),
    ] = None,
    now: NowOption = None,
    simulate: SimulateOption = False,
) -> None:
    """Serve the web console (log in with a user from `dunning users add`)."""
    import uvicorn

    from connector.config.models import ConsoleSettings
    from connector.console.app import create_app
    from connector.console.deps import ConsoleContext

    application = open_app(ctx)
    clock = app_clock(application, now)
    refuse_pretend_clock(now, clock, simulate, "dunning console")
    settings = application.config.connector.console or ConsoleSettings()
    if listen is not None:
        try:
            settings = settings.model_copy(update={"listen": ConsoleSettings._host_port(listen)})
        except ValueError as exc:
            fail(f"--listen: {exc}")
    host, _, port = settings.listen.rpartition(":")
    app = create_app(ConsoleContext(application, clock, settings))
    typer.echo(f"console on http://{settings.listen}/ (Ctrl-C stops it)")
    try:
        uvicorn.run(
            app,
            host=host.strip("[]"),
            port=int(port),
            log_level="warning",
            access_log=False,
            server_header=False,
        )
    except OSError as exc:  # pragma: no cover - uvicorn reports bind errors itself
        fail(f"cannot listen on {settings.listen}: {exc}")
