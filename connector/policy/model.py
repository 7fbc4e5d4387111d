"""A dunning policy: an ordered ladder of steps, each so many days after the due date.

Kept as plain frozen dataclasses so the planner stays pure and fast; the YAML form and its
validation build these.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from connector.domain import ActionKind, Channel

ThankYou = Literal["reminded", "every", "never"]


class PolicyError(ValueError):
    """A policy that cannot be used; the message names the policy and the problem."""


_DEFAULT_CHANNEL = {
    ActionKind.CALL_TASK: Channel.TASK,
    ActionKind.HANDOFF: Channel.FLAG,
}


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    kind: ActionKind
    #: days after the invoice's due date (negative: before it)
    offset_days: int
    template: str
    with_statement: bool = False
    channel: Channel | None = None

    @property
    def effective_channel(self) -> Channel:
        return self.channel or _DEFAULT_CHANNEL.get(self.kind, Channel.LEDGER_MAIL)


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

    def __post_init__(self) -> None:
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
        if ActionKind.THANK_YOU in {s.kind for s in self.steps}:
            raise PolicyError(f"policy {self.name}: thank-you is not a ladder step")

    def index(self, step_id: str) -> int:
        for i, step in enumerate(self.steps):
            if step.id == step_id:
                return i
        return -1
