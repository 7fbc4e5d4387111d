"""The business decides on a payment plan a customer proposed (issue #14) on the console's
customer page: the plan with its schedule, approve, or reject with a reason. Owners of that
client and its consultants may; an owner of another client gets the same 404 as for a client
that does not exist. Each decision is on the audit trail with the signed-in person."""

from __future__ import annotations

import re
from datetime import date

import pytest
from console_store import BOS, JANSEN, NOW, fill_store
from console_support import sign_in
from fastapi.testclient import TestClient

from connector.app import App
from connector.customers.plans import propose
from connector.domain.plans import PlanStatus
from connector.store import audit
from connector.store import plans as plan_repo
from connector.store.db import session_scope

PAGE = f"/clients/acme/customers/{JANSEN.ref}"


@pytest.fixture(autouse=True)
def proposed(console_app: App) -> None:
    fill_store(console_app, "acme")
    propose(console_app, "acme", JANSEN.ref, JANSEN.name, 3, date(2026, 3, 16), None, NOW)
    propose(console_app, "acme", BOS.ref, BOS.name, 2, date(2026, 3, 16), None, NOW)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def status_of(app: App, number: int) -> PlanStatus:
    with session_scope(app.engine) as session:
        plan = plan_repo.get(session, "acme", number)
    assert plan is not None
    return plan.status


def test_an_owner_sees_the_waiting_plan_and_approves_it_on_the_audit_trail(
    browser: TestClient, console_app: App
) -> None:
    sign_in(browser, "acme@console.example")
    page = browser.get(PAGE).text
    words = text_of(page)
    assert "Plan 1: proposed: waits for your approval" in words
    assert "3 instalments, €1,334.50 in all, for invoices INV-39, INV-40" in words
    assert "Plan 2" not in words  # Bos's plan is on Bos's page
    answer = browser.post(
        "/clients/acme/plans/1/approve", data={"csrf_token": csrf(page)}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == PAGE
    assert status_of(console_app, 1) is PlanStatus.APPROVED
    assert "Plan 1: approved: being paid" in text_of(browser.get(PAGE).text)
    with session_scope(console_app.engine) as session:
        [event] = [e for e in audit.recent(session, "acme") if e.event == "payment_plan.approved"]
    assert event.actor == "acme@console.example" and event.source == "console: customer page"


def test_a_consultant_rejects_with_a_reason_and_not_without(
    browser: TestClient, console_app: App
) -> None:
    sign_in(browser, "consultant@console.example")
    token = csrf(browser.get(PAGE).text)
    answer = browser.post("/clients/acme/plans/1/reject", data={"csrf_token": token, "reason": " "})
    assert "Payment plan 1 was not changed" in text_of(answer.text)
    assert status_of(console_app, 1) is PlanStatus.PROPOSED
    browser.post(
        "/clients/acme/plans/1/reject", data={"csrf_token": token, "reason": "Call us first"}
    )
    assert status_of(console_app, 1) is PlanStatus.REJECTED
    assert "Reason: Call us first" in text_of(browser.get(PAGE).text)


def test_another_clients_owner_and_a_forged_form_change_nothing(
    browser: TestClient, console_app: App
) -> None:
    sign_in(browser, "bakker@console.example")
    token = csrf(browser.get("/").text)
    assert (
        browser.post("/clients/acme/plans/1/approve", data={"csrf_token": token}).status_code == 404
    )
    assert browser.get(PAGE).status_code == 404
    browser.cookies.clear()
    sign_in(browser, "acme@console.example")
    assert (
        browser.post("/clients/acme/plans/1/approve", data={"csrf_token": "x"}).status_code == 403
    )
    assert status_of(console_app, 1) is PlanStatus.PROPOSED


def test_the_approvals_page_lists_the_waiting_plans_with_a_link_to_the_customer(
    browser: TestClient, console_app: App
) -> None:
    sign_in(browser, "acme@console.example")
    page = browser.get("/clients/acme/approvals").text
    words = text_of(page)
    assert "Payment plans waiting for approval" in words
    assert "Plan 1 — Drukkerij Jansen B.V." in words and "Plan 2 — Bakkerij Bos" in words
    assert f'href="{PAGE}"' in page
    browser.post("/clients/acme/plans/1/approve", data={"csrf_token": csrf(page)})
    assert "Plan 1 —" not in text_of(browser.get("/clients/acme/approvals").text)
