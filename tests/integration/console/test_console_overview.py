"""The overview's figures per client (`connector.status.overview.client_health`), read from a
real store, and the page that shows them: problem clients first, amounts per currency in the
reader's language, nothing internal on the page."""

from __future__ import annotations

import html
from datetime import date, timedelta

from console_support import NOW, sign_in
from fastapi.testclient import TestClient

from connector.app import App
from connector.domain import Customer, Invoice, InvoiceStatus, Money
from connector.run import waiting_for_budget
from connector.status.overview import client_health
from connector.store import leases, ledger_repo
from connector.store.db import session_scope
from connector.store.models import OpsAlert, OutboxAction

TODAY = date(2026, 3, 2)


def _invoice(ref: str, due: date, amount: str) -> Invoice:
    return Invoice(
        ref,
        ref.upper(),
        "c1",
        InvoiceStatus.OPEN,
        due - timedelta(days=30),
        due,
        Money.of(amount, "EUR"),
        Money.of(amount, "EUR"),
    )


def _fill(app: App) -> None:
    app.tokens.put_initial(
        "acme",
        "default",
        "zoho",
        refresh_token="r-token-acme",
        access_token="a",
        expires_at=NOW,
        now=NOW,
    )
    with session_scope(app.engine) as session:
        ledger_repo.upsert_customers(
            session, "acme", [Customer("c1", "Drukkerij Jansen", None)], NOW
        )
        ledger_repo.upsert_invoices(
            session,
            "acme",
            [
                _invoice("inv-1", TODAY - timedelta(days=10), "100.00"),
                _invoice("inv-2", TODAY + timedelta(days=5), "50.00"),
            ],
            NOW,
        )
        for kind, status, day in (
            ("reminder", "approval", TODAY),
            ("call_task", "pending", TODAY),
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
                    idempotency_key=f"{kind}-{status}",
                    status=status,
                    created_at=NOW,
                )
            )
        session.add(
            OpsAlert(tenant="bakker", kind="run_failures", message="3 runs failed", raised_at=NOW)
        )


def test_each_client_has_its_figures_and_problem_clients_come_first(console_app: App) -> None:
    _fill(console_app)
    bakker, acme = client_health(console_app, ["acme", "bakker"], NOW, wall=NOW)
    assert (bakker.name, acme.name) == ("bakker", "acme")
    assert bakker.problems == ("not connected", "alerts") and bakker.alerts == ("3 runs failed",)
    assert not acme.problem and acme.connection == "connected"
    assert acme.outstanding == (Money.of("150.00", "EUR"),)
    assert acme.overdue == (Money.of("100.00", "EUR"),)
    assert (acme.awaiting_approval, acme.calls_today) == (1, 1)


def test_the_overview_page_shows_names_and_amounts_in_the_readers_language(
    console_app: App, browser: TestClient
) -> None:
    _fill(console_app)
    sign_in(browser, "consultant@console.example")  # reads English
    page = browser.get("/").text
    table = page[page.index("<table") :]
    assert table.index("(bakker)") < table.index("(acme)")
    assert "€150.00" in page and "€100.00" in page and "not connected" in page
    assert "Zoho Books" in page and ">zoho<" not in page
    assert "r-token-acme" not in page and "call_task" not in page and "run_failures" not in page
    browser.get("/language/nl")
    page = browser.get("/").text
    assert "€\xa0150,00" in page and "niet gekoppeld" in page
    by_amount = browser.get("/?sort=outstanding").text
    table = by_amount[by_amount.index("<table") :]
    assert table.index("(acme)") < table.index("(bakker)")


def test_a_backlog_carried_to_tomorrows_api_budget_is_said_in_the_readers_language(
    console_app: App, browser: TestClient
) -> None:
    _fill(console_app)
    assert leases.try_acquire(console_app.engine, "acme", "run", NOW, timedelta(minutes=5))
    leases.release(console_app.engine, "acme", "run", "ok", waiting_for_budget(1240), NOW)
    acme = next(h for h in client_health(console_app, ["acme"], NOW, wall=NOW))
    assert acme.waiting_for_budget == 1240 and not acme.problem
    sign_in(browser, "consultant@console.example")
    assert "1240 actions wait for tomorrow's API budget" in html.unescape(browser.get("/").text)
    browser.get("/language/nl")
    assert "1240 acties wachten op het API-budget van morgen" in browser.get("/").text
