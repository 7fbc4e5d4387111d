"""The day's API budget is planned, not discovered (issue #18)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connector.domain import Action, ActionItem, ActionKind, Money
from connector.policy.budget import DayBudget, fit, room_for_one_read_per_invoice


def act(customer: str, kind: ActionKind, *items: tuple[str, str]) -> Action:
    return Action(
        tenant="acme",
        customer_ref=customer,
        kind=kind,
        template="t",
        planned_for=date(2026, 3, 2),
        items=tuple(ActionItem(ref, "s", Money(Decimal(amount), "EUR")) for ref, amount in items),
    )


DUE = {
    "old-small": date(2025, 10, 1),
    "old-large": date(2025, 10, 1),
    "recent": date(2026, 1, 15),
    "oldest": date(2025, 6, 1),
    "oldest-call": date(2025, 6, 1),
}


def test_a_backlog_larger_than_the_day_is_worked_oldest_and_largest_first_the_rest_waits() -> None:
    actions = [
        act("recent", ActionKind.REMINDER, ("recent", "9000.00")),
        act("small", ActionKind.REMINDER, ("old-small", "50.00")),
        act("large", ActionKind.REMINDER, ("old-large", "5000.00")),
        act("oldest", ActionKind.FIRM_REMINDER, ("oldest", "10.00")),
    ]
    fitted = fit(actions, 2, DUE)
    assert [a.customer_ref for a in fitted.now] == ["oldest", "large"]
    assert [a.customer_ref for a in fitted.waiting] == ["small", "recent"]


def test_a_customers_actions_go_together_or_wait_together() -> None:
    actions = [
        act("oldest", ActionKind.REMINDER, ("oldest", "10.00")),
        act("oldest", ActionKind.CALL_TASK, ("oldest-call", "10.00")),
        act("large", ActionKind.REMINDER, ("old-large", "5000.00")),
    ]
    fitted = fit(actions, 1, DUE)
    assert fitted.now == [], "half of a customer's steps never go out"
    assert len(fitted.waiting) == 3
    fitted = fit(actions, 2, DUE)
    assert [a.kind for a in fitted.now] == [ActionKind.REMINDER, ActionKind.CALL_TASK]
    assert [a.customer_ref for a in fitted.waiting] == ["large"]


def test_within_the_budget_or_without_a_known_quota_everything_goes() -> None:
    actions = [act("a", ActionKind.REMINDER, ("recent", "1.00"))]
    assert fit(actions, 1, DUE).now == actions
    assert fit(actions, None, DUE).now == actions


def test_the_budget_keeps_a_reserve_for_the_days_syncs_and_counts_calls_per_action() -> None:
    zoho_premium = DayBudget(remaining=10_000, daily=10_000, per_action=4)
    assert zoho_premium.reserve == 500
    assert zoho_premium.actions == 2_375
    exact_late_in_the_day = DayBudget(remaining=150, daily=5_000, per_action=4)
    assert exact_late_in_the_day.actions == 0


def test_pay_links_are_read_only_when_the_day_has_a_call_left_for_each_invoice() -> None:
    """Zoho gives an invoice's pay link on its detail only: one call per invoice. A day with a
    few reminders has room; a first run with a backlog larger than the day does not spend its
    budget on links (those mails carry the bank details; the links come once it is worked off)."""
    three = [
        act(f"c{n}", ActionKind.REMINDER, (f"i{n}a", "10"), (f"i{n}b", "10")) for n in range(3)
    ]
    quiet_day = DayBudget(remaining=9_000, daily=10_000, per_action=4)
    assert room_for_one_read_per_invoice(quiet_day, three)
    backlog = [act(f"c{n}", ActionKind.REMINDER, (f"i{n}", "10")) for n in range(2_375)]
    first_day = DayBudget(remaining=10_000, daily=10_000, per_action=4)
    assert first_day.actions == len(backlog)
    assert not room_for_one_read_per_invoice(first_day, backlog)
    just_enough = DayBudget(remaining=100 + 3 * 4 + 6, daily=1_000, per_action=4)
    assert room_for_one_read_per_invoice(just_enough, three)
    assert not room_for_one_read_per_invoice(
        DayBudget(remaining=100 + 3 * 4 + 5, daily=1_000, per_action=4), three
    )
    assert room_for_one_read_per_invoice(None, backlog), "quota not known: links are read"
