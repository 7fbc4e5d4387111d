"""`dunning keys rotate`: re-encrypt every stored secret under a new key (see
`connector.store.keyrotation`)."""

from __future__ import annotations

from pathlib import Path

import typer

from connector.cli._common import fail, open_app

keys_app = typer.Typer(help="The secret key that encrypts stored tokens.", no_args_is_help=True)


@keys_app.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Put a new key in front of the key file, re-encrypt every stored token under it, then drop
    the old key. Safe to interrupt: run it again to finish."""

    from connector.config.environment import process_env
    from connector.store.crypto import CipherError
    from connector.store.keyrotation import rotate_keys

    app = open_app(ctx)
    spool = app.tokens.spool.folder if app.tokens.spool is not None else None
    try:
        result = rotate_keys(
            app.engine,
            Path(app.config.connector.secret_key_file),
            process_env(),
            spool_folder=spool,
            progress=lambda what: typer.echo(f"  re-encrypted {what}"),
        )
    except CipherError as exc:
        fail(str(exc))
    typer.echo(
        f"{result.rewritten} secrets re-encrypted, {result.already_current} already under the "
        f"new key; {result.note}"
    )
    if not result.finished:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
