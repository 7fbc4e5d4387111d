"""Dutch statutory interest: wettelijke rente (art. 6:119 BW) and handelsrente (art. 6:119a BW).

The rule, and why the code is shaped this way:

* Interest runs from the day after the due date (the first day of verzuim) **up to and including
  the day of payment** (art. 6:119a lid 1 BW; the same counting is used for 6:119). With
  ``start`` = due date and ``end`` = payment day the number of days is ``(end - start).days``.
* The rate is set per half-year (1 January / 1 July), so a period is split wherever the table
  row changes; each piece uses its own row's rate.
* Compounding is yearly, counted from the first day of interest, not by calendar year: "telkens na
  afloop van een jaar wordt het bedrag waarover de wettelijke rente wordt berekend, vermeerderd met
  de over dat jaar verschuldigde rente" (art. 6:119 lid 2, 6:119a lid 3 BW). A year's interest is
  rounded half-up to cents once, at the end of that year (or of the calculation), and then added
  to the base. Per-period amounts in the breakdown are shown rounded, so they may differ from the
  year's amount by a cent (e.g. 61.75 + 55.29 shown, 117.05 owed).
* Rates come from a dated table (``data/interest_rates.csv``, read by `connector.config.rates`
  and passed in: this module opens no file) with a source per row. A day the
  table does not cover raises :class:`RateUnknown`: a wrong interest claim is worse than none.
  Rows marked ``derived`` (computed from the ECB rate, not yet seen published) are used but
  flagged; ``strict=True`` refuses them too.
* The day-count convention is not fixed by law or case law we found: actual/365 (default, as
  e.g. ERPNext), actual/actual (days in leap years over 366, as banks do) or 30E/360.
"""

from __future__ import annotations

import csv
import io
from calendar import isleap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Literal, get_args

from connector.domain.money import Money

Kind = Literal["commercial", "consumer"]
DayCount = Literal["actual/365", "actual/actual", "30/360"]
KINDS: tuple[str, ...] = get_args(Kind)
DAY_COUNTS: tuple[str, ...] = get_args(DayCount)

_STATUSES = ("confirmed", "derived")


class RateUnknown(LookupError):
    """No (acceptable) statutory rate is known for a day of the period: refuse, never guess."""

    def __init__(self, kind: str, day: date, detail: str) -> None:
        super().__init__(f"no {kind} statutory interest rate known for {day.isoformat()}: {detail}")
        self.kind = kind
        self.day = day


@dataclass(frozen=True, slots=True)
class RatePeriod:
    """One table row: `rate` (yearly percent) applies from `valid_from` to `valid_to`."""

    kind: str
    valid_from: date
    valid_to: date  # inclusive
    rate: Decimal  # percent per year, e.g. 12.25
    status: str  # "confirmed" or "derived"
    source: str

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"


class RateTable:
    """The half-yearly rates per kind; rows may leave gaps (unknown) but must not overlap."""

    def __init__(self, rows: Iterable[RatePeriod]) -> None:
        by_kind: dict[str, list[RatePeriod]] = {}
        for row in rows:
            if row.kind not in KINDS:
                raise ValueError(f"unknown interest kind {row.kind!r} (expected one of {KINDS})")
            if row.status not in _STATUSES:
                raise ValueError(f"unknown status {row.status!r} for {row.kind} {row.valid_from}")
            if row.valid_to < row.valid_from:
                raise ValueError(f"{row.kind} row {row.valid_from} ends before it starts")
            if row.rate < 0:
                raise ValueError(f"{row.kind} row {row.valid_from} has a negative rate")
            by_kind.setdefault(row.kind, []).append(row)
        for kind, kind_rows in by_kind.items():
            kind_rows.sort(key=lambda r: r.valid_from)
            for before, after in pairwise(kind_rows):
                if after.valid_from <= before.valid_to:
                    raise ValueError(
                        f"{kind} rows overlap: {before.valid_from}..{before.valid_to} and "
                        f"{after.valid_from}..{after.valid_to}"
                    )
        self._rows = {kind: tuple(rs) for kind, rs in by_kind.items()}

    @classmethod
    def from_csv(cls, text: str) -> RateTable:
        """Parse the CSV format of ``data/interest_rates.csv`` (lines starting with # are notes)."""
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
        rows: list[RatePeriod] = []
        for number, rec in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
            try:
                rate = Decimal(rec["rate_percent"].strip())
                if not rate.is_finite():
                    # Decimal parses "NaN" and "Infinity"; the table sorts and compares rates
                    raise ValueError(f"rate_percent {rate} is not a number")
                rows.append(
                    RatePeriod(
                        kind=rec["kind"].strip(),
                        valid_from=date.fromisoformat(rec["valid_from"].strip()),
                        valid_to=date.fromisoformat(rec["valid_to"].strip()),
                        rate=rate,
                        status=rec["status"].strip(),
                        source=rec["source"].strip(),
                    )
                )
            except (KeyError, AttributeError, ValueError, ArithmeticError) as exc:
                raise ValueError(f"interest rate table, data row {number}: {exc}") from exc
        return cls(rows)

    def rows(self, kind: str) -> tuple[RatePeriod, ...]:
        return self._rows.get(kind, ())

    def coverage(self, kind: str) -> tuple[date, date] | None:
        """First and last day with a rate (gaps in between are still unknown)."""
        rows = self.rows(kind)
        return (rows[0].valid_from, rows[-1].valid_to) if rows else None

    def rate_on(self, kind: str, day: date, *, strict: bool = False) -> RatePeriod:
        """The row that applies on `day`; raises RateUnknown (and for `strict`, on derived rows)."""
        if kind not in KINDS:
            raise ValueError(f"unknown interest kind {kind!r} (expected one of {KINDS})")
        for row in self.rows(kind):
            if row.valid_from <= day <= row.valid_to:
                if strict and not row.confirmed:
                    raise RateUnknown(
                        kind,
                        day,
                        f"the table's {row.rate}% is derived, not confirmed "
                        f"({row.source}); confirm it or calculate without strict",
                    )
                return row
        cover = self.coverage(kind)
        where = f"the table covers {cover[0]} to {cover[1]}" if cover else "the table is empty"
        raise RateUnknown(kind, day, f"{where}; add the rate to interest_rates.csv")


@dataclass(frozen=True, slots=True)
class InterestPeriod:
    """A stretch of days with one rate and one base (principal plus interest already added)."""

    start: date  # first day counted
    end: date  # last day counted, inclusive
    days: int  # days under the day-count convention (30E/360 may differ from calendar days)
    year_fraction: Decimal
    rate: Decimal  # percent per year
    base: Money
    amount_exact: Decimal
    confirmed: bool
    source: str

    @property
    def amount(self) -> Money:
        """Rounded for display; the year total is rounded once from the exact amounts."""
        return Money(self.amount_exact, self.base.currency)


@dataclass(frozen=True, slots=True)
class InterestYear:
    """One compounding year (or the final part year) and the interest it adds to the base."""

    start: date
    end: date
    base: Money
    interest: Money
    periods: tuple[InterestPeriod, ...]
    capitalised: bool  # True when the year was complete and its interest was added to the base


@dataclass(frozen=True, slots=True)
class InterestBreakdown:
    principal: Money
    due_date: date
    payment_day: date
    kind: str
    day_count: str
    years: tuple[InterestYear, ...]
    total: Money

    @property
    def first_day(self) -> date:
        return self.due_date + timedelta(days=1)

    @property
    def periods(self) -> tuple[InterestPeriod, ...]:
        return tuple(p for y in self.years for p in y.periods)

    @property
    def unconfirmed(self) -> tuple[InterestPeriod, ...]:
        """Periods whose rate is derived rather than confirmed: say so wherever this is shown."""
        return tuple(p for p in self.periods if not p.confirmed)


def _anniversary(first_day: date, years: int) -> date:
    """`first_day` moved `years` years on; 29 February becomes 1 March in a common year."""
    try:
        return first_day.replace(year=first_day.year + years)
    except ValueError:
        return date(first_day.year + years, 3, 1)


def _days_30e_360(boundary: date, last: date) -> int:
    """30E/360 days from the day after `boundary` to `last`, both ends as the convention wants."""

    def serial(d: date) -> int:
        return d.year * 360 + d.month * 30 + min(d.day, 30)

    return serial(last) - serial(boundary)


def _pieces(first: date, last: date, day_count: str) -> Iterator[tuple[date, date, int, Decimal]]:
    """Split [first, last] at calendar years (for actual/actual); yield days and year fraction."""
    if day_count == "30/360":
        days = _days_30e_360(first - timedelta(days=1), last)
        yield first, last, days, Decimal(days) / 360
        return
    current = first
    while current <= last:
        year_end = date(current.year, 12, 31)
        piece_end = min(last, year_end) if day_count == "actual/actual" else last
        days = (piece_end - current).days + 1
        leap = day_count == "actual/actual" and isleap(current.year)
        in_year = 366 if leap else 365
        yield current, piece_end, days, Decimal(days) / in_year
        current = piece_end + timedelta(days=1)


def statutory_interest(
    principal: Money,
    start: date,
    end: date,
    *,
    kind: Kind = "commercial",
    day_count: DayCount = "actual/365",
    table: RateTable,
    strict: bool = False,
) -> InterestBreakdown:
    """Statutory interest on `principal` due on `start` and paid on `end`.

    `start` is the due date (the last day without interest); interest runs from the next day up to
    and including `end`. Yearly compounding counts from that first day. Raises RateUnknown when a
    day has no rate in `table` (or only a derived one and `strict`), ValueError on bad input.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if day_count not in DAY_COUNTS:
        raise ValueError(f"day_count must be one of {DAY_COUNTS}, got {day_count!r}")
    if not principal.is_positive():
        raise ValueError(f"principal must be positive, got {principal}")
    if end < start:
        raise ValueError(f"payment day {end} is before the due date {start}")
    currency = principal.currency
    first_day = start + timedelta(days=1)

    years: list[InterestYear] = []
    base = principal
    year_no = 0
    year_start = first_day
    while year_start <= end:
        year_no += 1
        next_anniversary = _anniversary(first_day, year_no)
        year_end = min(end, next_anniversary - timedelta(days=1))
        periods = _year_periods(base, year_start, year_end, kind, day_count, table, strict)
        interest = Money(sum((p.amount_exact for p in periods), Decimal(0)), currency)
        complete = year_end == next_anniversary - timedelta(days=1)
        years.append(InterestYear(year_start, year_end, base, interest, periods, complete))
        base = base + interest
        year_start = year_end + timedelta(days=1)

    total = Money.zero(currency)
    for y in years:
        total = total + y.interest
    return InterestBreakdown(principal, start, end, kind, day_count, tuple(years), total)


def _year_periods(
    base: Money,
    first: date,
    last: date,
    kind: str,
    day_count: str,
    rates: RateTable,
    strict: bool,
) -> tuple[InterestPeriod, ...]:
    periods: list[InterestPeriod] = []
    current = first
    while current <= last:
        row = rates.rate_on(kind, current, strict=strict)
        period_end = min(last, row.valid_to)
        for p_start, p_end, days, fraction in _pieces(current, period_end, day_count):
            periods.append(
                InterestPeriod(
                    start=p_start,
                    end=p_end,
                    days=days,
                    year_fraction=fraction,
                    rate=row.rate,
                    base=base,
                    amount_exact=base.amount * row.rate / 100 * fraction,
                    confirmed=row.confirmed,
                    source=row.source,
                )
            )
        current = period_end + timedelta(days=1)
    return tuple(periods)
