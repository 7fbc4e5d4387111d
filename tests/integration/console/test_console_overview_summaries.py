"""The overview reads each client's summary, kept by its run, instead of summing the client's
invoices per request (issue #13: 1,000 clients with 50,000 invoices each): the figures are the
same as summed live, and anything that changes them after the run (a pause, an approval, a
sync, a new day, an edited configuration file, a run that failed) makes the overview compute
that client live again. On SQLite and, with DUNNING_TEST_POSTGRES_URL set, on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from console_support import NOW, sign_in
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from connector.app import App
from connector.customers import pause_customer
from connector.domain import Customer, Invoice, InvoiceStatus, Money
from connector.domain.clock import ManualClock, SystemClock
from connector.domain.pauses import PauseKind
from connector.policy.planner import explain
from connector.report.ageing import headline
from connector.run import keep_summary, upcoming_steps
from connector.status.client import client_page, kept_headline
from connector.status.overview import ClientHealth, client_health, upcoming
from connector.store import audit, ledger_repo, outbox, summaries
from connector.store.db import session_scope
from connector.store.models import OutboxAction

TODAY = date(2026, 3, 2)


def _invoice(ref: str, customer: str, due: date, amount: str, currency: str = "EUR") -> Invoice:
    return Invoice(
        ref,
        ref.upper(),
        customer,
        InvoiceStatus.OPEN,
        due - timedelta(days=30),
        due,
        Money.of(amount, currency),
        Money.of(amount, currency),
    )


def _fill(app: App) -> None:
    """Two customers with invoices overdue by a few days to a month (steps in the coming
    week), one in dollars, one paid; actions waiting for approval and review, calls today."""
    with session_scope(app.engine) as session:
        ledger_repo.upsert_customers(
            session,
            "acme",
            [Customer("c1", "Drukkerij Jansen", None), Customer("c2", "Bakkerij De Vries", None)],
            NOW,
        )
        invoices = [
            _invoice(f"inv-{n}", "c1" if n % 2 else "c2", TODAY - timedelta(days=n), f"{n}0.00")
            for n in (2, 5, 9, 13, 21, 30)
        ]
        invoices += [
            _invoice("inv-usd", "c2", TODAY - timedelta(days=4), "75.00", "USD"),
            _invoice("inv-later", "c1", TODAY + timedelta(days=20), "40.00"),
        ]
        paid = Invoice(
            "inv-paid",
            "INV-PAID",
            "c1",
            InvoiceStatus.PAID,
            TODAY - timedelta(days=70),
            TODAY - timedelta(days=40),
            Money.of("99.00", "EUR"),
            Money.of("0.00", "EUR"),
        )
        ledger_repo.upsert_invoices(session, "acme", [*invoices, paid], NOW)
        for kind, status, day in (
            ("reminder", "approval", TODAY),
            ("reminder", "review", TODAY),
            ("call_task", "pending", TODAY),
            ("call_task", "sent", TODAY),
            ("call_task", "cancelled", TODAY),
            ("call_task", "sent", TODAY - timedelta(days=1)),
        ):
            session.add(
                OutboxAction(
                    tenant="acme",
                    customer_ref="c1",
                    kind=kind,
                    template=kind,
                    channel="mail",
                    planned_for=day,
                    idempotency_key=f"{kind}-{status}-{day}",
                    status=status,
                    created_at=NOW,
                )
            )


@pytest.fixture
def app(console_app: App, engine: Engine) -> App:
    """The console's installation on the parametrised database (SQLite, PostgreSQL)."""
    on = replace(console_app, engine=engine)
    _fill(on)
    return on


def _run_ends(app: App, now: datetime = NOW, started: datetime | None = None) -> None:
    """What the end of a run of acme does (`connector.run.run_tenant` calls the same);
    `started`: the real time the run started (default: now)."""
    clock = ManualClock(now)
    seen = started or SystemClock().now()
    keep_summary(app.tenant("acme", clock, offline=True), clock, config_seen_at=seen)


def _row(app: App, now: datetime = NOW) -> ClientHealth:
    (row,) = client_health(app, ["acme"], now, wall=now)
    return row


def _figures(row: ClientHealth) -> tuple[object, ...]:
    return (
        row.outstanding,
        row.overdue,
        row.awaiting_approval,
        row.awaiting_review,
        row.calls_today,
    )


def _planned_as_dunning_plan_does(app: App) -> int:
    """The count the way `upcoming` counted before summaries: `explain` over the whole client."""
    tenant = app.tenant("acme", ManualClock(NOW), offline=True)
    with session_scope(app.engine) as session:
        history = outbox.history(session, "acme")
        snapshot = ledger_repo.load_planning_snapshot(
            session, "acme", also={h.invoice_ref for h in history}
        )
        handed_off = ledger_repo.handed_off_customers(session, "acme")
    lines = explain(snapshot, tenant.policy, history, NOW, tenant.plan_context(handed_off))
    end = NOW + timedelta(days=7)
    return sum(1 for line in lines if line.when is not None and line.when <= end)


def test_a_client_that_ran_is_shown_from_its_summary_with_the_figures_summed_live(
    app: App,
) -> None:
    live = _row(app)
    assert not live.summarised and live.upcoming is None
    _run_ends(app)
    kept = _row(app)
    assert kept.summarised
    assert _figures(kept) == _figures(live)
    assert kept.outstanding == (Money.of("840.00", "EUR"), Money.of("75.00", "USD"))
    assert kept.overdue == (Money.of("800.00", "EUR"), Money.of("75.00", "USD"))
    assert (kept.awaiting_approval, kept.awaiting_review, kept.calls_today) == (1, 1, 2)
    assert kept.problems == live.problems == ("not connected", "actions to review")
    planned = upcoming_steps(app.tenant("acme", ManualClock(NOW), offline=True), NOW)
    assert planned > 0
    assert kept.upcoming == planned == _planned_as_dunning_plan_does(app)


def _pause(app: App) -> None:
    pause_customer(
        app,
        "acme",
        customer="Drukkerij Jansen",
        invoice=None,
        kind=PauseKind.DISPUTE,
        until=None,
        reason="disputes the prints",
        by="anna@console.example",
        now=NOW,
    )


def _audited(app: App) -> None:  # an approval, a rejection, a customer's dispute on their page
    with session_scope(app.engine) as session:
        audit.record(session, "acme", "action.rejected", "#1 rejected", now=NOW, actor="anna")


def _synced(app: App) -> None:
    with session_scope(app.engine) as session:  # what `connector.sync` does with each page
        ledger_repo.upsert_invoices(
            session, "acme", [_invoice("inv-new", "c2", TODAY, "10.00")], NOW
        )
        summaries.touch(session, "acme")


def _run_started(app: App) -> None:  # and failed, or is still running
    summaries.touch_now(app.engine, "acme")


def _client_file_edited(app: App) -> None:
    file = app.config_dir / "clients" / "acme.yaml"
    later = SystemClock().now().timestamp() + 5  # after the run started, before the next
    os.utime(file, (later, later))


#: each change after a run that makes its summary stale
CHANGES = pytest.mark.parametrize(
    "change",
    [_pause, _audited, _synced, _run_started, _client_file_edited],
    ids=lambda f: f.__name__,
)


@CHANGES
def test_a_change_after_the_run_makes_the_overview_compute_the_client_live(
    app: App, change: Callable[[App], None]
) -> None:
    _run_ends(app)
    assert _row(app).summarised
    change(app)
    row = _row(app)
    assert not row.summarised and row.upcoming is None
    _run_ends(app, started=SystemClock().now() + timedelta(seconds=10))
    assert _row(app).summarised, "the next run's summary holds again"


def test_on_the_next_day_the_summary_of_yesterday_is_not_used(app: App) -> None:
    _run_ends(app)
    tomorrow = NOW + timedelta(days=1)
    row = _row(app, tomorrow)
    assert not row.summarised
    assert row.overdue == (Money.of("800.00", "EUR"), Money.of("75.00", "USD"))
    assert row.calls_today == 0


def test_a_pause_set_after_the_run_makes_the_next_7_days_cell_count_again(app: App) -> None:
    _run_ends(app)
    clock = ManualClock(NOW)
    before = upcoming(app, "acme", clock)
    assert before == _row(app).upcoming and before > 0
    _pause(app)
    after = upcoming(app, "acme", clock)
    assert after == upcoming_steps(app.tenant("acme", clock, offline=True), NOW)
    assert after < before, "the paused customer's steps are no longer counted"


def test_the_overview_page_shows_the_runs_count_and_the_cell_answers_from_it(
    console_app: App, browser: TestClient
) -> None:
    _fill(console_app)
    _run_ends(console_app)
    kept = _row(console_app).upcoming
    assert kept is not None and kept > 1
    sign_in(browser, "consultant@console.example")
    acme = _table_row(browser.get("/").text, "(acme)")
    assert f"{kept} steps" in acme and "hx-get" not in acme
    assert f"{kept} steps" in browser.get("/overview/upcoming/acme").text
    _pause(console_app)
    acme = _table_row(browser.get("/").text, "(acme)")
    assert 'hx-get="/overview/upcoming/acme"' in acme
    assert f"{kept} steps" not in browser.get("/overview/upcoming/acme").text


def _table_row(page: str, text: str) -> str:
    (row,) = [r for r in page[page.index("<tbody") :].split("<tr")[1:] if text in r]
    return row


def test_the_client_page_shows_the_ageing_and_dso_its_run_kept_equal_to_the_live_sums(
    app: App,
) -> None:
    assert kept_headline(app, "acme", NOW) is None, "never run: the page sums them itself"
    _run_ends(app)
    kept = kept_headline(app, "acme", NOW)
    assert kept is not None
    assert kept == headline(app, "acme", NOW)
    assert kept.open_total == Money.of("840.00", "EUR")
    assert kept.other_currencies == {"USD": Money.of("75.00", "USD")}
    assert client_page(app, "acme", ManualClock(NOW), "en", recent=0).report == kept


@CHANGES
def test_after_a_change_the_client_page_sums_its_ageing_again(
    app: App, change: Callable[[App], None]
) -> None:
    _run_ends(app)
    assert kept_headline(app, "acme", NOW) is not None
    change(app)
    assert kept_headline(app, "acme", NOW) is None
    shown = client_page(app, "acme", ManualClock(NOW), "en", recent=0).report
    assert shown == headline(app, "acme", NOW)
    if change is _synced:  # the invoice synced after the run is in the page's figures
        assert shown.open_total == Money.of("850.00", "EUR")


def test_on_the_next_day_the_client_page_sums_its_ageing_for_that_day(app: App) -> None:
    _run_ends(app)
    tomorrow = NOW + timedelta(days=1)
    assert kept_headline(app, "acme", tomorrow) is None
    shown = client_page(app, "acme", ManualClock(tomorrow), "en", recent=0).report
    assert shown.as_of == TODAY + timedelta(days=1)
