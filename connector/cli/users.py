"""`dunning users add|list|remove|reset`: who may sign in to the web console."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from connector.cli._common import fail, open_app

users_app = typer.Typer(
    help="People who may sign in to the web console (dunning console).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


EmailArg = Annotated[str, typer.Argument(help="The person's e-mail address (their login).")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input (one line) instead of asking for it.",
    ),
]


def _password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or asked twice (not shown) on a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("no terminal to ask the password on: pass it with --password-stdin")
    import getpass

    first = getpass.getpass("password (not shown): ")
    if getpass.getpass("again: ") != first:
        fail("the two passwords differ")
    return first


@users_app.command("add")
def add(
    ctx: typer.Context,
    email: EmailArg,
    role: Annotated[
        str,
        typer.Option(
            "--role", help="consultant, owner (a business owner) or admin (sees every client)."
        ),
    ],
    client: Annotated[
        list[str] | None,
        typer.Option("--client", help="A client this person may see (repeat for more)."),
    ] = None,
    language: Annotated[
        str, typer.Option("--language", help="The console's language for them: nl or en.")
    ] = "nl",
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a console user with a password (hashed with argon2id; never stored as typed)."""
    from connector.console.users import Role, UserError, add_user
    from connector.domain.clock import SystemClock

    try:
        chosen = Role(role)
    except ValueError:
        fail("--role must be consultant, owner or admin")
    application = open_app(ctx)
    password = _password(password_stdin)
    try:
        account = add_user(
            application.engine,
            email,
            chosen,
            password,
            clients=client or [],
            known_clients=application.config.clients,
            now=SystemClock().now(),
            language=language,
        )
    except UserError as exc:
        fail(str(exc))
    sees = "every client" if chosen is Role.ADMIN else ", ".join(account.clients)
    typer.echo(f"added {account.email} ({chosen.words}; sees {sees})")


@users_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every console user: address, role and the clients they see."""
    from connector.console.users import Role, list_users

    accounts = list_users(open_app(ctx).engine)
    if not accounts:
        typer.echo("no console users; add one with `dunning users add EMAIL --role ...`")
        return
    for account in accounts:
        sees = "every client" if account.role is Role.ADMIN else ", ".join(account.clients)
        typer.echo(f"{account.email}: {account.role.words}; sees {sees}")


@users_app.command("remove")
def remove(ctx: typer.Context, email: EmailArg) -> None:
    """Remove a console user (their sessions end at once)."""
    from connector.console.users import UserError, remove_user

    try:
        remove_user(open_app(ctx).engine, email)
    except UserError as exc:
        fail(str(exc))
    typer.echo(f"removed {email.strip().lower()}")


@users_app.command("reset")
def reset(ctx: typer.Context, email: EmailArg, password_stdin: PasswordStdin = False) -> None:
    """Set a new password for a console user (their sessions end at once)."""
    from connector.console.users import UserError, reset_password
    from connector.domain.clock import SystemClock

    application = open_app(ctx)
    password = _password(password_stdin)
    try:
        reset_password(application.engine, email, password, now=SystemClock().now())
    except UserError as exc:
        fail(str(exc))
    typer.echo(f"new password set for {email.strip().lower()}; their sessions ended")
