"""The `dunning` command: a thin layer over `connector.app`, `connector.run` and friends.

One module per command group (`auth`, `runs`, `customers`, `documents`, `approvals`, `calc`,
`serve`, `worker`, `demo`, `doctor`, `keys`, `users`, `console`, and `platforms`, which mounts
each installed platform's own commands from the registry), each with `register(app)`; what they
share (global options, `open_app`, `fail`, `--now`) is in `connector.cli._common`. A command parses
its arguments, calls one library function and prints: the work is done outside this package,
so a console can call the same functions.

Exit codes: 0 all clients ok; 1 a client failed (the others still ran, a summary is printed);
2 usage or configuration error.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from connector.cli._common import DunningGroup, Globals

app = typer.Typer(
    cls=DunningGroup,
    help=(
        "Accounts-receivable follow-up (debiteurenbeheer) on top of Zoho Books, Exact Online "
        "and Moneybird."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    from connector.logs.setup import setup_logging

    setup_logging(-1 if quiet else verbose, log_format)
    ctx.obj = Globals(resolve_config_dir(config), verbose, log_format)


#: Command modules mounted on `dunning`, in the order `dunning --help` lists their commands.
#: Each defines `register(app: typer.Typer) -> None`.
COMMAND_GROUPS = (
    "connector.cli.doctor",
    "connector.cli.auth",
    "connector.cli.runs",
    "connector.cli.demo",
    "connector.cli.calc",
    "connector.cli.customers",
    "connector.cli.documents",
    "connector.cli.serve",
    "connector.cli.approvals",
    "connector.cli.plans",
    "connector.cli.platforms",
    "connector.cli.worker",
    "connector.cli.keys",
    "connector.cli.users",
    "connector.cli.console",
)

for _name in COMMAND_GROUPS:
    importlib.import_module(_name).register(app)


def main() -> None:
    from connector.config.environment import utf8_for_children

    utf8_for_children()
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
