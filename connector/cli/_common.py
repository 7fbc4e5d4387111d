"""What every `dunning` command module shares: global options, errors, opening the app, `--now`.

There is one of each here (`fail`, `open_app`, `clock_for`, `NowOption` …) so every command
reports the same fault the same way: one line, exit 2, the traceback only with `-v`.

Command modules (`connector.cli.*`) import from here rather than from the package
`connector.cli`, which imports them to mount their commands.
"""

from __future__ import annotations

import getpass
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from connector.domain.clock import Clock, ShiftedClock, SystemClock, parse_now

if TYPE_CHECKING:
    from connector.app import App


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


#: global options that may also stand after the subcommand (`dunning doctor --config DIR`)
_GLOBAL_WITH_VALUE = ("--config", "--log-format")
_GLOBAL_FLAGS = ("--verbose", "--quiet", "-q")
_VERBOSE = re.compile(r"^-v+$")


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """Move the global options to the front, wherever they were given, so that `--config DIR`,
    `-v` and `-q` work before or after the subcommand; `-v N` (a number) means N times `-v`.
    Nothing after `--` is touched."""
    front: list[str] = []
    rest: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg == "--":
            rest += items[i:]
            break
        if arg in _GLOBAL_WITH_VALUE and i + 1 < len(items):
            front += [arg, items[i + 1]]
            i += 2
            continue
        if any(arg.startswith(f"{name}=") for name in _GLOBAL_WITH_VALUE) or arg in _GLOBAL_FLAGS:
            front.append(arg)
        elif _VERBOSE.match(arg):
            level = len(arg) - 1
            if i + 1 < len(items) and items[i + 1].isdigit():
                level = int(items[i + 1])
                i += 1
            front += ["-v"] * level
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _verbosity(ctx: typer.Context) -> int:
    obj = ctx.obj
    if isinstance(obj, Globals):
        return obj.verbose
    return sum(len(a) - 1 for a in sys.argv[1:] if _VERBOSE.match(a)) + sys.argv.count("--verbose")


class DunningGroup(TyperGroup):
    """The `dunning` group: global options anywhere, and one line instead of a traceback.

    An exception that reaches the top of a command is printed as `error: <cause>` (see
    `connector.app.errors.describe`) with exit code 2; `-v` adds the traceback."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        return super().parse_args(ctx, hoist_global_options(args))

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if isinstance(exc, (typer.Exit, typer.Abort)) or hasattr(exc, "exit_code"):
                raise  # the command's own exit, or a usage error click prints itself
            from connector.app.errors import USAGE, describe

            if _verbosity(ctx) > 0:
                traceback.print_exc(file=sys.stderr)
            typer.echo(f"error: {describe(exc)}", err=True)
            raise typer.Exit(USAGE) from None


def open_app(ctx: typer.Context) -> App:
    """The application of the configuration directory the global options name, or exit 2 with
    one line saying why it cannot be opened (no directory, configuration, secret key, database);
    `-v` adds the traceback."""
    from connector.app import App
    from connector.app.errors import describe
    from connector.config import ConfigError
    from connector.store.crypto import CipherError
    from connector.store.db import DatabaseError

    g = globals_of(ctx)
    if not g.config_dir.is_dir():
        fail(
            f"configuration directory {g.config_dir} does not exist; "
            f"run `dunning init {g.config_dir}`"
        )
    try:
        return App.open(g.config_dir)
    except (ConfigError, CipherError, DatabaseError) as exc:
        if g.verbose > 0:
            traceback.print_exc(file=sys.stderr)
        fail(describe(exc))


def open_client(ctx: typer.Context, client: str) -> App:
    """`open_app`, then exit 2 naming the problem unless `client` is a valid, known client."""
    application = open_app(ctx)
    require_client(application, client)
    return application


def require_client(application: App, client: str) -> None:
    """Exit 2 naming the problem unless `client` is a valid, known client of `application`."""
    from connector.app import UnknownClient

    try:
        application.require(client)
    except UnknownClient as exc:
        fail(str(exc))


def clock_for(now: str | None, tz: str) -> Clock:
    """The clock of a command: the system clock, or one running on from `--now`."""
    if now is None:
        return SystemClock()
    try:
        return ShiftedClock(parse_now(now, tz))
    except ValueError as exc:
        fail(f"--now: {exc}")


def app_clock(application: App, now: str | None) -> Clock:
    """`clock_for` in the connector's time zone (where a bare `--now` date means 09:00)."""
    return clock_for(now, application.config.connector.timezone)


def refuse_pretend_clock(now: str | None, clock: Clock, simulate: bool, command: str) -> None:
    """Exit 2 when `--now` is far from the real time and `--simulate` was not given: a command
    that really performs must not act as of a pretend day (see `pretend_clock_problem`)."""
    from connector.domain.clock import pretend_clock_problem

    if now is None or simulate:
        return
    problem = pretend_clock_problem(clock.now(), SystemClock().now(), command)
    if problem:
        fail(problem)


def record_command(
    app: App, client: str, event: str, what: str, *, by: str, command: str, clock: Clock
) -> None:
    """Put a person's action on the client's audit trail: who (`by`), when, what, and the
    command it came from (the console records its pages the same way)."""
    from connector.store import audit
    from connector.store.db import session_scope

    with session_scope(app.engine) as session:
        audit.record(
            session,
            client,
            event,
            what,
            now=clock.now(),
            actor=by,
            source=f"command: dunning {command}",
        )


def by_whom(by: str | None) -> str:
    """Who is acting, for the record: `--by`, else the login name, else `cli`."""
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "cli"


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
ClientArg = Annotated[str, typer.Argument(help="Client name (config file stem).")]
ClientsArg = Annotated[list[str] | None, typer.Argument(help="Client names (config file stems).")]
AllOption = Annotated[bool, typer.Option("--all", help="Every enabled client.")]
CustomerArg = Annotated[
    str,
    typer.Argument(
        help="Customer: number, name (or its start), e-mail address or platform id.",
        show_default=False,
    ),
]
ByOption = Annotated[str | None, typer.Option("--by", help="Who (default: your user name).")]
