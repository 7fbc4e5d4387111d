"""A first run larger than the day's API quota (issue #18), on the Zoho sandbox."""

from __future__ import annotations

from datetime import date, timedelta

from e2e_support import MakeScenario

from connector.status import status_lines
from sandboxes.zoho import Limits

MONDAY = date(2026, 3, 2)


def test_a_backlog_larger_than_todays_quota_is_worked_oldest_first_and_the_rest_waits_a_day(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(MONDAY, limits=Limits(daily=300))
    customers = []
    for n in range(60):
        c = s.customer(f"Klant {n:02d}")
        s.invoice(c, "100.00", MONDAY - timedelta(days=20 + n))  # Klant 59 is the oldest
        customers.append(c)

    first, second = s.days(MONDAY, 2)

    assert first.deferred > 0 and first.dispatch.sent > 0
    assert first.dispatch.sent + first.deferred == 60
    assert "wait for tomorrow's API budget" in first.summary()
    stats = s.state.stats
    assert not stats.throttled, "the quota was planned for, never run into"
    reminded_first = {c.contact_id for c in customers if s.mails_to(c)}
    oldest = {c.contact_id for c in customers[-first.dispatch.sent :]}
    assert oldest <= reminded_first, "the oldest overdue invoices went first"

    assert second.deferred == 0
    assert all(s.mails_to(c) for c in customers), "the rest went out the next day"
    line = next(x for x in status_lines(s.world.app, s.world.clock.now()) if x.startswith("demo"))
    assert "wait for tomorrow" not in line


def test_status_says_how_many_actions_wait_for_tomorrows_budget(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(MONDAY, limits=Limits(daily=200))
    for n in range(40):
        s.invoice(s.customer(f"Klant {n:02d}"), "100.00", MONDAY - timedelta(days=30))

    (first,) = s.days(MONDAY, 1)

    assert first.deferred > 0
    line = next(x for x in status_lines(s.world.app, s.world.clock.now()) if x.startswith("demo"))
    assert f"{first.deferred} actions wait for tomorrow's API budget" in line
