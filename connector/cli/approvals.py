"""`dunning approve`: judge the actions waiting for approval (clients with approval required).

The work is done by `connector.approval`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from connector.cli._common import (
    ByOption,
    ClientArg,
    NowOption,
    SimulateOption,
    app_clock,
    by_whom,
    fail,
    open_client,
    record_command,
    refuse_pretend_clock,
)


def register(app: typer.Typer) -> None:
    app.command()(approve)


def approve(
    ctx: typer.Context,
    client: ClientArg,
    actions: Annotated[
        list[int] | None, typer.Argument(help="Action numbers (default: all waiting).")
    ] = None,
    list_only: Annotated[
        bool, typer.Option("--list", help="Only list what awaits approval.")
    ] = False,
    show: Annotated[
        int | None, typer.Option("--show", help="Show the whole message of action N.")
    ] = None,
    reject: Annotated[
        list[int] | None,
        typer.Option("--reject", help="Reject action N (repeatable): its step is skipped."),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is rejected (kept in the history).")
    ] = "",
    by: ByOption = None,
    now: NowOption = None,
    simulate: SimulateOption = False,
) -> None:
    """Judge actions waiting for approval (clients with approval required): list them, show one
    message, approve (and so perform) or reject them."""
    from connector import approval
    from connector.app import ClientUnavailable

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    expired = approval.expire_stale(application, client, clock.now())
    if expired:
        typer.echo(f"{client}: {expired} stale action(s) expired; they are planned afresh")
    if list_only:
        waiting = approval.waiting(application, client, clock)
        for item in waiting:
            typer.echo(f"{client}: {item.describe()}")
        typer.echo(f"{client}: {len(waiting)} action(s) awaiting approval")
        return
    try:
        if show is not None:
            for line in approval.show(application, client, show, clock):
                typer.echo(line)
            return
        if reject:
            for item in approval.reject(application, client, reject, reason, by_whom(by), clock):
                typer.echo(f"{client}: rejected #{item.id} {item.step} to {item.customer_name}")
            return
    except ValueError as exc:
        fail(str(exc))
    except ClientUnavailable as exc:
        fail(str(exc), 1)
    refuse_pretend_clock(now, clock, simulate, "dunning approve")
    try:
        stats = approval.approve(application, client, clock, actions or None)
    except ValueError as exc:
        fail(str(exc))
    except ClientUnavailable as exc:
        fail(str(exc), 1)
    for line in stats.lines:
        typer.echo(f"{client}: {line}")
    if stats.sent or stats.cancelled or stats.failed:
        which = ", ".join(f"#{a}" for a in actions) if actions else "every waiting action"
        record_command(
            application,
            client,
            "approval.approved",
            f"approved {which}: {stats.sent} done, {stats.cancelled} cancelled, "
            f"{stats.failed} failed",
            by=by_whom(by),
            command="approve",
            clock=clock,
        )
    typer.echo(
        f"{client}: approved: {stats.sent} done, {stats.cancelled} cancelled, "
        f"{stats.failed} failed, {stats.review} for review, {stats.already_taken} already taken"
    )
    raise typer.Exit(1 if stats.failed else 0)
