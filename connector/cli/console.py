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
            help="HOST:PORT to serve on (default: console.listen, else 127.0.0.1:8080; port 0: "
            "any free port, printed). Put a TLS reverse proxy in front for anything but loopback.",
        ),
    ] = None,
    now: NowOption = None,
    simulate: SimulateOption = False,
) -> None:
    """Serve the web console (log in with a user from `dunning users add`)."""
    from connector.config.models import ConsoleSettings
    from connector.console.deps import ConsoleContext
    from connector.console.server import ConsoleServer

    application = open_app(ctx)
    clock = app_clock(application, now)
    refuse_pretend_clock(now, clock, simulate, "dunning console")
    settings = application.config.connector.console or ConsoleSettings()
    if listen is not None:
        host, _, port = listen.rpartition(":")
        if port != "0":
            try:
                ConsoleSettings._host_port(listen)
            except ValueError as exc:
                fail(f"--listen: {exc}")
        elif not host:
            fail("--listen: expected HOST:PORT, e.g. 127.0.0.1:8080")
        settings = settings.model_copy(update={"listen": listen})
    try:
        server = ConsoleServer(ConsoleContext(application, clock, settings))
    except OSError as exc:
        fail(f"cannot listen on {settings.listen}: {exc.strerror or exc}")
    typer.echo(f"console on http://{server.address}/ (Ctrl-C stops it)")
    server.run()
