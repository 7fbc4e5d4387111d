"""The client, customer, approvals and preview pages and "run now", through the routes as a
browser uses them: names, amounts, dates and plain words on the page, never an internal id or
an enum name; every pause, resume, approval and rejection on the audit trail with who did it;
another client's pages answer 404 and a POST without the form's token 403."""

from __future__ import annotations

import re

import pytest
from console_store import NOW, fill_store
from console_support import csrf_of, sign_in
from fastapi.testclient import TestClient

from connector.app import App
from connector.customers import customer_overview
from connector.store import audit
from connector.store.db import session_scope

OWNER = "acme@console.example"
OTHER_OWNER = "bakker@console.example"
CONSULTANT = "consultant@console.example"
JANSEN = "/clients/acme/customers/4600001"
#: internal names that must never reach a page's text
INTERNAL = re.compile(
    r"\b(call_task|firm_reminder|notice_of_default|thank_you|pre_due_notice|ledger_mail|"
    r"inv-\d+|4600\d{3}|PauseKind|ActionKind|None)\b"
)


@pytest.fixture(autouse=True)
def store(console_app: App) -> None:
    fill_store(console_app, "acme")


def text_of(html: str) -> str:
    """What a person reads: the page without its tags, attributes and scripts."""
    return re.sub(r"<[^>]+>", " ", html)


def signed_in(browser: TestClient, email: str = OWNER) -> TestClient:
    sign_in(browser, email)
    return browser


# -- the client page -----------------------------------------------------------------------------
def test_the_client_page_shows_ageing_customers_ladders_and_recent_actions_in_words(
    browser: TestClient,
) -> None:
    page = signed_in(browser).get("/clients/acme")
    assert page.status_code == 200
    text = text_of(page.text)
    for words in (
        "Demo Installatietechniek B.V. (acme)",
        "1-30 days",
        "€1,724.50",
        "Drukkerij Jansen B.V.",
        "Bakkerij Bos",
        "Business customers",
        "7 days after the due date",
        "Reminder with account statement",
        "Call task",
        "waiting for approval",
        "not connected",
        "Run now",
    ):
        assert words in text, words
    assert not INTERNAL.search(text), INTERNAL.search(text)
    assert "<svg" in page.text  # the ageing chart, drawn without a script


def test_customers_are_searched_by_part_of_the_name(browser: TestClient) -> None:
    text = text_of(signed_in(browser).get("/clients/acme", params={"q": "jansen"}).text)
    assert "Drukkerij Jansen B.V." in text and "Drukkerij de Vries" not in text


def test_the_page_speaks_dutch_when_dutch_is_chosen(browser: TestClient) -> None:
    signed_in(browser)
    browser.cookies.set("dunning_lang", "nl")
    text = text_of(browser.get("/clients/acme").text)
    assert "Herinnering met rekeningoverzicht" in text
    assert "7 dagen na de vervaldatum" in text and "€ 1.724,50" in text.replace("\xa0", " ")


def test_run_now_without_a_connection_says_so_in_one_line(browser: TestClient) -> None:
    page = signed_in(browser).get("/clients/acme")
    answer = browser.post("/clients/acme/run", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 409
    assert "no OAuth token stored" in answer.text


# -- the customer page ---------------------------------------------------------------------------
def test_the_customer_page_shows_invoices_behaviour_and_the_message_as_sent(
    browser: TestClient,
) -> None:
    text = text_of(signed_in(browser).get(JANSEN).text)
    for words in (
        "Drukkerij Jansen B.V.",
        "INV-39",
        "€1,234.50",
        "No paid invoices yet.",
        "Reminder with account statement",
        "sent",
        "Beste Drukkerij Jansen B.V.",  # the message itself, in the customer's language
    ):
        assert words in text, words
    assert not INTERNAL.search(text), INTERNAL.search(text)


def test_a_promise_to_pay_is_recorded_shown_and_listed_by_the_cli(
    browser: TestClient, console_app: App
) -> None:
    page = signed_in(browser).get(JANSEN)
    answer = browser.post(
        f"{JANSEN}/pause",
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "promise",
            "until": "2026-03-13",
            "reason": "pays Friday",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == JANSEN
    text = text_of(browser.get(JANSEN).text)
    assert "Promise to pay" in text and "pays Friday" in text and OWNER in text
    (line,) = customer_overview(console_app, "acme", NOW, search="1001")
    assert line.notes == (f"promise to pay (customer) until 2026-03-13: pays Friday [by {OWNER}]",)
    with session_scope(console_app.engine) as session:
        (event,) = [e for e in audit.recent(session, "acme") if e.event == "console.pause"]
    assert event.actor == OWNER and event.source == "console: customer"
    assert "Drukkerij Jansen B.V." in event.message and "pays Friday" in event.message


def test_a_dispute_of_one_invoice_and_its_resume(browser: TestClient, console_app: App) -> None:
    page = signed_in(browser).get(JANSEN)
    token = csrf_of(page.text)
    browser.post(
        f"{JANSEN}/pause",
        data={"csrf_token": token, "kind": "dispute", "invoice": "inv-39", "reason": "wrong"},
    )
    text = text_of(browser.get(JANSEN).text)
    assert "Dispute" in text and "invoice INV-39" in text and "in force" in text
    browser.post(f"{JANSEN}/resume", data={"csrf_token": token, "invoice": "INV-39"})
    text = text_of(browser.get(JANSEN).text)
    assert f"ended by {OWNER}" in text
    with session_scope(console_app.engine) as session:
        events = [e.event for e in audit.recent(session, "acme")]
    assert "console.resume" in events


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"kind": "promise", "reason": "soon"}, "needs the date it was promised for"),
        ({"kind": "stop", "reason": " "}, "Say why"),
        ({"kind": "promise", "until": "2026-02-01", "reason": "x"}, "in the past"),
        ({"kind": "holiday", "reason": "x"}, "Choose what to do"),
    ],
)
def test_a_pause_that_cannot_be_recorded_says_why(
    browser: TestClient, form: dict[str, str], says: str
) -> None:
    page = signed_in(browser).get(JANSEN)
    answer = browser.post(f"{JANSEN}/pause", data={"csrf_token": csrf_of(page.text), **form})
    assert answer.status_code == 400 and says in answer.text


def test_an_unknown_customer_is_not_found(browser: TestClient) -> None:
    assert signed_in(browser).get("/clients/acme/customers/nobody").status_code == 404


# -- approvals -----------------------------------------------------------------------------------
def test_the_approvals_page_shows_the_waiting_action_with_its_whole_message(
    browser: TestClient,
) -> None:
    text = text_of(signed_in(browser).get("/clients/acme/approvals").text)
    for words in ("Bakkerij Bos", "INV-42", "€410.00", "Reminder with account statement"):
        assert words in text, words
    assert "bos@bakkerij.example" in text and "Reason for rejecting" in text
    assert not INTERNAL.search(text), INTERNAL.search(text)


def test_the_approvals_page_shows_the_pay_link_the_message_carries_by_invoice_number(
    browser: TestClient, console_app: App
) -> None:
    from dataclasses import replace

    from connector.store import ledger_repo

    link = "https://books.zoho.eu/SecurePayment?CInvoiceID=2a7c9e0f41"
    with session_scope(console_app.engine) as session:
        bos = ledger_repo.invoices_by_ref(session, "acme", ["inv-42"])["inv-42"]
        ledger_repo.upsert_invoices(session, "acme", [replace(bos, pay_url=link)], NOW)

    page = signed_in(browser).get("/clients/acme/approvals")

    assert f'Pay link INV-42: <a href="{link}"' in page.text
    assert f"Online betalen: {link}" in page.text or f"Pay online: {link}" in page.text
    assert not INTERNAL.search(text_of(page.text))


def test_a_rejection_needs_a_reason_and_is_kept_with_who_and_why(
    browser: TestClient, console_app: App
) -> None:
    page = signed_in(browser).get("/clients/acme/approvals")
    token = csrf_of(page.text)
    action = re.search(r'name="action" value="(\d+)"', page.text)
    assert action
    refused = browser.post(
        "/clients/acme/approvals/reject",
        data={"csrf_token": token, "action": action.group(1), "reason": ""},
    )
    assert refused.status_code == 400 and "Say why" in refused.text
    done = browser.post(
        "/clients/acme/approvals/reject",
        data={"csrf_token": token, "action": action.group(1), "reason": "pays Friday"},
    )
    assert done.status_code == 200 and "Nothing is waiting for approval." in done.text
    with session_scope(console_app.engine) as session:
        (event,) = [e for e in audit.recent(session, "acme") if e.event == "console.reject"]
    assert event.actor == OWNER and "pays Friday" in event.message


def test_approving_without_a_connection_sends_nothing_and_says_why(browser: TestClient) -> None:
    page = signed_in(browser).get("/clients/acme/approvals")
    action = re.search(r'name="action" value="(\d+)"', page.text)
    assert action
    answer = browser.post(
        "/clients/acme/approvals/approve",
        data={"csrf_token": csrf_of(page.text), "action": action.group(1)},
    )
    assert answer.status_code == 409 and "no OAuth token stored" in answer.text
    assert "Bakkerij Bos" in answer.text  # still waiting


def test_approving_nothing_selected_asks_to_select(browser: TestClient) -> None:
    page = signed_in(browser).get("/clients/acme/approvals")
    answer = browser.post(
        "/clients/acme/approvals/approve", data={"csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 400 and "Select at least one action." in answer.text


# -- preview -------------------------------------------------------------------------------------
def test_the_preview_shows_day_by_day_who_gets_what_and_a_pause_takes_a_customer_out(
    browser: TestClient,
) -> None:
    signed_in(browser)
    text = text_of(browser.get("/clients/acme/preview?from=2026-03-02&to=2026-03-09").text)
    assert "Call task" in text and "Drukkerij Jansen B.V." in text
    assert "Drukkerij de Vries" in text and "waiting for approval" in text
    assert not INTERNAL.search(text), INTERNAL.search(text)
    page = browser.get(JANSEN)
    browser.post(
        f"{JANSEN}/pause",
        data={"csrf_token": csrf_of(page.text), "kind": "stop", "reason": "in talks"},
    )
    text = text_of(browser.get("/clients/acme/preview?from=2026-03-02&to=2026-03-09").text)
    assert "Drukkerij Jansen B.V." not in text and "Drukkerij de Vries" in text


def test_a_preview_with_a_bad_range_says_so_and_shows_the_next_week(browser: TestClient) -> None:
    answer = signed_in(browser).get("/clients/acme/preview?from=2026-03-09&to=2026-03-02")
    assert answer.status_code == 400 and "at most" in answer.text


# -- access --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/clients/acme",
        JANSEN,
        "/clients/acme/approvals",
        "/clients/acme/preview",
        "/clients/nosuchclient",
    ],
)
def test_another_clients_pages_answer_404(browser: TestClient, path: str) -> None:
    assert signed_in(browser, OTHER_OWNER).get(path).status_code == 404


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/clients/acme/run", {}),
        (f"{JANSEN}/pause", {"kind": "stop", "reason": "x"}),
        (f"{JANSEN}/resume", {}),
        ("/clients/acme/approvals/approve", {"action": "1"}),
        ("/clients/acme/approvals/reject", {"action": "1", "reason": "x"}),
    ],
)
def test_another_clients_posts_answer_404_and_a_post_without_the_token_403(
    browser: TestClient, path: str, form: dict[str, str]
) -> None:
    signed_in(browser, OTHER_OWNER)
    token = csrf_of(browser.get("/").text)
    assert browser.post(path, data={"csrf_token": token, **form}).status_code == 404
    browser.cookies.clear()
    signed_in(browser, CONSULTANT)
    assert browser.post(path, data=form).status_code == 403


def test_run_now_while_another_run_holds_the_client_says_try_again(
    browser: TestClient, console_app: App
) -> None:
    from datetime import timedelta

    from connector.domain.clock import SystemClock
    from connector.store import leases

    console_app.tokens.put_initial(
        "acme",
        "default",
        "zoho",
        refresh_token="r",
        access_token="a",
        expires_at=NOW + timedelta(hours=1),
        now=NOW,
    )
    # leases are on real time (a run's liveness), whatever the console's clock says
    wall = SystemClock().now()
    assert leases.try_acquire(console_app.engine, "acme", "serve", wall, timedelta(hours=1))
    page = signed_in(browser).get("/clients/acme")
    answer = browser.post("/clients/acme/run", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 409 and "in progress" in answer.text


def test_each_waiting_action_can_be_selected_for_approving_several_at_once(
    browser: TestClient,
) -> None:
    html = signed_in(browser).get("/clients/acme/approvals").text
    assert '<form method="post" action="/clients/acme/approvals/approve" id="approve-selected"' in (
        html
    )
    boxes = re.findall(
        r'<input type="checkbox" id="([^"]+)" name="action" value="\d+" '
        r'form="approve-selected">',
        html,
    )
    assert boxes and all(f'<label for="{box}"' in html for box in boxes)
