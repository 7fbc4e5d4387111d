"""The day's API budget, planned before acting (issue #18).

A platform allows a client a number of API calls a day (Zoho per plan, Exact 5,000 per
division). A first run with thousands of overdue invoices would otherwise spend the day's quota
halfway through its backlog and stop on the platform's refusal, at a random customer. Instead the
run works out how many actions today's remaining calls pay for (keeping a reserve for the day's
hourly syncs and write-backs) and picks the actions that matter most: whole customers, the
oldest overdue invoice first and, among equally old ones, the largest amount first. The rest
waits: it is not enqueued, so the next run (tomorrow, with a fresh budget) plans it again from
the ledger as it is then, and a customer's steps still climb their ladder one at a time.

Pure: no clock, no I/O. The caller passes the remaining calls and the invoices' due dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from connector.domain import Action

#: calls kept back from the day's remaining budget for the rest of the day's hourly syncs and
#: reconciliations: this share of the daily quota, but at least `MIN_RESERVE` calls
RESERVE_SHARE = Decimal("0.05")
MIN_RESERVE = 100


@dataclass(frozen=True, slots=True)
class DayBudget:
    """What today's API budget allows for actions."""

    #: calls left today (as the platform said, or the quota minus the calls counted)
    remaining: int
    #: the platform's daily quota (for the reserve)
    daily: int
    #: the most calls one action takes (re-check, send, ledger note, documents)
    per_action: int

    @property
    def reserve(self) -> int:
        return max(MIN_RESERVE, int(self.daily * RESERVE_SHARE))

    @property
    def actions(self) -> int:
        """How many actions today's budget pays for."""
        return max(0, (self.remaining - self.reserve) // max(1, self.per_action))


@dataclass(frozen=True, slots=True)
class Fitted:
    """The actions to perform now (most urgent first) and those that wait for tomorrow."""

    now: list[Action]
    waiting: list[Action]


def fit(actions: Sequence[Action], capacity: int | None, due: Mapping[str, date]) -> Fitted:
    """Choose whole customers, oldest overdue invoice first, then the largest amount, until
    `capacity` actions are taken (None: no limit). `due`: due date per invoice ref."""
    if capacity is None or len(actions) <= capacity:
        return Fitted(list(actions), [])
    per_customer: dict[str, list[Action]] = defaultdict(list)
    for action in actions:
        per_customer[action.customer_ref].append(action)

    def urgency(customer_ref: str) -> tuple[date, Decimal, str]:
        items = [i for a in per_customer[customer_ref] for i in a.items]
        oldest = min((due.get(i.invoice_ref, date.max) for i in items), default=date.max)
        largest = max((i.balance.amount for i in items), default=Decimal(0))
        return oldest, -largest, customer_ref

    now: list[Action] = []
    waiting: list[Action] = []
    for customer_ref in sorted(per_customer, key=urgency):
        group = per_customer[customer_ref]
        if not waiting and len(now) + len(group) <= capacity:
            now.extend(group)  # a customer's actions go together, in the planner's order
        else:
            waiting.extend(group)  # once the day is full, everything after it waits
    return Fitted(now, waiting)


def room_for_one_read_per_invoice(budget: DayBudget | None, actions: Sequence[Action]) -> bool:
    """Whether today's budget, after the actions themselves, still has one call for each
    invoice they name: what reading a pay link that a platform gives only on an invoice's
    detail (Zoho's `invoice_url`) costs at most. A first run with a backlog larger than the
    day does not spend its budget on links: those mails carry the bank details only, and the
    link comes once the backlog is worked off. None (quota not known): room."""
    if budget is None:
        return True
    spare = budget.remaining - budget.reserve - len(actions) * max(1, budget.per_action)
    return spare >= sum(len(a.items) for a in actions)
