""" "I would like a payment plan" on the customer's own page (`/p/<token>`, issue #14): the
customer picks the number of instalments, how often and the first day; the page shows the
schedule the connector computed, and only the second post proposes it. The proposal pauses the
ladder of the plan's invoices while it waits for the business. A forged form, input out of
bounds or outside the client's limits stores nothing; another customer's page shows nothing of
it."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from console_store import BOS, DE_VRIES, JANSEN, SYNCED, fill_store
from fastapi.testclient import TestClient

from connector.app import App
from connector.console.routes import customer_page as route
from connector.domain.clock import ManualClock
from connector.domain.plans import PlanStatus
from connector.run import plan_tenant
from connector.store import audit, ledger_repo, page_tokens
from connector.store import plans as plan_repo
from connector.store.db import session_scope


@pytest.fixture(autouse=True)
def store(console_app: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fill_store(console_app, "acme")
    monkeypatch.setattr(route, "LIMIT", route._RateLimit())


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def link(app: App, clock: ManualClock, customer_ref: str = JANSEN.ref) -> str:
    with session_scope(app.engine) as session:
        return page_tokens.issue(session, "acme", customer_ref, now=clock.now(), days=60)


def plan_form_token(html: str) -> str:
    found = re.search(
        r'action="/p/[^"]+/plan">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert found, "no plan form on the page"
    return found.group(1)


def planned_invoices(app: App, clock: ManualClock, customer_ref: str) -> set[str]:
    actions = plan_tenant(app.tenant("acme", clock, offline=True), clock.now())
    return {i.invoice_ref for a in actions if a.customer_ref == customer_ref for i in a.items}


def stored_plans(app: App) -> list[object]:
    with session_scope(app.engine) as session:
        return list(plan_repo.of_tenant(session, "acme"))


def test_a_proposal_shows_its_schedule_first_then_waits_for_approval_with_the_ladder_paused(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    assert "inv-39" in planned_invoices(console_app, clock, JANSEN.ref)
    token = link(console_app, clock)
    page = browser.get(f"/p/{token}").text
    assert "Betalingsregeling" in page and '<select id="plan-count"' in page
    fields = {"instalments": "3", "every": "month", "start": "2026-03-16"}
    shown = browser.post(f"/p/{token}/plan", data={"csrf_token": plan_form_token(page), **fields})
    assert shown.status_code == 200
    words = text_of(shown.text)
    assert "Uw voorstel: 3 termijnen" in words and "INV-39, INV-40" in words
    assert "444,83" in words and "444,84" in words  # 1334.50: the remainder on the last
    assert stored_plans(console_app) == []  # nothing stored before the customer confirms
    answer = browser.post(
        f"/p/{token}/plan",
        data={"csrf_token": plan_form_token(shown.text), **fields, "confirm": "yes"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/p/{token}"
    after = text_of(browser.get(f"/p/{token}").text)
    assert "Wij bekijken uw voorstel voor een betalingsregeling" in after
    [plan] = stored_plans(console_app)
    assert plan.status is PlanStatus.PROPOSED  # type: ignore[attr-defined]
    assert planned_invoices(console_app, clock, JANSEN.ref) == set()
    with session_scope(console_app.engine) as session:
        [event] = [e for e in audit.recent(session, "acme") if e.event == "payment_plan.proposed"]
    assert event.actor == "customer: Drukkerij Jansen B.V." and event.source == "customer page"
    # a plan of another customer is invisible on their page
    other = browser.get(f"/p/{link(console_app, clock, BOS.ref)}").text
    assert "INV-39" not in other and "Wij bekijken uw voorstel" not in other
    assert '<select id="plan-count"' in other  # Bos may propose their own


def test_a_plan_form_without_the_pages_form_token_or_with_a_forged_one_is_refused(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    token, other = link(console_app, clock), link(console_app, clock, BOS.ref)
    for sent in ("", "forged", plan_form_token(browser.get(f"/p/{other}").text)):
        answer = browser.post(
            f"/p/{token}/plan",
            data={
                "csrf_token": sent,
                "instalments": "3",
                "every": "month",
                "start": "2026-03-16",
                "confirm": "yes",
            },
        )
        assert answer.status_code == 403
    assert stored_plans(console_app) == []


@pytest.mark.parametrize(
    ("instalments", "every", "start"),
    [
        ("7", "month", "2026-03-16"),  # more than the client's six
        ("1", "month", "2026-03-16"),  # one instalment is a promise to pay
        ("3", "month", "2026-03-01"),  # before today
        ("3", "month", "2026-05-01"),  # more than 30 days ahead
        ("3", "3", "2026-03-16"),  # every three days
        ("3" * 50, "month", "2026-03-16"),  # not a small number
        ("3", "fortnight", "2026-03-16"),
        ("3", "month", "16 maart"),
    ],
)
def test_input_out_of_bounds_or_outside_the_limits_stores_nothing(
    browser: TestClient,
    console_app: App,
    clock: ManualClock,
    instalments: str,
    every: str,
    start: str,
) -> None:
    token = link(console_app, clock)
    page = browser.get(f"/p/{token}").text
    answer = browser.post(
        f"/p/{token}/plan",
        data={
            "csrf_token": plan_form_token(page),
            "instalments": instalments,
            "every": every,
            "start": start,
            "confirm": "yes",
        },
    )
    assert answer.status_code == 400
    assert "Kies 2 tot 6 termijnen van minstens € 50,00" in text_of(answer.text)
    assert stored_plans(console_app) == []


def test_a_customer_who_speaks_english_gets_the_plan_form_and_schedule_in_english(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    with session_scope(console_app.engine) as session:
        ledger_repo.upsert_customers(session, "acme", [replace(BOS, language="en")], SYNCED)
    token = link(console_app, clock, BOS.ref)
    page = browser.get(f"/p/{token}").text
    assert "Payment plan" in page and "Show the schedule" in page
    shown = browser.post(
        f"/p/{token}/plan",
        data={
            "csrf_token": plan_form_token(page),
            "instalments": "2",
            "every": "14",
            "start": "2026-03-09",
        },
    )
    words = text_of(shown.text)
    assert "Your proposal: 2 instalments" in words and "for invoices INV-42" in words
    assert "Propose this payment plan" in words


def test_a_customer_with_too_little_open_for_two_instalments_sees_no_plan_section(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    # De Vries owes 80.00: less than two instalments of the minimum 50.00
    page = browser.get(f"/p/{link(console_app, clock, DE_VRIES.ref)}").text
    assert "Betalingsregeling" not in page and "/plan" not in page
