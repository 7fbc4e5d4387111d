"""Writing to the sandbox as Moneybird documents: ``send_reminders`` (one reminder per contact,
several invoices in it, recorded so a test can count them), ``pause``/``resume`` of Moneybird's
own reminder workflow (POST, 201), and notes and to-dos on invoices and contacts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from moneybird_sandbox_harness import Moneybird

from sandboxes.moneybird.state import SalesInvoice


def _open_invoices_of_one_contact(mb: Moneybird, at_least: int = 2) -> list[SalesInvoice]:
    ledger = mb.state.ledger(mb.administration)
    by_contact: dict[str, list[SalesInvoice]] = {}
    for invoice in ledger.invoices.values():
        if invoice.state in ("open", "late", "reminded"):
            by_contact.setdefault(invoice.contact_id, []).append(invoice)
    return next(v for v in by_contact.values() if len(v) >= at_least)


def _reminder(mb: Moneybird, invoices: list[SalesInvoice], **extra: Any) -> dict[str, Any]:
    adm = mb.state.ledger(mb.administration).administration
    return {
        "contact_id": invoices[0].contact_id,
        "workflow_id": adm.workflow_id,
        "identity_id": adm.identity_id,
        "document_style_id": adm.document_style_id,
        "sales_invoice_ids": [i.id for i in invoices],
        **extra,
    }


def test_one_reminder_carries_several_invoices_of_a_contact_and_is_recorded_once(
    moneybird: Moneybird,
) -> None:
    invoices = _open_invoices_of_one_contact(moneybird)
    counts = [i.reminder_count for i in invoices]
    before = len(moneybird.state.reminders(by="api"))
    body = {
        "sales_invoice_reminders": [
            _reminder(
                moneybird,
                invoices,
                reminder_text="Wilt u de openstaande facturen betalen?",
                delivery_method="Email",
            )
        ]
    }
    r = moneybird.post("sales_invoices/send_reminders", body)
    assert r.status_code == 200 and r.json() == 200
    sent = moneybird.state.reminders(by="api")
    assert len(sent) == before + 1
    reminder = sent[-1]
    assert reminder.sales_invoice_ids == tuple(i.id for i in invoices)
    assert reminder.reminder_text == "Wilt u de openstaande facturen betalen?"
    contact = moneybird.state.ledger(moneybird.administration).contacts[invoices[0].contact_id]
    assert reminder.email_address == contact.send_invoices_to_email
    for invoice, count in zip(invoices, counts, strict=True):
        record = moneybird.get(f"sales_invoices/{invoice.id}").json()
        assert record["state"] == "reminded" and record["reminder_count"] == count + 1
    control = requests.get(
        f"{moneybird.url}/_sandbox/reminders",
        params={"by": "api", "invoice_id": invoices[0].id},
        timeout=10,
    ).json()
    assert [r["id"] for r in control] == [reminder.id]


def test_a_reminder_for_a_paid_invoice_is_refused_and_nothing_is_sent(
    moneybird: Moneybird,
) -> None:
    invoices = _open_invoices_of_one_contact(moneybird)
    moneybird.state.record_payment(
        moneybird.administration, invoices[1].id, invoices[1].total_unpaid
    )
    before = len(moneybird.state.reminders())
    r = moneybird.post(
        "sales_invoices/send_reminders",
        {"sales_invoice_reminders": [_reminder(moneybird, invoices)]},
    )
    assert r.status_code == 422
    assert r.json()["symbolic"] == {"sales_invoice_ids": "invalid_state"}
    assert len(moneybird.state.reminders()) == before


def test_a_reminder_without_its_workflow_is_refused(moneybird: Moneybird) -> None:
    invoices = _open_invoices_of_one_contact(moneybird)
    spec = _reminder(moneybird, invoices)
    del spec["workflow_id"]
    r = moneybird.post("sales_invoices/send_reminders", {"sales_invoice_reminders": [spec]})
    assert r.status_code == 400
    assert r.json() == {"error": "Workflow id is required", "symbolic": {"workflow_id": "required"}}
    r = moneybird.post("sales_invoices/send_reminders", {})
    assert r.status_code == 400 and r.json()["symbolic"] == {"sales_invoice_reminders": "required"}


def test_an_invoice_of_another_contact_is_not_found(moneybird: Moneybird) -> None:
    mine = _open_invoices_of_one_contact(moneybird)
    ledger = moneybird.state.ledger(moneybird.administration)
    other = next(i for i in ledger.invoices.values() if i.contact_id != mine[0].contact_id)
    spec = _reminder(moneybird, mine)
    spec["sales_invoice_ids"] = [other.id]
    r = moneybird.post("sales_invoices/send_reminders", {"sales_invoice_reminders": [spec]})
    assert r.status_code == 404
    assert r.json() == {"error": "record not found", "symbolic": {"sales_invoice_ids": "not_found"}}


def test_pause_and_resume_are_posts_answering_201_with_the_invoice(moneybird: Moneybird) -> None:
    invoice = _open_invoices_of_one_contact(moneybird, 1)[0]
    r = moneybird.post(f"sales_invoices/{invoice.id}/pause", {})
    assert r.status_code == 201 and r.json()["paused"] is True and r.json()["id"] == invoice.id
    version = r.json()["version"]
    r = moneybird.post(f"sales_invoices/{invoice.id}/resume", {})
    assert r.status_code == 201 and r.json()["paused"] is False and r.json()["version"] > version
    assert moneybird.post(f"sales_invoices/{invoice.id}/pause").status_code == 201
    r = requests_patch(moneybird, f"sales_invoices/{invoice.id}/pause")
    assert r.status_code == 405  # PATCH is not how Moneybird's API description pauses


def requests_patch(mb: Moneybird, path: str) -> requests.Response:
    return requests.patch(mb.api(path), json={}, headers=mb.headers(), timeout=10)


def test_moneybird_reminds_late_invoices_itself_unless_paused(moneybird: Moneybird) -> None:
    ledger = moneybird.state.ledger(moneybird.administration)
    contact = next(iter(ledger.contacts))
    today = moneybird.state.local_day(moneybird.administration)
    paused = moneybird.state.add_invoice(moneybird.administration, contact, "100", today, today)
    left = moneybird.state.add_invoice(moneybird.administration, contact, "200", today, today)
    assert moneybird.post(f"sales_invoices/{paused.id}/pause", {}).status_code == 201
    for _ in range(8):
        moneybird.clock.advance(timedelta(days=1))
        moneybird.get("sales_invoices/synchronization")
    assert moneybird.state.reminders(by="workflow", invoice_id=paused.id) == []
    [own] = moneybird.state.reminders(by="workflow", invoice_id=left.id)
    assert own.sales_invoice_ids == (left.id,)
    assert moneybird.get(f"sales_invoices/{left.id}").json()["state"] == "reminded"
    assert moneybird.get(f"sales_invoices/{paused.id}").json()["state"] == "late"


def test_notes_and_todos_on_an_invoice_and_a_contact(moneybird: Moneybird) -> None:
    invoice = _open_invoices_of_one_contact(moneybird, 1)[0]
    r = moneybird.post(
        f"sales_invoices/{invoice.id}/notes",
        {"note": {"note": "Bellen: factuur nog niet betaald", "todo": True}},
    )
    assert r.status_code == 201
    note = r.json()
    assert (note["entity_type"], note["entity_id"], note["todo"]) == (
        "SalesInvoice",
        invoice.id,
        True,
    )
    r = moneybird.post(
        f"contacts/{invoice.contact_id}/notes",
        {"note": {"note": "Aanmaning verstuurd per post", "assignee_id": "12345"}},
    )
    assert r.status_code == 201 and r.json()["todo"] is True  # an assignee makes it a to-do
    shown = moneybird.get(f"sales_invoices/{invoice.id}").json()["notes"]
    assert [n["note"] for n in shown] == ["Bellen: factuur nog niet betaald"]
    on_contact = moneybird.get(f"contacts/{invoice.contact_id}").json()["notes"]
    assert [n["note"] for n in on_contact] == ["Aanmaning verstuurd per post"]
    [embedded] = moneybird.post("sales_invoices/synchronization", {"ids": [invoice.id]}).json()
    assert [n["note"] for n in embedded["contact"]["notes"]] == ["Aanmaning verstuurd per post"]
    blank = moneybird.post(f"sales_invoices/{invoice.id}/notes", {"note": {"note": " "}})
    assert blank.status_code == 422
    unknown = moneybird.post("contacts/42/notes", {"note": {"note": "x"}})
    assert unknown.status_code == 400 and unknown.json()["symbolic"]["entity"] == "not_found"
