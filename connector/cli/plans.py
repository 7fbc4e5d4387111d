"""`dunning plans list|approve|reject CLIENT`: the payment plans customers proposed on their own
page (issue #14), by plan number and customer name, and the business's decision on them.

The work is done by `connector.customers.plans`; each decision goes on the audit trail with who
(`--by`, else the login name) and the command.
"""

from __future__ import annotations

from typing import Annotated

import typer

from connector.cli._common import (
    ByOption,
    ClientArg,
    NowOption,
    app_clock,
    by_whom,
    fail,
    open_client,
)

plans_app = typer.Typer(
    help="Payment plans customers proposed: list, approve, reject.", no_args_is_help=True
)

NumberArg = Annotated[int, typer.Argument(help="The plan number `dunning plans list` shows.")]


def register(app: typer.Typer) -> None:
    app.add_typer(plans_app, name="plans")


@plans_app.command("list")
def list_plans(
    ctx: typer.Context,
    client: ClientArg,
    all_: Annotated[
        bool, typer.Option("--all", help="Also the plans that ended (rejected, missed, kept).")
    ] = False,
) -> None:
    """The client's payment plans, newest first: number, customer, status and schedule."""
    from connector.customers.plans import describe, plans_of

    application = open_client(ctx, client)
    shown = [(p, name) for p, name in plans_of(application, client) if all_ or p.status.live]
    for plan, name in shown:
        typer.echo(f"{name}: {describe(plan)}")
        for n, instalment in enumerate(plan.instalments, start=1):
            typer.echo(f"    {n}. {instalment.amount} on {instalment.day.isoformat()}")
        if plan.reason:
            typer.echo(f"    reason: {plan.reason}")
    waiting = sum(1 for p, _ in shown if p.status.value == "proposed")
    typer.echo(f"{client}: {len(shown)} payment plan(s), {waiting} waiting for approval")


@plans_app.command("approve")
def approve(
    ctx: typer.Context,
    client: ClientArg,
    number: NumberArg,
    by: ByOption = None,
    now: NowOption = None,
) -> None:
    """Approve a proposed plan: its invoices stay paused while the instalments are paid."""
    _decide(ctx, client, number, approve=True, reason=None, by=by, now=now)


@plans_app.command("reject")
def reject(
    ctx: typer.Context,
    client: ClientArg,
    number: NumberArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (the customer's page shows it).")],
    by: ByOption = None,
    now: NowOption = None,
) -> None:
    """Reject a proposed plan with a reason: the ladder of its invoices resumes."""
    _decide(ctx, client, number, approve=False, reason=reason, by=by, now=now)


def _decide(
    ctx: typer.Context,
    client: str,
    number: int,
    *,
    approve: bool,
    reason: str | None,
    by: str | None,
    now: str | None,
) -> None:
    from connector.customers.plans import DecisionRefused, decide, describe, plans_of

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    try:
        plan = decide(
            application,
            client,
            number,
            approve=approve,
            by=by_whom(by),
            source="command: dunning plans " + ("approve" if approve else "reject"),
            now=clock.now(),
            reason=reason,
        )
    except DecisionRefused as exc:
        fail(f"{client}: {exc}")
    name = next((n for p, n in plans_of(application, client, plan.customer_ref)), "")
    typer.echo(f"{client}: {name}: {describe(plan)}")
