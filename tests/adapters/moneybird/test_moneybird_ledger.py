"""The Moneybird ledger against HTTP answers shaped like Moneybird's documentation (`responses`),
mail over real SMTP on loopback (aiosmtpd).

What it promises: the first read takes every invoice, later reads only what Moneybird lists as
updated since the last one (and not already known at that version); Moneybird's own reminder
workflow is paused for every open invoice as soon as it is read and resumed once it is paid;
reminders are sent by Moneybird itself, one per customer with all its invoices and our text; call
steps are to-dos and other mails go by SMTP with a note; an unknown outcome is settled by
Moneybird's reminder counter or the note's marker.
"""

from __future__ import annotations

import dataclasses
import email
import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fake_store import MemoryTokenStore

from adapters.moneybird.adapter import (
    MoneybirdLedger,
    parse_contact_cursor,
    parse_invoice_cursor,
)
from adapters.moneybird.client import MoneybirdClient
from connector.auth.tokens import TokenManager, TokenResponse
from connector.config.models import SmtpSettings
from connector.domain import Action, ActionItem, ActionKind, InvoiceStatus, Money
from connector.domain.clock import ManualClock
from connector.domain.ports import INVOICE_NUMBERS, Outcome, RenderedMessage
from connector.http import limiter as http_limiter
from connector.mail import SmtpMailer

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ADMIN = "123456789012345678"
API = "https://moneybird.com/api/v2"
BASE = f"{API}/{ADMIN}"
SYNC = f"{BASE}/sales_invoices/synchronization.json"
CONTACT_SYNC = f"{BASE}/contacts/synchronization.json"
REMINDERS = f"{BASE}/sales_invoices/send_reminders.json"


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    http_limiter._local.clear()
    yield
    http_limiter._local.clear()


class Catcher:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Catcher, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    catcher = Catcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    yield catcher, port
    controller.stop()


def never_refreshed(refresh_token: str) -> TokenResponse:
    raise AssertionError("the token is valid for the whole test")


def make_ledger(
    clock: ManualClock, port: int = 1, style: dict[str, str | None] | None = None
) -> MoneybirdLedger:
    store = MemoryTokenStore()
    store.put_initial(
        "vogel",
        "default",
        "moneybird",
        refresh_token="r",
        access_token="a",
        expires_at=START + timedelta(days=30),
        now=START,
    )
    tokens = TokenManager(store, "vogel", "default", "moneybird", never_refreshed, clock)
    mail = SmtpSettings.model_validate(
        {"smtp_host": "127.0.0.1", "smtp_port": port, "from": "debiteuren@vogel.example"}
        | {"starttls": False}
    )
    return MoneybirdLedger(
        MoneybirdClient(tokens, API, ADMIN, clock, budget="app-1"),
        tenant="vogel",
        clock=clock,
        mailer=SmtpMailer(mail),
        mail_from="debiteuren@vogel.example",
        reminder_style=style,
    )


def invoice(ref: str, state: str, unpaid: str, version: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": ref,
        "contact_id": "77",
        "invoice_id": f"2026-{ref}",
        "state": state,
        "invoice_date": "2026-01-15",
        "due_date": "2026-02-14",
        "currency": "EUR",
        "total_price_incl_tax": "121.0",
        "total_unpaid": unpaid,
        "payments": [],
        "payment_url": "https://moneybird.com/pay/" + ref,
        "paused": False,
        "reminder_count": 0,
        "version": version,
        "updated_at": "2026-03-01T12:00:00.000Z",
        "workflow_id": "501",
        "identity_id": "601",
        "document_style_id": "701",
        **extra,
    }


def action(kind: ActionKind, refs: tuple[str, ...] = ("3", "4"), **extra: str) -> Action:
    return Action(
        tenant="vogel",
        customer_ref="77",
        kind=kind,
        template=kind.value,
        planned_for=date(2026, 3, 2),
        items=tuple(ActionItem(r, "step-1", Money.of("10", "EUR")) for r in refs),
        extra={INVOICE_NUMBERS: ", ".join(f"2026-{r}" for r in refs), **extra},
    )


def rendered(note: str = "") -> RenderedMessage:
    return RenderedMessage(
        subject="Herinnering facturen 2026-3, 2026-4",
        html="<p>Beste klant</p>",
        text="Beste klant, wilt u 2026-3 en 2026-4 betalen?",
        to=("admin@klant.example",),
        note=note,
    )


def bodies(path: str) -> list[Any]:
    return [
        json.loads(c.request.body or b"null")
        for c in responses.calls
        if urlsplit(c.request.url or "").path == urlsplit(path).path
    ]


# -- the incremental read ------------------------------------------------------------------
@responses.activate
def test_the_first_read_takes_every_invoice_pauses_the_open_ones_and_resumes_the_paid_ones() -> (
    None
):
    clock = ManualClock(START)
    ledger = make_ledger(clock)
    responses.get(SYNC, json=[{"id": "1", "version": 10}, {"id": "3", "version": 30}])
    paid = invoice(
        "1",
        "paid",
        "0.0",
        10,
        paused=True,
        payments=[{"id": "9", "invoice_id": "1", "payment_date": "2026-02-20", "price": "121.0"}],
    )
    responses.post(SYNC, json=[paid, invoice("3", "late", "121.0", 30)])
    pause = responses.post(
        f"{BASE}/sales_invoices/3/pause.json",
        json=invoice("3", "late", "121.0", 31, paused=True, updated_at="2026-03-02T08:00:01Z"),
        status=201,
    )
    resume = responses.post(
        f"{BASE}/sales_invoices/1/resume.json",
        json={**paid, "paused": False, "version": 11},
        status=201,
    )

    pages = list(ledger.iter_invoices(None))
    payments = [p for page in ledger.iter_payments(None) for p in page.items]

    invoices = [i for page in pages for i in page.items]
    assert [(i.number, i.status) for i in invoices] == [
        ("2026-1", InvoiceStatus.PAID),
        ("2026-3", InvoiceStatus.OPEN),
    ]
    assert invoices[1].pay_link == "https://moneybird.com/pay/3"
    assert [(p.ref, p.invoice_refs) for p in payments] == [("9", ("1",))]
    assert pause.call_count == 1 and resume.call_count == 1
    assert (ledger.paused.first, ledger.resumed.first) == (["2026-3"], ["2026-1"])
    assert (ledger.paused.count, ledger.resumed.count) == (1, 1)
    # the first GET lists everything (no filter); only the last page carries the cursor
    assert "filter" not in (urlsplit(responses.calls[0].request.url or "").query)
    assert [p.cursor is None for p in pages] == [True, False]
    after, recent, retry = parse_invoice_cursor(pages[-1].cursor)
    assert after == START - timedelta(minutes=5)
    # the versions the pause and the resume answered with: not fetched again for their change
    assert recent == {"1": 11, "3": 31} and retry == []


@responses.activate
def test_a_later_read_lists_only_what_changed_since_the_last_and_fetches_only_new_versions() -> (
    None
):
    clock = ManualClock(START)
    ledger = make_ledger(clock)
    cursor = json.dumps({"after": "2026-03-02T07:55:00Z", "recent": {"3": 31}})
    responses.get(SYNC, json=[{"id": "3", "version": 31}, {"id": "4", "version": 40}])
    fetch = responses.post(SYNC, json=[invoice("4", "open", "60.5", 40, paused=True)])

    pages = list(ledger.iter_invoices(cursor))

    query = parse_qs(urlsplit(responses.calls[0].request.url or "").query)
    assert query["filter"] == ["updated_after:2026-03-02T07:55:00Z"]
    assert bodies(SYNC)[-1] == {"ids": ["4"]}  # 3 is known at version 31
    assert fetch.call_count == 1
    assert [i.ref for page in pages for i in page.items] == ["4"]
    assert ledger.paused.count == 0  # already paused


@responses.activate
def test_an_unchanged_administration_costs_one_call() -> None:
    ledger = make_ledger(ManualClock(START))
    responses.get(SYNC, json=[])
    pages = list(ledger.iter_invoices(json.dumps({"after": "2026-03-02T07:00:00Z"})))
    assert len(responses.calls) == 1 and [p.items for p in pages] == [[]]


@responses.activate
def test_contacts_keep_their_versions_in_the_cursor_and_only_changed_ones_are_fetched() -> None:
    ledger = make_ledger(ManualClock(START))
    responses.get(CONTACT_SYNC, json=[{"id": "77", "version": 5}, {"id": "78", "version": 9}])
    contact = {"id": "78", "company_name": "Klant B.V.", "email": "ap@klant.example", "version": 9}
    responses.post(CONTACT_SYNC, json=[contact])

    pages = list(ledger.iter_customers(json.dumps({"versions": {"77": 5, "78": 8}})))

    assert bodies(CONTACT_SYNC)[-1] == {"ids": ["78"]}
    assert [c.name for page in pages for c in page.items] == ["Klant B.V."]
    assert parse_contact_cursor(pages[-1].cursor) == {"77": 5, "78": 9}


@responses.activate
def test_a_recheck_reads_what_changed_since_the_last_read_and_serves_other_customers_too() -> None:
    clock = ManualClock(START)
    ledger = make_ledger(clock)
    responses.get(SYNC, json=[{"id": "3", "version": 32}])
    responses.post(SYNC, json=[invoice("3", "paid", "0.0", 32)])

    first = ledger.recheck_customer("77", None)
    other = ledger.recheck_customer("78", None)

    assert [(i.ref, i.status) for i in first] == [("3", InvoiceStatus.PAID)]
    assert other == [] and len(responses.calls) == 2  # one look for both customers


@responses.activate
def test_a_recheck_after_a_read_does_not_fetch_the_invoices_that_read_paused() -> None:
    clock = ManualClock(START)
    ledger = make_ledger(clock)
    responses.get(SYNC, json=[{"id": "3", "version": 30}, {"id": "4", "version": 40}])
    responses.post(SYNC, json=[invoice("3", "late", "121.0", 30), invoice("4", "late", "60.5", 40)])
    for ref, version in (("3", 31), ("4", 41)):
        responses.post(
            f"{BASE}/sales_invoices/{ref}/pause.json",
            json=invoice(ref, "late", "1.0", version, paused=True),
            status=201,
        )
    list(ledger.iter_invoices(None))
    clock.advance(timedelta(minutes=30))
    # both are listed as changed since the read (paused); 4 was also paid meanwhile
    responses.replace(
        responses.GET, SYNC, json=[{"id": "3", "version": 31}, {"id": "4", "version": 42}]
    )
    responses.replace(responses.POST, SYNC, json=[invoice("4", "paid", "0.0", 42)])

    changed = ledger.recheck_customer("77", None)

    assert bodies(SYNC)[-1] == {"ids": ["4"]}
    assert [(i.ref, i.status) for i in changed] == [("4", InvoiceStatus.PAID)]


# -- write-back -----------------------------------------------------------------------------
@responses.activate
def test_a_reminder_is_sent_by_moneybird_once_for_the_customer_with_all_its_invoices() -> None:
    ledger = make_ledger(ManualClock(START), style={"identity_id": "999"})
    responses.post(
        SYNC,
        json=[
            invoice("3", "late", "121.0", 30),
            invoice("4", "reminded", "60.5", 40, workflow_id="502"),
        ],
    )
    send = responses.post(REMINDERS, json=200)

    message = dataclasses.replace(
        rendered(), attachments=(("rekeningoverzicht.pdf", b"%PDF-1.4", "application/pdf"),)
    )
    result = ledger.perform(action(ActionKind.REMINDER, lead_invoice="3"), message)

    assert result.outcome is Outcome.SENT, result.detail
    assert send.call_count == 1
    assert bodies(REMINDERS) == [
        {
            "sales_invoice_reminders": [
                {
                    "contact_id": "77",
                    "workflow_id": "501",  # the lead invoice's
                    "identity_id": "999",  # the client file's
                    "document_style_id": "701",
                    "sales_invoice_ids": ["3", "4"],
                    "reminder_text": "Beste klant, wilt u 2026-3 en 2026-4 betalen?",
                    "delivery_method": "Email",
                    "email_address": "admin@klant.example",
                }
            ]
        }
    ]
    assert result.detail == (
        "sent by Moneybird to admin@klant.example for 2026-3, 2026-4 (without "
        "rekeningoverzicht.pdf: Moneybird attaches the invoices themselves)"
    )


@responses.activate
def test_a_reminder_for_an_invoice_paid_meanwhile_is_not_sent() -> None:
    ledger = make_ledger(ManualClock(START))
    responses.post(SYNC, json=[invoice("3", "paid", "0.0", 31), invoice("4", "late", "60.5", 40)])
    send = responses.post(REMINDERS, json=200)

    result = ledger.perform(action(ActionKind.FIRM_REMINDER), rendered())

    assert result.outcome is Outcome.NOT_SENT and send.call_count == 0
    assert "no longer open in Moneybird: 2026-3" in result.detail


@responses.activate
def test_a_reminder_without_an_answer_is_settled_by_moneybirds_reminder_counter() -> None:
    ledger = make_ledger(ManualClock(START))
    responses.post(SYNC, json=[invoice("3", "late", "121.0", 30), invoice("4", "late", "60.5", 40)])
    responses.post(REMINDERS, status=502)
    act = action(ActionKind.REMINDER)

    result = ledger.perform(act, rendered())
    assert result.outcome is Outcome.UNKNOWN

    responses.replace(
        responses.POST,
        SYNC,
        json=[
            invoice("3", "reminded", "121.0", 33, reminder_count=1),
            invoice("4", "late", "60.5", 40),
        ],
    )
    assert ledger.reconcile(act, {"3": 0, "4": 0}) is Outcome.SENT
    responses.replace(responses.POST, SYNC, json=[invoice("3", "late", "121.0", 30)])
    assert ledger.reconcile(act, {"3": 0, "4": 0}) is Outcome.NOT_SENT


@responses.activate
def test_a_call_step_is_a_to_do_on_the_contact_carrying_the_marker() -> None:
    ledger = make_ledger(ManualClock(START))
    note = responses.post(f"{BASE}/contacts/77/notes.json", json={"id": "5001"}, status=201)
    act = action(ActionKind.CALL_TASK)

    result = ledger.perform(act, None)

    assert result.outcome is Outcome.SENT and result.refs == ("5001",)
    [body] = bodies(f"{BASE}/contacts/77/notes.json")
    assert body["note"]["todo"] is True
    assert "Facturen: 2026-3, 2026-4" in body["note"]["note"]
    assert body["note"]["note"].endswith(f"[dunning:{act.idempotency_key}]")
    assert note.call_count == 1


@responses.activate
def test_a_statement_goes_by_smtp_and_a_note_records_it_in_moneybird(
    smtp: tuple[Catcher, int],
) -> None:
    catcher, port = smtp
    ledger = make_ledger(ManualClock(START), port)
    responses.post(f"{BASE}/contacts/77/notes.json", json={"id": "5002"}, status=201)
    act = action(ActionKind.STATEMENT)

    result = ledger.perform(act, rendered())

    assert result.outcome is Outcome.SENT, result.detail
    assert [m["To"] for m in catcher.messages] == ["admin@klant.example"]
    [body] = bodies(f"{BASE}/contacts/77/notes.json")
    assert body["note"]["todo"] is False and "Rekeningoverzicht verstuurd" in body["note"]["note"]
    assert not responses.calls[0].request.url.endswith("send_reminders.json")  # type: ignore[union-attr]


@responses.activate
def test_a_mail_step_without_an_answer_is_sent_when_the_contact_carries_its_marker() -> None:
    ledger = make_ledger(ManualClock(START))
    act = action(ActionKind.THANK_YOU)
    marker = f"[dunning:{act.idempotency_key}]"
    responses.get(
        f"{BASE}/contacts/77.json", json={"id": "77", "notes": [{"note": f"x\n{marker}"}]}
    )
    assert ledger.reconcile(act, {}) is Outcome.SENT
    responses.replace(responses.GET, f"{BASE}/contacts/77.json", json={"id": "77", "notes": []})
    assert ledger.reconcile(act, {}) is Outcome.UNKNOWN
    assert ledger.reconcile(action(ActionKind.HANDOFF), {}) is Outcome.NOT_SENT


# -- dunning doctor ---------------------------------------------------------------------------
@responses.activate
def test_doctor_names_late_invoices_moneybirds_own_workflow_is_still_reminding() -> None:
    ledger = make_ledger(ManualClock(START))
    responses.get(f"{API}/administrations.json", json=[{"id": ADMIN, "name": "Vogel B.V."}])
    responses.get(
        f"{BASE}/sales_invoices.json",
        json=[
            invoice("3", "late", "121.0", 30),
            invoice("4", "reminded", "60.5", 40, paused=True),
        ],
    )

    line = ledger.check()

    query = parse_qs(urlsplit(responses.calls[1].request.url or "").query)
    assert query["filter"] == ["state:late|reminded,period:20000101..20271231"]
    assert line == (
        f"Vogel B.V. (administration {ADMIN})\nWARNING: Moneybird's own workflow is reminding "
        "1 late invoice(s) the connector manages (2026-3): customers get reminders from both; "
        "they are paused at the next sync"
    )
    responses.replace(responses.GET, f"{BASE}/sales_invoices.json", json=[])
    assert ledger.check().endswith("Moneybird's own reminders are paused for every late invoice")


@responses.activate
def test_a_pause_meeting_a_429_waits_and_a_failed_one_is_read_again_next_time() -> None:
    clock = ManualClock(START)
    ledger = make_ledger(clock)
    responses.get(SYNC, json=[{"id": "3", "version": 30}, {"id": "4", "version": 40}])
    responses.post(SYNC, json=[invoice("3", "late", "121.0", 30), invoice("4", "late", "60.5", 40)])
    pause3 = f"{BASE}/sales_invoices/3/pause.json"
    responses.post(pause3, status=429, headers={"Retry-After": "60"})
    responses.post(pause3, json=invoice("3", "late", "121.0", 31, paused=True), status=201)
    responses.post(f"{BASE}/sales_invoices/4/pause.json", status=422, json={"error": "no"})

    pages = list(ledger.iter_invoices(None))

    assert ledger.paused.first == ["2026-3"]  # after waiting what Retry-After asked, on the clock
    assert clock.now() >= START + timedelta(seconds=60)
    _after, _recent, retry = parse_invoice_cursor(pages[-1].cursor)
    assert retry == ["4"]

    responses.replace(responses.GET, SYNC, json=[])
    responses.replace(responses.POST, SYNC, json=[invoice("4", "late", "60.5", 40)])
    responses.replace(
        responses.POST,
        f"{BASE}/sales_invoices/4/pause.json",
        json=invoice("4", "late", "60.5", 41, paused=True),
        status=201,
    )
    again = list(ledger.iter_invoices(pages[-1].cursor))
    assert bodies(SYNC)[-1] == {"ids": ["4"]} and ledger.paused.first[-1] == "2026-4"
    assert parse_invoice_cursor(again[-1].cursor)[2] == []


@responses.activate
def test_a_large_first_read_pauses_by_urgency_across_batches_and_the_next_fetches_none_again() -> (
    None
):
    clock = ManualClock(START)
    ledger = make_ledger(clock)
    refs = [str(1000 + n) for n in range(250)]  # three batches of at most 100
    due = {ref: date(2026, 1, 1) + timedelta(days=(n * 7) % 60) for n, ref in enumerate(refs)}
    versions = {ref: 1 for ref in refs}
    held: set[str] = set()
    responses.get(SYNC, json=[{"id": ref, "version": 1} for ref in refs])

    def fetch(request: Any) -> tuple[int, dict[str, str], str]:
        asked = json.loads(request.body)["ids"]
        records = [
            invoice(r, "open", "10.0", versions[r], due_date=due[r].isoformat(), paused=r in held)
            for r in asked
        ]
        return 200, {}, json.dumps(records)

    def pause(request: Any) -> tuple[int, dict[str, str], str]:
        ref = urlsplit(request.url).path.split("/")[-2]
        versions[ref] += 1  # the pause changes the invoice: listed again next time
        held.add(ref)
        return 201, {}, json.dumps(invoice(ref, "open", "10.0", versions[ref], paused=True))

    responses.add_callback(responses.POST, SYNC, callback=fetch)
    responses.add_callback(
        responses.POST, re.compile(rf"{BASE}/sales_invoices/\d+/pause\.json"), callback=pause
    )

    pages = list(ledger.iter_invoices(None))

    assert len([b for b in bodies(SYNC) if b]) == 3 and sum(len(p.items) for p in pages) == 250
    paused = [
        urlsplit(c.request.url or "").path.split("/")[-2]
        for c in responses.calls
        if (c.request.url or "").endswith("/pause.json")
    ]
    assert sorted(paused) == refs
    assert paused == sorted(refs, key=lambda r: (due[r], r))  # most overdue first
    assert ledger.paused.count == 250 and len(ledger.paused.first) == 10

    # an hour later Moneybird lists all of them again (the pause changed them), one changed
    clock.advance(timedelta(hours=1))
    versions["1100"] += 1
    responses.replace(
        responses.GET, SYNC, json=[{"id": r, "version": v} for r, v in versions.items()]
    )
    calls = len(responses.calls)
    again = list(ledger.iter_invoices(pages[-1].cursor))
    assert len(responses.calls) - calls == 2  # the list and one POST
    assert bodies(SYNC)[-1] == {"ids": ["1100"]}
    assert [i.ref for page in again for i in page.items] == ["1100"]
    # the pauses' versions served this read; the next one lists only what changed after it
    # started, so its cursor no longer carries them
    assert parse_invoice_cursor(pages[-1].cursor)[1] == {r: 2 for r in refs}
    assert parse_invoice_cursor(again[-1].cursor)[1] == {}


@responses.activate
def test_a_read_right_after_one_that_paused_keeps_the_pauses_versions_for_the_next() -> None:
    clock = ManualClock(START)
    ledger = make_ledger(clock)
    cursor = json.dumps({"after": "2026-03-02T06:55:00Z", "recent": {"3": 31}})
    cursor = cursor[:-1] + ', "until": "2026-03-02T07:58:00Z"}'  # ended two minutes ago
    responses.get(SYNC, json=[{"id": "3", "version": 31}])

    pages = list(ledger.iter_invoices(cursor))

    assert len(responses.calls) == 1  # known at that version: not fetched
    # the next read lists what changed after 07:55, which may still be this pause: kept
    assert parse_invoice_cursor(pages[-1].cursor)[1] == {"3": 31}


@responses.activate
def test_the_invoices_moneybirds_workflow_would_remind_first_are_paused_first() -> None:
    ledger = make_ledger(ManualClock(START))
    responses.get(SYNC, json=[{"id": r, "version": 1} for r in ("5", "6", "7")])
    responses.post(
        SYNC,
        json=[
            invoice("5", "open", "10.0", 1, due_date="2026-03-20"),
            invoice("6", "late", "10.0", 1, due_date="2026-02-20"),
            invoice("7", "reminded", "10.0", 1, due_date="2026-01-20"),
        ],
    )
    for ref in ("5", "6", "7"):
        responses.post(f"{BASE}/sales_invoices/{ref}/pause.json", json={}, status=201)

    pages = list(ledger.iter_invoices(None))

    assert ledger.paused.first == ["2026-7", "2026-6", "2026-5"]
    pauses = [c.request.url for c in responses.calls if "pause" in (c.request.url or "")]
    assert [urlsplit(u or "").path.split("/")[-2] for u in pauses] == ["7", "6", "5"]
    assert pages[-1].cursor is not None and [i.ref for i in pages[0].items] == ["5", "6", "7"]
