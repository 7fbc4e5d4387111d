"""Commands of issue #4: pauses, customers' payment behaviour, statements, letters, hand-off.

* ``dunning pause CLIENT CUSTOMER|--invoice REF --kind promise|dispute|plan|stop [--until DATE]
  --reason TEXT [--by NAME]`` and ``dunning resume ...``: stored with who/why/when, honoured
  by the planner from the next run.
* ``dunning customers CLIENT``: profile, ladder, payment behaviour, chronic late payers, pauses.
* ``dunning statement CLIENT CUSTOMER --out FILE``: the account statement as PDF.
* ``dunning letter CLIENT CUSTOMER --kind notice-of-default|fourteen-day --out FILE``: a letter
  for (registered) post.
* ``dunning handoff CLIENT --out DIR``: a dossier (PDF + CSV) per handed-off customer.

They work on the local store (run `dunning sync` first for fresh data) and take ``--now``.
Mounted by `connector.cli` through `register`.
"""

from __future__ import annotations

import getpass
import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from connector.app import App
    from connector.clock import Clock

ClientArg = Annotated[str, typer.Argument(help="Client name (config file stem).")]
NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="Act as of this moment (ISO date or datetime)."),
]


class KindChoice(StrEnum):
    promise = "promise"
    dispute = "dispute"
    plan = "plan"
    stop = "stop"


class LetterChoice(StrEnum):
    notice_of_default = "notice-of-default"
    fourteen_day = "fourteen-day"


def _fail(message: str, code: int = 2) -> NoReturn:
    from connector.cli_common import fail

    fail(message, code)


def _app(ctx: typer.Context, client: str) -> App:
    from connector.cli_common import open_app

    application: App = open_app(ctx)
    if client not in application.config.clients:
        problem = application.config.errors.get(client, "no such client file")
        _fail(f"{client}: {problem}")
    return application


def _clock(application: App, now: str | None) -> Clock:
    from connector.cli_common import clock_for

    return clock_for(now, application.config.connector.timezone)


def _today(application: App, client: str, clock: Clock) -> date:
    from connector.clock import local_date

    cfg = application.config.clients[client]
    return local_date(clock.now(), cfg.timezone or application.config.connector.timezone)


def _by(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "cli"


def _customer_and_invoice(
    application: App, client: str, customer: str | None, invoice: str | None
) -> tuple[str, str | None]:
    from connector.store import pauses as pause_repo
    from connector.store.db import session_scope

    if invoice is None:
        if not customer:
            _fail("name a CUSTOMER or pass --invoice REF")
        return customer, None
    with session_scope(application.engine) as session:
        found = pause_repo.find_invoice_customer(session, client, invoice)
    if found is None:
        _fail(f"{client}: invoice {invoice!r} is not in the local store (run `dunning sync`)")
    owner, ref = found
    if customer and customer != owner:
        _fail(f"invoice {invoice} belongs to customer {owner}, not {customer}")
    return owner, ref


def pause(
    ctx: typer.Context,
    client: ClientArg,
    customer: Annotated[str | None, typer.Argument(help="Customer (platform contact id).")] = None,
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
    by: Annotated[str | None, typer.Option("--by", help="Who (default: your user name).")] = None,
    now: NowOpt = None,
) -> None:
    """Pause dunning for a customer or one invoice: promise to pay, dispute, plan, or stop."""
    from connector.policy.pauses import PauseKind
    from connector.store import pauses as pause_repo
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    try:
        until_day = date.fromisoformat(until) if until else None
    except ValueError:
        _fail(f"--until: not a date (YYYY-MM-DD): {until!r}")
    if until_day is not None and until_day < _today(application, client, clock):
        _fail("--until is in the past")
    customer_ref, invoice_ref = _customer_and_invoice(application, client, customer, invoice)
    try:
        with session_scope(application.engine) as session:
            made = pause_repo.add(
                session,
                client,
                customer_ref,
                PauseKind(kind.value),
                reason=reason,
                by=_by(by),
                now=clock.now(),
                invoice_ref=invoice_ref,
                until=until_day,
            )
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(f"{client}: paused {customer_ref}: {made.describe()}")


def resume(
    ctx: typer.Context,
    client: ClientArg,
    customer: Annotated[str | None, typer.Argument(help="Customer (platform contact id).")] = None,
    invoice: Annotated[str | None, typer.Option("--invoice", help="Only this invoice.")] = None,
    kind: Annotated[
        KindChoice | None, typer.Option("--kind", help="Only pauses of this kind.")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who (default: your user name).")] = None,
    now: NowOpt = None,
) -> None:
    """End pauses by hand; the ladder continues from the step each invoice had reached."""
    from connector.policy.pauses import PauseKind
    from connector.store import pauses as pause_repo
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    customer_ref, invoice_ref = _customer_and_invoice(application, client, customer, invoice)
    with session_scope(application.engine) as session:
        ended = pause_repo.resume(
            session,
            client,
            customer_ref,
            by=_by(by),
            now=clock.now(),
            invoice_ref=invoice_ref,
            kind=PauseKind(kind.value) if kind else None,
        )
    if not ended:
        _fail(
            f"{client}: no live pause for {customer_ref}{' invoice ' + invoice if invoice else ''}",
            1,
        )
    for p in ended:
        typer.echo(f"{client}: resumed {customer_ref}: {p.describe()}")


def customers(ctx: typer.Context, client: ClientArg, now: NowOpt = None) -> None:
    """Per customer: profile, ladder, payment behaviour, chronic late payers, pauses."""
    from connector.behaviour import all_behaviour
    from connector.domain import CustomerProfile
    from connector.policy.select import resolve_client_policies
    from connector.store import ledger_repo
    from connector.store import pauses as pause_repo
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    today = _today(application, client, clock)
    cfg = application.config.clients[client]
    policies = resolve_client_policies(client, cfg, application.config_dir)
    with session_scope(application.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, client)
        live = pause_repo.live(session, client)
    header = (
        f"{'customer':<28} {'profile':<10} {'policy':<16} {'paid':>4} {'late':>4} "
        f"{'avg days':>8} {'overdue':>7}  flag / pauses"
    )
    typer.echo(header)
    typer.echo("-" * len(header))
    flagged = 0
    for b in all_behaviour(snapshot, today, cfg.late_payers):
        customer = snapshot.customers.get(b.customer_ref)
        override = cfg.customers.get(b.customer_ref)
        profile = (
            CustomerProfile(override.profile)
            if override and override.profile
            else customer.profile
            if customer
            else CustomerProfile.BUSINESS
        )
        name = customer.name if customer else b.customer_ref
        notes = []
        if b.chronic_late_payer:
            flagged += 1
            notes.append(f"CHRONIC LATE PAYER ({b.reason}): consider prepayment / credit hold")
        notes += [
            p.describe() for p in live if p.customer_ref == b.customer_ref and p.active_on(today)
        ]
        avg = f"{b.average_days_late}" if b.average_days_late is not None else "-"
        typer.echo(
            f"{name[:28]:<28} {profile.value:<10} "
            f"{policies.for_profile(profile).name[:16]:<16} {b.paid_invoices:>4} "
            f"{b.paid_late:>4} {avg:>8} {b.open_overdue:>7}  {'; '.join(notes)}"
        )
    typer.echo(f"{client}: {flagged} chronic late payer(s)")


def statement(
    ctx: typer.Context,
    client: ClientArg,
    customer: Annotated[str, typer.Argument(help="Customer (platform contact id).")],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    language: Annotated[str | None, typer.Option("--language", help="nl or en.")] = None,
    now: NowOpt = None,
) -> None:
    """Write a customer's account statement (open, paid since last statement, ageing) as PDF."""
    from connector.documents import (
        last_statement_day,
        postal_address,
        settings_for,
        statement_pdf,
    )
    from connector.store import ledger_repo, outbox
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    cfg = application.config.clients[client]
    with session_scope(application.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, client, customer_refs=[customer])
        history = outbox.history(session, client)
    if customer not in snapshot.customers and not snapshot.invoices:
        _fail(f"{client}: customer {customer!r} is not in the local store (run `dunning sync`)", 1)
    override = cfg.customers.get(customer)
    lang = language or (override.language if override and override.language else None)
    pdf = statement_pdf(
        settings_for(cfg, language=lang),
        snapshot,
        customer,
        _today(application, client, clock),
        since=last_statement_day(history, customer),
        address=postal_address(
            snapshot.customers.get(customer), override.address if override else None
        ),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    typer.echo(f"{client}: statement for {customer} written to {out}")


def letter(
    ctx: typer.Context,
    client: ClientArg,
    customer: Annotated[str, typer.Argument(help="Customer (platform contact id).")],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    kind: Annotated[
        LetterChoice, typer.Option("--kind", help="notice-of-default or fourteen-day.")
    ] = LetterChoice.notice_of_default,
    now: NowOpt = None,
) -> None:
    """Write a notice of default or fourteen-day letter for (registered) post as PDF."""
    from connector.documents import letter_pdf, postal_address, settings_for
    from connector.domain import ActionKind, Customer, CustomerProfile
    from connector.store import ledger_repo
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    cfg = application.config.clients[client]
    with session_scope(application.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, client, customer_refs=[customer])
    open_ = [i for i in snapshot.invoices.values() if i.is_open]
    if not open_:
        _fail(f"{client}: customer {customer!r} has no open invoices in the local store", 1)
    who = snapshot.customers.get(customer) or Customer(customer, customer)
    override = cfg.customers.get(customer)
    profile = CustomerProfile(override.profile) if override and override.profile else None
    action = (
        ActionKind.NOTICE_OF_DEFAULT
        if kind is LetterChoice.notice_of_default
        else ActionKind.FOURTEEN_DAY_LETTER
    )
    pdf = letter_pdf(
        settings_for(cfg, language=override.language if override else None),
        action,
        who,
        open_,
        _today(application, client, clock),
        profile=profile,
        address=postal_address(who, override.address if override else None),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    typer.echo(f"{client}: {kind.value} letter for {customer} written to {out}")


def handoff(
    ctx: typer.Context,
    client: ClientArg,
    out: Annotated[Path, typer.Option("--out", help="Directory for the dossiers.")] = Path(
        "handoff"
    ),
    customer: Annotated[
        list[str] | None,
        typer.Option("--customer", help="Only these customers (default: every handed-off one)."),
    ] = None,
    now: NowOpt = None,
) -> None:
    """Export a collection dossier (PDF + CSV) per handed-off customer."""
    from connector.documents import dossier, postal_address, settings_for
    from connector.domain import CustomerProfile
    from connector.store import ledger_repo, outbox
    from connector.store import pauses as pause_repo
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    cfg = application.config.clients[client]
    with session_scope(application.engine) as session:
        refs = sorted(customer or ledger_repo.handed_off_customers(session, client))
        snapshot = ledger_repo.load_snapshot(session, client, customer_refs=refs)
        history = outbox.history(session, client)
        all_pauses = pause_repo.history(session, client)
    if not refs:
        typer.echo(f"{client}: no customers handed off; nothing to export")
        return
    out.mkdir(parents=True, exist_ok=True)
    today = _today(application, client, clock)
    settings = settings_for(cfg)
    for ref in refs:
        override = cfg.customers.get(ref)
        profile = CustomerProfile(override.profile) if override and override.profile else None
        result = dossier(
            settings,
            snapshot,
            history,
            all_pauses,
            ref,
            today,
            profile=profile,
            address=postal_address(
                snapshot.customers.get(ref), override.address if override else None
            ),
        )
        name = snapshot.customers[ref].name if ref in snapshot.customers else ref
        stem = f"{ref}-{re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-').lower()}"
        (out / f"{stem}.pdf").write_bytes(result.pdf)
        (out / f"{stem}.csv").write_text(result.csv, encoding="utf-8")
        typer.echo(f"{client}: dossier for {name} written to {out / stem}.pdf and .csv")


def register(app: typer.Typer) -> None:
    """Mount these commands on `dunning`."""
    app.command("pause")(pause)
    app.command("resume")(resume)
    app.command("customers")(customers)
    app.command("statement")(statement)
    app.command("letter")(letter)
    app.command("handoff")(handoff)
