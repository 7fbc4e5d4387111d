"""The demo ledger and the bulk ledger the demo and the benchmarks use: Dutch customers, some
overdue invoices, a draft, reproducible from the seed; customers who pay by their habits."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from moneybird_sandbox_harness import START, Moneybird

from sandboxes.moneybird import (
    MoneybirdState,
    PaymentSimulator,
    SandboxClock,
    bulk_ledger,
    seed_demo,
)


def test_the_demo_ledger_has_dutch_customers_and_overdue_invoices(moneybird: Moneybird) -> None:
    ledger = moneybird.state.ledger(moneybird.administration)
    assert len(ledger.contacts) == 40
    companies = [c for c in ledger.contacts.values() if c.company_name]
    assert all(c.company_name.endswith(" B.V.") and c.country == "NL" for c in companies)
    assert any(not c.company_name and c.firstname for c in ledger.contacts.values())
    states = Counter(i.state for i in ledger.invoices.values())
    assert states["late"] + states["reminded"] >= 10 and states["paid"] > 50
    assert states["draft"] == 1
    assert all(i.invoice_id for i in ledger.invoices.values() if i.state != "draft")


def test_the_same_seed_gives_the_same_ledger() -> None:
    def ledger(seed: int) -> list[tuple[str, str, str]]:
        state = MoneybirdState(SandboxClock(START).now, seed=0)
        info = seed_demo(state, seed=seed)
        rows = state.ledger(info.administration_id).invoices.values()
        return [(str(i.invoice_id), str(i.total), i.state) for i in rows]

    assert ledger(3) == ledger(3) and ledger(3) != ledger(4)


def test_customers_waiting_for_a_reminder_pay_after_moneybird_sends_one(
    moneybird: Moneybird,
) -> None:
    adm = moneybird.administration
    ledger = moneybird.state.ledger(adm)
    contact = next(c for c in ledger.contacts.values() if c.habit == "pays_after_first_reminder")
    today = moneybird.state.local_day(adm)
    invoice = moneybird.state.add_invoice(
        adm, contact.id, "100.00", today - timedelta(days=40), today - timedelta(days=10)
    )
    payer = PaymentSimulator(moneybird.state, adm, seed=1)
    payer.simulate_day(today)
    assert invoice.payments == []
    moneybird.state.send_reminders(
        adm,
        [
            {
                "contact_id": contact.id,
                "workflow_id": invoice.workflow_id,
                "identity_id": invoice.identity_id,
                "document_style_id": invoice.document_style_id,
                "sales_invoice_ids": [invoice.id],
            }
        ],
    )
    for n in range(1, 6):
        payer.simulate_day(today + timedelta(days=n))
    assert invoice.state == "paid"


def test_the_bulk_ledger_and_a_share_of_changes(moneybird: Moneybird) -> None:
    bulk = bulk_ledger(moneybird.state, invoices=2_000, contacts=100)
    assert bulk.administration_id in moneybird.state.users[moneybird.info.user_id].administrations
    before = {
        i: moneybird.state.ledger(bulk.administration_id).invoices[i].version
        for i in bulk.invoice_ids
    }
    moneybird.clock.advance(60)
    changed = bulk.touch_share(0.01)
    assert len(changed) == 20
    after = moneybird.state.ledger(bulk.administration_id).invoices
    assert {i for i in bulk.invoice_ids if after[i].version != before[i]} == set(changed)
