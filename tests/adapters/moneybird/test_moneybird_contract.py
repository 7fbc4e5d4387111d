"""Every name the Moneybird adapter sends or reads is in Moneybird's documentation (the list kept
in the repo).

The adapter's declarations (adapters/moneybird/endpoints.py and any module that declares an
`Endpoint` or `Record`) register themselves in `adapters.moneybird.contract.MONEYBIRD`; this suite
collects them and checks each endpoint, query parameter, filter key, body property, answer and
record property against ``adapters/moneybird/reference/moneybird-fields.json``.
"""

from __future__ import annotations

import pytest

from adapters.moneybird import contract
from adapters.moneybird.contract import BODY, FILTER, PARAMETER, READ, Contract, violations
from adapters.moneybird.endpoints import (
    INVOICE_NOTE,
    SALES_INVOICE,
    SALES_INVOICES,
    SALES_INVOICES_BY_ID,
    SEND_REMINDERS,
    SYNC_BATCH,
    Endpoint,
    Record,
    UndeclaredField,
)


def test_every_endpoint_and_property_the_moneybird_adapter_uses_is_documented() -> None:
    assert violations(contract.load_all().uses()) == []


def test_the_collector_sees_reads_filters_bodies_and_parameters_of_every_module() -> None:
    uses = {(u.resource, u.prop, u.how) for u in contract.load_all().uses()}
    expected = {
        ("GET sales_invoices/synchronization", "filter", PARAMETER),
        ("POST sales_invoices/synchronization", "ids", BODY),
        ("GET sales_invoices", "updated_after", FILTER),
        ("POST sales_invoices/send_reminders", "sales_invoice_reminders[].workflow_id", BODY),
        ("POST sales_invoices/{sales_invoice_id}/notes", "note.todo", BODY),
        ("sales_invoice", "total_unpaid", READ),
        ("sales_invoice", "payment_url", READ),
        ("payment", "price", READ),
        ("contact", "send_invoices_to_email", READ),
        ("sync_version", "version", READ),
    }
    assert expected <= uses
    keys = {u.resource for u in contract.load_all().uses()}
    assert {"POST sales_invoices/{id}/pause", "POST sales_invoices/{id}/resume"} <= keys


def test_a_name_outside_the_documentation_fails_naming_resource_and_property() -> None:
    double = Contract("test double")
    invoice = Record("sales_invoice", ("id", "open_amount"), contract=double)
    Record("invoice", ("id",), contract=double)
    Endpoint(
        "versions",
        "GET",
        "sales_invoices/synchronization",
        Record("sync_version", ("id",), contract=double),
        parameters=("filter", "updated_after"),
        contract=double,
    )
    Endpoint("list", "GET", "sales_invoices", invoice, filter_keys=("status",), contract=double)
    Endpoint(
        "note",
        "POST",
        "sales_invoices/{sales_invoice_id}/notes",
        None,
        body_fields=("note", "note.text"),
        contract=double,
    )
    Endpoint("pause (old verb)", "PATCH", "sales_invoices/{id}/pause", invoice, contract=double)
    assert violations(double.uses()) == [
        "GET sales_invoices/synchronization: no query parameter 'updated_after' "
        "(endpoint versions)",
        "GET sales_invoices: no filter key 'status' (endpoint list)",
        "PATCH sales_invoices/{id}/pause: no such endpoint in Moneybird's reference "
        "(endpoint pause (old verb))",
        "POST sales_invoices/{sales_invoice_id}/notes: answers with note, not '' (endpoint note)",
        "POST sales_invoices/{sales_invoice_id}/notes: no body property 'note.text' "
        "(endpoint note)",
        "invoice: no such record in Moneybird's reference (record invoice)",
        "sales_invoice: no property 'open_amount' (record sales_invoice)",
    ]


def test_a_wrong_declaration_beside_the_real_contract_would_fail_the_suite() -> None:
    real = contract.load_all()
    wrong = Record("contact", ("id", "language"), contract=Contract("x"))
    found = violations([*real.uses(), *wrong.uses()])
    assert found == ["contact: no property 'language' (record contact)"]


def test_parameters_filters_bodies_and_reads_refuse_names_their_declaration_does_not_list() -> None:
    with pytest.raises(UndeclaredField, match="GET sales_invoices: 'query' is not a declared"):
        SALES_INVOICES.query({"query": "x"})
    with pytest.raises(UndeclaredField, match="'created_after' is not a declared filter key"):
        SALES_INVOICES.filter({"created_after": "2026-01-01T00:00:00Z"})
    assert SALES_INVOICES.filter({"state": "open|late", "period": "20200101..20261231"}) == (
        "state:open|late,period:20200101..20261231"
    )
    with pytest.raises(ValueError, match="not a plain value"):  # a second key smuggled in
        SALES_INVOICES.filter({"state": "open,contact_id:1"})
    with pytest.raises(UndeclaredField, match=r"'note\.text' is not a declared body property"):
        INVOICE_NOTE.body({"note": {"note": "call", "text": "x"}})
    with pytest.raises(UndeclaredField, match=r"'sales_invoice_reminders\[\]\.bcc'"):
        SEND_REMINDERS.body({"sales_invoice_reminders": [{"contact_id": "1", "bcc": "x"}]})
    with pytest.raises(UndeclaredField, match="sales_invoice: 'total_price' is not a declared"):
        SALES_INVOICE.get({"total_price": "1.0"}, "total_price")
    with pytest.raises(ValueError, match="must be a Moneybird id"):
        INVOICE_NOTE.url_path(sales_invoice_id="1/../../contacts")
    assert INVOICE_NOTE.url_path(sales_invoice_id="42") == "sales_invoices/42/notes.json"


def test_the_reference_names_its_sources_and_the_documented_limits() -> None:
    ref = contract.reference()
    assert "developer.moneybird.com" in ref.source and "sandorian/moneybird-api-php" in ref.source
    by_id = ref.endpoints[SALES_INVOICES_BY_ID.key]
    assert by_id.max_ids == SYNC_BATCH == 100
    assert by_id.source == "https://developer.moneybird.com/api/sales-invoices"
    assert ref.endpoints[SALES_INVOICES.key].max_per_page == 100
    assert "PATCH sales_invoices/{id}/pause" not in ref.endpoints
    assert "language" not in ref.records["contact"]
