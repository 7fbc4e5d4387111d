"""Property: the legal calculations take any amount, date, text or table and either return a
value or raise a ValueError (RateUnknown for a day without a rate) saying what is wrong, never
another exception (issue #15)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.config.rates import default_rate_table
from connector.domain import Money
from connector.legal.calendar import BusinessCalendar, SendingWindow
from connector.legal.collection_costs import (
    collection_costs,
    collection_costs_for,
    eu_fixed_compensation,
)
from connector.legal.fourteen_day import check_letter_wording, fourteen_day_letter_terms
from connector.legal.interest import RateTable, RateUnknown, statutory_interest

#: the packaged table (the calculations take it as an argument; they never read a file)
RATES = default_rate_table()

QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NL = BusinessCalendar("NL")
ALLOWED = (ValueError, RateUnknown)

amounts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.decimals(min_value=Decimal("-1e30"), max_value=Decimal("1e30"), places=2),
    st.sampled_from([Decimal("0.01"), Decimal("1e20"), Decimal("-5"), Decimal(0)]),
)
currencies = st.sampled_from(["EUR", "USD", "GBP"])
days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
near_days = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))


def money(amount: Decimal, currency: str) -> Money | None:
    try:
        return Money.of(amount, currency)
    except ValueError:
        return None  # not a Money: the legal functions never see it


@QUICK
@given(
    amounts,
    currencies,
    st.one_of(days, near_days),
    st.one_of(days, near_days),
    st.text(max_size=12),
    st.text(max_size=12),
)
def test_statutory_interest_is_a_value_or_a_value_error(
    amount: Decimal, currency: str, start: date, end: date, kind: str, day_count: str
) -> None:
    principal = money(amount, currency)
    if principal is None:
        return
    for k, dc in ((kind, day_count), ("commercial", "actual/365"), ("consumer", "30E/360")):
        try:  # any text as the kind and day count, on purpose: wrong ones are refused
            statutory_interest(principal, start, end, kind=k, day_count=dc, table=RATES)  # type: ignore[arg-type]
        except ALLOWED as exc:
            assert str(exc)


@QUICK
@given(amounts, currencies, st.one_of(st.none(), amounts), st.lists(amounts, max_size=3))
def test_collection_costs_are_a_value_or_a_value_error(
    amount: Decimal, currency: str, vat: Decimal | None, parts: list[Decimal]
) -> None:
    principal = money(amount, currency)
    if principal is None:
        return
    try:
        collection_costs(principal, vat_rate=vat)
    except ValueError as exc:
        assert str(exc)
    principals = [m for m in (money(p, currency) for p in parts) if m is not None]
    try:
        collection_costs_for(principals, vat_rate=vat)
    except ValueError as exc:
        assert str(exc)


@QUICK
@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_eu_compensation_is_a_value_or_a_value_error(invoices: int) -> None:
    try:
        eu_fixed_compensation(invoices)
    except ValueError as exc:
        assert str(exc)


@QUICK
@given(days, st.sampled_from(["post", "email", "fax", ""]))
def test_fourteen_day_terms_are_a_value_or_a_value_error(sent_on: date, by: str) -> None:
    try:  # channels that do not exist too, on purpose: they are refused
        fourteen_day_letter_terms(sent_on, NL, by=by)  # type: ignore[arg-type]
    except ValueError as exc:
        assert str(exc)


@QUICK
@given(st.text(max_size=300), st.sampled_from(["nl", "en", "de"]))
def test_letter_wording_checks_any_text(text: str, lang: str) -> None:
    try:
        check_letter_wording(text, lang)
    except ValueError as exc:
        assert str(exc)


rows = st.lists(
    st.tuples(
        st.sampled_from(["commercial", "consumer", "x"]),
        st.one_of(st.dates().map(str), st.text(max_size=10)),
        st.one_of(st.dates().map(str), st.text(max_size=10)),
        st.one_of(st.decimals(allow_nan=True).map(str), st.text(max_size=6)),
        st.sampled_from(["official", "derived", "?"]),
    ),
    max_size=4,
)


@QUICK
@given(st.one_of(rows, st.text(max_size=200)))
def test_a_rate_table_is_parsed_or_refused_naming_the_row(
    data: str | list[tuple[str, str, str, str, str]],
) -> None:
    if isinstance(data, str):
        text = data
    else:
        body = "\n".join(",".join(cells) + ",src" for cells in data)
        text = "kind,valid_from,valid_to,rate_percent,status,source\n" + body
    try:
        RateTable.from_csv(text)
    except ValueError as exc:
        assert str(exc)


@QUICK
@given(st.text(max_size=20), st.sampled_from(["Europe/Amsterdam", "Nowhere/City", ""]))
def test_a_sending_window_is_parsed_or_refused(spec: str, zone: str) -> None:
    try:
        SendingWindow.parse(spec, zone)
    except ValueError as exc:
        assert str(exc)


@pytest.mark.parametrize("rate", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_a_rate_that_is_not_a_number_is_refused_naming_the_row(rate: str) -> None:
    text = (
        "kind,valid_from,valid_to,rate_percent,status,source\n"
        f"commercial,2026-01-01,2026-06-30,{rate},official,src\n"
    )
    with pytest.raises(ValueError, match=r"data row 2: rate_percent .* is not a number"):
        RateTable.from_csv(text)
