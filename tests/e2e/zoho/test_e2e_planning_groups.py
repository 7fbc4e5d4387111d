"""A large client is planned in groups of customers, each read from the store on its own, so a
run's memory follows the group and not the ledger (issue #18). Grouping must change nothing:
the same mails on the same days, in the same order, as one plan over the whole client."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from e2e_support import MakeScenario, Scenario

from connector import run as run_mod
from sandboxes.zoho.state import Invoice

MONDAY = date(2026, 1, 5)


def _ledger_of_six_customers(make_scenario: MakeScenario) -> tuple[Scenario, list[Invoice]]:
    s = make_scenario(MONDAY)
    customers = [s.customer(f"Klant {name} BV") for name in "ABCDEF"]
    invoices = []
    for n, customer in enumerate(customers):
        for k in range(n % 3 + 1):  # one to three invoices each, due on different days
            due = MONDAY - timedelta(days=3 * n + 5 * k)
            invoices.append(s.invoice(customer, f"{100 + 10 * n + k}.00", due))
    return s, invoices


def _mails_over_a_month(s: Scenario, invoices: list[Invoice]) -> list[tuple[date, str, str]]:
    def two_customers_pay(day: date) -> None:
        if day == MONDAY + timedelta(days=9):
            s.pay(invoices[0], on=day)
            s.pay(invoices[-1], on=day)

    s.days(MONDAY, 30, after_run=two_customers_pay)
    mails = s.state.mails(None, None)
    od = s.state.data(s.org)
    return [(od.today(m.at), m.kind, m.contact_id) for m in mails]


def test_a_client_planned_in_groups_of_two_invoices_gets_the_same_mails_as_in_one_plan(
    make_scenario: MakeScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, invoices = _ledger_of_six_customers(make_scenario)
    in_one_go = _mails_over_a_month(whole, invoices)

    monkeypatch.setattr(run_mod, "PLAN_GROUP_INVOICES", 2)
    grouped, invoices = _ledger_of_six_customers(make_scenario)
    in_groups = _mails_over_a_month(grouped, invoices)

    assert len(in_one_go) >= 8, "reminders and thank-you mails to several customers"
    assert [(d, k, _name(grouped, c)) for d, k, c in in_groups] == [
        (d, k, _name(whole, c)) for d, k, c in in_one_go
    ]


def _name(s: Scenario, contact_id: str) -> str:
    return str(s.state.data(s.org).contacts[contact_id].contact_name)
