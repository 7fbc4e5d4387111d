"""Payment plans a customer proposes (issue #14), on a real store: the proposal pauses the
ladder of the plan's invoices, the policy approves it below the client's amount or it waits for
the business, each run follows it against the synced balances, and a missed instalment ends it
and resumes the ladder from the step it had reached."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from console_store import JANSEN, SYNCED, console_app, invoice

from connector.app import App
from connector.customers.plans import (
    DecisionRefused,
    decide,
    live_plan,
    offer,
    plans_of,
    propose,
)
from connector.domain import Customer, InvoiceStatus, Money
from connector.domain.clock import ManualClock
from connector.domain.pauses import PauseKind
from connector.domain.plans import PlanRefused, PlanStatus
from connector.plan_tracking import track_plans
from connector.run import plan_tenant
from connector.store import audit, ledger_repo, pauses
from connector.store.db import session_scope

DIJK = Customer("4600009", "Van Dijk Installatie", "admin@vandijk.example", number="1009")
#: 10:00 in Amsterdam on Monday 2 March 2026
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIMITS = """approval: {required: false}
payment_plans:
  max_instalments: 6
  min_instalment: "100"
  max_days: 180
  start_within_days: 30
  auto_approve_below: "%s"
"""


def app_with(tmp_path: Path, auto_approve_below: str) -> App:
    app = console_app(tmp_path, LIMITS % auto_approve_below)
    with session_scope(app.engine) as session:
        ledger_repo.upsert_customers(session, "acme", [DIJK], SYNCED)
        ledger_repo.upsert_invoices(
            session, "acme", [invoice("inv-77", DIJK.ref, date(2026, 2, 1), "1200.00")], SYNCED
        )
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    application = app_with(tmp_path, "2000")
    yield application
    application.engine.dispose()


def pay(app: App, ref: str, customer: str, due: date, total: str, open_: str) -> None:
    """The sync saw the invoice's open amount go down to `open_`."""
    row = replace(invoice(ref, customer, due, total), balance=Money.of(open_, "EUR"))
    if not row.balance.is_positive():
        row = replace(row, status=InvoiceStatus.PAID)
    with session_scope(app.engine) as session:
        ledger_repo.upsert_invoices(session, "acme", [row], SYNCED)


def reminded(app: App, at: datetime, customer_ref: str) -> list[tuple[str, str]]:
    """(invoice, step) the planner would send the customer at `at`, after the run's tracking."""
    track_plans(app.engine, "acme", app.today("acme", at), at)
    actions = plan_tenant(app.tenant("acme", ManualClock(at), offline=True), at)
    return [
        (i.invoice_ref, i.step) for a in actions if a.customer_ref == customer_ref for i in a.items
    ]


def test_three_monthly_instalments_of_400_under_the_auto_approve_limit_get_no_reminder_while_paid_on_time(  # noqa: E501
    app: App,
) -> None:
    assert reminded(app, NOW, DIJK.ref)  # overdue since February: a reminder is due
    plan = propose(app, "acme", DIJK.ref, DIJK.name, 3, date(2026, 3, 2), None, NOW)
    assert plan.status is PlanStatus.APPROVED and plan.number == 1
    assert [(i.day, str(i.amount.amount)) for i in plan.instalments] == [
        (date(2026, 3, 2), "400.00"),
        (date(2026, 4, 2), "400.00"),
        (date(2026, 5, 2), "400.00"),
    ]
    open_ = 1200
    day = NOW
    while day.date() <= date(2026, 5, 10):
        if day.date() in {i.day for i in plan.instalments}:
            open_ -= 400
            pay(app, "inv-77", DIJK.ref, date(2026, 2, 1), "1200.00", f"{open_}.00")
        assert reminded(app, day, DIJK.ref) == [], day
        day += timedelta(days=1)
    [(kept, name)] = plans_of(app, "acme", DIJK.ref)
    assert kept.status is PlanStatus.KEPT and name == DIJK.name
    with session_scope(app.engine) as session:
        events = [e.event for e in audit.recent(session, "acme")]
        assert not [p for p in pauses.live(session, "acme") if p.customer_ref == DIJK.ref]
    assert {"payment_plan.proposed", "payment_plan.approved", "payment_plan.kept"} <= set(events)


def test_a_missed_second_instalment_resumes_the_ladder_the_day_after_the_grace_day(
    app: App,
) -> None:
    """Jansen had the first reminder on 11 February: the ladder climbs on from there."""
    [(first_ref, first_step)] = [r for r in reminded(app, NOW, JANSEN.ref) if r[0] == "inv-39"]
    plan = propose(app, "acme", JANSEN.ref, JANSEN.name, 3, date(2026, 3, 13), None, NOW)
    assert plan.status is PlanStatus.APPROVED  # 1334.50 is below 2000
    pay(app, "inv-39", JANSEN.ref, date(2026, 2, 4), "1234.50", "789.67")  # 444.83 paid
    # Monday 13 April is the second instalment's day, Tuesday 14 April the grace day
    at = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
    assert reminded(app, at, JANSEN.ref) == []
    assert live_plan(app, "acme", JANSEN.ref) is not None
    after = reminded(app, at + timedelta(days=1), JANSEN.ref)
    assert (first_ref, first_step) in after  # the step it had reached, not back to the start
    assert live_plan(app, "acme", JANSEN.ref) is None
    [(missed, _)] = plans_of(app, "acme", JANSEN.ref)
    assert missed.status is PlanStatus.MISSED
    with session_scope(app.engine) as session:
        [event] = [e for e in audit.recent(session, "acme") if e.event == "payment_plan.missed"]
    assert event.actor == "the connector" and event.source == "run"
    assert "Drukkerij Jansen B.V. missed instalment 2 of payment plan 1" in event.message


def test_a_proposal_above_the_limit_waits_for_the_business_and_the_ladder_stays_paused(
    tmp_path: Path,
) -> None:
    app = app_with(tmp_path, "1000")
    plan = propose(app, "acme", DIJK.ref, DIJK.name, 3, date(2026, 3, 16), 14, NOW)
    assert plan.status is PlanStatus.PROPOSED
    later = NOW + timedelta(days=60)  # long past its days: nothing is tracked while it waits
    assert reminded(app, later, DIJK.ref) == []
    with pytest.raises(DecisionRefused):
        decide(
            app,
            "acme",
            plan.number,
            approve=False,
            by="owner@acme.example",
            source="cli",
            now=later,
        )
    decided = decide(
        app,
        "acme",
        plan.number,
        approve=False,
        by="owner@acme.example",
        source="command line",
        now=later,
        reason="Too long; call us",
    )
    assert decided.status is PlanStatus.REJECTED and decided.reason == "Too long; call us"
    assert reminded(app, later, DIJK.ref)  # the ladder resumes
    with session_scope(app.engine) as session:
        [event] = [e for e in audit.recent(session, "acme") if e.event == "payment_plan.rejected"]
    assert event.actor == "owner@acme.example" and event.source == "command line"
    with pytest.raises(DecisionRefused):  # decided once
        decide(app, "acme", plan.number, approve=True, by="x", source="cli", now=later)


def test_one_plan_at_a_time_and_only_within_the_limits(app: App) -> None:
    with pytest.raises(PlanRefused):
        propose(app, "acme", DIJK.ref, DIJK.name, 13, date(2026, 3, 2), None, NOW)
    propose(app, "acme", DIJK.ref, DIJK.name, 2, date(2026, 3, 2), None, NOW)
    with pytest.raises(PlanRefused) as refused:
        propose(app, "acme", DIJK.ref, DIJK.name, 2, date(2026, 3, 2), None, NOW)
    assert refused.value.code == "standing"


def test_the_plan_pauses_only_its_own_invoices(app: App) -> None:
    propose(app, "acme", DIJK.ref, DIJK.name, 2, date(2026, 3, 16), None, NOW)
    with session_scope(app.engine) as session:
        ledger_repo.upsert_invoices(  # invoiced after the plan: reminded as usual
            session, "acme", [invoice("inv-78", DIJK.ref, date(2026, 2, 20), "90.00")], SYNCED
        )
        live = [p for p in pauses.live(session, "acme") if p.customer_ref == DIJK.ref]
    assert [(p.kind, p.invoice_ref) for p in live] == [(PauseKind.PLAN, "inv-77")]
    assert [r for r, _ in reminded(app, NOW + timedelta(days=2), DIJK.ref)] == ["inv-78"]


def test_the_invoices_of_a_rejected_plan_are_not_offered_again_on_the_page(
    tmp_path: Path,
) -> None:
    """Otherwise every new proposal would pause their ladder again; the business may still
    agree something by hand. A later invoice may go in a plan of its own."""
    app = app_with(tmp_path, "0")
    plan = propose(app, "acme", DIJK.ref, DIJK.name, 2, date(2026, 3, 16), None, NOW)
    later = NOW + timedelta(days=1)
    decide(app, "acme", plan.number, approve=False, by="ann", source="cli", now=later, reason="no")
    assert offer(app, "acme", DIJK.ref, date(2026, 3, 3)).most == 0
    with pytest.raises(PlanRefused):
        propose(app, "acme", DIJK.ref, DIJK.name, 2, date(2026, 3, 16), None, later)
    with session_scope(app.engine) as session:
        ledger_repo.upsert_invoices(
            session, "acme", [invoice("inv-79", DIJK.ref, date(2026, 3, 1), "400.00")], SYNCED
        )
    again = offer(app, "acme", DIJK.ref, date(2026, 3, 3))
    assert [i.number for i in again.invoices] == ["INV-79"] and again.most == 4


def test_a_plan_made_before_the_run_shows_the_missed_plans_ladder_resuming_and_changes_nothing(
    app: App,
) -> None:
    """`dunning plan` and a dry run plan as the run will, without ending the plan themselves."""
    propose(app, "acme", JANSEN.ref, JANSEN.name, 3, date(2026, 3, 10), None, NOW)
    day_after_grace = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)  # Thursday: the first unpaid
    actions = plan_tenant(
        app.tenant("acme", ManualClock(day_after_grace), offline=True), day_after_grace
    )
    assert "inv-39" in {
        i.invoice_ref for a in actions if a.customer_ref == JANSEN.ref for i in a.items
    }
    assert live_plan(app, "acme", JANSEN.ref) is not None  # the run ends it, not the plan
    grace_day = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # Wednesday
    assert not [
        a
        for a in plan_tenant(app.tenant("acme", ManualClock(grace_day), offline=True), grace_day)
        if a.customer_ref == JANSEN.ref
    ]


def test_a_plan_waiting_for_the_business_is_in_the_days_digest_mail(tmp_path: Path) -> None:
    """Nothing of the client needs approval (approval: required false), yet a customer's plan
    waits for a decision: the day's digest tells the business (its sender address) once."""
    from email.message import EmailMessage

    from connector.approval import send_digest

    app = app_with(tmp_path, "1000")
    clock = ManualClock(NOW)
    assert not send_digest(app, "acme", clock, send=lambda m: None), "nothing waits yet"
    plan = propose(app, "acme", DIJK.ref, DIJK.name, 3, date(2026, 3, 16), 14, NOW)
    mailed: list[EmailMessage] = []

    assert send_digest(app, "acme", clock, send=mailed.append)
    assert not send_digest(app, "acme", clock, send=mailed.append), "once a day"

    [mail] = mailed
    body = mail.get_content()
    assert f"- plan {plan.number}: {DIJK.name}, 3 instalments" in body
    assert f"(invoices {plan.invoices[0].number})" in body
    assert "dunning plans approve acme NUMBER" in body
    assert "1 payment plan(s) await your approval" in str(mail["Subject"])
    assert app.config.clients["acme"].sender.email in str(mail["To"])
