"""Moneybird records become connector.domain objects, or a MALFORMED error naming the record.

The records are shaped like the examples on https://developer.moneybird.com/api/sales-invoices
and /api/contacts (ids as strings, amounts as decimal strings, dates as YYYY-MM-DD).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.moneybird.mapping import (
    MalformedRecord,
    administration_line,
    customer_from_contact,
    invoice_from_record,
    payment_url,
    payments_from_record,
    record_version,
    versions,
)
from connector.domain import CustomerProfile, InvoiceStatus, Money
from connector.domain.ports import ErrorKind

INVOICE = "426664240553657596"
CONTACT = "426664240035661034"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def sales_invoice(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": INVOICE,
        "administration_id": 123,
        "contact_id": CONTACT,
        "invoice_id": "2026-0042",
        "state": "late",
        "invoice_date": "2026-01-15",
        "due_date": "2026-02-14",
        "currency": "EUR",
        "total_price_incl_tax": "1210.0",
        "total_paid": "210.0",
        "total_unpaid": "1000.0",
        "payments": [
            {
                "id": "426664241000000001",
                "invoice_type": "SalesInvoice",
                "invoice_id": INVOICE,
                "payment_date": "2026-02-20",
                "price": "210.0",
                "price_base": "210.0",
                "updated_at": "2026-02-20T09:12:00.000Z",
            }
        ],
        "payment_url": "https://moneybird.com/pay/abc123",
        "paused": False,
        "reminder_count": 1,
        "version": 1771580000,
        "updated_at": "2026-02-20T09:12:00.000Z",
    }
    record.update(overrides)
    return record


def test_a_late_partly_paid_invoice_is_open_for_what_is_still_unpaid() -> None:
    invoice = invoice_from_record(sales_invoice())
    assert invoice.ref == INVOICE and invoice.number == "2026-0042"
    assert invoice.customer_ref == CONTACT
    assert invoice.status is InvoiceStatus.OPEN and invoice.is_open
    assert (invoice.total, invoice.balance) == (eur("1210.00"), eur("1000.00"))
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 1, 15), date(2026, 2, 14))
    assert invoice.last_payment_date == date(2026, 2, 20)
    assert invoice.platform_reminders_sent == 1
    assert invoice.updated_at == datetime(2026, 2, 20, 9, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "status", "dunned"),
    [
        ("open", InvoiceStatus.OPEN, True),
        ("late", InvoiceStatus.OPEN, True),
        ("reminded", InvoiceStatus.OPEN, True),
        ("pending_payment", InvoiceStatus.OPEN, False),
        ("paid", InvoiceStatus.PAID, False),
        ("uncollectible", InvoiceStatus.VOID, False),
        ("draft", InvoiceStatus.DRAFT, False),
        ("scheduled", InvoiceStatus.DRAFT, False),
    ],
)
def test_each_documented_state_maps_and_only_open_late_and_reminded_are_dunned(
    state: str, status: InvoiceStatus, dunned: bool
) -> None:
    invoice = invoice_from_record(sales_invoice(state=state))
    assert invoice.status is status
    assert invoice.is_open is dunned


def test_a_draft_without_number_or_dates_is_kept_but_never_dunned() -> None:
    draft = invoice_from_record(
        sales_invoice(state="draft", invoice_id=None, invoice_date=None, payments=[])
    )
    assert draft.number == f"draft {INVOICE}"
    assert draft.status is InvoiceStatus.DRAFT and not draft.is_open
    assert draft.issue_date == draft.due_date == date(2026, 2, 14)  # no invoice date yet


def test_a_credit_invoice_is_never_dunned() -> None:
    credit = invoice_from_record(
        sales_invoice(state="open", total_price_incl_tax="-121.0", total_unpaid="-121.0")
    )
    assert credit.status is InvoiceStatus.PAID and credit.balance == eur("0")


def test_payments_come_from_the_invoice_in_its_currency_for_its_contact() -> None:
    record = sales_invoice(
        currency="USD",
        payments=[
            {"id": "1", "invoice_id": INVOICE, "payment_date": "2026-02-20", "price": 100},
            {"id": "2", "payment_date": "2026-02-21", "price": "10,50"},
        ],
    )
    payments = payments_from_record(record)
    assert [(p.ref, p.date, p.amount) for p in payments] == [
        ("1", date(2026, 2, 20), Money(Decimal("100.00"), "USD")),
        ("2", date(2026, 2, 21), Money(Decimal("10.50"), "USD")),
    ]
    assert {(p.customer_ref, p.invoice_refs) for p in payments} == {(CONTACT, (INVOICE,))}


def test_the_payment_url_is_kept_only_when_it_is_an_https_link() -> None:
    assert payment_url(sales_invoice()) == "https://moneybird.com/pay/abc123"
    assert payment_url(sales_invoice(payment_url=None)) is None
    assert payment_url(sales_invoice(payment_url="javascript:alert(1)")) is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"total_unpaid": "1.000,00"}, "total_unpaid: not an amount: '1.000,00'"),
        ({"total_unpaid": "NaN"}, "total_unpaid: not a finite amount: 'NaN'"),
        ({"total_unpaid": True}, "total_unpaid is missing"),
        ({"total_unpaid": None}, "total_unpaid is missing"),
        ({"total_price_incl_tax": "1e20"}, "total_price_incl_tax: not a plausible amount: 1e20"),
        ({"currency": "euro"}, "currency is not a currency: 'EURO'"),
        ({"due_date": "14-02-2026"}, "due_date is not a date: '14-02-2026'"),
        ({"updated_at": "2026-02-20T09:12:00"}, "updated_at has no time zone"),
        ({"state": "archived"}, "unknown state 'archived'"),
        ({"contact_id": "1 OR 1=1"}, "contact_id is not a Moneybird id: '1 OR 1=1'"),
        ({"reminder_count": "twice"}, "ValueError: invalid literal for int()"),
        ({"payments": "none"}, "payments is not a list of objects"),
    ],
)
def test_a_hostile_or_malformed_field_is_a_malformed_record_naming_the_invoice(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(MalformedRecord) as raised:
        invoice_from_record(sales_invoice(**overrides))
    assert raised.value.kind is ErrorKind.MALFORMED
    assert str(raised.value).startswith("Moneybird sales invoice 2026-0042")
    assert message in str(raised.value)


def test_a_payment_of_another_invoice_or_without_a_date_is_refused() -> None:
    other = {"id": "9", "invoice_id": "1", "payment_date": "2026-02-20", "price": "1"}
    with pytest.raises(MalformedRecord, match="payment 9: belongs to another invoice"):
        payments_from_record(sales_invoice(payments=[other]))
    undated = {"id": "9", "price": "1"}
    with pytest.raises(MalformedRecord, match="payment 9: payment_date is missing"):
        payments_from_record(sales_invoice(payments=[undated]))


def contact(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": CONTACT,
        "company_name": "Foobar Holding B.V.",
        "firstname": "",
        "lastname": "",
        "address1": "Hoofdstraat 12",
        "address2": "",
        "zipcode": "1234AB",
        "city": "Amsterdam",
        "country": "NL",
        "customer_id": "2",
        "email": "info@example.com",
        "send_invoices_to_email": "facturen@example.com",
        "version": 1771580000,
        "updated_at": "2026-02-01T10:00:00.000Z",
    }
    record.update(overrides)
    return record


def test_a_company_contact_is_a_business_customer_mailed_where_its_invoices_go() -> None:
    customer = customer_from_contact(contact())
    assert (customer.ref, customer.name, customer.number) == (CONTACT, "Foobar Holding B.V.", "2")
    assert customer.email == "facturen@example.com"
    assert customer.profile is CustomerProfile.BUSINESS
    assert customer.reminders_enabled is None
    assert customer.address == "Hoofdstraat 12\n1234AB Amsterdam"


def test_a_person_without_a_company_is_a_consumer_named_by_first_and_last_name() -> None:
    customer = customer_from_contact(
        contact(company_name="", firstname="Anna", lastname="de Vries", send_invoices_to_email="")
    )
    assert customer.name == "Anna de Vries" and customer.company_name is None
    assert customer.profile is CustomerProfile.CONSUMER
    assert customer.email == "info@example.com"


def test_a_contact_with_a_bad_id_or_time_is_a_malformed_record() -> None:
    with pytest.raises(MalformedRecord, match="contact: id is not a Moneybird id"):
        customer_from_contact(contact(id="../../admin"))
    with pytest.raises(MalformedRecord, match=r"contact Foobar Holding B\.V\.: updated_at is not"):
        customer_from_contact(contact(updated_at="yesterday"))


def test_ids_and_versions_are_read_as_text_and_integers() -> None:
    rows = [{"id": 474244223146656900, "version": "1716801778"}, {"id": "2", "version": 3}]
    assert versions(rows) == {"474244223146656900": 1716801778, "2": 3}
    with pytest.raises(MalformedRecord, match="record 2: version is not a number"):
        versions([{"id": "2", "version": "new"}])
    assert record_version(sales_invoice()) == 1771580000
    assert record_version(contact(), "contact") == 1771580000


def test_an_administration_is_named_for_the_login() -> None:
    line = administration_line({"id": "123", "name": "Vogel Installaties B.V."})
    assert line == "Vogel Installaties B.V. (administration 123)"
