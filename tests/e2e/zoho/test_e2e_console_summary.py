"""A run keeps its client's overview figures for the console (issue #13): after a real run on
the Zoho sandbox the overview shows that client from the run's summary, the same figures as
summed from the store, and a pause set afterwards makes its "next 7 days" count again."""

from __future__ import annotations

from datetime import date, timedelta

from e2e_support import MakeScenario

from connector.customers import pause_customer
from connector.domain.pauses import PauseKind
from connector.run import upcoming_steps
from connector.status.overview import client_health, upcoming
from connector.store import summaries

MONDAY = date(2026, 1, 5)


def test_a_run_keeps_the_overview_figures_and_a_pause_afterwards_counts_again(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(MONDAY)
    jansen = s.customer("Drukkerij Jansen BV")
    vries = s.customer("Bakkerij De Vries BV")
    for n, customer in enumerate([jansen, vries, jansen, vries]):
        s.invoice(customer, f"{100 + n}.00", MONDAY - timedelta(days=3 + 6 * n))
    s.days(MONDAY, 1)
    app, clock = s.world.app, s.world.clock
    now = clock.now()

    (kept,) = client_health(app, ["demo"], now, wall=now)
    assert kept.summarised and kept.upcoming is not None and kept.upcoming > 0
    summaries.touch_now(app.engine, "demo")  # as if something changed: summed live instead
    (live,) = client_health(app, ["demo"], now, wall=now)
    assert not live.summarised
    assert (kept.outstanding, kept.overdue, kept.awaiting_approval, kept.calls_today) == (
        live.outstanding,
        live.overdue,
        live.awaiting_approval,
        live.calls_today,
    )
    assert kept.upcoming == upcoming_steps(app.tenant("demo", clock, offline=True), now)

    s.days(MONDAY + timedelta(days=1), 1)  # the next run's summary holds again
    now = clock.now()
    (kept,) = client_health(app, ["demo"], now, wall=now)
    assert kept.summarised and kept.upcoming is not None
    pause_customer(
        app,
        "demo",
        customer="Drukkerij Jansen",
        invoice=None,
        kind=PauseKind.DISPUTE,
        until=None,
        reason="disputes the prints",
        by="anna@example.nl",
        now=now,
    )
    (after,) = client_health(app, ["demo"], now, wall=now)
    assert not after.summarised and after.upcoming is None
    counted = upcoming(app, "demo", clock)
    assert counted < kept.upcoming
