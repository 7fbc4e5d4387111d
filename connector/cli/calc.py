"""`dunning calc`: the legal calculations on the command line, with the working shown.

An operator (or a debtor's question) needs not only the amount but how it was reached: which
bands of the collection-cost scale, which half-year rates over how many days, when interest was
added to the principal. Every command prints the amount and that calculation. Mounted by the main
CLI as ``dunning calc``; usable on its own as ``app``.

Exit codes: 0 ok; 2 bad input or a rate the table does not know (never guessed).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from connector.cli._common import fail
from connector.config.rates import load_rate_table
from connector.domain.money import Money, format_money
from connector.legal.collection_costs import CostBreakdown, collection_costs_for
from connector.legal.interest import (
    DayCount,
    InterestBreakdown,
    Kind,
    RateUnknown,
    statutory_interest,
)

app = typer.Typer(
    help="Dutch/EU collection-law calculations: collection costs and statutory interest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class KindChoice(StrEnum):
    commercial = "commercial"
    consumer = "consumer"


class DayCountChoice(StrEnum):
    actual_365 = "actual/365"
    actual_actual = "actual/actual"
    thirty_360 = "30/360"


_LAW = {
    "commercial": "wettelijke handelsrente, art. 6:119a BW",
    "consumer": "wettelijke rente, art. 6:119 BW",
}


def _money(text: str, currency: str, what: str) -> Money:
    try:
        return Money.of(text.replace("_", ""), currency)
    except ValueError:
        fail(f"{what}: not an amount: {text!r} (use digits with a decimal point, e.g. 1234.50)")


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{what}: not a date: {text!r} (use YYYY-MM-DD)")


def _fmt(amount: Money | Decimal, currency: str = "EUR") -> str:
    """Money the one way the product shows it (babel, English like the rest of the CLI)."""
    return format_money(amount if isinstance(amount, Money) else Money(amount, currency), "en")


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _aligned(rows: list[tuple[str, str, str]]) -> list[str]:
    """Rows of (label, amount, note) as lines with labels and amounts in columns."""
    label_width = max((len(label) for label, amount, _ in rows if amount), default=0)
    amount_width = max((len(amount) for _, amount, _ in rows), default=0)
    lines = []
    for label, amount, note in rows:
        if not amount:
            lines.append(label)
            continue
        line = f"{label.ljust(label_width)}  {amount.rjust(amount_width)}"
        lines.append(f"{line}  {note}" if note else line)
    return lines


def costs_report(b: CostBreakdown) -> list[str]:
    """The calculation as printed: parts, bands, limit, VAT, total."""
    rows: list[tuple[str, str, str]] = [
        (
            "Collection costs, Dutch scale (Besluit vergoeding voor buitengerechtelijke "
            "incassokosten, art. 2)",
            "",
            "",
        )
    ]
    if len(b.parts) > 1:
        for number, part in enumerate(b.parts, start=1):
            rows.append((f"  invoice {number}", _fmt(part), ""))
        rows.append(("  principal, added up", _fmt(b.principal), "(art. 6:96 lid 7 BW)"))
    else:
        rows.append(("  principal", _fmt(b.principal), ""))
    for tier in b.tiers:
        band = (
            f"{tier.lower:,.0f} - {tier.upper:,.0f}"
            if tier.upper is not None
            else f"above {tier.lower:,.0f}"
        )
        rows.append(
            (
                f"    {_percent(tier.rate_percent):>4} of {_fmt(tier.base)}",
                _fmt(tier.amount),
                f"(band {band})",
            )
        )
    rows.append(("  scale", _fmt(b.scale_amount), ""))
    if b.limit == "minimum":
        rows.append(("  minimum applies", _fmt(b.costs), f"(at least {_fmt(Decimal(40))})"))
    elif b.limit == "maximum":
        rows.append(("  maximum applies", _fmt(b.costs), f"(at most {_fmt(Decimal(6775))})"))
    rows.append(("  costs", _fmt(b.costs), ""))
    if b.vat_rate is not None:
        rows.append((f"  VAT {_percent(b.vat_rate)}", _fmt(b.vat), "(creditor cannot reclaim VAT)"))
        rows.append(("  total", _fmt(b.total), ""))
    return _aligned(rows)


def interest_report(b: InterestBreakdown) -> list[str]:
    """The calculation as printed: per compounding year, the periods with days, rate, amount."""
    rows: list[tuple[str, str, str]] = [
        (f"Statutory interest ({_LAW[b.kind]}), day count {b.day_count}", "", ""),
        (f"  principal {_fmt(b.principal)}, due {b.due_date}, paid {b.payment_day}", "", ""),
    ]
    if not b.years:
        rows.append(("  paid on or before the due date: no interest", "", ""))
    else:
        rows.append((f"  interest from {b.first_day} up to and including {b.payment_day}", "", ""))
    for number, year in enumerate(b.years, start=1):
        rows.append((f"  year {number}: {year.start} .. {year.end} on {_fmt(year.base)}", "", ""))
        for p in year.periods:
            mark = " " if p.confirmed else "*"
            rows.append(
                (
                    f"    {p.start} .. {p.end} {p.days:>4} d {_percent(p.rate):>6}{mark}",
                    _fmt(p.amount),
                    "",
                )
            )
        added = year.capitalised and year.end < b.payment_day
        rows.append(
            (
                f"    interest for year {number}",
                _fmt(year.interest),
                "added to the principal" if added else "",
            )
        )
    rows.append(("  total interest", _fmt(b.total), ""))
    if b.unconfirmed:
        rows.append(
            ("  * rate derived from the ECB rate, not yet confirmed by a publication:", "", "")
        )
        for source in dict.fromkeys(p.source for p in b.unconfirmed):
            rows.append((f"    {source}", "", ""))
    return _aligned(rows)


@app.command("collection-costs")
def collection_costs_command(
    principal: Annotated[
        list[str],
        typer.Option(
            "--principal",
            "-p",
            help="Principal in EUR; repeat for several invoices in one letter (they are added up).",
        ),
    ],
    vat: Annotated[
        str | None,
        typer.Option(
            "--vat",
            help="VAT percentage to add (e.g. 21), only if the creditor cannot reclaim VAT.",
        ),
    ] = None,
) -> None:
    """Collection costs on the Dutch scale (15/10/5/1/0.5 %, minimum 40, maximum 6,775)."""
    parts = [_money(p, "EUR", "--principal") for p in principal]
    vat_rate: Decimal | None = None
    if vat is not None:
        try:
            vat_rate = Decimal(vat.rstrip("%"))
        except InvalidOperation:
            fail(f"--vat: not a percentage: {vat!r}")
    try:
        breakdown = collection_costs_for(parts, vat_rate=vat_rate)
    except ValueError as exc:
        fail(str(exc))
    for line in costs_report(breakdown):
        typer.echo(line)


@app.command("interest")
def interest_command(
    principal: Annotated[str, typer.Option("--principal", "-p", help="Principal amount.")],
    from_: Annotated[
        str,
        typer.Option(
            "--from",
            help="Due date YYYY-MM-DD (consumer: the last day before "
            "verzuim); interest runs from the next day.",
        ),
    ],
    to: Annotated[
        str, typer.Option("--to", help="Payment day YYYY-MM-DD, included in the interest.")
    ],
    kind: Annotated[
        KindChoice, typer.Option("--kind", help="commercial (B2B, 6:119a) or consumer (6:119).")
    ] = KindChoice.commercial,
    day_count: Annotated[
        DayCountChoice, typer.Option("--day-count", help="Day-count convention.")
    ] = DayCountChoice.actual_365,
    currency: Annotated[str, typer.Option("--currency", help="ISO currency.")] = "EUR",
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse rates that are derived, not confirmed.")
    ] = False,
    rates: Annotated[
        Path | None, typer.Option("--rates", help="Rate table CSV instead of the packaged one.")
    ] = None,
) -> None:
    """Statutory interest with half-yearly rates and yearly compounding."""
    amount = _money(principal, currency.upper(), "--principal")
    start, end = _date(from_, "--from"), _date(to, "--to")
    try:
        table = load_rate_table(rates)
    except (OSError, ValueError) as exc:
        fail(f"--rates: {exc}")
    kind_value: Kind = "consumer" if kind is KindChoice.consumer else "commercial"
    day_count_value: DayCount = (
        "actual/actual"
        if day_count is DayCountChoice.actual_actual
        else "30/360"
        if day_count is DayCountChoice.thirty_360
        else "actual/365"
    )
    try:
        breakdown = statutory_interest(
            amount,
            start,
            end,
            kind=kind_value,
            day_count=day_count_value,
            table=table,
            strict=strict,
        )
    except RateUnknown as exc:
        fail(f"{exc}. Nothing was calculated: a guessed rate would be a wrong claim.")
    except ValueError as exc:
        fail(str(exc))
    for line in interest_report(breakdown):
        typer.echo(line)


def register(main_app: typer.Typer) -> None:
    """Mount as `dunning calc`."""
    main_app.add_typer(app, name="calc", help="Collection costs and statutory interest.")
