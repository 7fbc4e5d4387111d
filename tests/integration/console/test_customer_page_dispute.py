""" "I dispute this invoice" on the customer's own page (`/p/<token>`, issue #14): the customer
picks one of their open invoices and gives a reason; that invoice alone is paused (the planner
goes on reminding them of their other invoices), by "the customer (own page)", on the audit
trail. A missing, forged or another page's form token is refused (403), and so is an over-long
or empty reason or an invoice that is not theirs (400); none of them pauses anything."""

from __future__ import annotations

import re
from datetime import date

import pytest
from console_store import BOS, JANSEN, SYNCED, fill_store, invoice
from fastapi.testclient import TestClient

from connector.app import App
from connector.console.routes import customer_page as route
from connector.customers.self_service import MAX_DISPUTE_REASON
from connector.domain.clock import ManualClock
from connector.domain.pauses import PauseKind
from connector.run import plan_tenant
from connector.store import audit, ledger_repo, page_tokens, pauses
from connector.store.db import session_scope


@pytest.fixture(autouse=True)
def store(console_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    fill_store(console_app, "acme")
    with session_scope(console_app.engine) as session:  # Jansen: a second overdue invoice
        ledger_repo.upsert_invoices(
            session, "acme", [invoice("inv-43", JANSEN.ref, date(2026, 2, 1), "75.00")], SYNCED
        )
    monkeypatch.setattr(route, "LIMIT", route._RateLimit())


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def link(app: App, clock: ManualClock, customer_ref: str = JANSEN.ref) -> str:
    with session_scope(app.engine) as session:
        return page_tokens.issue(session, "acme", customer_ref, now=clock.now(), days=60)


def form_token_of(html: str) -> str:
    found = re.search(
        r'action="/p/[^"]+/dispute">\s*<input type="hidden" name="csrf_token" '
        r'value="([^"]+)"',
        html,
    )
    assert found, "no dispute form on the page"
    return found.group(1)


def planned_invoices(app: App, clock: ManualClock, customer_ref: str) -> set[str]:
    actions = plan_tenant(app.tenant("acme", clock, offline=True), clock.now())
    return {i.invoice_ref for a in actions if a.customer_ref == customer_ref for i in a.items}


def test_a_dispute_pauses_that_invoice_only_and_goes_on_the_audit_trail(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    assert {"inv-39", "inv-43"} <= planned_invoices(console_app, clock, JANSEN.ref)
    token = link(console_app, clock)
    page = browser.get(f"/p/{token}").text
    assert '<option value="INV-39">' in page and '<label for="dispute-reason">' in page
    answer = browser.post(
        f"/p/{token}/dispute",
        data={
            "csrf_token": form_token_of(page),
            "invoice": "INV-39",
            "reason": "Nooit geleverd <script>alert(1)</script>",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/p/{token}"
    after = browser.get(f"/p/{token}").text
    assert "U betwist factuur INV-39." in text_of(after)
    assert '<option value="INV-39">' not in after and '<option value="INV-43">' in after
    assert "<script>alert" not in after
    planned = planned_invoices(console_app, clock, JANSEN.ref)
    assert "inv-39" not in planned and "inv-43" in planned  # the others are still reminded
    with session_scope(console_app.engine) as session:
        [pause] = pauses.live(session, "acme")
        [event] = [e for e in audit.recent(session, "acme") if e.event == "customer_page.dispute"]
    assert pause.kind is PauseKind.DISPUTE and pause.invoice_ref == "inv-39"
    assert pause.customer_ref == JANSEN.ref and pause.until is None
    assert pause.created_by == "the customer (own page)"
    assert pause.reason == "Nooit geleverd <script>alert(1)</script>"  # escaped where shown
    assert event.actor == "customer: Drukkerij Jansen B.V." and event.source == "customer page"
    assert "disputes invoice INV-39: Nooit geleverd" in event.message


def test_a_dispute_without_the_pages_form_token_or_with_a_forged_one_is_refused(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    token, other = link(console_app, clock), link(console_app, clock, BOS.ref)
    for sent in ("", "forged", form_token_of(browser.get(f"/p/{other}").text)):
        answer = browser.post(
            f"/p/{token}/dispute",
            data={"csrf_token": sent, "invoice": "INV-39", "reason": "Nooit geleverd"},
        )
        assert answer.status_code == 403
    with session_scope(console_app.engine) as session:
        assert pauses.live(session, "acme") == ()


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("INV-39", "x" * (MAX_DISPUTE_REASON + 1)),  # over-long
        ("INV-39", "   "),  # no reason
        ("INV-42", "Nooit geleverd"),  # Bos's invoice, not Jansen's
        ("INV-99", "Nooit geleverd"),  # no such invoice
    ],
)
def test_an_over_long_reason_or_an_invoice_not_theirs_is_refused(
    browser: TestClient, console_app: App, clock: ManualClock, number: str, reason: str
) -> None:
    token = link(console_app, clock)
    page = browser.get(f"/p/{token}").text
    answer = browser.post(
        f"/p/{token}/dispute",
        data={"csrf_token": form_token_of(page), "invoice": number, "reason": reason},
    )
    assert answer.status_code == 400
    assert f"geef een reden van hoogstens {MAX_DISPUTE_REASON} tekens" in text_of(answer.text)
    with session_scope(console_app.engine) as session:
        assert pauses.live(session, "acme") == ()
