"""Statutory interest: art. 6:119 BW (consumer) and 6:119a BW (commercial), half-yearly rates.

Sources: interest "tot en met de dag van betaling" and yearly compounding from art. 6:119a lid 1
and lid 3 BW (wetboekplus.nl/burgerlijk-wetboek-boek-6-artikel-119a-handelsrente/) and art. 6:119
lid 2 BW ("telkens na afloop van een jaar ... vermeerderd met de over dat jaar verschuldigde
wettelijke rente", rechtnet.nl/wettelijke-rente-per-1-januari-2016/). Rates: the packaged table
``connector/legal/data/interest_rates.csv``, one source per row. Vectors A-E are the reference's
(shared/reference/dunning-and-law.md §3.3), recomputed by hand below.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.config.rates import default_rate_table
from connector.domain.money import Money
from connector.legal import RateTable, RateUnknown, statutory_interest
from connector.legal.interest import DayCount, Kind, RatePeriod

#: the packaged table (the calculations take it as an argument; they never read a file)
RATES = default_rate_table()


def eur(amount: str | int) -> Money:
    return Money.of(amount, "EUR")


def test_vector_a_commercial_2024_split_at_1_july() -> None:
    """A. EUR 1,000 due 2023-12-31, paid 2024-12-31 (commercial).

    2024-01-01..06-30 = 182 days at 12.50 %: 1000 × 0.125 × 182/365 = 62.3288
    2024-07-01..12-31 = 184 days at 12.25 %: 1000 × 0.1225 × 184/365 = 61.7534
    total 124.0822 → 124.08; actual/actual divides by 366 (2024 is a leap year) → 123.74.
    """
    b = statutory_interest(
        eur(1000), date(2023, 12, 31), date(2024, 12, 31), kind="commercial", table=RATES
    )
    assert b.total == eur("124.08")
    assert [(p.start, p.end, p.days, p.rate) for p in b.periods] == [
        (date(2024, 1, 1), date(2024, 6, 30), 182, Decimal("12.5")),
        (date(2024, 7, 1), date(2024, 12, 31), 184, Decimal("12.25")),
    ]
    assert [p.amount for p in b.periods] == [eur("62.33"), eur("61.75")]
    leap = statutory_interest(
        eur(1000), date(2023, 12, 31), date(2024, 12, 31), day_count="actual/actual", table=RATES
    )
    assert leap.total == eur("123.74")


def test_vector_b_consumer_compounds_after_the_first_year() -> None:
    """B. Consumer EUR 1,000, verzuim 2023-01-01..2024-12-31 (due date 2022-12-31).

    Year 1: 181 d × 4 % + 184 d × 6 % = 19.8356 + 30.2466 = 50.0822 → 50.08, added to the base
    on 2024-01-01. Year 2: 1,050.08 × 7 % × 366/365 = 73.7065 → 73.71. Total 123.79
    (actual/actual: year 2 × 366/366 = 73.51 → 123.59).
    """
    b = statutory_interest(
        eur(1000), date(2022, 12, 31), date(2024, 12, 31), kind="consumer", table=RATES
    )
    assert [(y.start, y.end, y.base, y.interest, y.capitalised) for y in b.years] == [
        (date(2023, 1, 1), date(2023, 12, 31), eur(1000), eur("50.08"), True),
        (date(2024, 1, 1), date(2024, 12, 31), eur("1050.08"), eur("73.71"), True),
    ]
    assert b.total == eur("123.79")
    leap = statutory_interest(
        eur(1000),
        date(2022, 12, 31),
        date(2024, 12, 31),
        kind="consumer",
        day_count="actual/actual",
        table=RATES,
    )
    assert leap.total == eur("123.59")


def test_vector_c_compounding_year_runs_from_the_first_day_not_the_calendar_year() -> None:
    """C. Commercial EUR 1,000 from 2023-07-01 to 2025-06-30.

    Year 1 (2023-07-01..2024-06-30): 184 d × 12 % + 182 d × 12.5 % = 60.4932 + 62.3288 = 122.82.
    Year 2 on 1,122.82: 184 d × 12.25 % + 181 d × 11.15 % = 69.3379 + 62.0813 = 131.42.
    Total 254.24. Compounding on 1 January instead would give a different figure.
    """
    b = statutory_interest(eur(1000), date(2023, 6, 30), date(2025, 6, 30), table=RATES)
    assert [y.interest for y in b.years] == [eur("122.82"), eur("131.42")]
    assert b.years[1].base == eur("1122.82")
    assert b.total == eur("254.24")


def test_vector_d_rate_change_inside_a_period() -> None:
    """D. Commercial EUR 2,500 from 2023-03-01 to 2023-08-31.

    2023-03-01..06-30 = 122 d × 10.5 % = 87.7397; 2023-07-01..08-31 = 62 d × 12 % = 50.9589;
    total 138.6986 → 138.70.
    """
    b = statutory_interest(eur(2500), date(2023, 2, 28), date(2023, 8, 31), table=RATES)
    assert [(p.days, p.rate) for p in b.periods] == [(122, Decimal("10.5")), (62, Decimal(12))]
    assert b.total == eur("138.70")


def test_vector_e_year_is_rounded_once_not_per_period() -> None:
    """E. Commercial EUR 1,000 from 2024-07-01 to 2025-06-30: 117.05.

    184 d × 12.25 % = 61.7534 and 181 d × 11.15 % = 55.2918: exact sum 117.0452 → 117.05.
    Rounding each period first would give 61.75 + 55.29 = 117.04, a cent short.
    """
    b = statutory_interest(eur(1000), date(2024, 6, 30), date(2025, 6, 30), table=RATES)
    assert b.total == eur("117.05")
    assert sum((p.amount.amount for p in b.periods), Decimal(0)) == Decimal("117.04")


def test_payment_day_is_included_and_due_date_is_not() -> None:
    """Paid the day after the due date: one day of interest. Paid on the due date: none."""
    one_day = statutory_interest(eur(36500), date(2024, 3, 4), date(2024, 3, 5), table=RATES)
    assert one_day.first_day == date(2024, 3, 5)
    assert [p.days for p in one_day.periods] == [1]
    assert one_day.total == eur("12.50")  # 36,500 × 12.5 % / 365
    assert statutory_interest(
        eur(1000), date(2024, 3, 4), date(2024, 3, 4), table=RATES
    ).total == eur(0)


def test_2015_rates_are_in_the_table() -> None:
    """From 2015-01-01: 8.05 % commercial, 2 % consumer (advocatenkantooroste.nl, fintool.nl).

    Commercial EUR 10,000 for 2015 (365 days, one rate all year) = 805.00; consumer = 200.00.
    """
    assert statutory_interest(
        eur(10000), date(2014, 12, 31), date(2015, 12, 31), table=RATES
    ).total == eur(805)
    consumer = statutory_interest(
        eur(10000), date(2014, 12, 31), date(2015, 12, 31), kind="consumer", table=RATES
    )
    assert consumer.total == eur(200)


def test_30e_360_counts_months_as_30_days() -> None:
    """30E/360: 2023-01-31 → 2023-03-31 is 60 days (31st treated as 30th), over 360."""
    b = statutory_interest(
        eur(3600), date(2023, 1, 31), date(2023, 3, 31), day_count="30/360", table=RATES
    )
    assert [p.days for p in b.periods] == [60]
    assert b.total == eur(63)  # 3,600 × 10.5 % × 60/360


def test_a_date_beyond_the_table_raises_rate_unknown() -> None:
    """The latest row ends 2026-06-30: a payment on 2026-07-01 must not be guessed."""
    with pytest.raises(RateUnknown, match="2026-07-01") as err:
        statutory_interest(eur(1000), date(2026, 1, 1), date(2026, 7, 1), table=RATES)
    assert err.value.day == date(2026, 7, 1)
    with pytest.raises(RateUnknown, match="2014-06-30"):
        statutory_interest(eur(1000), date(2014, 6, 29), date(2014, 12, 31), table=RATES)


def test_derived_rates_are_flagged_and_refused_when_strict() -> None:
    """2025-H2 rates are derived from the ECB rate, not yet seen published: used, but flagged."""
    b = statutory_interest(eur(1000), date(2025, 6, 30), date(2025, 7, 31), table=RATES)
    assert b.unconfirmed and b.unconfirmed[0].rate == Decimal("10.15")
    with pytest.raises(RateUnknown, match="derived"):
        statutory_interest(
            eur(1000), date(2025, 6, 30), date(2025, 7, 31), strict=True, table=RATES
        )


def test_a_gap_in_a_custom_table_is_unknown() -> None:
    table = RateTable(
        [
            RatePeriod(
                "commercial", date(2024, 1, 1), date(2024, 6, 30), Decimal(8), "confirmed", "x"
            ),
            RatePeriod(
                "commercial", date(2025, 1, 1), date(2025, 6, 30), Decimal(8), "confirmed", "x"
            ),
        ]
    )
    with pytest.raises(RateUnknown, match="2024-07-01"):
        statutory_interest(eur(1000), date(2024, 6, 1), date(2025, 2, 1), table=table)


def test_packaged_table_has_every_half_year_from_mid_2014_for_both_kinds() -> None:
    table = default_rate_table()
    for kind in ("consumer", "commercial"):
        rows = table.rows(kind)
        assert rows[0].valid_from == date(2014, 7, 1)
        assert all(r.source for r in rows)
        for before, after in pairwise(rows):
            assert after.valid_from == before.valid_to + timedelta(days=1)


def test_overlapping_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        RateTable(
            [
                RatePeriod(
                    "consumer", date(2024, 1, 1), date(2024, 6, 30), Decimal(7), "derived", ""
                ),
                RatePeriod(
                    "consumer", date(2024, 6, 1), date(2024, 9, 30), Decimal(7), "derived", ""
                ),
            ]
        )


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="before the due date"):
        statutory_interest(eur(1000), date(2024, 2, 1), date(2024, 1, 1), table=RATES)
    with pytest.raises(ValueError, match="positive"):
        statutory_interest(eur(0), date(2024, 1, 1), date(2024, 2, 1), table=RATES)
    with pytest.raises(ValueError, match="kind"):  # an unknown kind, passed on purpose
        statutory_interest(eur(1), date(2024, 1, 1), date(2024, 2, 1), kind="b2b", table=RATES)  # type: ignore[arg-type]


covered_days = st.dates(min_value=date(2014, 6, 30), max_value=date(2026, 6, 30))
amounts = st.integers(min_value=1, max_value=10**9).map(lambda c: Money.from_minor(c, "EUR"))
kinds: st.SearchStrategy[Kind] = st.sampled_from(["commercial", "consumer"])
day_counts: st.SearchStrategy[DayCount] = st.sampled_from(["actual/365", "actual/actual", "30/360"])


@given(amounts, covered_days, covered_days, kinds, day_counts)
def test_interest_is_never_negative(
    principal: Money, a: date, b: date, kind: Kind, day_count: DayCount
) -> None:
    start, end = sorted((a, b))
    total = statutory_interest(
        principal, start, end, kind=kind, day_count=day_count, table=RATES
    ).total
    assert total.amount >= 0


@given(amounts, covered_days, covered_days, covered_days, kinds, day_counts)
def test_interest_grows_with_the_payment_day(
    principal: Money, a: date, b: date, c: date, kind: Kind, day_count: DayCount
) -> None:
    """Paying later never costs less interest."""
    start, earlier, later = sorted((a, b, c))
    first = statutory_interest(
        principal, start, earlier, kind=kind, day_count=day_count, table=RATES
    )
    second = statutory_interest(
        principal, start, later, kind=kind, day_count=day_count, table=RATES
    )
    assert first.total <= second.total
