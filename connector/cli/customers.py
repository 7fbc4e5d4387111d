"""`dunning customers`, `pause` and `resume`: a client's customers by the names people know,
and dunning put on hold for one of them (or one invoice) and taken off hold, on record.

They work on the local store (run `dunning sync` first for fresh data) and take `--now`. The
work is done by `connector.customers`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
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
    record_command,
)

OptionalCustomerArg = Annotated[
    str | None,
    typer.Argument(help="Customer: number, name (or its start), e-mail or platform id."),
]


class KindChoice(StrEnum):
    promise = "promise"
    dispute = "dispute"
    plan = "plan"
    stop = "stop"


def register(app: typer.Typer) -> None:
    app.command("pause")(pause)
    app.command("resume")(resume)
    app.command("customers")(customers)
    app.command("page-link")(page_link)


def pause(
    ctx: typer.Context,
    client: ClientArg,
    customer: OptionalCustomerArg = None,
    invoice: Annotated[
        str | None, typer.Option("--invoice", help="Only this invoice (ref or number).")
    ] = None,
    kind: Annotated[
        KindChoice, typer.Option("--kind", help="promise, dispute, plan or stop.")
    ] = KindChoice.promise,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Last day of the pause (YYYY-MM-DD); required for a promise."),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept on record).")] = "",
    by: ByOption = None,
    now: NowOption = None,
) -> None:
    """Pause dunning for a customer or one invoice: promise to pay, dispute, plan, or stop."""
    from connector.customers import CustomerLookupError, pause_customer
    from connector.domain.pauses import PauseKind

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    try:
        until_day = date.fromisoformat(until) if until else None
    except ValueError:
        fail(f"--until: not a date (YYYY-MM-DD): {until!r}")
    try:
        who, made = pause_customer(
            application,
            client,
            customer=customer,
            invoice=invoice,
            kind=PauseKind(kind.value),
            until=until_day,
            reason=reason,
            by=by_whom(by),
            now=clock.now(),
        )
    except (CustomerLookupError, ValueError) as exc:
        fail(str(exc))
    record_command(
        application,
        client,
        "customer.paused",
        f"paused {who.name}: {made.describe()}",
        by=by_whom(by),
        command="pause",
        clock=clock,
    )
    typer.echo(f"{client}: paused {who.name}: {made.describe()}")


def resume(
    ctx: typer.Context,
    client: ClientArg,
    customer: OptionalCustomerArg = None,
    invoice: Annotated[str | None, typer.Option("--invoice", help="Only this invoice.")] = None,
    kind: Annotated[
        KindChoice | None, typer.Option("--kind", help="Only pauses of this kind.")
    ] = None,
    by: ByOption = None,
    now: NowOption = None,
) -> None:
    """End pauses by hand; the ladder continues from the step each invoice had reached."""
    from connector.customers import CustomerLookupError, resume_customer
    from connector.domain.pauses import PauseKind

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    try:
        who, ended = resume_customer(
            application,
            client,
            customer=customer,
            invoice=invoice,
            kind=PauseKind(kind.value) if kind else None,
            by=by_whom(by),
            now=clock.now(),
        )
    except CustomerLookupError as exc:
        fail(str(exc))
    if not ended:
        fail(
            f"{client}: no live pause for {who.name}{' invoice ' + invoice if invoice else ''}",
            1,
        )
    for p in ended:
        record_command(
            application,
            client,
            "customer.resumed",
            f"resumed {who.name}: {p.describe()}",
            by=by_whom(by),
            command="resume",
            clock=clock,
        )
        typer.echo(f"{client}: resumed {who.name}: {p.describe()}")


def customers(
    ctx: typer.Context,
    client: ClientArg,
    search: Annotated[
        str | None,
        typer.Option("--search", help="Only customers whose number, name, e-mail or id match."),
    ] = None,
    now: NowOption = None,
) -> None:
    """Per customer: number, name, profile, ladder, open and overdue amounts, late-payer flags
    and pauses, and the platform id (for scripts) last."""
    from connector.customers import customer_overview, format_amounts

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    language = application.config.clients[client].language
    lines = customer_overview(application, client, clock.now(), search=search)
    header = (
        f"{'number':<10} {'customer':<30} {'profile':<10} {'ladder':<16} {'open':>14} "
        f"{'overdue':>14}  {'flags / pauses':<20} id"
    )
    typer.echo(header)
    typer.echo("-" * len(header))
    for line in lines:
        c = line.customer
        typer.echo(
            f"{(c.number or '-')[:10]:<10} {c.name[:30]:<30} {line.profile.value:<10} "
            f"{line.ladder[:16]:<16} {format_amounts(line.open, language):>14} "
            f"{format_amounts(line.overdue, language):>14}  "
            f"{'; '.join(line.notes) or '-':<20} {c.ref}"
        )
    if search and not lines:
        fail(f"{client}: no customer matches {search!r}")
    flagged = sum(line.chronic_late_payer for line in lines)
    typer.echo(f"{client}: {len(lines)} customer(s), {flagged} chronic late payer(s)")


def page_link(
    ctx: typer.Context,
    client: ClientArg,
    customer: Annotated[
        str, typer.Argument(help="Customer: number, name (or its start), e-mail or platform id.")
    ],
    revoke: Annotated[
        bool, typer.Option("--revoke", help="End the customer's links instead (a new one follows).")
    ] = False,
    by: ByOption = None,
    now: NowOption = None,
) -> None:
    """The link to the customer's own page (the one their reminders carry), or --revoke it."""
    from connector.customers import CustomerLookupError, resolve_customer
    from connector.store import page_tokens
    from connector.store.db import session_scope

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    console = application.config.connector.console
    if not revoke and (console is None or not console.public_url):
        fail("connector.yaml sets no console.public_url: there is no customer page to link to", 2)
    try:
        who = resolve_customer(application.engine, client, customer)
    except CustomerLookupError as exc:
        fail(str(exc))
    if revoke:
        with session_scope(application.engine) as session:
            ended = page_tokens.revoke(session, client, who.ref, now=clock.now())
        record_command(
            application,
            client,
            "customer.page_revoked",
            f"revoked the page links of {who.name} ({ended})",
            by=by_whom(by),
            command="page-link --revoke",
            clock=clock,
        )
        typer.echo(f"{client}: {who.name}: {ended} page link(s) revoked")
        return
    assert console is not None and console.public_url
    links = page_tokens.PageLinks(
        application.engine,
        client,
        console.public_url,
        now=clock.now(),
        cipher=application.cipher,
        days=console.page_link_days,
    )
    typer.echo(links(who))
