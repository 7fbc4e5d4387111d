"""The adapter's read side (client, synchronization, mapping) against the fake over real HTTP: the
two were written separately, one from the adapter's declarations and one from the
documentation's reference, so a read that works here works on the same contract."""

from __future__ import annotations

from decimal import Decimal

from moneybird_sandbox_harness import Loopback, Moneybird, open_moneybird

from adapters.moneybird.client import MoneybirdClient
from adapters.moneybird.sync import (
    contact_batches,
    invoice_batches,
    sales_invoice_changes,
)
from connector.domain.clock import ManualClock
from sandboxes.moneybird import Limits


class _Token:
    tenant = "demo"

    def __init__(self, access: str) -> None:
        self.access = access

    def access_token(self) -> str:
        return self.access

    def invalidate(self, token: str) -> None:
        return None


def _client(mb: Moneybird) -> MoneybirdClient:
    clock = ManualClock(mb.clock.now())
    return MoneybirdClient(_Token(mb.token.access), f"{mb.url}/api/v2", mb.administration, clock)


def test_a_first_sync_reads_every_invoice_and_contact_and_maps_them(moneybird: Moneybird) -> None:
    client = _client(moneybird)
    changes = sales_invoice_changes(client, {})
    ledger = moneybird.state.ledger(moneybird.administration)
    assert set(changes.changed) == set(ledger.invoices) and changes.gone == []
    invoices = [i for batch in invoice_batches(client, changes.changed) for i in batch.invoices]
    assert len(invoices) == len(ledger.invoices)
    late = next(i for i in ledger.invoices.values() if i.state == "late")
    mapped = next(i for i in invoices if i.ref == late.id)
    assert mapped.number == late.invoice_id
    assert mapped.balance.amount == late.total_unpaid
    contacts = [
        c for batch in contact_batches(client, list(ledger.contacts)) for c in batch.customers
    ]
    assert {c.ref for c in contacts} == set(ledger.contacts)


def test_an_incremental_sync_fetches_only_what_changed(moneybird: Moneybird) -> None:
    client = _client(moneybird)
    first = sales_invoice_changes(client, {})
    known = {
        ref: version
        for batch in invoice_batches(client, first.changed)
        for ref, version in batch.versions.items()
    }
    ledger = moneybird.state.ledger(moneybird.administration)
    late = next(i for i in ledger.invoices.values() if i.state == "late")
    moneybird.clock.advance(60)
    moneybird.state.record_payment(moneybird.administration, late.id, Decimal("10.00"))
    again = sales_invoice_changes(client, known)
    assert again.changed == [late.id]
    [batch] = list(invoice_batches(client, again.changed))
    paid = [p.amount.amount for p in batch.payments if late.id in p.invoice_refs]
    assert paid[-1] == Decimal("10.00")


def test_the_adapter_never_sends_what_the_sandbox_refuses(mb_loopback: Loopback) -> None:
    mb = open_moneybird(mb_loopback, Limits())
    client = _client(mb)
    changes = sales_invoice_changes(client, {})
    list(invoice_batches(client, changes.changed))
    client.administrations()
    assert mb.state.stats.refused == []
    assert not [k for k in mb.state.stats.errors if not k.endswith("404")]
