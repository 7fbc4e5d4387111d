"""`dunning sync`, `plan`, `run` and `status`: a client's ledger into the store, what would be
done, doing it, and how the runs went."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from connector.cli._common import (
    AllOption,
    ClientArg,
    ClientsArg,
    NowOption,
    SimulateOption,
    app_clock,
    fail,
    open_app,
    open_client,
    refuse_pretend_clock,
)

if TYPE_CHECKING:
    from connector.app import App


def register(app: typer.Typer) -> None:
    app.command()(sync)
    app.command()(plan)
    app.command()(run)
    app.command()(status)


def _selected(application: App, clients: list[str] | None, all_: bool) -> list[str]:
    """The clients named, or every enabled one with --all; exit 2 for none or an unknown one."""
    from connector.config import ConfigError

    if not clients and not all_:
        fail("name one or more clients, or pass --all")
    try:
        chosen = list(application.slugs(None if all_ else clients))
    except ConfigError as exc:
        fail(str(exc))
    if not chosen:
        fail(f"no clients configured in {application.config_dir / 'clients'}")
    return chosen


def sync(
    ctx: typer.Context,
    clients: ClientsArg = None,
    all_: AllOption = False,
    full: Annotated[bool, typer.Option("--full", help="Also run the full reconciliation.")] = False,
    now: NowOption = None,
) -> None:
    """Bring the local store up to date with each client's ledger."""
    from connector.app import ClientUnavailable
    from connector.domain.ports import LedgerError
    from connector.sync import sync_client

    application = open_app(ctx)
    clock = app_clock(application, now)
    failed = 0
    for slug in _selected(application, clients, all_):
        try:
            stats = sync_client(application, slug, clock, full=full)
            typer.echo(f"{slug}: synced {stats.summary()}")
        except (ClientUnavailable, LedgerError) as exc:
            failed += 1
            typer.echo(f"{slug}: FAILED: {exc}", err=True)
    raise typer.Exit(1 if failed else 0)


def plan(
    ctx: typer.Context,
    client: ClientArg,
    now: NowOption = None,
    sync_first: Annotated[
        bool, typer.Option("--sync/--no-sync", help="Sync before planning.")
    ] = True,
) -> None:
    """Show what would be done for a client now, as a table (sends nothing)."""
    from connector.app import ClientUnavailable
    from connector.domain.ports import LedgerError
    from connector.status.plan import client_plan

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    try:
        lines = client_plan(application, client, clock, sync_first=sync_first)
    except (ClientUnavailable, LedgerError) as exc:
        fail(str(exc), 1)
    for line in lines:
        typer.echo(line)


def run(
    ctx: typer.Context,
    clients: ClientsArg = None,
    all_: AllOption = False,
    now: NowOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and render; send nothing.")
    ] = False,
    simulate: SimulateOption = False,
) -> None:
    """Sync, plan and dispatch for each client. A failing client does not stop the others.

    With a `--now` more than an hour from the real time it performs nothing (exit 2) unless
    `--dry-run` or `--simulate` is given."""
    from connector.app import ClientUnavailable
    from connector.approval import send_digests
    from connector.status.plan import run_client

    application = open_app(ctx)
    clock = app_clock(application, now)
    refuse_pretend_clock(now, clock, dry_run or simulate, "dunning run")
    failed = 0
    for slug in _selected(application, clients, all_):
        try:
            done = run_client(application, slug, clock, dry_run=dry_run)
        except ClientUnavailable as exc:
            failed += 1
            typer.echo(f"{'(dry run) ' if dry_run else ''}{slug}: FAILED: {exc.reason}", err=True)
            continue
        for line in done.result.dispatch.lines:
            typer.echo(f"{'(dry run) ' if dry_run else ''}{slug}: {line}")
        for line in done.would_do:
            typer.echo(f"(dry run) {slug}: would do: {line}")
        for line in done.waiting:
            typer.echo(f"(dry run) {slug}: waiting for approval: {line}")
        typer.echo(done.result.summary(), err=not done.result.ok)
        failed += 0 if done.result.ok or done.result.skipped else 1
    if not dry_run:
        send_digests(application, clock)
    raise typer.Exit(1 if failed else 0)


def status(ctx: typer.Context, now: NowOption = None) -> None:
    """Per client: last run, result, token state, actions awaiting review."""
    from connector.status import status_lines

    application = open_app(ctx)
    clock = app_clock(application, now)
    for line in status_lines(application, clock.now()):
        typer.echo(line)
