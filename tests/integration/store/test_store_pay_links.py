"""The store keeps an invoice's pay link (issue #14): Zoho gives `invoice_url` on the detail
only, so a later list read without it must not wipe it; a new link replaces the old one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from sqlalchemy import Engine

from connector.domain import Invoice, InvoiceStatus, Money
from connector.store import ledger_repo
from connector.store.db import session_scope

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
LINK = "https://books.zoho.eu/SecurePayment?CInvoiceID=abc"
LISTED = Invoice(
    "I1",
    "INV-1",
    "C1",
    InvoiceStatus.OPEN,
    date(2026, 2, 1),
    date(2026, 3, 1),
    Money.of("100", "EUR"),
    Money.of("100", "EUR"),
)


def stored(engine: Engine) -> Invoice:
    with session_scope(engine) as session:
        found = ledger_repo.invoices_by_ref(session, "acme", ["I1"])["I1"]
    assert found is not None
    return found


def test_a_list_read_without_the_link_keeps_the_stored_one(engine: Engine) -> None:
    with session_scope(engine) as session:
        ledger_repo.upsert_invoices(
            session, "acme", [dataclasses.replace(LISTED, pay_url=LINK)], NOW
        )
    paid_part = dataclasses.replace(LISTED, balance=Money.of("40", "EUR"))
    with session_scope(engine) as session:
        ledger_repo.upsert_invoices(session, "acme", [paid_part], NOW)
    assert stored(engine).pay_url == LINK
    assert stored(engine).balance == Money.of("40", "EUR")


def test_a_new_link_replaces_the_old_one(engine: Engine) -> None:
    newer = "https://books.zoho.eu/SecurePayment?CInvoiceID=def"
    for link in (LINK, newer):
        with session_scope(engine) as session:
            ledger_repo.upsert_invoices(
                session, "acme", [dataclasses.replace(LISTED, pay_url=link)], NOW
            )
    assert stored(engine).pay_url == newer
