"""Issue #15: amounts of two currencies are never added (one action per currency), and a
planner failure on one customer's data fails that customer with the reason, not the client."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from planner_support import MONDAY, at, ctx, inv, snap

from connector.config.policy_builtin import BUILTIN
from connector.domain import ActionKind, Money
from connector.policy.model import LateFee, Policy, Step
from connector.policy.planner import plan, plan_outcome

B2B = BUILTIN["nl-b2b-standard"]


def fee_ladder() -> Policy:
    return Policy(
        "custom-with-fee",
        (
            Step(
                "reminder",
                ActionKind.REMINDER,
                7,
                "reminder",
                late_fee=LateFee(percent=Decimal("2")),
            ),
        ),
    )


def test_eur_and_usd_invoices_due_the_same_day_go_out_as_one_mail_per_currency() -> None:
    due = MONDAY - timedelta(days=8)
    s = snap(inv("1", due, "100.00"), inv("2", due, "250.00", currency="USD"))
    actions = plan(s, B2B, [], at(MONDAY), ctx())
    assert len(actions) == 2
    for action in actions:
        assert len({item.balance.currency for item in action.items}) == 1
    assert {a.items[0].balance for a in actions} == {
        Money.of("100.00", "EUR"),
        Money.of("250.00", "USD"),
    }


def test_a_late_fee_on_a_customer_with_two_currencies_is_a_share_of_each_total() -> None:
    due = MONDAY - timedelta(days=8)
    s = snap(
        inv("1", due, "100.00"),
        inv("2", due, "150.00"),
        inv("3", due, "500.00", currency="USD"),
    )
    actions = plan(s, fee_ladder(), [], at(MONDAY), ctx())
    fees = {(a.extra["late_fee_currency"], a.extra["late_fee"]) for a in actions}
    assert fees == {("EUR", "5.00"), ("USD", "10.00")}


def test_a_customer_whose_data_breaks_the_planner_gets_nothing_and_the_others_are_planned() -> None:
    broken = inv("9", date.max, "100.00", customer="C9")  # a due date no step can be added to
    fine = inv("1", MONDAY - timedelta(days=8), "100.00", customer="C1")
    s = snap(broken, fine)
    outcome = plan_outcome(s, B2B, [], at(MONDAY), ctx())
    assert [a.customer_ref for a in outcome.actions] == ["C1"]
    [problem] = outcome.problems
    assert problem.customer_name == "Customer C9"
    assert "INV-9" in problem.reason and "OverflowError" in problem.reason
    assert problem.describe().startswith("nothing planned for Customer C9")


def test_plan_never_raises_for_one_customers_broken_data() -> None:
    s = snap(
        inv("9", date.max, "100.00", customer="C9"),
        inv("1", MONDAY - timedelta(days=8), "100.00", customer="C1"),
    )
    assert len(plan(s, B2B, [], at(MONDAY), ctx())) == 1
