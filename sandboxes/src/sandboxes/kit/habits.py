"""How simulated customers pay, shared by every platform sandbox so demos compare like with like.

A habit turns one invoice (its date, due date and total) and the reminder mails the customer has
seen into the installments the customer pays. Randomness comes from a caller-seeded `Random`
per invoice, so outcomes do not depend on the order invoices are simulated in.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

HABITS: tuple[str, ...] = (
    "on_time",
    "early",
    "late_few_days",
    "pays_after_first_reminder",
    "pays_after_firm_reminder",
    "partial_then_full",
    "slow_30_60",
    "never_pays",
    "disputes",
)
#: how often each habit occurs in a demo ledger of 40 customers
HABIT_WEIGHTS: tuple[int, ...] = (8, 4, 8, 6, 4, 3, 3, 2, 2)

CENT = Decimal("0.01")

Installment = tuple[date, Decimal]


def installments(
    habit: str,
    rng: random.Random,
    invoice_date: date,
    due: date,
    total: Decimal,
    mails: list[date],
) -> list[Installment]:
    """The (date, amount) installments this customer pays, given the reminders seen so far."""
    after_due = sorted(d for d in mails if d >= due)  # reminders come after the due date
    if habit == "early":
        day = invoice_date + timedelta(days=rng.randint(2, 10))
        return [(min(day, due - timedelta(days=1)), total)]
    if habit == "on_time":
        return [(due - timedelta(days=rng.randint(0, 2)), total)]
    if habit == "late_few_days":
        return [(due + timedelta(days=rng.randint(2, 8)), total)]
    if habit == "slow_30_60":
        return [(due + timedelta(days=rng.randint(30, 60)), total)]
    if habit == "partial_then_full":
        first = (total / 2).quantize(CENT)
        return [
            (due + timedelta(days=rng.randint(1, 5)), first),
            (due + timedelta(days=rng.randint(20, 35)), total - first),
        ]
    if habit == "pays_after_first_reminder" and after_due:
        return [(after_due[0] + timedelta(days=rng.randint(1, 4)), total)]
    if habit == "pays_after_firm_reminder" and len(after_due) >= 2:
        return [(after_due[1] + timedelta(days=rng.randint(1, 5)), total)]
    return []  # never_pays, disputes, or waiting for a reminder
