"""Dutch/EU collection law and the business-day calendar. Pure: nothing here reads the clock."""

from connector.legal.collection_costs import (
    CostBreakdown,
    CostTier,
    collection_costs,
    collection_costs_for,
    eu_fixed_compensation,
)
from connector.legal.interest import (
    InterestBreakdown,
    InterestPeriod,
    InterestYear,
    RateTable,
    RateUnknown,
    statutory_interest,
)

__all__ = [
    "CostBreakdown",
    "CostTier",
    "InterestBreakdown",
    "InterestPeriod",
    "InterestYear",
    "RateTable",
    "RateUnknown",
    "collection_costs",
    "collection_costs_for",
    "eu_fixed_compensation",
    "statutory_interest",
]
