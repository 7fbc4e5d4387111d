"""Property: the adapters' mapping functions take any JSON-like record and either return a
domain value or raise the adapter's `MalformedRecord` naming the record, never another
exception (issue #15). Targeted cases pin the findings: NaN/Infinity amounts and huge
``/Date()`` values."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.exact import mapping as exact
from adapters.zoho import mapping as zoho

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

GUID = "6d7a9a1c-0e2b-4a5b-9c1d-2e3f4a5b6c7d"

#: scalars as a JSON parser with parse_float=Decimal hands them over (NaN/Infinity included:
#: Python's json accepts them), plus the strings platforms put in number and date fields
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "1e999999",
            "/Date(99999999999999999)/",
            "/Date(-99999999999999999)/",
            "/Date(1641034800000)/",
            "/Date(1516741035800+0100)/",
            "/Date(99999999999999999+0100)/",
            "2026-01-05",
            "9999-12-31",
            "0000-00-00",
            "2026-01-05T10:00:00+0100",
            "2026-13-45T99:00:00",
            GUID,
            "EUR",
            "eur",
            "E",
            "€",
            "100.00",
            "-5",
            "1e30",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)

ZOHO_INVOICE_KEYS = [
    "invoice_id",
    "invoice_number",
    "customer_id",
    "status",
    "currency_code",
    "total",
    "balance",
    "date",
    "due_date",
    "last_modified_time",
    "last_payment_date",
    "reminders_sent",
    "last_reminder_sent_date",
]
ZOHO_CONTACT_KEYS = [
    "contact_id",
    "contact_name",
    "company_name",
    "email",
    "contact_persons",
    "customer_sub_type",
    "payment_reminder_enabled",
    "language_code",
    "currency_code",
    "last_modified_time",
    "billing_address",
]
ZOHO_PAYMENT_KEYS = [
    "payment_id",
    "payment_number",
    "customer_id",
    "date",
    "amount",
    "currency_code",
    "invoices",
    "last_modified_time",
]
EXACT_TERM_KEYS = [
    "ID",
    "InvoiceNumber",
    "EntryNumber",
    "Account",
    "Currency",
    "AmountDC",
    "AmountFC",
    "TransactionAmountFC",
    "Status",
    "InvoiceDate",
    "EntryDate",
    "DueDate",
    "IsFullyPaid",
    "Modified",
    "LastPaymentDate",
    "LineType",
    "Timestamp",
]
EXACT_ACCOUNT_KEYS = [
    "ID",
    "Name",
    "Code",
    "Email",
    "Language",
    "Modified",
    "AddressLine1",
    "Postcode",
    "City",
    "Country",
]


def records(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys))


def plausible(base: dict[str, Any], keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A well-formed record with some fields replaced by anything."""
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=4).map(
        lambda junk: {**base, **junk}
    )


ZOHO_INVOICE = {
    "invoice_id": "460000000012345",
    "invoice_number": "INV-0001",
    "customer_id": "460000000000111",
    "status": "overdue",
    "currency_code": "EUR",
    "total": Decimal("100.00"),
    "balance": Decimal("100.00"),
    "date": "2026-01-05",
    "due_date": "2026-02-04",
    "last_modified_time": "2026-01-05T10:00:00+0100",
}
ZOHO_CONTACT = {"contact_id": "460000000000111", "contact_name": "Acme", "email": "a@acme.nl"}
ZOHO_PAYMENT = {
    "payment_id": "1",
    "customer_id": "2",
    "date": "2026-01-05",
    "amount": Decimal("5"),
}
EXACT_TERM = {
    "ID": GUID,
    "InvoiceNumber": 20260001,
    "Account": GUID,
    "AmountDC": Decimal("100.00"),
    "AmountFC": Decimal("100.00"),
    "InvoiceDate": "/Date(1767571200000)/",
    "DueDate": "/Date(1770163200000)/",
    "IsFullyPaid": False,
    "Modified": "/Date(1767571200000)/",
}
EXACT_ACCOUNT = {"ID": GUID, "Name": "Acme BV", "Email": "a@acme.nl"}


def value_or_malformed(call: Any, error: type[Exception], *args: Any, **kw: Any) -> None:
    try:
        call(*args, **kw)
    except error as exc:
        assert str(exc), "a MalformedRecord names the record"


@QUICK
@given(st.one_of(records(ZOHO_INVOICE_KEYS), plausible(ZOHO_INVOICE, ZOHO_INVOICE_KEYS)))
def test_any_zoho_invoice_is_a_value_or_a_malformed_record(record: dict[str, Any]) -> None:
    value_or_malformed(
        zoho.invoice_from_zoho, zoho.MalformedRecord, record, currency="EUR", tz="Europe/Amsterdam"
    )


@QUICK
@given(st.one_of(records(ZOHO_CONTACT_KEYS), plausible(ZOHO_CONTACT, ZOHO_CONTACT_KEYS)))
def test_any_zoho_contact_is_a_value_or_a_malformed_record(record: dict[str, Any]) -> None:
    value_or_malformed(zoho.customer_from_zoho, zoho.MalformedRecord, record, tz="Europe/Amsterdam")


@QUICK
@given(st.one_of(records(ZOHO_PAYMENT_KEYS), plausible(ZOHO_PAYMENT, ZOHO_PAYMENT_KEYS)))
def test_any_zoho_payment_is_a_value_or_a_malformed_record(record: dict[str, Any]) -> None:
    value_or_malformed(
        zoho.payment_from_zoho, zoho.MalformedRecord, record, currency="EUR", tz="UTC"
    )


@QUICK
@given(st.one_of(records(EXACT_TERM_KEYS), plausible(EXACT_TERM, EXACT_TERM_KEYS)))
def test_any_exact_receivable_is_a_value_or_a_malformed_record(record: dict[str, Any]) -> None:
    value_or_malformed(exact.invoice_from_term, exact.MalformedRecord, record)


@QUICK
@given(st.one_of(records(EXACT_ACCOUNT_KEYS), plausible(EXACT_ACCOUNT, EXACT_ACCOUNT_KEYS)))
def test_any_exact_account_is_a_value_or_a_malformed_record(record: dict[str, Any]) -> None:
    value_or_malformed(exact.customer_from_account, exact.MalformedRecord, record)


@QUICK
@given(st.lists(records(["Email", "IsMainContact"]), max_size=3))
def test_any_exact_contact_list_gives_an_address_or_none(rows: list[dict[str, Any]]) -> None:
    exact.main_contact_email(rows)


@QUICK
@given(
    st.lists(
        records(["EntryNumber", "CurrencyCode", "Amount", "AmountInTransit", "DueDate"]),
        max_size=3,
    )
)
def test_any_exact_open_items_list_is_a_value_or_a_malformed_record(
    rows: list[dict[str, Any]],
) -> None:
    value_or_malformed(exact.open_items, exact.MalformedRecord, rows, "account Acme BV")


# -- the findings, named ----------------------------------------------------------------
NAN_AND_INFINITY = [
    json.loads("NaN"),
    json.loads("Infinity"),
    json.loads("-Infinity"),
    Decimal("NaN"),
    Decimal("Infinity"),
    "Infinity",
    Decimal("1e400"),
]


@pytest.mark.parametrize("amount", NAN_AND_INFINITY, ids=repr)
def test_a_nan_or_infinite_amount_is_a_malformed_record_naming_the_invoice(amount: Any) -> None:
    with pytest.raises(zoho.MalformedRecord, match="INV-0001"):
        zoho.invoice_from_zoho({**ZOHO_INVOICE, "balance": amount}, tz="UTC")
    with pytest.raises(exact.MalformedRecord, match="20260001"):
        exact.invoice_from_term({**EXACT_TERM, "AmountFC": amount})


@pytest.mark.parametrize(
    "value", ["/Date(99999999999999999)/", "/Date(-99999999999999999)/", "/Date(9e99+0100)/"]
)
def test_a_huge_odata_date_is_a_malformed_record_naming_the_receivable(value: str) -> None:
    with pytest.raises(exact.MalformedRecord, match="20260001"):
        exact.invoice_from_term({**EXACT_TERM, "DueDate": value})
    with pytest.raises(exact.MalformedRecord, match="Acme BV"):
        exact.customer_from_account({**EXACT_ACCOUNT, "Modified": "/Date(99999999999999999+0100)/"})
