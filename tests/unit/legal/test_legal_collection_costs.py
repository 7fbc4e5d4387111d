"""Collection costs on the Dutch scale (BIK, Stb. 2012, 141, art. 2) and the EU fixed EUR 40.

Sources: the scale, minimum and maximum from zoek.officielebekendmakingen.nl/stb-2012-141.html as
summarised in shared/reference/dunning-and-law.md §3.1; adding up several claims from art. 6:96
lid 7 BW (snijderincasso.nl "incassokosten stapelen of niet", das.nl "meerdere vorderingen");
partial payment inside the term from HR 25-11-2016, ECLI:NL:HR:2016:2704 (syncasso.nl/news/
uitspraak-hoge-raad-veertiendagen-brief: "Bij een tijdige deelbetaling wordt de hoogte van de
verschuldigde incassovergoeding bepaald op basis van ... het niet (tijdig) betaalde gedeelte").
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.domain.money import CurrencyMismatch, Money
from connector.legal import (
    collection_costs,
    collection_costs_for,
    eu_fixed_compensation,
)


def eur(amount: str | int) -> Money:
    return Money.of(amount, "EUR")


# principal, costs, costs with 21 % VAT: the reference's table (§3.1), which the scale reproduces.
SCALE_VECTORS = [
    ("10", "40.00", "48.40"),
    ("100", "40.00", "48.40"),
    ("266.66", "40.00", "48.40"),
    ("267", "40.05", "48.46"),
    ("1000", "150.00", "181.50"),
    ("2500", "375.00", "453.75"),
    ("3000", "425.00", "514.25"),
    ("5000", "625.00", "756.25"),
    ("10000", "875.00", "1058.75"),
    ("50000", "1275.00", "1542.75"),
    ("200000", "2775.00", "3357.75"),
    ("1000000", "6775.00", "8197.75"),
    ("25000000", "6775.00", "8197.75"),
]


@pytest.mark.parametrize(("principal", "costs", "with_vat"), SCALE_VECTORS)
def test_scale_vectors(principal: str, costs: str, with_vat: str) -> None:
    """Each principal gives the tabled costs; with VAT not reclaimable, costs × 1.21."""
    assert collection_costs(eur(principal)).costs == eur(costs)
    assert collection_costs(eur(principal)).total == eur(costs)
    assert collection_costs(eur(principal), vat_rate=Decimal(21)).total == eur(with_vat)


def test_3000_is_15_percent_of_2500_plus_10_percent_of_500() -> None:
    """EUR 3,000: 15 % × 2,500 = 375 plus 10 % × 500 = 50, total 425; the tiers say so."""
    b = collection_costs(eur(3000))
    assert [(t.base, t.rate_percent, t.amount) for t in b.tiers] == [
        (eur(2500), Decimal(15), eur(375)),
        (eur(500), Decimal(10), eur(50)),
    ]
    assert b.scale_amount == eur(425)
    assert b.limit is None


def test_all_five_bands_for_a_large_principal() -> None:
    """EUR 300,000 reaches the open band: 375 + 250 + 250 + 1,900 + 0.5 % × 100,000 = 3,275."""
    b = collection_costs(eur(300000))
    assert [t.base for t in b.tiers] == [eur(2500), eur(2500), eur(5000), eur(190000), eur(100000)]
    assert [t.upper for t in b.tiers] == [
        Decimal(2500),
        Decimal(5000),
        Decimal(10000),
        Decimal(200000),
        None,
    ]
    assert b.costs == eur(3275)


def test_minimum_40_applies_and_is_reported() -> None:
    """Lid 2: never less than EUR 40; EUR 100 gives 15 on the scale, so 40 is charged."""
    b = collection_costs(eur(100))
    assert b.scale_amount == eur(15)
    assert (b.costs, b.limit) == (eur(40), "minimum")


def test_maximum_6775_applies_and_is_reported() -> None:
    """Never more than EUR 6,775: the scale reaches it at EUR 1,000,000."""
    b = collection_costs(eur(2_000_000))
    assert b.scale_amount == eur(11775)
    assert (b.costs, b.limit) == (eur(6775), "maximum")


def test_vat_is_added_only_when_asked_and_on_the_minimum_too() -> None:
    """Lid 3: VAT only if the creditor cannot reclaim it (ruebincasso.nl, das.nl); on EUR 40 too."""
    assert collection_costs(eur(100)).vat == Money.zero("EUR")
    b = collection_costs(eur(100), vat_rate=Decimal(21))
    assert (b.costs, b.vat, b.total) == (eur(40), eur("8.40"), eur("48.40"))


def test_rounding_is_half_up_to_cents() -> None:
    """Our documented convention (the Besluit has none): half-up to cents.

    267.03 × 15 % = 40.0545 → 40.05; 267.10 × 15 % = 40.065 → 40.07 (half-up, not banker's 40.06).
    """
    assert collection_costs(eur("267.03")).costs == eur("40.05")
    assert collection_costs(eur("267.10")).costs == eur("40.07")


def test_several_invoices_are_added_up_before_the_scale() -> None:
    """Art. 6:96 lid 7 BW: 200 + 300 + 2,400 in one letter → costs on 2,900 = 415.00, not 445.00."""
    b = collection_costs_for([eur(200), eur(300), eur(2400)])
    assert b.principal == eur(2900)
    assert b.parts == (eur(200), eur(300), eur(2400))
    assert b.costs == eur(415)
    separately = sum((collection_costs(eur(p)).costs.amount for p in (200, 300, 2400)), Decimal(0))
    assert separately == Decimal(445)


def test_partial_payment_inside_the_term_lowers_the_base() -> None:
    """HR 2016: 1,000 owed, 400 paid in time → costs on the 600 left = 90.00."""
    assert collection_costs(eur(1000) - eur(400)).costs == eur(90)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        collection_costs(eur(0))
    with pytest.raises(ValueError, match="EUR"):
        collection_costs(Money.of(1000, "USD"))
    with pytest.raises(ValueError, match="percentage"):
        collection_costs(eur(1000), vat_rate=Decimal("0.21"))
    with pytest.raises(ValueError, match="no principals"):
        collection_costs_for([])
    with pytest.raises(CurrencyMismatch):
        collection_costs_for([eur(1), Money.of(1, "USD")])
    with pytest.raises(ValueError, match="positive"):
        collection_costs_for([eur(100), eur(-50)])


def test_eu_fixed_compensation_is_40_per_invoice() -> None:
    """Directive 2011/7/EU art. 6 and art. 6:96 lid 4 BW; per late payment (CJEU C-78/22)."""
    assert eu_fixed_compensation(1) == eur(40)
    assert eu_fixed_compensation(3) == eur(120)
    assert eu_fixed_compensation(0) == eur(0)
    with pytest.raises(ValueError):
        eu_fixed_compensation(-1)


cents = st.integers(min_value=1, max_value=5_000_000_000).map(lambda c: Money.from_minor(c, "EUR"))


@given(cents, cents)
def test_costs_are_monotonic_in_the_principal(a: Money, b: Money) -> None:
    """A larger claim never costs less."""
    low, high = sorted((a, b), key=lambda m: m.amount)
    assert collection_costs(low).costs <= collection_costs(high).costs


@given(cents)
def test_costs_stay_between_40_and_6775(principal: Money) -> None:
    costs = collection_costs(principal).costs
    assert eur(40) <= costs <= eur(6775)


@given(cents)
def test_tiers_add_up_to_the_principal_and_the_scale_amount(principal: Money) -> None:
    """The printed calculation is complete: bases sum to the principal, amounts to the scale."""
    b = collection_costs(principal)
    assert sum((t.base.amount for t in b.tiers), Decimal(0)) == principal.amount
    assert sum((t.amount.amount for t in b.tiers), Decimal(0)) == b.scale_amount.amount


@given(st.lists(cents, min_size=1, max_size=6))
def test_adding_up_never_costs_more_than_separate_letters(parts: list[Money]) -> None:
    """One letter for several claims is never dearer than one letter each, up to rounding.

    The scale is concave, so it is subadditive before rounding; each separately rounded amount can
    be up to half a cent lower (587.41 and 587.43 → 88.11 + 88.11 = 176.22, together 176.23).
    """
    together = collection_costs_for(parts).costs.amount
    separately = sum((collection_costs(p).costs.amount for p in parts), Decimal(0))
    assert together <= separately + Decimal("0.01") * len(parts)
