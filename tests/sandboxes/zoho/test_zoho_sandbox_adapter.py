"""The real Zoho adapter (`zoho_ledger_from_settings` / `ZohoLedger`) against the sandbox over
loopback HTTP: if these pass, the adapter and the fake agree on paths, shapes and errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fake_store import MemoryTokenStore
from zoho_sandbox_harness import START, Serve

from adapters.zoho.adapter import ZohoLedger, zoho_ledger_from_settings
from adapters.zoho.errors import ZohoApiError
from adapters.zoho.settings import ZohoSettings
from connector.domain import Action, ActionItem, ActionKind, InvoiceStatus, Money
from connector.domain.clock import ManualClock
from connector.domain.ports import ErrorKind, Outcome, RenderedMessage
from sandboxes.zoho import (
    DemoInfo,
    ZohoRouter,
    ZohoState,
    demo_tokens,
    seed_demo,
    zoho_fault,
)


@dataclass
class Wired:
    clock: ManualClock
    state: ZohoState
    app: ZohoRouter
    info: DemoInfo
    store: MemoryTokenStore
    ledger: ZohoLedger

    @property
    def org(self) -> str:
        return self.info.organization_id


@pytest.fixture
def wired(serve: Serve) -> Wired:
    clock = ManualClock(START)
    state = ZohoState(clock.now)  # one clock for the adapter and the platform
    info = seed_demo(state, seed=21, invoices=450)  # three pages of 200
    app, url = serve(state)
    tokens = demo_tokens(state, info, api_domain=url)
    assert tokens.refresh_token is not None  # a finished consent always holds one
    store = MemoryTokenStore()
    store.put_initial(
        "acme",
        "default",
        "zoho",
        refresh_token=tokens.refresh_token,
        access_token=tokens.access_token,
        expires_at=START + timedelta(hours=1),
        api_domain=url,
        now=START,
    )
    settings = ZohoSettings.model_validate(
        {
            "data_center": "eu",
            "organization_id": info.organization_id,
            "client_id": info.client_id,
            "client_secret": info.client_secret,
            "accounts_url": url,
            "api_url": url,
        }
    )
    ledger = zoho_ledger_from_settings(
        settings, store, tenant="acme", timezone="Europe/Amsterdam", clock=clock
    )
    return Wired(clock, state, app, info, store, ledger)


def test_a_full_sync_reads_every_page_of_contacts_invoices_and_payments(wired: Wired) -> None:
    od = wired.state.data(wired.org)
    assert wired.ledger.check().endswith(f"(organization {wired.org})")
    pages = list(wired.ledger.iter_invoices(None))
    assert [len(p.items) for p in pages] == [200, 200, 50]
    assert [p.cursor is None for p in pages] == [True, True, False]
    invoices = [i for p in pages for i in p.items]
    assert {i.ref for i in invoices} == set(od.invoices)
    statuses = {i.ref: i.status for i in invoices}
    today = od.today(START)
    for inv in od.invoices.values():
        expected = {
            "void": InvoiceStatus.VOID,
            "draft": InvoiceStatus.DRAFT,
            "paid": InvoiceStatus.PAID,
        }.get(inv.status(today), InvoiceStatus.OPEN)
        assert statuses[inv.invoice_id] is expected
    sample = next(i for i in invoices if i.ref == next(iter(od.invoices)))
    assert sample.balance == Money(od.invoices[sample.ref].balance, "EUR")
    customers = [c for p in wired.ledger.iter_customers(None) for c in p.items]
    assert len(customers) == 40 and all(c.email for c in customers)
    payments = [p for page in wired.ledger.iter_payments(None) for p in page.items]
    assert {p.ref for p in payments} == set(od.payments)
    assert all(p.updated_at is not None for p in payments)
    assert wired.state.calls["GET /invoices"] == 3
    assert wired.state.calls["GET /customerpayments"] == 2  # 300-odd payments


def test_an_incremental_sync_with_the_cursor_finds_a_new_payment(wired: Wired) -> None:
    *_, last = wired.ledger.iter_invoices(None)
    cursor = last.cursor
    assert cursor is not None
    wired.clock.advance(timedelta(minutes=10))
    od = wired.state.data(wired.org)
    today = od.today(wired.clock.now())
    inv = next(i for i in od.invoices.values() if i.status(today) == "overdue")
    wired.state.record_payment(wired.org, inv.invoice_id, inv.balance)
    changed = [i for p in wired.ledger.iter_invoices(cursor) for i in p.items]
    assert inv.invoice_id in {i.ref for i in changed}
    assert len(changed) < 20
    assert next(i for i in changed if i.ref == inv.invoice_id).status is InvoiceStatus.PAID
    new_payments = [
        p
        for page in wired.ledger.iter_payments(None)
        for p in page.items
        if inv.invoice_id in p.invoice_refs
    ]
    assert new_payments == []  # list items carry no invoice ids (only the detail does)


def _reminder(wired: Wired) -> tuple[Action, RenderedMessage, list[str]]:
    """A grouped reminder for a customer with two open invoices; the refs, oldest due first."""
    od = wired.state.data(wired.org)
    today = od.today(wired.clock.now())
    contact_id, open_refs = next(
        (cid, opened)
        for cid, refs in od.by_customer.items()
        if len(opened := [r for r in refs if od.invoices[r].status(today) in ("overdue", "sent")])
        >= 2
    )
    chosen = sorted(open_refs[:2], key=lambda r: (od.invoices[r].due_date, r))
    items = tuple(
        ActionItem(r, "reminder-1", Money(od.invoices[r].balance, "EUR")) for r in reversed(chosen)
    )
    action = Action(
        tenant="acme",
        customer_ref=contact_id,
        kind=ActionKind.REMINDER,
        template="reminder-1",
        planned_for=today,
        items=items,
    )
    rendered = RenderedMessage(
        subject="Herinnering",
        html="<p>2 facturen</p>",
        text="2 facturen",
        to=(od.contacts[contact_id].email,),
        note="Herinnering 1 verstuurd",
    )
    return action, rendered, chosen


def test_perform_sends_one_reminder_on_the_oldest_invoice_and_one_comment_naming_both(
    wired: Wired,
) -> None:
    action, rendered, (oldest, newer) = _reminder(wired)
    result = wired.ledger.perform(action, rendered)
    assert result.outcome is Outcome.SENT, result.detail
    [mail] = wired.state.sent_mails
    assert mail.kind == "payment_reminder" and mail.invoice_ids == (oldest,)
    assert mail.to == rendered.to and mail.body == "<p>2 facturen</p>"
    od = wired.state.data(wired.org)
    marker = f"[dunning:{action.idempotency_key}]"
    # one ledger comment per action (issue #18), on one invoice, naming every invoice it covers
    marked = [
        c for ref in (oldest, newer) for c in od.invoices[ref].comments if marker in c.description
    ]
    assert len(marked) == 1
    for ref in (oldest, newer):  # (numbers when the dispatcher passes them; ids otherwise)
        assert ref in marked[0].description
    assert wired.ledger.reconcile(action, {}) is Outcome.SENT
    read = wired.ledger.get_invoices([oldest, newer])[oldest]
    assert read is not None and read.platform_reminders_sent == 1
    assert read.last_reminder_date == action.planned_for


def test_a_crash_after_the_mail_is_unknown_and_reconcile_sees_the_reminder_counter(
    wired: Wired,
) -> None:
    action, rendered, _ = _reminder(wired)
    before: dict[str, int | None] = {
        ref: wired.state.data(wired.org).invoices[ref].reminders_sent for ref in action.invoice_refs
    }
    wired.ledger.recheck_customer(action.customer_ref, None)  # learns the due dates first
    wired.app.faults.add(zoho_fault("server_error", r"/paymentreminder$", "POST", passthrough=True))
    result = wired.ledger.perform(action, rendered)
    assert result.outcome is Outcome.UNKNOWN
    assert len(wired.state.sent_mails) == 1  # Zoho did send it
    assert wired.ledger.reconcile(action, before) is Outcome.SENT


def test_an_expired_access_token_is_refreshed_once_and_the_refresh_token_kept(
    wired: Wired,
) -> None:
    before = wired.store.get("acme")
    assert wired.state.expire_access_tokens() >= 1
    customer = wired.ledger.get_customer(wired.info.contacts[0])
    assert customer.reminders_enabled is True
    after = wired.store.get("acme")
    assert before is not None and after is not None
    assert after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token  # Zoho does not rotate
    assert after.api_domain == before.api_domain
    assert wired.state.stats.token_calls == 1
    assert wired.state.stats.errors["GET /contacts/{contact_id} 401"] == 1
    wired.clock.advance(timedelta(hours=2))  # the stored expiry passed: refreshed up front
    wired.ledger.get_customer(wired.info.contacts[1])
    assert wired.state.stats.token_calls == 2
    assert wired.state.stats.errors["GET /contacts/{contact_id} 401"] == 1


def test_a_revoked_grant_means_consent_needed(wired: Wired) -> None:
    wired.state.revoke_all()
    with pytest.raises(ZohoApiError) as err:
        wired.ledger.get_customer(wired.info.contacts[0])
    assert err.value.kind is ErrorKind.CONSENT_NEEDED


def test_a_429_burst_is_waited_out_by_the_adapter(wired: Wired) -> None:
    wired.app.faults.add(zoho_fault("rate_limit", r"/books/v3/invoices$", "GET"))
    pages = list(wired.ledger.iter_invoices(None))
    assert sum(len(p.items) for p in pages) == 450
    assert 60.0 in wired.clock.slept  # X-Rate-Limit-Reset
    assert wired.app.faults.fired == [("GET", "/books/v3/invoices", 429)]
    assert wired.state.calls["GET /invoices"] == 3  # a fault answers before the API counts
