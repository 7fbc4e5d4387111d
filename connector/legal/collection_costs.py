"""Extrajudicial collection costs (buitengerechtelijke incassokosten) and the EU fixed €40.

The Dutch scale is art. 2 of the *Besluit vergoeding voor buitengerechtelijke incassokosten*
(BIK, Stb. 2012, 141), which art. 6:96 lid 5 BW makes mandatory against consumers and which courts
apply as the yardstick in B2B cases too (HR 2015, "reflexwerking"):

    15 %  over the first    EUR   2,500
    10 %  over the next     EUR   2,500
     5 %  over the next     EUR   5,000
     1 %  over the next     EUR 190,000
     0.5% over the rest,    minimum EUR 40 (lid 2), maximum EUR 6,775.

Why these rules and not others:

* The base is the principal only: statutory interest is not added to it.
* Several claims on one debtor sent in one letter are added up *before* the scale is applied
  (art. 6:96 lid 7 BW); charging each invoice separately would stack minimums and overcharge.
* VAT (lid 3) is added only when the creditor cannot reclaim it and says so, so it is opt-in
  here: a creditor who can reclaim VAT must not charge it. It applies to the €40 minimum too.
* Rounding: amounts are rounded half-up to cents (our choice; the Besluit gives no rule). Every
  band below the top one is full and yields whole cents (375, 250, 250, 1,900), so only the top
  band can have fractions of a cent; rounding each band or the sum gives the same result.

Amounts are euros; a principal in another currency is refused rather than silently treated as
euros.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from connector.domain.money import Money

SCALE_CURRENCY = "EUR"
MINIMUM = Money(Decimal(40), SCALE_CURRENCY)
MAXIMUM = Money(Decimal(6775), SCALE_CURRENCY)
EU_FIXED_COMPENSATION = Money(Decimal(40), SCALE_CURRENCY)

# (width of the band in euros or None for "the rest", rate as a fraction)
_BANDS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal(2500), Decimal("0.15")),
    (Decimal(2500), Decimal("0.10")),
    (Decimal(5000), Decimal("0.05")),
    (Decimal(190000), Decimal("0.01")),
    (None, Decimal("0.005")),
)


@dataclass(frozen=True, slots=True)
class CostTier:
    """One band of the scale: the part of the principal that falls in it and what it yields."""

    lower: Decimal
    upper: Decimal | None  # None: open-ended top band
    rate: Decimal  # fraction, 0.15 for 15 %
    base: Money
    amount: Money

    @property
    def rate_percent(self) -> Decimal:
        return (self.rate * 100).normalize()


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """The scale applied to one (summed) principal, with every step kept for printing."""

    principal: Money
    parts: tuple[Money, ...]  # the invoices' principals that were added up (one for a single)
    tiers: tuple[CostTier, ...]  # only the bands that the principal reaches
    scale_amount: Money  # sum of the bands, before minimum/maximum
    costs: Money  # after minimum/maximum, without VAT
    limit: Literal["minimum", "maximum"] | None  # which limit applied, if any
    vat_rate: Decimal | None  # percentage, e.g. 21; None when VAT is not charged
    vat: Money
    total: Money  # costs + VAT


def _check_vat(vat_rate: Decimal | None) -> Decimal | None:
    if vat_rate is None:
        return None
    rate = Decimal(vat_rate)
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise ValueError(f"vat_rate is a percentage between 0 and 100, got {vat_rate}")
    if 0 < rate < 1:
        # 0.21 is almost certainly 21 % written as a fraction; no Dutch VAT rate is below 1 %.
        raise ValueError(f"vat_rate is a percentage (21 for 21 %), got {vat_rate}")
    return rate


def collection_costs(principal: Money, *, vat_rate: Decimal | None = None) -> CostBreakdown:
    """Costs on the BIK scale for one principal; `vat_rate` (percent) only if VAT is not
    reclaimable by the creditor.

    Raises ValueError for a principal that is not a positive euro amount.
    """
    return _apply_scale(principal, (principal,), vat_rate)


def collection_costs_for(
    principals: Iterable[Money], *, vat_rate: Decimal | None = None
) -> CostBreakdown:
    """Costs for several claims in one letter: principals are added up first (art. 6:96 lid 7 BW).

    Three invoices of 200, 300 and 2,400 cost 415.00 together, not 40 + 45 + 360 = 445.00.
    """
    parts = tuple(principals)
    if not parts:
        raise ValueError("no principals given")
    total = parts[0]
    for part in parts[1:]:
        total = total + part  # raises CurrencyMismatch on mixed currencies
    for part in parts:
        if not part.is_positive():
            raise ValueError(f"each principal must be positive, got {part}")
    return _apply_scale(total, parts, vat_rate)


def _apply_scale(
    principal: Money, parts: tuple[Money, ...], vat_rate: Decimal | None
) -> CostBreakdown:
    if principal.currency != SCALE_CURRENCY:
        raise ValueError(f"the BIK scale is in EUR; convert {principal} to euros first")
    if not principal.is_positive():
        raise ValueError(f"principal must be positive, got {principal}")
    vat_percent = _check_vat(vat_rate)

    tiers: list[CostTier] = []
    remaining = principal.amount
    lower = Decimal(0)
    for width, rate in _BANDS:
        if remaining <= 0:
            break
        base = remaining if width is None else min(remaining, width)
        upper = None if width is None else lower + width
        tiers.append(
            CostTier(
                lower=lower,
                upper=upper,
                rate=rate,
                base=Money(base, SCALE_CURRENCY),
                amount=Money(base * rate, SCALE_CURRENCY),
            )
        )
        remaining -= base
        if upper is not None:
            lower = upper

    scale_amount = Money(sum((t.base.amount * t.rate for t in tiers), Decimal(0)), SCALE_CURRENCY)
    limit: Literal["minimum", "maximum"] | None = None
    costs = scale_amount
    if scale_amount < MINIMUM:
        costs, limit = MINIMUM, "minimum"
    elif scale_amount > MAXIMUM:
        costs, limit = MAXIMUM, "maximum"

    vat = Money.zero(SCALE_CURRENCY)
    if vat_percent is not None:
        vat = Money(costs.amount * vat_percent / 100, SCALE_CURRENCY)
    return CostBreakdown(
        principal=principal,
        parts=parts,
        tiers=tuple(tiers),
        scale_amount=scale_amount,
        costs=costs,
        limit=limit,
        vat_rate=vat_percent,
        vat=vat,
        total=costs + vat,
    )


def eu_fixed_compensation(invoices: int) -> Money:
    """EUR 40 per late-paid invoice between businesses, owed without a reminder.

    Directive 2011/7/EU art. 6 and art. 6:96 lid 4 BW; the CJEU (C-78/22) holds it is due per
    late payment, so per invoice. Not for consumers.
    """
    if invoices < 0:
        raise ValueError(f"number of invoices cannot be negative, got {invoices}")
    return EU_FIXED_COMPENSATION * invoices
