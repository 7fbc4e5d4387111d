"""Zoho's pay link (issue #14): `invoice_url` (documented on GET /invoices/{invoice_id}) becomes
the invoice's `pay_url`; a list item, which does not carry it, gives none."""

from __future__ import annotations

from zoho_fixtures import invoice

from adapters.zoho import contract
from adapters.zoho.mapping import invoice_from_zoho

URL = "https://books.zoho.eu/SecurePayment?CInvoiceID=23d84d0cf64f9a72"


def test_the_detail_objects_invoice_url_is_the_pay_link() -> None:
    detail = {**invoice(1), "invoice_url": URL}
    assert invoice_from_zoho(detail).pay_url == URL
    assert invoice_from_zoho(detail).pay_link == URL


def test_a_list_item_without_it_has_no_pay_link() -> None:
    assert invoice_from_zoho(invoice(1)).pay_url is None


def test_invoice_url_is_read_only_where_zoho_documents_it() -> None:
    reads = {(u.operation, u.name) for u in contract.load_all().uses() if u.how == "response"}
    assert ("GET /invoices/{invoice_id}", "invoice.invoice_url") in reads
    assert ("GET /invoices", "invoices.invoice_url") not in reads
    assert contract.violations(contract.load_all().uses()) == []
