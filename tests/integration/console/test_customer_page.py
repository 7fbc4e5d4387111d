"""The customer's own page, `/p/<token>`, as the customer's browser gets it: no login; the
business, the customer's open invoices with amounts and due dates in the customer's language, a
pay button where a pay link exists, the statement PDF. A token of another customer opens that
customer only; an expired, revoked or guessed token gets one plain "not valid" page that names
no one; visits are rate limited per address."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from console_store import JANSEN, SYNCED, fill_store, invoice
from console_support import sign_in
from fastapi.testclient import TestClient

from connector.app import App
from connector.console.routes import customer_page as route
from connector.domain.clock import ManualClock
from connector.domain.pauses import PauseKind
from connector.store import audit, ledger_repo, page_tokens, pauses
from connector.store.db import session_scope

#: internal names that must never reach the page's text
INTERNAL = re.compile(r"\b(inv-\d+|4600\d{3}|InvoiceStatus|None)\b")


@pytest.fixture(autouse=True)
def store(console_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    fill_store(console_app, "acme")
    monkeypatch.setattr(route, "LIMIT", route._RateLimit())


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def link(app: App, clock: ManualClock, customer_ref: str = JANSEN.ref, days: int = 60) -> str:
    with session_scope(app.engine) as session:
        return page_tokens.issue(session, "acme", customer_ref, now=clock.now(), days=days)


def test_the_page_shows_the_business_and_the_open_invoices_without_a_login(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    answer = browser.get(f"/p/{link(console_app, clock)}", follow_redirects=False)
    assert answer.status_code == 200
    text = text_of(answer.text)
    business = console_app.config.clients["acme"]
    for words in (
        business.display_name,
        business.sender.email,
        "Openstaande facturen van Drukkerij Jansen B.V.",  # the client's language: Dutch
        "Factuur INV-39",
        "€ 1.234,50",
        "Vervallen op 4 feb 2026",
        "Factuur INV-40",
        "€ 100,00",
        "Te betalen vóór 22 mrt 2026",
        "Download uw rekeningoverzicht (pdf)",
    ):
        assert words in text, words
    assert "INV-41" not in text and "Drukkerij de Vries" not in text  # another customer's
    assert not INTERNAL.search(text), INTERNAL.search(text)
    assert "<script" not in answer.text  # works without JavaScript
    assert 'name="viewport"' in answer.text


def test_an_english_speaking_customer_reads_english_and_gets_a_pay_button(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    with session_scope(console_app.engine) as session:
        ledger_repo.upsert_customers(session, "acme", [replace(JANSEN, language="en")], SYNCED)
        paid_online = replace(
            invoice("inv-39", JANSEN.ref, SYNCED.date() - timedelta(days=26), "1234.50"),
            pay_url="https://books.zoho.eu/portal/pay/inv-39",
        )
        ledger_repo.upsert_invoices(session, "acme", [paid_online], SYNCED)
    html = browser.get(f"/p/{link(console_app, clock)}").text
    text = text_of(html)
    assert "Open invoices of Drukkerij Jansen B.V." in text
    assert "€1,234.50" in text and "Was due on 4 Feb 2026" in text
    assert 'href="https://books.zoho.eu/portal/pay/inv-39"' in html
    assert "Pay invoice INV-39" in text
    assert "Pay invoice INV-40" not in text  # no pay link for it: no button


def test_the_statement_pdf_is_the_customers(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    answer = browser.get(f"/p/{link(console_app, clock)}/statement.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")


def test_another_customers_token_opens_that_customer_only(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    text = text_of(browser.get(f"/p/{link(console_app, clock, '4600002')}").text)
    assert "Drukkerij de Vries" in text and "INV-41" in text
    assert "Jansen" not in text and "INV-39" not in text


def test_expired_revoked_and_guessed_tokens_get_the_same_plain_page(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    expired = link(console_app, clock, days=1)
    revoked = link(console_app, clock, "4600002")
    with session_scope(console_app.engine) as session:
        page_tokens.revoke(session, "acme", "4600002", now=clock.now())
    clock.advance(timedelta(days=1))
    guessed = "A" * 43
    answers = [
        browser.get(path, follow_redirects=False)
        for token in (expired, revoked, guessed)
        for path in (f"/p/{token}", f"/p/{token}/statement.pdf")
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1  # nothing tells them apart
    text = text_of(answers[0].text)
    assert "Deze link is niet geldig" in text
    for name in ("Jansen", "Vries", "INV-", console_app.config.clients["acme"].display_name):
        assert name not in text


def test_visits_are_rate_limited_per_address(
    browser: TestClient, console_app: App, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(route, "VISITS_PER_WINDOW", 3)
    token = link(console_app, clock)
    for _ in range(3):
        assert browser.get(f"/p/{'B' * 43}").status_code == 404
    assert browser.get(f"/p/{token}").status_code == 429  # even a good token, from that address
    assert "Jansen" not in browser.get(f"/p/{token}").text


# -- "I will pay on <date>" ----------------------------------------------------------------------
def form_token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no form on the page"
    return found.group(1)


def test_a_promise_pauses_the_ladder_until_the_day_after_and_goes_on_the_audit_trail(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    token = link(console_app, clock)
    sign_in(browser, "acme@console.example")  # the business's preview, in the same browser
    preview = "/clients/acme/preview?from=2026-03-02&to=2026-03-09"
    assert "Drukkerij Jansen B.V." in text_of(browser.get(preview).text)
    page = browser.get(f"/p/{token}").text
    answer = browser.post(
        f"/p/{token}/promise",
        data={"csrf_token": form_token_of(page), "day": "2026-03-09"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/p/{token}"
    text = text_of(browser.get(f"/p/{token}").text)
    assert "Tot en met 10 mrt 2026 sturen wij u geen herinneringen" in text
    assert 'name="day"' not in browser.get(f"/p/{token}").text  # one promise at a time
    assert "Drukkerij Jansen B.V." not in text_of(browser.get(preview).text)
    with session_scope(console_app.engine) as session:
        [pause] = [p for p in pauses.live(session, "acme") if p.customer_ref == JANSEN.ref]
        [event] = [e for e in audit.recent(session, "acme") if e.event == "customer_page.promise"]
    assert pause.kind is PauseKind.PROMISE and pause.until == date(2026, 3, 10)
    assert pause.created_by == "the customer (own page)"
    assert event.actor == "customer: Drukkerij Jansen B.V." and event.source == "customer page"
    assert "promised to pay on 2026-03-09" in event.message


@pytest.mark.parametrize("day", ["2026-03-01", "2026-03-17", "next week", ""])
def test_a_promise_outside_today_and_the_clients_maximum_is_refused(
    browser: TestClient, console_app: App, clock: ManualClock, day: str
) -> None:
    token = link(console_app, clock)
    page = browser.get(f"/p/{token}").text
    answer = browser.post(
        f"/p/{token}/promise", data={"csrf_token": form_token_of(page), "day": day}
    )
    assert answer.status_code == 400
    assert "Kies een dag van vandaag tot en met 16 mrt 2026." in text_of(answer.text)
    with session_scope(console_app.engine) as session:
        assert pauses.live(session, "acme") == ()


def test_a_promise_without_the_pages_form_token_another_pages_or_a_stale_one_is_refused(
    browser: TestClient, console_app: App, clock: ManualClock
) -> None:
    token, other = link(console_app, clock), link(console_app, clock, "4600002")
    forms = ["", "forged", form_token_of(browser.get(f"/p/{other}").text)]
    for sent in forms:
        answer = browser.post(f"/p/{token}/promise", data={"csrf_token": sent, "day": "2026-03-09"})
        assert answer.status_code == 403
    stale = form_token_of(browser.get(f"/p/{token}").text)
    clock.advance(timedelta(hours=5))
    assert (
        browser.post(f"/p/{token}/promise", data={"csrf_token": stale, "day": "2026-03-09"})
    ).status_code == 403
    assert browser.post(f"/p/{'C' * 43}/promise", data={"day": "2026-03-09"}).status_code == 404
    with session_scope(console_app.engine) as session:
        assert pauses.live(session, "acme") == ()
