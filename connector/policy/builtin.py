"""Built-in policies. `nl-b2b-standard`: the usual Dutch B2B sequence (dunning-and-law.md)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from connector.domain import ActionKind
from connector.policy.model import Policy, PolicyError, Step, ThankYou

NL_B2B_STANDARD = Policy(
    name="nl-b2b-standard",
    steps=(
        Step("reminder", ActionKind.REMINDER, 7, "reminder", with_statement=True),
        Step("call-1", ActionKind.CALL_TASK, 14, "call"),
        Step("firm-reminder", ActionKind.FIRM_REMINDER, 21, "firm_reminder",
             with_statement=True),
        Step("call-2", ActionKind.CALL_TASK, 28, "call"),
        Step("notice-of-default", ActionKind.NOTICE_OF_DEFAULT, 35, "notice_of_default"),
        Step("handoff", ActionKind.HANDOFF, 49, "handoff"),
    ),
)

BUILTIN: dict[str, Policy] = {p.name: p for p in (NL_B2B_STANDARD,)}


def get_policy(
    name: str, *, min_balance: Decimal | None = None, thank_you: ThankYou | None = None
) -> Policy:
    try:
        policy = BUILTIN[name]
    except KeyError:
        raise PolicyError(
            f"unknown policy {name!r}; built-in policies: {', '.join(sorted(BUILTIN))}"
        ) from None
    if min_balance is not None:
        policy = dataclasses.replace(policy, min_balance=min_balance)
    if thank_you is not None:
        policy = dataclasses.replace(policy, thank_you=thank_you)
    return policy
