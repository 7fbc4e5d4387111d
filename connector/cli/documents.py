"""`dunning statement`, `letter` and `handoff`: a customer's statement, a letter for
(registered) post, the collection dossiers of handed-off customers, as files.

They work on the local store (run `dunning sync` first for fresh data) and take `--now`. The
documents are made by `connector.customers.exports`; these commands write them where `--out` says.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from connector.cli._common import ClientArg, CustomerArg, NowOption, app_clock, fail, open_client


class LetterChoice(StrEnum):
    notice_of_default = "notice-of-default"
    fourteen_day = "fourteen-day"


def register(app: typer.Typer) -> None:
    app.command("statement")(statement)
    app.command("letter")(letter)
    app.command("handoff")(handoff)


def _write(out: Path, pdf: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)


def statement(
    ctx: typer.Context,
    client: ClientArg,
    customer: CustomerArg,
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    language: Annotated[str | None, typer.Option("--language", help="nl or en.")] = None,
    now: NowOption = None,
) -> None:
    """Write a customer's account statement (open, paid since last statement, ageing) as PDF."""
    from connector.customers import CustomerLookupError
    from connector.customers.exports import NotInStore, customer_statement

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    try:
        made = customer_statement(application, client, customer, clock.now(), language=language)
    except CustomerLookupError as exc:
        fail(str(exc))
    except NotInStore as exc:
        fail(str(exc), 1)
    _write(out, made.pdf)
    typer.echo(f"{client}: statement for {made.customer.name} written to {out}")


def letter(
    ctx: typer.Context,
    client: ClientArg,
    customer: CustomerArg,
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    kind: Annotated[
        LetterChoice, typer.Option("--kind", help="notice-of-default or fourteen-day.")
    ] = LetterChoice.notice_of_default,
    now: NowOption = None,
) -> None:
    """Write a notice of default or fourteen-day letter for (registered) post as PDF."""
    from connector.customers import CustomerLookupError
    from connector.customers.exports import NotInStore, customer_letter
    from connector.domain import ActionKind

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    action = (
        ActionKind.NOTICE_OF_DEFAULT
        if kind is LetterChoice.notice_of_default
        else ActionKind.FOURTEEN_DAY_LETTER
    )
    try:
        made = customer_letter(application, client, customer, action, clock.now())
    except CustomerLookupError as exc:
        fail(str(exc))
    except NotInStore as exc:
        fail(str(exc), 1)
    _write(out, made.pdf)
    typer.echo(f"{client}: {kind.value} letter for {made.customer.name} written to {out}")


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
    now: NowOption = None,
) -> None:
    """Export a collection dossier (PDF + CSV) per handed-off customer."""
    from connector.customers import CustomerLookupError
    from connector.customers.exports import handoff_dossiers

    application = open_client(ctx, client)
    clock = app_clock(application, now)
    try:
        dossiers = handoff_dossiers(application, client, clock.now(), customer)
    except CustomerLookupError as exc:
        fail(str(exc))
    if not dossiers:
        typer.echo(f"{client}: no customers handed off; nothing to export")
        return
    out.mkdir(parents=True, exist_ok=True)
    for d in dossiers:
        (out / f"{d.stem}.pdf").write_bytes(d.pdf)
        (out / f"{d.stem}.csv").write_text(d.csv, encoding="utf-8")
        typer.echo(f"{client}: dossier for {d.name} written to {out / d.stem}.pdf and .csv")
