"""The Moneybird ledger against the Moneybird sandbox over loopback HTTP (sandboxes/moneybird: the
fake written from Moneybird's documentation, refusing what Moneybird refuses, checked against
the same field reference as the adapter).

What it shows end to end: the first read pauses Moneybird's own workflow for every open invoice,
an unchanged administration costs one call, a payment comes back by itself on the next read,
a reminder is sent by Moneybird (one for the customer, our text) and a call step is a to-do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fake_store import MemoryTokenStore

from adapters.moneybird.adapter import MoneybirdLedger, moneybird_ledger_from_settings
from adapters.moneybird.settings import MoneybirdSettings
from connector.domain import Action, ActionItem, ActionKind, InvoiceStatus, Money
from connector.domain.clock import ManualClock
from connector.domain.ports import INVOICE_NUMBERS, Outcome, RenderedMessage
from connector.http import limiter as http_limiter
from sandboxes.kit import LoopbackServer
from sandboxes.kit.clock import SandboxClock
from sandboxes.moneybird import (
    MoneybirdState,
    demo_tokens,
    fault_from_json,
    make_app,
    seed_demo,
)

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OPEN = ("open", "late", "reminded")


class NoMail:
    def send(self, msg: Any) -> object:
        raise AssertionError("no step in these tests goes by SMTP")


@dataclass
class Sandbox:
    state: MoneybirdState
    administration: str
    ledger: MoneybirdLedger
    router: Any
    store: MemoryTokenStore

    def invoices(self) -> list[Any]:
        return list(self.state.ledger(self.administration).invoices.values())


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    http_limiter._local.clear()
    state = MoneybirdState(SandboxClock(START).now)
    info = seed_demo(state, seed=7, contacts=12)
    token = demo_tokens(state, info)
    router = make_app(state)
    with LoopbackServer(router) as server:
        store = MemoryTokenStore()
        store.put_initial(
            "demo",
            "default",
            "moneybird",
            refresh_token=token.refresh,
            access_token=token.access,
            expires_at=START + timedelta(days=365),
            now=START,
        )
        settings = MoneybirdSettings.model_validate(
            {
                "administration_id": info.administrations[0],
                "client_id": info.client_id,
                "client_secret": info.client_secret,
                "api_url": server.url,
                "accounts_url": server.url,
            }
        )
        ledger = moneybird_ledger_from_settings(
            settings,
            store,
            tenant="demo",
            clock=ManualClock(START),
            mailer=NoMail(),
            mail_from="debiteuren@demo.example",
        )
        yield Sandbox(state, info.administrations[0], ledger, router, store)
    http_limiter._local.clear()


def test_the_first_read_pauses_moneybirds_workflow_for_every_open_invoice(
    sandbox: Sandbox,
) -> None:
    assert sandbox.ledger.check().startswith("Demo")
    customers = [c for page in sandbox.ledger.iter_customers(None) for c in page.items]
    pages = list(sandbox.ledger.iter_invoices(None))
    invoices = [i for page in pages for i in page.items]

    assert customers and len(invoices) == len(sandbox.invoices())
    assert not any(i.status is InvoiceStatus.OPEN for i in invoices if i.number.startswith("draft"))
    open_in_moneybird = [i for i in sandbox.invoices() if i.state in OPEN]
    assert open_in_moneybird and all(i.paused for i in open_in_moneybird)
    assert sandbox.ledger.paused.count == len(open_in_moneybird)
    assert set(sandbox.ledger.paused.first) <= {i.invoice_id for i in open_in_moneybird}

    # nothing changed: the next read lists what changed since (nothing) and fetches nothing
    before = sandbox.ledger.paused.count
    again = list(sandbox.ledger.iter_invoices(pages[-1].cursor))
    assert [p.items for p in again] == [[]] and sandbox.ledger.paused.count == before


def test_a_payment_in_moneybird_comes_back_on_the_next_read(sandbox: Sandbox) -> None:
    pages = list(sandbox.ledger.iter_invoices(None))
    target = next(i for i in sandbox.invoices() if i.state in OPEN)
    sandbox.state.record_payment(sandbox.administration, target.id, target.total_unpaid)

    changed = [i for page in sandbox.ledger.iter_invoices(pages[-1].cursor) for i in page.items]
    payments = [p for page in sandbox.ledger.iter_payments(None) for p in page.items]

    assert [(i.ref, i.status) for i in changed] == [(target.id, InvoiceStatus.PAID)]
    assert [p.invoice_refs for p in payments][-1] == (target.id,)
    assert not target.paused  # resumed: the connector no longer manages it


def test_a_reminder_is_sent_by_moneybird_and_a_call_step_is_a_to_do(sandbox: Sandbox) -> None:
    list(sandbox.ledger.iter_invoices(None))
    late = next(i for i in sandbox.invoices() if i.state == "late")
    mine = [i for i in sandbox.invoices() if i.contact_id == late.contact_id and i.state in OPEN]
    items = tuple(ActionItem(i.id, "reminder-1", Money.of("1", "EUR")) for i in mine)
    action = Action(
        tenant="demo",
        customer_ref=late.contact_id,
        kind=ActionKind.REMINDER,
        template="reminder",
        planned_for=date(2026, 3, 2),
        items=items,
        extra={INVOICE_NUMBERS: ", ".join(str(i.invoice_id) for i in mine)},
    )
    message = RenderedMessage(
        subject="Herinnering", html="<p>x</p>", text="Onze eigen tekst", to=("ap@klant.example",)
    )

    result = sandbox.ledger.perform(action, message)

    assert result.outcome is Outcome.SENT, result.detail
    [sent] = sandbox.state.reminders(sandbox.administration, by="api")
    assert sent.contact_id == late.contact_id
    assert sorted(sent.sales_invoice_ids) == sorted(i.id for i in mine)
    assert sent.reminder_text == "Onze eigen tekst"
    assert sandbox.ledger.reconcile(action, {i.id: 0 for i in mine}) is Outcome.SENT

    task = Action(
        tenant="demo",
        customer_ref=late.contact_id,
        kind=ActionKind.CALL_TASK,
        template="call",
        planned_for=date(2026, 3, 2),
        items=items,
    )
    assert sandbox.ledger.perform(task, None).outcome is Outcome.SENT
    notes = list(sandbox.state.ledger(sandbox.administration).notes.values())
    assert [n.todo for n in notes] == [True]
    assert sandbox.ledger.reconcile(task, {}) is Outcome.SENT


def test_an_expired_access_token_is_refreshed_once_and_the_rotated_refresh_token_kept(
    sandbox: Sandbox,
) -> None:
    before = sandbox.store.get("demo", "default")
    assert before is not None
    sandbox.state.expire_access_tokens()

    assert sandbox.ledger.check().startswith("Demo")

    after = sandbox.store.get("demo", "default")
    assert after is not None and sandbox.state.stats.token_calls == 1
    assert after.refresh_token != before.refresh_token  # Moneybird rotated it; the new one kept


def test_a_burst_of_429s_is_waited_out_and_the_read_goes_on(sandbox: Sandbox) -> None:
    sandbox.router.faults.add(
        fault_from_json(
            {"preset": "rate_limit", "method": "GET", "path_regex": "synchronization", "times": 2}
        )
    )
    clock = sandbox.ledger.clock
    start = clock.now()
    pages = list(sandbox.ledger.iter_invoices(None))
    assert [i for p in pages for i in p.items]
    assert clock.now() - start >= timedelta(seconds=120)  # Retry-After: 60, twice
    assert sandbox.state.stats.throttled == 0  # the sandbox's own limit was never reached


def test_after_a_hand_off_moneybirds_workflow_is_resumed_and_no_later_sync_pauses_it(
    sandbox: Sandbox,
) -> None:
    pages = list(sandbox.ledger.iter_invoices(None))
    late = next(i for i in sandbox.invoices() if i.state == "late")
    assert late.paused
    handoff = Action(
        tenant="demo",
        customer_ref=late.contact_id,
        kind=ActionKind.HANDOFF,
        template="handoff",
        planned_for=date(2026, 3, 2),
        items=(ActionItem(late.id, "handoff", Money.of("1", "EUR")),),
        extra={INVOICE_NUMBERS: str(late.invoice_id)},
    )

    result = sandbox.ledger.perform(handoff, None)

    assert result.outcome is Outcome.SENT, result.detail
    assert f"Moneybird's own workflow resumed for {late.invoice_id}" in result.detail
    assert not late.paused
    list(sandbox.ledger.iter_invoices(pages[-1].cursor))  # reads it again (it changed)
    list(sandbox.ledger.iter_invoices(None))  # and the daily full read
    assert not late.paused
