"""Payment behaviour per customer: how late they pay, and whether that makes them a chronic late
payer (a candidate for prepayment or a credit hold).

Computed from the stored ledger only: a paid invoice's lateness is its last payment date minus its
due date. The rule is the client's `late_payers` setting; the figures are plain data for
`dunning customers` and for reports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from connector.config.models import LatePayerRule
from connector.domain import Invoice, InvoiceStatus, Snapshot


@dataclass(frozen=True, slots=True)
class PaymentBehaviour:
    customer_ref: str
    paid_invoices: int
    paid_late: int
    #: average days after the due date over paid invoices (early payments count as 0)
    average_days_late: Decimal | None
    open_overdue: int
    chronic_late_payer: bool
    reason: str

    @property
    def share_late(self) -> Decimal | None:
        if not self.paid_invoices:
            return None
        return (Decimal(self.paid_late) / self.paid_invoices).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )


def behaviour(
    snapshot: Snapshot,
    customer_ref: str,
    today: date,
    rule: LatePayerRule | None = None,
    invoices: Iterable[Invoice] | None = None,
) -> PaymentBehaviour:
    """`invoices`: the customer's invoices when the caller has them grouped already (a client
    of thousands of customers is not scanned once per customer)."""
    rule = rule or LatePayerRule()
    lateness: list[int] = []
    open_overdue = 0
    mine = snapshot.invoices_of(customer_ref) if invoices is None else invoices
    for inv in mine:
        if inv.status is InvoiceStatus.PAID and inv.last_payment_date is not None:
            lateness.append(max(0, (inv.last_payment_date - inv.due_date).days))
        elif inv.is_open and inv.due_date < today:
            open_overdue += 1
    late = sum(1 for d in lateness if d > rule.grace_days)
    average = (
        (Decimal(sum(lateness)) / len(lateness)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if lateness
        else None
    )
    chronic, reason = False, ""
    if len(lateness) < rule.min_invoices:
        reason = f"too few paid invoices to judge ({len(lateness)} of {rule.min_invoices})"
    else:
        share = Decimal(late) / len(lateness)
        if share >= rule.share_late:
            chronic, reason = True, f"paid {late} of {len(lateness)} invoices late"
        elif average is not None and average >= rule.average_days_late:
            chronic, reason = True, f"pays {average} days late on average"
    return PaymentBehaviour(
        customer_ref, len(lateness), late, average, open_overdue, chronic, reason
    )


def all_behaviour(
    snapshot: Snapshot, today: date, rule: LatePayerRule | None = None
) -> list[PaymentBehaviour]:
    by_customer: dict[str, list[Invoice]] = defaultdict(list)
    for inv in snapshot.invoices.values():
        by_customer[inv.customer_ref].append(inv)
    refs = sorted(set(by_customer) | set(snapshot.customers))
    return [behaviour(snapshot, ref, today, rule, by_customer.get(ref, [])) for ref in refs]
