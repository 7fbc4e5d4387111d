"""What the connector writes (reminders, statements, mails, comments, reminder switches) is
recorded and visible on read-back; the /_sandbox control surface and injected faults."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from zoho_sandbox_harness import Serve, Zoho

from sandboxes.zoho import ZohoState, zoho_fault

MAIL = {
    "to_mail_ids": ["ap@klant.example"],
    "subject": "Herinnering",
    "body": "<p>Factuur staat open</p>",
}


def test_a_payment_reminder_is_mailed_counted_and_shown_in_the_history(zoho: Zoho) -> None:
    inv_id = zoho.open_invoice()
    zoho.clock.advance(60)
    r = zoho.post(f"/invoices/{inv_id}/paymentreminder", MAIL, {"send_customer_statement": "true"})
    assert r.status_code == 200
    assert r.json() == {"code": 0, "message": "Your payment reminder has been sent."}
    [mail] = zoho.state.sent_mails
    assert mail.kind == "payment_reminder" and mail.to == ("ap@klant.example",)
    assert mail.invoice_ids == (inv_id,) and mail.with_statement
    assert mail.subject == "Herinnering" and mail.at == zoho.clock.now()
    detail = zoho.get(f"/invoices/{inv_id}").json()["invoice"]
    assert detail["reminders_sent"] == 1
    assert detail["last_reminder_sent_date"] == "2026-01-05"
    assert detail["last_modified_time"] == "2026-01-05T09:01:30+0100"
    history = zoho.get(f"/invoices/{inv_id}/comments").json()["comments"]
    assert history[0]["comment_type"] == "system"
    assert "Payment reminder sent to ap@klant.example" in history[0]["description"]


def test_a_reminder_without_recipients_goes_to_the_primary_contact(zoho: Zoho) -> None:
    inv_id = zoho.open_invoice()
    assert zoho.post(f"/invoices/{inv_id}/paymentreminder").status_code == 200
    contact = zoho.state.data(zoho.org).contacts[zoho.state.sent_mails[0].contact_id]
    assert zoho.state.sent_mails[0].to == (contact.email,)


def test_reminders_are_refused_for_paid_void_and_draft_invoices(zoho: Zoho) -> None:
    od = zoho.state.data(zoho.org)
    today = zoho.state.today(zoho.org)
    for status in ("paid", "void", "draft"):
        inv = next(i for i in od.invoices.values() if i.status(today) == status)
        r = zoho.post(f"/invoices/{inv.invoice_id}/paymentreminder", MAIL)
        assert r.status_code == 400 and r.json()["code"] == 4010
    assert zoho.state.sent_mails == []
    assert zoho.post("/invoices/123/paymentreminder", MAIL).json()["code"] == 1002


def test_mail_bodies_are_validated_as_documented(zoho: Zoho) -> None:
    inv_id = zoho.open_invoice()
    bad = zoho.post(f"/invoices/{inv_id}/paymentreminder", {**MAIL, "to_mail_ids": "x@y.nl"})
    assert bad.status_code == 400 and bad.json()["code"] == 2
    contact = zoho.state.data(zoho.org).invoices[inv_id].customer_id
    no_subject = zoho.post(f"/contacts/{contact}/email", {**MAIL, "subject": ""})
    assert no_subject.status_code == 400
    too_long = zoho.post(f"/contacts/{contact}/email", {**MAIL, "body": "x" * 5001})
    assert too_long.status_code == 400
    not_json = requests.post(
        f"{zoho.url}/books/v3/invoices/{inv_id}/comments",
        params={"organization_id": zoho.org},
        data=b"{nope",
        headers={**zoho.headers(), "Content-Type": "application/json"},
        timeout=10,
    )
    assert not_json.status_code == 400 and not_json.json()["code"] == 2
    assert zoho.state.sent_mails == []


def test_statement_and_contact_mails_are_recorded(zoho: Zoho) -> None:
    contact = zoho.info.contacts[0]
    r = zoho.post(
        f"/contacts/{contact}/statements/email",
        MAIL,
        {"start_date": "2025-10-01", "end_date": "2026-01-05"},
    )
    assert r.json()["message"] == "Statement has been sent to the Customer."
    r = zoho.post(f"/contacts/{contact}/email", {**MAIL, "subject": "Dank u"})
    assert r.json()["message"] == "Email has been sent."
    kinds = [(m.kind, m.contact_id) for m in zoho.state.sent_mails]
    assert kinds == [("statement", contact), ("contact_email", contact)]
    assert zoho.state.sent_mails[0].invoice_ids  # the period's invoices
    mails = zoho.control("GET", "mails", params={"kind": "statement"}).json()["mails"]
    assert [m["contact_id"] for m in mails] == [contact]


def test_comments_are_added_with_201_and_listed_newest_first(zoho: Zoho) -> None:
    inv_id = zoho.open_invoice()
    r = zoho.post(
        f"/invoices/{inv_id}/comments",
        {"description": "Herinnering 1 [dunning:abc]", "show_comment_to_clients": False},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["message"] == "Comments added." and body["comment"]["comment_id"]
    zoho.clock.advance(5)
    zoho.post(f"/invoices/{inv_id}/comments", {"description": "tweede"})
    listed = zoho.get(f"/invoices/{inv_id}/comments").json()["comments"]
    assert [c["description"] for c in listed][:2] == ["tweede", "Herinnering 1 [dunning:abc]"]
    assert listed[1]["comment_type"] == "internal"
    assert (
        zoho.post(f"/invoices/{inv_id}/comments", {"show_comment_to_clients": True}).status_code
        == 400
    )


def test_the_legacy_jsonstring_form_body_is_accepted(zoho: Zoho) -> None:
    inv_id = zoho.open_invoice()
    r = requests.post(
        f"{zoho.url}/books/v3/invoices/{inv_id}/comments",
        params={"organization_id": zoho.org},
        data={"JSONString": '{"description": "via JSONString"}'},
        headers=zoho.headers(),
        timeout=10,
    )
    assert r.status_code == 201
    assert zoho.state.data(zoho.org).invoices[inv_id].comments[-1].description == "via JSONString"


def test_reminder_switches_on_contacts_and_invoices(zoho: Zoho) -> None:
    contact = zoho.info.contacts[1]
    r = zoho.post(f"/contacts/{contact}/paymentreminder/disable")
    assert r.json()["message"] == "All reminders associated with this contact have been stopped."
    assert zoho.get(f"/contacts/{contact}").json()["contact"]["payment_reminder_enabled"] is False
    inv_id = zoho.open_invoice()
    assert (
        zoho.post(f"/invoices/{inv_id}/paymentreminder/disable").json()["message"]
        == "Reminders stopped."
    )
    assert zoho.get(f"/invoices/{inv_id}").json()["invoice"]["payment_reminder_enabled"] is False


def test_bulk_reminders_take_at_most_ten_invoices_and_report_failures(zoho: Zoho) -> None:
    od = zoho.state.data(zoho.org)
    today = zoho.state.today(zoho.org)
    overdue = [i.invoice_id for i in od.invoices.values() if i.status(today) == "overdue"][:2]
    paid = next(i.invoice_id for i in od.invoices.values() if i.status(today) == "paid")
    r = zoho.post("/invoices/paymentreminder", None, {"invoice_ids": ",".join([*overdue, paid])})
    assert r.status_code == 201
    info = r.json()["info"]
    assert info["email_success_info"]["sent_count"] == 2
    assert info["email_errors_info"][0]["ids"] == [paid]
    eleven = ",".join([overdue[0]] * 11)
    assert zoho.post("/invoices/paymentreminder", None, {"invoice_ids": eleven}).status_code == 400


def test_status_changes_through_the_api(zoho: Zoho) -> None:
    draft = next(i for i in zoho.state.data(zoho.org).invoices.values() if i.state == "draft")
    r = zoho.post(f"/invoices/{draft.invoice_id}/status/sent")
    assert r.status_code == 200 and draft.state == "sent"
    assert zoho.post(f"/invoices/{draft.invoice_id}/status/void").status_code == 200
    assert zoho.get(f"/invoices/{draft.invoice_id}").json()["invoice"]["status"] == "void"


# --- control surface ---------------------------------------------------------------------------


def test_control_pay_lowers_the_balance_and_sets_the_status(zoho: Zoho) -> None:
    inv_id = zoho.open_invoice()
    inv = zoho.state.data(zoho.org).invoices[inv_id]
    half = (inv.total / 2).quantize(Decimal("0.01"))
    zoho.clock.advance(120)
    r = zoho.control("POST", "pay", {"invoice_id": inv_id, "amount": str(half)})
    assert r.status_code == 200 and r.json()["status"] == "partially_paid"
    detail = zoho.get(f"/invoices/{inv_id}").json()["invoice"]
    assert Decimal(str(detail["balance"])) == inv.total - half
    assert detail["last_payment_date"] == "2026-01-05"
    assert detail["last_modified_time"] == "2026-01-05T09:02:30+0100"
    rest = zoho.control("POST", "pay", {"invoice_id": inv_id, "amount": str(inv.total - half)})
    assert rest.json()["status"] == "paid"
    too_much = zoho.control("POST", "pay", {"invoice_id": inv_id, "amount": "1"})
    assert too_much.status_code == 400
    listed = zoho.get("/customerpayments", {"customer_id": inv.customer_id}).json()
    assert (
        len([p for p in listed["customerpayments"] if inv.invoice_number in p["invoice_numbers"]])
        == 2
    )


def test_control_creates_voids_and_deletes(zoho: Zoho) -> None:
    contact = zoho.control(
        "POST", "contacts", {"name": "Nieuw B.V.", "email": "a@nieuw.example"}
    ).json()["contact_id"]
    created = zoho.control(
        "POST",
        "invoices",
        {"customer_id": contact, "total": "99.95", "date": "2026-01-02", "due_date": "2026-01-16"},
    )
    inv_id = created.json()["invoice_id"]
    detail = zoho.get(f"/invoices/{inv_id}").json()["invoice"]
    assert detail["total"] == 99.95 and detail["status"] == "sent"
    assert zoho.control("POST", "void", {"invoice_id": inv_id}).json() == {"status": "void"}
    other = zoho.control("POST", "invoices", {"customer_id": contact, "total": 10}).json()
    assert zoho.control("POST", "delete", {"invoice_id": other["invoice_id"]}).ok
    assert zoho.get(f"/invoices/{other['invoice_id']}").status_code == 404
    assert zoho.control("POST", "void", {"invoice_id": "1"}).status_code == 404


def test_control_clock_tokens_expiry_and_revocation(zoho: Zoho) -> None:
    assert zoho.control("GET", "clock").json()["controllable"] is True
    moved = zoho.control("POST", "clock", {"advance_seconds": 90}).json()
    assert moved["now"] == (zoho.clock.now()).isoformat()
    assert zoho.control("POST", "expire-tokens").json()["expired"] >= 1
    assert zoho.get("/contacts").status_code == 401
    fresh = zoho.control("POST", "tokens", {}).json()
    headers = {"Authorization": f"Zoho-oauthtoken {fresh['access_token']}"}
    assert zoho.get("/contacts", headers=headers).status_code == 200
    assert zoho.control("POST", "revoke", {}).json()["revoked"] >= 2
    assert zoho.get("/contacts", headers=headers).status_code == 401
    assert zoho.token(grant_type="refresh_token", refresh_token=fresh["refresh_token"]).json() == {
        "error": "invalid_code"
    }


def test_control_seed_touch_and_stats(zoho: Zoho) -> None:
    seeded = zoho.control("POST", "seed", {"seed": 7}).json()  # same org: adds customers
    assert seeded["organization_id"] == zoho.org and seeded["tokens"]["refresh_token"]
    touched = zoho.control("POST", "touch", {"fraction": 0.02}).json()["touched"]
    assert len(touched) == round(len(zoho.state.data(zoho.org).invoices) * 0.02)
    zoho.get("/invoices")
    stats = zoho.control("GET", "stats").json()
    assert stats["calls"]["GET /invoices"] == 1 and "usage" in stats


def test_a_500_on_the_nth_call_to_a_path(zoho: Zoho) -> None:
    r = zoho.control(
        "POST",
        "faults",
        {"preset": "server_error", "method": "GET", "path_regex": r"/books/v3/invoices$", "nth": 3},
    )
    assert r.status_code == 204
    codes = [zoho.get("/invoices", {"per_page": 1}).status_code for _ in range(4)]
    assert codes == [200, 200, 500, 200]
    assert zoho.control("GET", "faults").json()["fired"] == [["GET", "/books/v3/invoices", 500]]


def test_a_429_burst_malformed_json_and_a_drop(zoho: Zoho) -> None:
    zoho.app.faults.add(zoho_fault("rate_limit", r"/contacts", times=2))
    assert [zoho.get("/contacts").status_code for _ in range(3)] == [429, 429, 200]
    zoho.app.faults.add(zoho_fault("malformed", r"/invoices"))
    broken = zoho.get("/invoices")
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    zoho.app.faults.add(zoho_fault("drop", r"/customerpayments", delay=1.0))
    with pytest.raises(requests.Timeout):
        requests.get(
            f"{zoho.url}/books/v3/customerpayments",
            params={"organization_id": zoho.org},
            headers=zoho.headers(),
            timeout=0.2,
        )


def test_a_passthrough_fault_performs_the_write_but_answers_500(zoho: Zoho) -> None:
    inv_id = zoho.open_invoice()
    zoho.control(
        "POST",
        "faults",
        {
            "preset": "server_error",
            "method": "POST",
            "path_regex": "/paymentreminder$",
            "passthrough": True,
        },
    )
    assert zoho.post(f"/invoices/{inv_id}/paymentreminder", MAIL).status_code == 500
    assert len(zoho.state.sent_mails) == 1  # the crash came after the mail went out
    assert zoho.control("DELETE", "faults").status_code == 204


def test_control_refuses_bad_requests(zoho: Zoho) -> None:
    assert zoho.control("POST", "faults", {"preset": "nope"}).status_code == 400
    assert zoho.control("POST", "pay", {"amount": "1"}).status_code == 400
    assert zoho.control("POST", "clock", {"set": "yesterday"}).status_code == 400
    assert (
        zoho.control(
            "POST", "invoices", {"customer_id": zoho.info.contacts[0], "total": "0"}
        ).status_code
        == 400
    )


def test_an_external_clock_cannot_be_moved(serve: Serve) -> None:
    state = ZohoState(lambda: datetime(2026, 1, 5, tzinfo=UTC))
    _, url = serve(state)
    r = requests.post(f"{url}/_sandbox/clock", json={"advance_seconds": 1}, timeout=10)
    assert r.status_code == 409
