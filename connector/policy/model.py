"""A dunning policy: an ordered ladder of steps, each so many days after the due date.

Kept as plain frozen dataclasses so the planner stays pure and fast; the YAML form and its
validation (`connector.config.policy_schema`) build these. A step written in YAML relative to the
previous step is stored here with its offset resolved against the due date (`offset_days`) and
the relative form kept in `after_previous`: the planner's spacing rule (never sooner after the
previous step than the ladder's own spacing) then makes "N days after the previous step" hold
even when the previous step went out late.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from connector.domain import ActionKind, Channel, CustomerProfile, Money
from connector.domain.actions import RECEIPT_CHECK_STEP

ThankYou = Literal["reminded", "every", "never"]


class PolicyError(ValueError):
    """A policy that cannot be used; the message names the policy and the problem."""


_DEFAULT_CHANNEL = {
    ActionKind.CALL_TASK: Channel.TASK,
    ActionKind.HANDOFF: Channel.FLAG,
}


@dataclass(frozen=True, slots=True)
class Conditions:
    """When a step applies to an invoice; a step that does not apply is passed over (the
    invoice climbs on to the next step that does). Empty sets mean "any"."""

    #: the invoice's open balance must be at least this (in the invoice's currency)
    min_balance: Decimal | None = None
    profiles: frozenset[CustomerProfile] = frozenset()
    currencies: frozenset[str] = frozenset()

    def why_not(self, balance: Money, profile: CustomerProfile) -> str | None:
        """None when the step applies, else a short reason for `dunning plan`."""
        if self.min_balance is not None and balance.amount < self.min_balance:
            return f"balance below {self.min_balance}"
        if self.profiles and profile not in self.profiles:
            return f"only for {'/'.join(sorted(self.profiles))} customers"
        if self.currencies and balance.currency not in self.currencies:
            return f"only for {'/'.join(sorted(self.currencies))}"
        return None


ALWAYS = Conditions()


@dataclass(frozen=True, slots=True)
class LateFee:
    """A fee stated in the step's letter: a percentage of the amount due, or a fixed amount (in
    the invoices' currency). None by default; the ledger is not charged by the connector."""

    percent: Decimal | None = None
    fixed: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.fixed is None):
            raise PolicyError("a late fee is either a percentage or a fixed amount")

    def on(self, amount_due: Money) -> Money:
        if self.percent is not None:
            return amount_due * (self.percent / 100)
        assert self.fixed is not None
        return Money(self.fixed, amount_due.currency)

    def describe(self) -> str:
        return f"{self.percent.normalize()}%" if self.percent is not None else "fixed"


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    kind: ActionKind
    #: days after the invoice's due date (negative: before it)
    offset_days: int
    template: str
    with_statement: bool = False
    channel: Channel | None = None
    #: the YAML form "N days after the previous step" (informational; resolved in offset_days)
    after_previous: int | None = None
    conditions: Conditions = ALWAYS
    late_fee: LateFee | None = None
    #: this step's mail offers a payment plan (the policy's `payment_plan_offer`, issue #14)
    offers_payment_plan: bool = False

    @property
    def effective_channel(self) -> Channel:
        return self.channel or _DEFAULT_CHANNEL.get(self.kind, Channel.LEDGER_MAIL)


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    """Check that a large invoice arrived, a few days after the invoice date.

    Not a rung of the ladder: it counts from the invoice date (the ladder counts from the due
    date), it comes before anything is due, and taking it moves no invoice up the ladder. It is
    planned once per invoice (step id `RECEIPT_CHECK_STEP`), only while the invoice is not
    overdue and no reminder of the ladder went out for it. Performed through the existing
    paths: a call task in the ledger (channel task) or a friendly pre-due mail.
    """

    #: days after the invoice date
    days: int
    #: only invoices whose total is at least this (in the invoice's currency)
    min_total: Decimal
    template: str = "receipt_check"
    channel: Channel = Channel.TASK

    def step(self) -> Step:
        """The step the planner plans (its `offset_days` counts from the invoice date)."""
        is_task = self.channel is Channel.TASK
        return Step(
            id=RECEIPT_CHECK_STEP,
            kind=ActionKind.CALL_TASK if is_task else ActionKind.PRE_DUE_NOTICE,
            offset_days=self.days,
            template=self.template,
            channel=self.channel,
        )


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    steps: tuple[Step, ...]
    min_balance: Decimal = Decimal("5.00")
    thank_you: ThankYou = "reminded"
    thank_you_template: str = "thank_you"
    #: a paid invoice is thanked for only if paid this recently (no thanks for old history)
    thank_you_within_days: int = 14
    #: attempts of one step that definitely failed before the planner stops retrying it
    max_failed_attempts: int = 3
    description: str = ""
    receipt_check: ReceiptCheck | None = None
    #: step id -> position in the ladder, built once (the planner asks per invoice)
    _index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {s.id: i for i, s in enumerate(self.steps)})
        if not self.steps:
            raise PolicyError(f"policy {self.name}: has no steps")
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise PolicyError(f"policy {self.name}: step ids are not unique: {ids}")
        offsets = [s.offset_days for s in self.steps]
        if offsets != sorted(offsets) or len(set(offsets)) != len(offsets):
            raise PolicyError(
                f"policy {self.name}: steps must have strictly increasing offsets, got {offsets}"
            )
        if RECEIPT_CHECK_STEP in ids:
            raise PolicyError(
                f"policy {self.name}: step id {RECEIPT_CHECK_STEP!r} is kept for the receipt check"
            )
        if ActionKind.THANK_YOU in {s.kind for s in self.steps}:
            raise PolicyError(f"policy {self.name}: thank-you is not a ladder step")

    def index(self, step_id: str) -> int:
        return self._index.get(step_id, -1)


def with_overrides(
    policy: Policy, *, min_balance: Decimal | None = None, thank_you: ThankYou | None = None
) -> Policy:
    """The policy with a client's overrides (`policy_overrides` in its file) applied."""
    if min_balance is not None:
        policy = dataclasses.replace(policy, min_balance=min_balance)
    if thank_you is not None:
        policy = dataclasses.replace(policy, thank_you=thank_you)
    return policy
