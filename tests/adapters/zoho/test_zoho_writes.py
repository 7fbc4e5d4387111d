"""ZohoLedger.perform and reconcile: exactly the documented calls, never a blind resend."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from responses import matchers
from zoho_fixtures import API, ORG, envelope, invoice, page_ctx

from adapters.zoho.adapter import ZohoLedger
from adapters.zoho.errors import ZohoApiError
from connector.domain import Action, ActionItem, ActionKind, Money
from connector.domain.ports import (
    INVOICE_NUMBERS,
    LEAD_INVOICE,
    ErrorKind,
    Outcome,
    RenderedMessage,
)

OLD, NEW = "460000000000001", "460000000000002"
CUSTOMER = "460000000000111"


def action(kind: ActionKind = ActionKind.REMINDER, **over: Any) -> Action:
    fields: dict[str, Any] = {
        "tenant": "acme",
        "customer_ref": CUSTOMER,
        "kind": kind,
        "template": "reminder-1",
        "planned_for": date(2026, 1, 5),
        "items": (
            ActionItem(NEW, "reminder-1", Money(Decimal("50.00"), "EUR")),
            ActionItem(OLD, "reminder-1", Money(Decimal("121.00"), "EUR")),
        ),
    }
    fields.update(over)
    return Action(**fields)


RENDERED = RenderedMessage(
    subject="Herinnering",
    html="<p>2 facturen</p>",
    text="2 facturen",
    to=("ap@example.nl",),
    note="Herinnering 1 verstuurd",
)


def q(**params: str) -> Any:
    return matchers.query_param_matcher({"organization_id": ORG, **params}, strict_match=True)


def due_dates_listing(rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{API}/invoices",
        match=[q(customer_id=CUSTOMER, per_page="200", page="1")],
        json=envelope(
            invoices=[
                invoice(1, due_date="2025-11-30"),
                invoice(2, due_date="2025-12-20"),
            ],
            page_context=page_ctx(1, False),
        ),
    )


def comment_ok(rsps: responses.RequestsMock, a: Action, on: str, covered: str = "") -> Any:
    """The one comment of an action: on invoice `on`, naming the invoices it covers."""
    covered = f" ({covered})" if covered else ""
    text = f"Herinnering 1 verstuurd{covered} [dunning:{a.idempotency_key}]"
    return rsps.post(
        f"{API}/invoices/{on}/comments",
        match=[
            q(),
            matchers.json_params_matcher(
                {
                    "description": text,
                    "show_comment_to_clients": False,
                }
            ),
        ],
        json=envelope(message="Comments added.", comment={"comment_id": "c0"}),
    )


def test_a_grouped_reminder_is_one_mail_on_the_oldest_invoice_plus_one_comment_naming_both(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    a = action(with_statement=True)
    due_dates_listing(rsps)
    send = rsps.post(
        f"{API}/invoices/{OLD}/paymentreminder",
        match=[
            q(send_customer_statement="true"),
            matchers.json_params_matcher(
                {
                    "to_mail_ids": ["ap@example.nl"],
                    "subject": "Herinnering",
                    "body": "<p>2 facturen</p>",
                }
            ),
        ],
        json=envelope(message="Your payment reminder has been sent."),
    )
    comment = comment_ok(rsps, a, OLD, f"{NEW}, {OLD}")
    result = ledger.perform(a, RENDERED)
    assert result.outcome is Outcome.SENT
    assert send.call_count == 1 and comment.call_count == 1
    assert result.refs == ("c0",)


def test_a_reminder_with_the_stores_hints_needs_no_due_date_listing_and_names_the_numbers(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    hints = {LEAD_INVOICE: OLD, INVOICE_NUMBERS: "INV-000002, INV-000001"}
    a = action(extra=hints)
    rsps.post(f"{API}/invoices/{OLD}/paymentreminder", json=envelope(message="sent"))
    comment_ok(rsps, a, OLD, "INV-000002, INV-000001")
    result = ledger.perform(a, RENDERED)
    assert result.outcome is Outcome.SENT
    assert [c.request.method for c in rsps.calls] == ["POST", "POST"], "send + one comment"


def test_a_timeout_on_the_reminder_post_is_unknown_and_never_resent(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    due_dates_listing(rsps)
    send = rsps.post(f"{API}/invoices/{OLD}/paymentreminder", body=requests.ReadTimeout("slow"))
    result = ledger.perform(action(), RENDERED)
    assert result.outcome is Outcome.UNKNOWN
    assert send.call_count == 1
    assert len([c for c in rsps.calls if c.request.method == "POST"]) == 1


def test_a_5xx_on_the_send_is_unknown(ledger: ZohoLedger, rsps: responses.RequestsMock) -> None:
    due_dates_listing(rsps)
    rsps.post(f"{API}/invoices/{OLD}/paymentreminder", status=502, body="bad gateway")
    assert ledger.perform(action(), RENDERED).outcome is Outcome.UNKNOWN


def test_a_definite_refusal_is_not_sent(ledger: ZohoLedger, rsps: responses.RequestsMock) -> None:
    due_dates_listing(rsps)
    rsps.post(
        f"{API}/invoices/{OLD}/paymentreminder",
        status=400,
        json={"code": 4083, "message": "Reminder can be sent only for open invoices"},
    )
    result = ledger.perform(action(), RENDERED)
    assert result.outcome is Outcome.NOT_SENT
    assert "4083" in result.detail


def test_a_daily_quota_on_the_send_is_raised_to_stop_the_run(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    due_dates_listing(rsps)
    rsps.post(
        f"{API}/invoices/{OLD}/paymentreminder", status=429, json={"code": 45, "message": "limit"}
    )
    with pytest.raises(ZohoApiError) as err:
        ledger.perform(action(), RENDERED)
    assert err.value.kind is ErrorKind.BUDGET_EXHAUSTED


def test_a_failing_comment_after_the_send_keeps_it_sent(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    a = action(items=(ActionItem(OLD, "reminder-1", Money(Decimal("121.00"), "EUR")),))
    due_dates_listing(rsps)
    rsps.post(f"{API}/invoices/{OLD}/paymentreminder", json=envelope(message="sent"))
    rsps.post(f"{API}/invoices/{OLD}/comments", status=500, body="oops")
    result = ledger.perform(a, RENDERED)
    assert result.outcome is Outcome.SENT
    assert "comment" in result.detail and "failed" in result.detail


def test_a_statement_is_mailed_from_the_contact_with_comments(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    a = action(ActionKind.STATEMENT)
    rsps.post(
        f"{API}/contacts/{CUSTOMER}/statements/email",
        match=[
            q(),
            matchers.json_params_matcher(
                {
                    "to_mail_ids": ["ap@example.nl"],
                    "subject": "Herinnering",
                    "body": "<p>2 facturen</p>",
                }
            ),
        ],
        json=envelope(message="Statement has been sent to the Customer."),
    )
    comment_ok(rsps, a, NEW, f"{NEW}, {OLD}")
    assert ledger.perform(a, RENDERED).outcome is Outcome.SENT


def test_a_thank_you_is_a_contact_email(ledger: ZohoLedger, rsps: responses.RequestsMock) -> None:
    a = action(ActionKind.THANK_YOU, items=(ActionItem(OLD, "thanks", Money.zero("EUR")),))
    rsps.post(
        f"{API}/contacts/{CUSTOMER}/email",
        match=[
            q(),
            matchers.json_params_matcher(
                {
                    "to_mail_ids": ["ap@example.nl"],
                    "subject": "Herinnering",
                    "body": "<p>2 facturen</p>",
                }
            ),
        ],
        json=envelope(message="Email has been sent."),
    )
    comment_ok(rsps, a, OLD)
    assert ledger.perform(a, RENDERED).outcome is Outcome.SENT


def test_a_call_task_is_one_comment(ledger: ZohoLedger, rsps: responses.RequestsMock) -> None:
    a = action(ActionKind.CALL_TASK)
    comment_ok(rsps, a, NEW, f"{NEW}, {OLD}")
    assert ledger.perform(a, RENDERED).outcome is Outcome.SENT
    assert len(rsps.calls) == 1


def test_a_handoff_stops_zoho_reminders_and_comments(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    a = action(ActionKind.HANDOFF)
    rsps.post(
        f"{API}/contacts/{CUSTOMER}/paymentreminder/disable",
        match=[q()],
        json=envelope(message="All reminders associated with this contact have been stopped."),
    )
    comment_ok(rsps, a, NEW, f"{NEW}, {OLD}")
    assert ledger.perform(a, RENDERED).outcome is Outcome.SENT


def test_a_mail_without_recipient_is_not_sent_and_calls_nothing(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    rendered = RenderedMessage(subject="s", html="h", text="t", to=())
    assert ledger.perform(action(), rendered).outcome is Outcome.NOT_SENT
    assert len(rsps.calls) == 0


# -- reconcile ----------------------------------------------------------------------------------
def comments(rsps: responses.RequestsMock, ref: str, *texts: str) -> None:
    rsps.get(
        f"{API}/invoices/{ref}/comments",
        json=envelope(
            comments=[
                {"comment_id": str(i), "description": t, "comment_type": "internal"}
                for i, t in enumerate(texts)
            ]
        ),
    )


def test_reconcile_finds_the_marker(ledger: ZohoLedger, rsps: responses.RequestsMock) -> None:
    a = action()
    comments(rsps, NEW, "Invoice emailed")
    comments(rsps, OLD, f"Herinnering 1 verstuurd [dunning:{a.idempotency_key}]")
    assert ledger.reconcile(a, {NEW: 1, OLD: 1}) is Outcome.SENT


def test_reconcile_sees_the_reminder_counter_grow(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    comments(rsps, NEW)
    comments(rsps, OLD, "Payment reminder sent")
    rsps.get(f"{API}/invoices/{NEW}", json=envelope(invoice=invoice(2, reminders_sent=1)))
    rsps.get(f"{API}/invoices/{OLD}", json=envelope(invoice=invoice(1, reminders_sent=2)))
    assert ledger.reconcile(action(), {NEW: 1, OLD: 1}) is Outcome.SENT


def test_reconcile_without_evidence_is_unknown_for_a_mail(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    comments(rsps, NEW)
    comments(rsps, OLD)
    rsps.get(f"{API}/invoices/{NEW}", json=envelope(invoice=invoice(2)))
    rsps.get(f"{API}/invoices/{OLD}", json=envelope(invoice=invoice(1)))
    assert ledger.reconcile(action(), {NEW: 1, OLD: 1}) is Outcome.UNKNOWN


def test_reconcile_without_marker_is_not_sent_for_a_call_task(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    comments(rsps, NEW)
    comments(rsps, OLD)
    assert ledger.reconcile(action(ActionKind.CALL_TASK), {}) is Outcome.NOT_SENT
