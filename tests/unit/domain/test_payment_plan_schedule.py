"""The schedule of a customer's payment plan and whether it is kept (issue #14): computed by
the connector, never typed by the customer; equal instalments to the cent with the remainder on
the last; a missed instalment is one whose day plus the grace day has passed unpaid."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.domain.money import Money
from connector.domain.plans import (
    Limits,
    PaymentPlan,
    PlanInvoice,
    PlanRefused,
    PlanStatus,
    Progress,
    propose_schedule,
    schedule,
    standing,
)

TODAY = date(2026, 3, 2)
LIMITS = Limits(
    today=TODAY,
    max_instalments=6,
    min_instalment=Decimal("50"),
    max_days=180,
    start_within_days=30,
)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_equal_instalments_to_the_cent_with_the_remainder_on_the_last() -> None:
    planned = schedule(eur("1000.00"), 3, date(2026, 3, 10), None)
    assert [str(i.amount.amount) for i in planned] == ["333.33", "333.33", "333.34"]
    assert sum(i.amount.amount for i in planned) == Decimal("1000.00")


def test_monthly_keeps_the_day_and_falls_back_to_the_months_last_day() -> None:
    planned = schedule(eur("300.00"), 3, date(2026, 1, 31), None)
    assert [i.day for i in planned] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]


def test_every_n_days_from_the_start() -> None:
    planned = schedule(eur("300.00"), 3, date(2026, 3, 2), 14)
    assert [i.day for i in planned] == [date(2026, 3, 2), date(2026, 3, 16), date(2026, 3, 30)]


@pytest.mark.parametrize(
    ("count", "start", "every", "code"),
    [
        (1, TODAY, None, "count"),  # one instalment is a promise to pay
        (7, TODAY, None, "count"),  # more than the client's maximum
        (5, TODAY, None, "count"),  # 220 / 5 = 44: below the minimum instalment of 50
        (3, date(2026, 3, 1), None, "start"),  # yesterday
        (3, date(2026, 4, 2), None, "start"),  # more than 30 days ahead
        (3, TODAY, 3, "every"),  # every 3 days: shorter than the page offers
        (4, date(2026, 3, 31), 62, "length"),  # last instalment after 180 days
    ],
)
def test_a_proposal_outside_the_limits_is_refused_naming_the_limit(
    count: int, start: date, every: int | None, code: str
) -> None:
    with pytest.raises(PlanRefused) as refused:
        propose_schedule(eur("220.00"), count, start, every, LIMITS)
    assert refused.value.code == code


def test_an_amount_too_small_for_two_instalments_gets_no_plan() -> None:
    assert LIMITS.most_instalments(eur("99.99")) == 0
    assert LIMITS.most_instalments(eur("100.00")) == 2
    assert LIMITS.most_instalments(eur("10000.00")) == 6


def plan_of(*amounts: str) -> PaymentPlan:
    days = [date(2026, 3, 2), date(2026, 4, 2), date(2026, 5, 2)]
    return PaymentPlan(
        id=1,
        tenant="acme",
        number=1,
        customer_ref="c",
        status=PlanStatus.APPROVED,
        instalments=tuple(
            schedule(eur("1200.00"), 3, days[0], None)
            if not amounts
            else schedule(eur(amounts[0]), 3, days[0], None)
        ),
        invoices=(PlanInvoice("i", "INV-1", eur("1200.00")),),
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
        created_by="the customer (own page)",
    )


def test_an_instalment_paid_by_its_day_plus_the_grace_day_keeps_the_plan_on_track() -> None:
    plan = plan_of()
    assert standing(plan, eur("0"), date(2026, 3, 3)).progress is Progress.ON_TRACK  # grace day
    assert standing(plan, eur("400"), date(2026, 4, 3)).progress is Progress.ON_TRACK


def test_an_instalment_unpaid_after_the_grace_day_is_missed() -> None:
    plan = plan_of()
    missed = standing(plan, eur("400"), date(2026, 4, 4))
    assert missed.progress is Progress.MISSED and missed.missed == 2
    # paying ahead counts: the cumulative amount is what matters
    assert standing(plan, eur("800"), date(2026, 4, 4)).progress is Progress.ON_TRACK


def test_the_whole_plan_paid_is_kept_even_before_its_last_day() -> None:
    assert standing(plan_of(), eur("1200"), date(2026, 3, 20)).progress is Progress.KEPT


@given(
    cents=st.integers(min_value=200, max_value=10**9),
    count=st.integers(min_value=2, max_value=24),
    every=st.one_of(st.none(), st.integers(min_value=7, max_value=62)),
)
def test_any_schedule_adds_up_to_the_total_and_only_the_last_differs(
    cents: int, count: int, every: int | None
) -> None:
    total = Money.from_minor(cents, "EUR")
    planned = schedule(total, count, date(2026, 1, 31), every)
    assert sum(i.amount.amount for i in planned) == total.amount
    assert len({i.amount for i in planned[:-1]}) == 1
    assert (
        planned[0].amount <= planned[-1].amount < planned[0].amount + Money.from_minor(count, "EUR")
    )
    assert all(a.day < b.day for a, b in itertools.pairwise(planned))
