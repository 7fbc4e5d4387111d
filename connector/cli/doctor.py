"""`dunning init` and `dunning doctor`: set up a configuration and check it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from connector.cli._common import NowOption, clock_for, fail, globals_of


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(doctor)


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
        fail(str(exc))
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"next: edit {directory}/clients/, then `dunning --config {directory} doctor`")


def doctor(ctx: typer.Context, now: NowOption = None) -> None:
    """Check configuration, database, templates, tokens and API reachability per client."""
    from connector.doctor import doctor as check

    config_dir = globals_of(ctx).config_dir
    if not config_dir.is_dir():
        fail(
            f"configuration directory {config_dir} does not exist; run `dunning init {config_dir}`"
        )
    lines, ok = check(config_dir, lambda tz: clock_for(now, tz))
    for line in lines:
        typer.echo(line)
    raise typer.Exit(0 if ok else 1)
