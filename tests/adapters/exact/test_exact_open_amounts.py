"""The amount open on an Exact receivable comes from documented properties only, and the open
part after a partial payment from ``read/financial/ReceivablesListByAccount``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from adapters.exact import mapping
from adapters.exact.errors import ExactApiError
from connector.domain import InvoiceStatus

TERM: dict[str, Any] = {
    "ID": "abcdef01-2345-4678-9abc-def012345678",
    "Account": "abcdef01-2345-4678-9abc-def012345679",
    "AmountDC": Decimal("1000"),
    "AmountFC": Decimal("1000"),
    "TransactionAmountFC": Decimal("1000"),
    "Currency": "EUR",
    "InvoiceDate": "/Date(1767225600000)/",  # 2026-01-01
    "DueDate": "/Date(1769904000000)/",  # 2026-02-01
    "InvoiceNumber": 2026003,
    "EntryNumber": 2026003,
    "IsFullyPaid": False,
    "Status": 20,
    "LastPaymentDate": "/Date(1768435200000)/",
}


def _item(amount: str, due: str = "/Date(1769904000000)/", **extra: Any) -> dict[str, Any]:
    return {
        "EntryNumber": 2026003,
        "Amount": Decimal(amount),
        "CurrencyCode": "EUR",
        "DueDate": due,
        **extra,
    }


def test_a_partly_paid_receivable_is_open_for_what_the_open_items_list_states() -> None:
    invoice = mapping.invoice_from_term(TERM)
    assert mapping.partly_paid(invoice) and invoice.balance.amount == Decimal("1000.00")
    items = mapping.open_items([_item("600.00")], "test")
    settled = mapping.settle(invoice, "2026003", items, 1)
    assert settled.status is InvoiceStatus.OPEN
    assert settled.balance.amount == Decimal("600.00")
    assert settled.total.amount == Decimal("1000.00")


def test_money_the_bank_is_already_collecting_is_not_dunned() -> None:
    invoice = mapping.invoice_from_term(TERM)
    items = mapping.open_items([_item("600.00", AmountInTransit=Decimal("600.00"))], "test")
    assert mapping.settle(invoice, "2026003", items, 1).balance.amount == Decimal("0.00")


def test_an_invoice_absent_from_the_open_items_is_owed_nothing_but_not_thanked_yet() -> None:
    invoice = mapping.invoice_from_term(TERM)
    settled = mapping.settle(invoice, "2026003", {}, 1)
    assert settled.balance.amount == Decimal("0.00")
    assert settled.status is InvoiceStatus.OPEN and not settled.is_open


def test_split_terms_of_one_entry_are_told_apart_by_their_due_date() -> None:
    invoice = mapping.invoice_from_term(TERM)
    rows = [_item("200.00"), _item("500.00", due="/Date(1772323200000)/")]  # 2026-03-01
    settled = mapping.settle(invoice, "2026003", mapping.open_items(rows, "t"), 2)
    assert settled.balance.amount == Decimal("200.00")


def test_the_open_amount_never_exceeds_the_receivable_itself() -> None:
    invoice = mapping.invoice_from_term({**TERM, "AmountFC": Decimal("500")})
    items = mapping.open_items([_item("800.00")], "t")
    assert mapping.settle(invoice, "2026003", items, 1).balance.amount == Decimal("500.00")


def test_open_items_in_another_currency_fail_loudly_naming_the_invoice() -> None:
    invoice = mapping.invoice_from_term(TERM)
    items = mapping.open_items([_item("600.00", CurrencyCode="USD")], "t")
    with pytest.raises(ExactApiError, match="receivable 2026003"):
        mapping.settle(invoice, "2026003", items, 1)


def test_fully_paid_or_matched_receivables_are_paid_whatever_the_list_says() -> None:
    paid = mapping.invoice_from_term({**TERM, "IsFullyPaid": True})
    matched = mapping.invoice_from_term({**TERM, "Status": 50})
    for invoice in (paid, matched):
        assert invoice.status is InvoiceStatus.PAID and invoice.balance.amount == 0
        items = mapping.open_items([_item("600.00")], "t")
        assert mapping.settle(invoice, "2026003", items, 1) == invoice
    assert paid.last_payment_date == date(2026, 1, 15)


def test_a_foreign_currency_receivable_is_open_in_its_own_currency() -> None:
    usd = mapping.invoice_from_term(
        {**TERM, "Currency": "USD", "AmountFC": Decimal("1100"), "TransactionAmountFC": None}
    )
    assert (usd.balance.amount, usd.balance.currency) == (Decimal("1100.00"), "USD")
