"""The incremental read: what changed in Moneybird since the versions the connector stored.

`adapters.moneybird.adapter.MoneybirdLedger` reads through these. Moneybird's synchronization
API lists every sales invoice (and contact) with its ``version``;
only the records whose version differs from the stored one, or that are new, are fetched, 100 ids
per POST (https://developer.moneybird.com/api/sales-invoices). A stored id no longer listed was
deleted in Moneybird; an id listed but not returned by the POST was deleted in between. Both come
back as `gone`, for the caller to mark.

The batches carry the fetched records' own versions (a record may have changed again between
the list and the fetch): the caller stores them once the batch is saved, so a crash in between
only fetches the batch again next time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.moneybird.client import MoneybirdClient, batched, changed_ids
from adapters.moneybird.mapping import (
    customer_from_contact,
    invoice_from_record,
    payment_url,
    payments_from_record,
    record_version,
    versions,
)
from connector.domain import Customer, Invoice, Payment


@dataclass(frozen=True, slots=True)
class InvoiceBatch:
    """Up to 100 changed sales invoices as domain objects, with their payments, the online
    payment links (for the reminders) and the versions to store once saved."""

    invoices: list[Invoice]
    payments: list[Payment]
    versions: dict[str, int]
    payment_urls: dict[str, str] = field(default_factory=dict)
    #: asked for, not returned: deleted between the list and the fetch
    missing: list[str] = field(default_factory=list)
    #: the records as Moneybird gave them, in the order of `invoices` (the ledger reads
    #: ``state`` and ``paused`` from them to keep Moneybird's own workflow paused)
    records: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ContactBatch:
    customers: list[Customer]
    versions: dict[str, int]
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Changes:
    """What the synchronization list says changed: `changed` ids to fetch, `gone` ids."""

    changed: list[str]
    gone: list[str]


def sales_invoice_changes(client: MoneybirdClient, known: Mapping[str, int]) -> Changes:
    """One GET: the sales invoices whose version is not the stored one (`known`)."""
    changed, gone = changed_ids(versions(client.sales_invoice_versions()), known)
    return Changes(changed, gone)


def contact_changes(client: MoneybirdClient, known: Mapping[str, int]) -> Changes:
    changed, gone = changed_ids(versions(client.contact_versions()), known)
    return Changes(changed, gone)


def invoice_batches(client: MoneybirdClient, ids: Iterable[str]) -> Iterator[InvoiceBatch]:
    """The sales invoices `ids`, fetched and mapped 100 at a time (`ids` is read as the batches
    go: it may come from a file, `adapters.moneybird.spool`)."""
    for asked in batched(ids):
        records = [r for page in client.sales_invoices(asked) for r in page]
        invoices: list[Invoice] = []
        payments: list[Payment] = []
        seen: dict[str, int] = {}
        links: dict[str, str] = {}
        for record in records:
            invoice = invoice_from_record(record)
            invoices.append(invoice)
            payments.extend(payments_from_record(record))
            seen[invoice.ref] = record_version(record)
            url = payment_url(record)
            if url:
                links[invoice.ref] = url
        missing = [i for i in asked if i not in seen]
        yield InvoiceBatch(invoices, payments, seen, links, missing, records)


def contact_batches(
    client: MoneybirdClient, ids: Iterable[str], *, currency: str = "EUR"
) -> Iterator[ContactBatch]:
    """The contacts `ids`, fetched and mapped 100 at a time."""
    for asked in batched(ids):
        records = [r for page in client.contacts(asked) for r in page]
        customers = [customer_from_contact(r, currency=currency) for r in records]
        seen = {
            c.ref: record_version(r, "contact") for c, r in zip(customers, records, strict=True)
        }
        yield ContactBatch(customers, seen, [i for i in asked if i not in seen])
