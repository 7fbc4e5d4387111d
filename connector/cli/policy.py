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
    from connector.domain import Customer

CustomerArg = Annotated[
    str,
    typer.Argument(
        help="Customer: number, name (or its start), e-mail address or platform id.",
        show_default=False,
    ),
]

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
    from connector.cli._common import fail

    fail(message, code)


def _app(ctx: typer.Context, client: str) -> App:
    from connector.cli._common import open_app

    application: App = open_app(ctx)
    if client not in application.config.clients:
        problem = application.config.errors.get(client, "no such client file")
        _fail(f"{client}: {problem}")
    return application


def _clock(application: App, now: str | None) -> Clock:
    from connector.cli._common import clock_for

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


def _customer(application: App, client: str, text: str) -> Customer:
    """The customer `text` names (id, number, e-mail, name or prefix); exit 2 otherwise."""
    from connector.customers import CustomerLookupError, resolve_customer

    try:
        return resolve_customer(application.engine, client, text)
    except CustomerLookupError as exc:
        _fail(str(exc))


def _customer_and_invoice(
    application: App, client: str, customer: str | None, invoice: str | None
) -> tuple[Customer, str | None]:
    from connector.domain import Customer
    from connector.store import pauses as pause_repo
    from connector.store.db import session_scope

    if invoice is None:
        if not customer:
            _fail("name a CUSTOMER or pass --invoice REF")
        return _customer(application, client, customer), None
    with session_scope(application.engine) as session:
        found = pause_repo.find_invoice_customer(session, client, invoice)
    if found is None:
        _fail(f"{client}: invoice {invoice!r} is not in the local store (run `dunning sync`)")
    owner, ref = found
    if customer:
        named = _customer(application, client, customer)
        if named.ref != owner:
            _fail(f"invoice {invoice} belongs to another customer than {named.name}")
        return named, ref
    from connector.customers import CustomerLookupError, resolve_customer

    try:
        return resolve_customer(application.engine, client, owner), ref
    except CustomerLookupError:
        return Customer(owner, owner), ref


def pause(
    ctx: typer.Context,
    client: ClientArg,
    customer: Annotated[
        str | None,
        typer.Argument(help="Customer: number, name (or its start), e-mail or platform id."),
    ] = None,
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
    from connector.domain.pauses import PauseKind
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
    who, invoice_ref = _customer_and_invoice(application, client, customer, invoice)
    try:
        with session_scope(application.engine) as session:
            made = pause_repo.add(
                session,
                client,
                who.ref,
                PauseKind(kind.value),
                reason=reason,
                by=_by(by),
                now=clock.now(),
                invoice_ref=invoice_ref,
                until=until_day,
            )
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(f"{client}: paused {who.name}: {made.describe()}")


def resume(
    ctx: typer.Context,
    client: ClientArg,
    customer: Annotated[
        str | None,
        typer.Argument(help="Customer: number, name (or its start), e-mail or platform id."),
    ] = None,
    invoice: Annotated[str | None, typer.Option("--invoice", help="Only this invoice.")] = None,
    kind: Annotated[
        KindChoice | None, typer.Option("--kind", help="Only pauses of this kind.")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who (default: your user name).")] = None,
    now: NowOpt = None,
) -> None:
    """End pauses by hand; the ladder continues from the step each invoice had reached."""
    from connector.domain.pauses import PauseKind
    from connector.store import pauses as pause_repo
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    who, invoice_ref = _customer_and_invoice(application, client, customer, invoice)
    with session_scope(application.engine) as session:
        ended = pause_repo.resume(
            session,
            client,
            who.ref,
            by=_by(by),
            now=clock.now(),
            invoice_ref=invoice_ref,
            kind=PauseKind(kind.value) if kind else None,
        )
    if not ended:
        _fail(
            f"{client}: no live pause for {who.name}{' invoice ' + invoice if invoice else ''}",
            1,
        )
    for p in ended:
        typer.echo(f"{client}: resumed {who.name}: {p.describe()}")


def customers(
    ctx: typer.Context,
    client: ClientArg,
    search: Annotated[
        str | None,
        typer.Option("--search", help="Only customers whose number, name, e-mail or id match."),
    ] = None,
    now: NowOpt = None,
) -> None:
    """Per customer: number, name, profile, ladder, open and overdue amounts, late-payer flags
    and pauses, and the platform id (for scripts) last."""
    from connector.behaviour import all_behaviour
    from connector.config.policy_select import resolve_client_policies
    from connector.customers import format_amounts, overview
    from connector.domain import CustomerProfile
    from connector.store import ledger_repo
    from connector.store import pauses as pause_repo
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    today = _today(application, client, clock)
    cfg = application.config.clients[client]
    policies = resolve_client_policies(client, cfg, application.config_dir)

    def profile_of(customer: Customer) -> CustomerProfile:
        override = cfg.customers.get(customer.ref)
        if override and override.profile:
            return CustomerProfile(override.profile)
        return customer.profile

    lines = overview(
        application.engine,
        client,
        today,
        profile_of=profile_of,
        ladder_of=lambda p: policies.for_profile(p).name,
        search=search,
    )
    with session_scope(application.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, client)
        live = pause_repo.live(session, client)
    behaviour = {b.customer_ref: b for b in all_behaviour(snapshot, today, cfg.late_payers)}
    header = (
        f"{'number':<10} {'customer':<30} {'profile':<10} {'ladder':<16} {'open':>14} "
        f"{'overdue':>14}  {'flags / pauses':<20} id"
    )
    typer.echo(header)
    typer.echo("-" * len(header))
    flagged = 0
    for line in lines:
        c = line.customer
        notes = []
        b = behaviour.get(c.ref)
        if b is not None and b.chronic_late_payer:
            flagged += 1
            notes.append(f"CHRONIC LATE PAYER ({b.reason}): consider prepayment / credit hold")
        notes += [p.describe() for p in live if p.customer_ref == c.ref and p.active_on(today)]
        typer.echo(
            f"{(c.number or '-')[:10]:<10} {c.name[:30]:<30} {line.profile.value:<10} "
            f"{line.ladder[:16]:<16} {format_amounts(line.open, cfg.language):>14} "
            f"{format_amounts(line.overdue, cfg.language):>14}  "
            f"{'; '.join(notes) or '-':<20} {c.ref}"
        )
    if search and not lines:
        _fail(f"{client}: no customer matches {search!r}")
    typer.echo(f"{client}: {len(lines)} customer(s), {flagged} chronic late payer(s)")


def statement(
    ctx: typer.Context,
    client: ClientArg,
    customer: CustomerArg,
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    language: Annotated[str | None, typer.Option("--language", help="nl or en.")] = None,
    now: NowOpt = None,
) -> None:
    """Write a customer's account statement (open, paid since last statement, ageing) as PDF."""
    from connector.documents import (
        last_statement_day,
        letter_address,
        settings_for,
        statement_pdf,
    )
    from connector.store import ledger_repo, outbox
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    cfg = application.config.clients[client]
    named = _customer(application, client, customer)
    customer = named.ref
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
        address=letter_address(
            snapshot.customers.get(customer), override.address if override else None
        ),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    typer.echo(f"{client}: statement for {named.name} written to {out}")


def letter(
    ctx: typer.Context,
    client: ClientArg,
    customer: CustomerArg,
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    kind: Annotated[
        LetterChoice, typer.Option("--kind", help="notice-of-default or fourteen-day.")
    ] = LetterChoice.notice_of_default,
    now: NowOpt = None,
) -> None:
    """Write a notice of default or fourteen-day letter for (registered) post as PDF."""
    from connector.documents import letter_address, letter_pdf, settings_for
    from connector.domain import ActionKind, Customer, CustomerProfile
    from connector.store import ledger_repo
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    cfg = application.config.clients[client]
    named = _customer(application, client, customer)
    customer = named.ref
    with session_scope(application.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, client, customer_refs=[customer])
    open_ = [i for i in snapshot.invoices.values() if i.is_open]
    if not open_:
        _fail(f"{client}: {named.name} has no open invoices in the local store", 1)
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
        address=letter_address(who, override.address if override else None),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    typer.echo(f"{client}: {kind.value} letter for {named.name} written to {out}")


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
    from connector.documents import dossier, letter_address, settings_for
    from connector.domain import CustomerProfile
    from connector.store import ledger_repo, outbox
    from connector.store import pauses as pause_repo
    from connector.store.db import session_scope

    application = _app(ctx, client)
    clock = _clock(application, now)
    cfg = application.config.clients[client]
    with session_scope(application.engine) as session:
        named = [_customer(application, client, c).ref for c in customer or []]
        refs = sorted(named or ledger_repo.handed_off_customers(session, client))
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
            address=letter_address(
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
