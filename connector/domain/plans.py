"""A payment plan a customer proposes on their own page (issue #14): the schedule and its rules.

Pure: the schedule is computed here (never typed by the customer), and whether a plan is kept,
missed or still running is decided here from the amount paid and the day, both inputs. The
store keeps the plans (`connector.store.plans`); `connector.customers.plans` proposes, decides
and tracks them. While a plan is proposed or approved its invoices carry a pause of kind plan,
so the planner plans nothing for them; when a plan ends (rejected, missed, kept) the pauses are
resumed and the ladder climbs on from the step it had reached, as after any pause.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from connector.domain.money import Money

#: days after an instalment's day before it counts as missed (the payment's way through the bank)
GRACE_DAYS = 1
#: the fewest instalments of a plan (one would be a promise to pay)
MIN_INSTALMENTS = 2
#: "every N days": the shortest and the longest interval the page offers
MIN_EVERY_DAYS = 7
MAX_EVERY_DAYS = 62


class PlanStatus(enum.StrEnum):
    PROPOSED = "proposed"  # waits for the business; the ladder is paused meanwhile
    APPROVED = "approved"  # being paid; the ladder is paused while instalments are met
    REJECTED = "rejected"  # the business said no: the ladder resumes
    MISSED = "missed"  # an instalment was not met by its day plus the grace day: ladder resumes
    KEPT = "kept"  # everything in the plan was paid

    @property
    def live(self) -> bool:
        return self in (PlanStatus.PROPOSED, PlanStatus.APPROVED)

    @property
    def label(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Instalment:
    day: date
    amount: Money


@dataclass(frozen=True, slots=True)
class PlanInvoice:
    """One invoice in a plan: its id on the platform, its number and its open amount when the
    plan was proposed (what was paid on it since is that minus its balance now)."""

    ref: str
    number: str
    balance_at_start: Money


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    id: int
    tenant: str
    #: the short number people use (`dunning plans approve acme 3`), counted per client
    number: int
    customer_ref: str
    status: PlanStatus
    instalments: tuple[Instalment, ...]
    invoices: tuple[PlanInvoice, ...]
    created_at: datetime
    created_by: str
    #: every N days; None: monthly
    every_days: int | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    ended_at: datetime | None = None

    @property
    def total(self) -> Money:
        return sum((i.amount for i in self.instalments[1:]), self.instalments[0].amount)

    @property
    def currency(self) -> str:
        return self.instalments[0].amount.currency

    @property
    def start(self) -> date:
        return self.instalments[0].day

    @property
    def last_day(self) -> date:
        return self.instalments[-1].day


class PlanRefused(ValueError):
    """The proposal is outside the client's limits; `code` says which limit (the page words it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (31 Jan →
    28 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(
    total: Money, count: int, start: date, every_days: int | None
) -> tuple[Instalment, ...]:
    """`count` equal instalments to the cent, the remainder on the last, from `start` monthly
    (`every_days` None) or every `every_days` days."""
    if count < 1:
        raise ValueError("a plan has at least one instalment")
    each = (total.amount / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    last = total.amount - each * (count - 1)
    days = [
        _add_months(start, k) if every_days is None else start + timedelta(days=every_days * k)
        for k in range(count)
    ]
    return tuple(
        Instalment(day, Money.of(last if k == count - 1 else each, total.currency))
        for k, day in enumerate(days)
    )


@dataclass(frozen=True, slots=True)
class Limits:
    """The client's limits (`payment_plans:`) applied to one customer's open total on `today`."""

    today: date
    max_instalments: int
    min_instalment: Decimal
    max_days: int
    start_within_days: int

    @property
    def latest_start(self) -> date:
        return self.today + timedelta(days=self.start_within_days)

    @property
    def latest_end(self) -> date:
        return self.today + timedelta(days=self.max_days)

    def most_instalments(self, total: Money) -> int:
        """How many instalments the total allows (0: none; below 2 a plan is not offered)."""
        by_amount = int(total.amount // self.min_instalment) if self.min_instalment > 0 else 10**6
        most = min(self.max_instalments, by_amount)
        return most if most >= MIN_INSTALMENTS else 0


def propose_schedule(
    total: Money, count: int, start: date, every_days: int | None, limits: Limits
) -> tuple[Instalment, ...]:
    """The schedule of a proposal, checked against the limits.

    Raises:
        PlanRefused: too many or too few instalments, an instalment below the minimum, a start
            before today or after the latest start, an interval out of range, or a last
            instalment after the latest end.
    """
    most = limits.most_instalments(total)
    if most == 0:
        raise PlanRefused("amount", "the open amount is too small for a payment plan")
    if not MIN_INSTALMENTS <= count <= most:
        raise PlanRefused("count", f"choose {MIN_INSTALMENTS} to {most} instalments")
    if every_days is not None and not MIN_EVERY_DAYS <= every_days <= MAX_EVERY_DAYS:
        raise PlanRefused("every", f"every {MIN_EVERY_DAYS} to {MAX_EVERY_DAYS} days")
    if not limits.today <= start <= limits.latest_start:
        raise PlanRefused("start", "the first instalment's day is out of range")
    planned = schedule(total, count, start, every_days)
    if planned[-1].day > limits.latest_end:
        raise PlanRefused("length", "the last instalment falls after the longest plan")
    if min(i.amount.amount for i in planned) < limits.min_instalment:
        raise PlanRefused("count", "an instalment would be below the minimum")
    return planned


class Progress(enum.StrEnum):
    ON_TRACK = "on track"
    MISSED = "missed"
    KEPT = "kept"


@dataclass(frozen=True, slots=True)
class Standing:
    progress: Progress
    paid: Money
    #: the instalment missed (1-based), when missed
    missed: int | None = None


def standing(plan: PaymentPlan, paid: Money, today: date, grace_days: int = GRACE_DAYS) -> Standing:
    """Where an approved plan stands on `today` given what was `paid` on its invoices since it
    started: kept once the whole plan is paid; missed when, for an instalment whose day plus
    the grace days has passed, the cumulative paid amount is below the cumulative amount due
    by that day; else on track."""
    if paid.amount >= plan.total.amount:
        return Standing(Progress.KEPT, paid)
    due = Decimal(0)
    for n, instalment in enumerate(plan.instalments, start=1):
        due += instalment.amount.amount
        if today > instalment.day + timedelta(days=grace_days) and paid.amount < due:
            return Standing(Progress.MISSED, paid, n)
    return Standing(Progress.ON_TRACK, paid)
