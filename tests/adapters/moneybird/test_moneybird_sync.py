"""The incremental read: only what changed since the stored versions comes back, as domain
objects with the versions to store, and what disappeared is reported, not silently kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import responses
from fake_store import MemoryTokenStore

from adapters.moneybird.client import MoneybirdClient
from adapters.moneybird.mapping import MalformedRecord
from adapters.moneybird.sync import (
    contact_batches,
    contact_changes,
    invoice_batches,
    sales_invoice_changes,
)
from connector.auth.tokens import TokenManager, TokenResponse
from connector.domain import InvoiceStatus, Money
from connector.domain.clock import ManualClock
from connector.http import limiter as http_limiter

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ADMIN = "123456789012345678"
API = "https://moneybird.com/api/v2"
INVOICES = f"{API}/{ADMIN}/sales_invoices/synchronization.json"
CONTACTS = f"{API}/{ADMIN}/contacts/synchronization.json"


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    http_limiter._local.clear()
    yield
    http_limiter._local.clear()


def never_refreshed(refresh_token: str) -> TokenResponse:
    raise AssertionError("the token is valid for the whole test")


@pytest.fixture
def client() -> MoneybirdClient:
    clock = ManualClock(START)
    store = MemoryTokenStore()
    store.put_initial(
        "vogel",
        "default",
        "moneybird",
        refresh_token="r",
        access_token="a",
        expires_at=START + timedelta(hours=1),
        now=START,
    )
    tokens = TokenManager(store, "vogel", "default", "moneybird", never_refreshed, clock)
    return MoneybirdClient(tokens, API, ADMIN, clock)


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
        "payment_url": None,
        "reminder_count": 0,
        "version": version,
        "updated_at": "2026-03-01T12:00:00.000Z",
        **extra,
    }


@responses.activate
def test_the_invoices_changed_since_the_last_run_come_back_with_their_versions(
    client: MoneybirdClient,
) -> None:
    listed = [{"id": "1", "version": 100}, {"id": "2", "version": 205}, {"id": "3", "version": 300}]
    responses.get(INVOICES, json=listed)
    paid = invoice(
        "2",
        "paid",
        "0.0",
        206,  # changed again between the list and the fetch: the fetched version is stored
        payments=[{"id": "9", "payment_date": "2026-03-01", "price": "121.0"}],
    )
    late = invoice("3", "late", "121.0", 300, payment_url="https://moneybird.com/pay/x")
    responses.post(INVOICES, json=[paid, late])

    changes = sales_invoice_changes(client, {"1": 100, "2": 200, "4": 400})
    assert (changes.changed, changes.gone) == (["2", "3"], ["4"])
    [batch] = list(invoice_batches(client, changes.changed))

    assert json.loads(responses.calls[1].request.body or b"{}") == {"ids": ["2", "3"]}
    assert [(i.ref, i.status) for i in batch.invoices] == [
        ("2", InvoiceStatus.PAID),
        ("3", InvoiceStatus.OPEN),
    ]
    assert batch.invoices[1].balance == Money(Decimal("121.00"), "EUR")
    assert [(p.ref, p.date, p.invoice_refs) for p in batch.payments] == [
        ("9", date(2026, 3, 1), ("2",))
    ]
    assert batch.versions == {"2": 206, "3": 300}
    assert batch.payment_urls == {"3": "https://moneybird.com/pay/x"}
    assert batch.missing == []


@responses.activate
def test_an_invoice_deleted_between_the_list_and_the_fetch_is_reported_missing(
    client: MoneybirdClient,
) -> None:
    ids = [str(n) for n in range(1, 151)]
    responses.post(INVOICES, json=[invoice(i, "open", "1.0", 1) for i in ids[:100]])
    responses.post(INVOICES, json=[invoice(i, "open", "1.0", 1) for i in ids[100:149]])
    batches = list(invoice_batches(client, ids))
    assert [len(b.invoices) for b in batches] == [100, 49]
    assert [b.missing for b in batches] == [[], ["150"]]


@responses.activate
def test_one_malformed_invoice_stops_the_read_naming_it(client: MoneybirdClient) -> None:
    responses.post(INVOICES, json=[invoice("5", "open", "12,34.5", 1)])
    with pytest.raises(MalformedRecord, match="Moneybird sales invoice 2026-5: total_unpaid"):
        list(invoice_batches(client, ["5"]))


@responses.activate
def test_changed_contacts_come_back_as_customers_with_their_versions(
    client: MoneybirdClient,
) -> None:
    responses.get(CONTACTS, json=[{"id": "77", "version": 2}, {"id": "78", "version": 1}])
    responses.post(
        CONTACTS,
        json=[
            {
                "id": "77",
                "company_name": "Bakkerij Koster",
                "email": "info@koster.example",
                "version": 2,
                "updated_at": "2026-03-01T12:00:00.000Z",
            }
        ],
    )
    changes = contact_changes(client, {"78": 1})
    assert (changes.changed, changes.gone) == (["77"], [])
    [batch] = list(contact_batches(client, changes.changed))
    assert [(c.ref, c.name, c.email) for c in batch.customers] == [
        ("77", "Bakkerij Koster", "info@koster.example")
    ]
    assert batch.versions == {"77": 2}
    assert responses.calls[0].request.url == f"{CONTACTS}?include_archived=true"
