"""What every `dunning` command module shares: global options, errors, opening the app, `--now`.

Command modules (`connector.cli_*`) import from here, never from `connector.cli`, so that
`python -m connector.cli` (where that module runs as `__main__`) sees one set of classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from connector.clock import Clock, ShiftedClock, SystemClock, parse_now


@dataclass
class Globals:
    config_dir: Path
    verbose: int
    log_format: str


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def globals_of(ctx: typer.Context) -> Globals:
    obj = ctx.obj
    assert isinstance(obj, Globals)
    return obj


def open_app(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from connector.app import App
    from connector.config import ConfigError
    from connector.store.crypto import CipherError

    g = globals_of(ctx)
    if not g.config_dir.is_dir():
        fail(
            f"configuration directory {g.config_dir} does not exist; "
            f"run `dunning init {g.config_dir}`"
        )
    try:
        return App.open(g.config_dir)
    except (ConfigError, CipherError) as exc:
        fail(str(exc))


def clock_for(now: str | None, tz: str) -> Clock:
    if now is None:
        return SystemClock()
    try:
        return ShiftedClock(parse_now(now, tz))
    except ValueError as exc:
        fail(f"--now: {exc}")


NowOption = Annotated[
    str | None,
    typer.Option(
        "--now", help="Act as of this moment (ISO date or datetime; a date means 09:00 local)."
    ),
]
ClientsArg = Annotated[list[str] | None, typer.Argument(help="Client names (config file stems).")]
AllOption = Annotated[bool, typer.Option("--all", help="Every enabled client.")]
