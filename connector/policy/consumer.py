"""Which ladders are fit for consumers (issue #16): pure checks on a `Policy`.

Dutch consumer law (art. 6:96 lid 6 BW): a consumer owes collection costs only after a
fourteen-day letter, so a consumer ladder must not state a default or hand off before one.
`connector.config.policy_select` uses these when it resolves a client's ladders.
"""

from __future__ import annotations

import dataclasses

from connector.domain import ActionKind, CustomerProfile
from connector.policy.model import Policy

#: steps a consumer may get without a fourteen-day letter: nothing that states a default,
#: interest or costs
REMINDER_KINDS = frozenset(
    {
        ActionKind.PRE_DUE_NOTICE,
        ActionKind.REMINDER,
        ActionKind.STATEMENT,
        ActionKind.FIRM_REMINDER,
        ActionKind.CALL_TASK,
    }
)
#: steps that state a default, interest or costs: for a consumer only after a fourteen-day
#: letter (art. 6:96 lid 6 BW)
AFTER_LETTER_KINDS = frozenset({ActionKind.NOTICE_OF_DEFAULT, ActionKind.HANDOFF})


def reminders_only(policy: Policy) -> Policy | None:
    """The ladder cut short after its reminders (no notice of default, letter or hand-off);
    None when nothing is left."""
    steps = tuple(s for s in policy.steps if s.kind in REMINDER_KINDS)
    if not steps:
        return None
    return dataclasses.replace(
        policy,
        name=f"{policy.name} (reminders only)",
        steps=steps,
        description=f"{policy.description}; consumers: reminders only, then an alert",
    )


def consumer_ladder_problem(policy: Policy) -> str | None:
    """Why a ladder is unfit for consumers, or None: a notice of default (which threatens
    interest and costs) or a hand-off (where collection costs are charged) must come after a
    fourteen-day letter (art. 6:96 lid 6 BW). Steps limited to other profiles do not count."""
    letter_seen = False
    for step in policy.steps:
        profiles = step.conditions.profiles
        if profiles and CustomerProfile.CONSUMER not in profiles:
            continue
        if step.kind is ActionKind.FOURTEEN_DAY_LETTER:
            letter_seen = True
        if step.kind in AFTER_LETTER_KINDS and not letter_seen:
            what = "hands off" if step.kind is ActionKind.HANDOFF else "sends a notice of default"
            return (
                f"policy {policy.name} {what} (step {step.id}) without a fourteen-day letter "
                "before it: consumers owe no collection costs then; use nl-b2c-wik or add a "
                "fourteen_day_letter step"
            )
    return None
