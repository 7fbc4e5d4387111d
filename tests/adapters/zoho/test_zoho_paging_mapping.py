"""The page_context paginator on bare Response objects, and the field mapping."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from zoho_fixtures import contact, envelope, invoice, page_ctx, payment

from adapters.zoho.errors import ZohoApiError
from adapters.zoho.mapping import (
    customer_from_zoho,
    format_zoho_time,
    invoice_from_zoho,
    parse_zoho_datetime,
    payment_from_zoho,
    to_decimal,
)
from adapters.zoho.paging import PageContextPaginator, PaginationLoop
from connector.domain import CustomerProfile, InvoiceStatus
from connector.domain.ports import ErrorKind


def page(n: int, more: bool, *items: dict[str, Any]) -> requests.Response:
    return response(envelope(invoices=list(items), page_context=page_ctx(n, more)))


def response(body: Any) -> requests.Response:
    r = requests.Response()
    r.status_code = 200
    r._content = (body if isinstance(body, str) else json.dumps(body)).encode()
    r.headers["Content-Type"] = "application/json"
    return r


def test_the_paginator_follows_has_more_page_to_the_end() -> None:
    p = PageContextPaginator("/invoices", id_field="invoice_id")
    assert p.params() == {"page": 1}
    p.update_from_response(page(1, True, invoice(1)), "invoices")
    assert p.params() == {"page": 2} and not p.finished
    p.update_from_response(page(2, False, invoice(2)), "invoices")
    assert p.finished


def test_the_paginator_detects_a_repeated_page_number() -> None:
    p = PageContextPaginator("/invoices")
    p.update_from_response(page(1, True, invoice(1)), "invoices")
    with pytest.raises(PaginationLoop):
        p.update_from_response(
            response(envelope(invoices=[invoice(2)], page_context=page_ctx(1, True))), "invoices"
        )


def test_the_paginator_detects_the_same_records_again() -> None:
    p = PageContextPaginator("/invoices", id_field="invoice_id")
    p.update_from_response(page(1, True, invoice(1)), "invoices")
    with pytest.raises(PaginationLoop):
        p.update_from_response(
            response(envelope(invoices=[invoice(1)], page_context=page_ctx(2, True))), "invoices"
        )


def test_the_paginator_accepts_page_context_as_a_one_element_array() -> None:
    p = PageContextPaginator("/invoices")
    p.update_from_response(
        response(envelope(invoices=[], page_context=[page_ctx(1, False)])), "invoices"
    )
    assert p.finished


@pytest.mark.parametrize("body", ["not json", envelope(invoices=[]), envelope(page_context={})])
def test_the_paginator_rejects_malformed_pages(body: Any) -> None:
    with pytest.raises(ZohoApiError) as err:
        PageContextPaginator("/invoices").update_from_response(response(body), "invoices")
    assert err.value.kind is ErrorKind.MALFORMED
    assert "/invoices" in str(err.value)


@pytest.mark.parametrize(
    "text",
    ["2026-01-05T10:00:00+0100", "2026-01-05T10:00:00+01:00", "2026-01-05T09:00:00Z"],
)
def test_timestamps_with_and_without_offset_colon(text: str) -> None:
    assert parse_zoho_datetime(text) == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_format_zoho_time_is_in_the_org_zone_without_colon() -> None:
    moment = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert format_zoho_time(moment, "Europe/Amsterdam") == "2026-07-01T10:00:00+0200"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("121.10", Decimal("121.10")),
        (Decimal("0.1"), Decimal("0.1")),
        (7, Decimal(7)),
        ("", None),
        (None, None),
        (0.1, Decimal("0.1")),
    ],
)
def test_amounts_become_decimal_without_float_arithmetic(value: Any, expected: Any) -> None:
    assert to_decimal(value) == expected


def test_amounts_are_parsed_from_json_text_as_decimal() -> None:
    body = json.loads('{"total": 0.1}', parse_float=Decimal)
    assert invoice_from_zoho(invoice(1, total=body["total"])).total.amount == Decimal("0.10")


@pytest.mark.parametrize(
    ("status", "balance", "expected"),
    [
        ("draft", "10", InvoiceStatus.DRAFT),
        ("void", "10", InvoiceStatus.VOID),
        ("paid", "0", InvoiceStatus.PAID),
        ("overdue", "0.00", InvoiceStatus.PAID),
        ("sent", "10", InvoiceStatus.OPEN),
        ("viewed", "10", InvoiceStatus.OPEN),
        ("partially_paid", "5", InvoiceStatus.OPEN),
        ("unpaid", "10", InvoiceStatus.OPEN),
        ("pending_approval", "10", InvoiceStatus.DRAFT),
    ],
)
def test_zoho_status_maps_to_ours(status: str, balance: str, expected: InvoiceStatus) -> None:
    assert invoice_from_zoho(invoice(1, status=status, balance=balance)).status is expected


def test_an_invoice_with_an_empty_balance_is_malformed_not_zero() -> None:
    with pytest.raises(ZohoApiError) as err:
        invoice_from_zoho(invoice(1, balance=""))
    assert err.value.kind is ErrorKind.MALFORMED
    assert "INV-00001" in str(err.value)


def test_an_individual_is_a_consumer() -> None:
    c = customer_from_zoho(contact(1, customer_sub_type="individual"))
    assert c.profile is CustomerProfile.CONSUMER


def test_a_contact_detail_carries_its_billing_address_for_letters() -> None:
    c = customer_from_zoho(
        contact(
            1,
            customer_sub_type="business",
            billing_address={
                "attention": "",
                "address": "Oudegracht 10",
                "street2": "2e verdieping",
                "city": "Utrecht",
                "state": "",
                "zip": "3511 AB",
                "country": "Netherlands",
            },
        )
    )
    assert c.address == "Oudegracht 10\n2e verdieping\n3511 AB Utrecht"
    abroad = customer_from_zoho(
        contact(
            2,
            customer_sub_type="business",
            billing_address={
                "address": "Meir 1",
                "city": "Antwerpen",
                "zip": "2000",
                "country": "Belgium",
            },
        )
    )
    assert abroad.address == "Meir 1\n2000 Antwerpen\nBelgium"
    assert customer_from_zoho(contact(3)).address is None, "a list item has no address"


def test_a_payment_detail_names_its_invoices() -> None:
    p = payment_from_zoho(
        payment(1, invoices=[{"invoice_id": "46000000000001", "amount_applied": "121.00"}])
    )
    assert p.invoice_refs == ("46000000000001",)
    assert p.date == date(2026, 1, 2)
