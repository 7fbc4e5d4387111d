"""Dutch/EU collection law and the business-day calendar. Pure: nothing here reads the clock."""

from connector.legal.collection_costs import (
    CostBreakdown,
    CostTier,
    collection_costs,
    collection_costs_for,
    eu_fixed_compensation,
)
from connector.legal.fourteen_day import (
    LetterTerms,
    check_letter_wording,
    fourteen_day_letter_terms,
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
    "LetterTerms",
    "RateTable",
    "RateUnknown",
    "check_letter_wording",
    "collection_costs",
    "collection_costs_for",
    "eu_fixed_compensation",
    "fourteen_day_letter_terms",
    "statutory_interest",
]
