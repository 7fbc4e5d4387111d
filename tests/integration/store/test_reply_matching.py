"""Which customer a reply is from (connector.replies.match_customer), on the real store (SQLite,
and PostgreSQL when configured): an invoice number in the subject names its customer; else the
sender's address among the customers' known addresses; anything that names two customers, or
none, is no match (a person looks at it, nothing is paused on a guess)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from connector.domain import Customer, Invoice, InvoiceStatus, Money
from connector.mail.imap import InboxMessage
from connector.replies import match_customer
from connector.store import ledger_repo
from connector.store.db import session_scope

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def invoice(ref: str, number: str, customer: str) -> Invoice:
    money = Money.of("100", "EUR")
    return Invoice(
        ref, number, customer, InvoiceStatus.OPEN, date(2026, 2, 1), date(2026, 3, 1), money, money
    )


@pytest.fixture
def store(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        ledger_repo.upsert_customers(
            session,
            "acme",
            [
                Customer("C1", "Jansen Bouw", "info@jansen.example, boekhouding@jansen.example"),
                Customer("C2", "Smit & Zn", "info@smit.example"),
                Customer("C3", "Gedeeld BV", "shared_box@group.example"),
                Customer("C4", "Gedeeld Twee BV", "shared_box@group.example"),
            ],
            NOW,
        )
        ledger_repo.upsert_invoices(
            session,
            "acme",
            [
                invoice("I1", "INV-2026-0001", "C1"),
                invoice("I2", "2026002", "C2"),
                invoice("I3", "2026003", "C1"),
            ],
            NOW,
        )
        # another client's customer with the same invoice number and address: never matched
        ledger_repo.upsert_customers(
            session, "other", [Customer("X1", "X", "info@smit.example")], NOW
        )
        ledger_repo.upsert_invoices(session, "other", [invoice("XI", "INV-2026-0001", "X1")], NOW)
    return engine


def match(engine: Engine, sender: str, subject: str) -> str | None:
    message = InboxMessage(1, "<m@x>", sender, subject, automatic=False)
    with session_scope(engine) as session:
        return match_customer(session, "acme", message)


@pytest.mark.parametrize(
    ("sender", "subject", "customer"),
    [
        ("someone@elsewhere.example", "Re: Herinnering INV-2026-0001.", "C1"),
        ("someone@elsewhere.example", "vraag over factuur 2026002", "C2"),
        ("boekhouding@jansen.example", "een vraag", "C1"),  # the second address of the field
        ("INFO@smit.example", "", "C2"),  # addresses compare without case
        ("info@jansen.example", "over 2026002", "C2"),  # the invoice number wins
        ("shared_box@group.example", "hallo", None),  # two customers share the address
        ("shared_xbox@group.example", "hallo", None),  # '_' is no wildcard
        ("info@smit.example", "2026002 en 2026003", "C2"),  # two customers' numbers: by sender
        ("onbekend@nergens.example", "2026002 en 2026003", None),
        ("onbekend@nergens.example", "INV-2026-00011", None),  # no part of a longer number
        ("", "geen afzender", None),
    ],
)
def test_a_reply_is_matched_to_one_customer_or_none(
    store: Engine, sender: str, subject: str, customer: str | None
) -> None:
    assert match(store, sender, subject) == customer
