"""Scenarios that read the same on Zoho Books, Exact Online and Moneybird, run on each sandbox:
one customer with an invoice a week overdue, and what a re-run or a crash must never do to it.
(Moved here from the platforms' dunning files, where each was written for one.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from e2e_exact_support import MakeExactScenario
from e2e_moneybird_support import MakeMoneybirdScenario
from e2e_support import MakeScenario

from connector.run import RunResult
from sandboxes.world import SandboxWorld

MONDAY = date(2026, 1, 5)


@dataclass
class Overdue:
    """A customer with one invoice a week overdue on Monday, on one platform's sandbox."""

    world: SandboxWorld
    days: Callable[[date, int], list[RunResult]]
    #: the reminders the customer got (Zoho: its reminder mails; Exact: the mails SMTP caught;
    #: Moneybird: the reminders it sent through send_reminders)
    reminders: Callable[[], int]


@pytest.fixture(params=["zoho", "exact", "moneybird"])
def overdue(
    request: pytest.FixtureRequest,
    make_scenario: MakeScenario,
    make_exact_scenario: MakeExactScenario,
    make_moneybird_scenario: MakeMoneybirdScenario,
) -> Overdue:
    if request.param == "zoho":
        s = make_scenario(MONDAY)
        c = s.customer("Achterstand BV")
        s.invoice(c, "100.00", MONDAY - timedelta(days=7))
        return Overdue(s.world, s.days, lambda: len(s.mails_to(c, "payment_reminder")))
    if request.param == "moneybird":
        m = make_moneybird_scenario(MONDAY)
        contact = m.customer("Achterstand BV")
        m.invoice(contact, "100.00", MONDAY - timedelta(days=7))
        return Overdue(m.world, m.days, lambda: len(m.reminders_to(contact)))
    x = make_exact_scenario(MONDAY)
    a = x.customer("Achterstand BV")
    x.invoice(a, "100.00", MONDAY - timedelta(days=7))
    return Overdue(x.world, x.days, lambda: len(x.mails_to(a)))


def test_rerunning_the_same_hour_sends_nothing_twice(overdue: Overdue) -> None:
    overdue.days(MONDAY, 1)
    again = overdue.world.run("demo")
    assert again.ok and again.dispatch.sent == 0
    assert overdue.reminders() == 1


def test_a_crash_between_send_and_mark_never_sends_a_second_reminder(overdue: Overdue) -> None:
    class Crash(Exception):
        pass

    def crash(action_id: int, result: object) -> None:
        raise Crash("power cut after the platform accepted the reminder")

    overdue.world.clock.set(overdue.world.clock.now().replace(hour=8))
    first = overdue.world.run("demo", at=None, dispatcher_hook=crash)
    assert not first.ok and "Crash" in (first.error or "")
    assert [a["status"] for a in overdue.world.actions()] == ["sending"]
    # the next hourly runs reconcile the row instead of sending again
    overdue.days(MONDAY, 3)
    assert overdue.reminders() == 1
    assert [a["status"] for a in overdue.world.actions()] == ["sent"]
