"""Writing back (notes, documents, attachments, tasks) and the /_sandbox control surface."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import requests
from exact_sandbox_harness import Exact, Serve

from sandboxes.exact import ExactState


def test_notes_documents_attachments_and_tasks_are_created_and_listed(exact: Exact) -> None:
    account = exact.info.accounts[exact.division][0]
    d = exact.division
    note = exact.post(
        f"{d}/activities/CommunicationNotes",
        {
            "Account": account,
            "Subject": "Herinnering 1 verstuurd",
            "Notes": "Factuur 25000001",
            "Date": "2025-03-03T10:00",
        },
    )
    assert note.status_code == 201
    assert note.json()["d"]["Subject"] == "Herinnering 1 verstuurd"
    assert note.json()["d"]["Date"] == "/Date(1740996000000)/"
    doc = exact.post(
        f"{d}/documents/Documents", {"Subject": "Herinnering", "Type": 10, "Account": account}
    )
    doc_id = doc.json()["d"]["ID"]
    pdf = b"%PDF-1.4 herinnering"
    attachment = exact.post(
        f"{d}/documents/DocumentAttachments",
        {
            "Document": doc_id,
            "FileName": "herinnering.pdf",
            "Attachment": base64.b64encode(pdf).decode(),
        },
    )
    assert attachment.status_code == 201 and attachment.json()["d"]["FileSize"] == len(pdf)
    task = exact.post(
        f"{d}/activities/Tasks",
        {
            "Account": account,
            "Description": "Bel klant",
            "TaskType": 1,
            "ActionDate": "2025-03-05T00:00",
        },
    )
    assert task.status_code == 201 and "TaskType" not in task.json()["d"]  # write-only field

    written = requests.get(f"{exact.url}/_sandbox/written/{d}", timeout=10).json()
    assert [n["Subject"] for n in written["notes"]] == ["Herinnering 1 verstuurd"]
    assert written["documents"][0]["Attachments"][0]["FileName"] == "herinnering.pdf"
    assert written["tasks"][0]["TaskType"] == 1 and written["tasks"][0]["Account"] == account
    url = attachment.json()["d"]["Url"]
    assert requests.get(url, timeout=10).content == pdf


def test_an_attachment_that_is_not_base64_is_refused(exact: Exact) -> None:
    doc = exact.post(f"{exact.division}/documents/Documents", {"Subject": "x", "Type": 10})
    r = exact.post(
        f"{exact.division}/documents/DocumentAttachments",
        {"Document": doc.json()["d"]["ID"], "FileName": "a.pdf", "Attachment": "not base64!"},
    )
    assert r.status_code == 400
    assert "'Attachment' to type 'Byte[]'" in r.json()["error"]["message"]["value"]


def test_an_account_guid_from_elsewhere_is_silently_nulled(exact: Exact) -> None:
    r = exact.post(
        f"{exact.division}/activities/Tasks",
        {"Account": "00000000-0000-4000-8000-000000000000", "Description": "Bel"},
    )
    assert r.status_code == 201 and r.json()["d"]["Account"] is None


def test_an_unknown_property_in_a_post_is_a_400(exact: Exact) -> None:
    r = exact.post(f"{exact.division}/activities/CommunicationNotes", {"Subject": "x", "Sbj": 1})
    assert r.status_code == 400


def test_a_fault_answers_instead_of_the_platform(exact: Exact) -> None:
    requests.post(
        f"{exact.url}/_sandbox/faults",
        json={"method": "GET", "path_regex": "/current/Me$", "status": 503, "times": 1},
        timeout=10,
    )
    assert exact.get("current/Me").status_code == 503
    assert exact.get("current/Me").status_code == 200
    fired = requests.get(f"{exact.url}/_sandbox/faults", timeout=10).json()["fired"]
    assert fired == [["GET", "/api/v1/current/Me", 503]]


def test_a_passthrough_fault_lets_the_write_happen_but_answers_an_error(exact: Exact) -> None:
    requests.post(
        f"{exact.url}/_sandbox/faults",
        json={
            "method": "POST",
            "path_regex": "activities/Tasks",
            "status": 500,
            "passthrough": True,
        },
        timeout=10,
    )
    r = exact.post(f"{exact.division}/activities/Tasks", {"Description": "Bel"})
    assert r.status_code == 500
    written = requests.get(f"{exact.url}/_sandbox/written/{exact.division}", timeout=10).json()
    assert [t["Description"] for t in written["tasks"]] == ["Bel"]


def test_control_surface_pays_moves_the_clock_and_counts(exact: Exact) -> None:
    term = exact.info.receivables[exact.division][0]
    amount = str(exact.state.data(exact.division).terms[term].open_amount or "1.00")
    paid = requests.post(
        f"{exact.url}/_sandbox/pay",
        json={
            "division": exact.division,
            "receivable_id": term,
            "amount": amount,
            "date": "2025-03-03",
        },
        timeout=10,
    ).json()
    assert paid["IsFullyPaid"] is True
    moved = requests.post(
        f"{exact.url}/_sandbox/clock", json={"advance_seconds": 60}, timeout=10
    ).json()
    assert moved["now"] == "2025-03-03T08:01:30+00:00"
    exact.get("current/Me")
    stats = requests.get(f"{exact.url}/_sandbox/stats", timeout=10).json()
    assert stats["calls"] == {"GET current/Me": 1}


def test_the_clock_cannot_be_moved_when_the_state_reads_an_external_clock(serve: Serve) -> None:
    state = ExactState(lambda: datetime(2025, 3, 3, tzinfo=UTC))
    _, url = serve(state)
    r = requests.post(f"{url}/_sandbox/clock", json={"advance_seconds": 1}, timeout=10)
    assert r.status_code == 409


def test_seeding_over_http_hands_back_credentials_and_a_refreshable_token(serve: Serve) -> None:
    state = ExactState(lambda: datetime(2025, 3, 3, tzinfo=UTC))
    _, url = serve(state)
    seeded = requests.post(
        f"{url}/_sandbox/seed", json={"seed": 3, "divisions": 2}, timeout=10
    ).json()
    assert len(seeded["divisions"]) == 2 and seeded["receivables"] > 200
    r = requests.post(
        f"{url}/api/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": seeded["tokens"]["refresh_token"],
            "client_id": seeded["client_id"],
            "client_secret": seeded["client_secret"],
        },
        timeout=10,
    )
    assert r.status_code == 200
