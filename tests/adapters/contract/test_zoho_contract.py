"""Every Zoho Books parameter and field the adapter relies on is in Zoho's documentation (the
list kept in the repo), or listed there as undocumented with a note on what the adapter does.

The adapter declares each call as an `Operation` (adapters/zoho/endpoints.py); this suite checks
the declarations against ``adapters/zoho/reference/zoho-books-api.json`` and the field names the
mapping reads against the declared response fields, and shows that the client refuses a request
no declaration covers.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from adapters.zoho import contract
from adapters.zoho.contract import Contract, Operation, UndeclaredUse, check_request, violations

ADAPTER = Path(contract.__file__).parent
#: helpers of adapters/zoho/mapping.py whose second argument is a field name
FIELD_HELPERS = {"_money", "_when", "_day", "_ref"}


def test_every_operation_parameter_and_field_the_zoho_adapter_declares_is_documented() -> None:
    assert violations(contract.load_all().uses()) == []


def test_a_name_outside_the_documentation_fails_naming_operation_and_name() -> None:
    double = Contract("test double")
    Operation(
        "GET",
        "/invoices",
        query=("customer_id", "modified_since"),
        response=("invoices.balance", "invoices.amount_due"),
        contract=double,
    )
    Operation("POST", "/invoices/{invoice_id}/remind", body=("to_mail_ids",), contract=double)
    Operation(
        "POST", "/invoices/{invoice_id}/comments", body=("description", "pin"), contract=double
    )
    assert violations(double.uses()) == [
        "GET /invoices: query 'modified_since' is not documented",
        "GET /invoices: response 'invoices.amount_due' is not documented",
        "POST /invoices/{invoice_id}/comments: body 'pin' is not documented",
        "POST /invoices/{invoice_id}/remind: not an operation of Zoho's documentation",
    ]


def test_undocumented_names_the_adapter_relies_on_are_listed_with_a_note() -> None:
    ref = contract.reference()
    notes = ref.undocumented["GET /customerpayments"]["response"]
    assert (
        "customer_payments.customer_id" in notes
        and "GET /customerpayments/{payment_id}" in notes["customer_payments.customer_id"]
    )
    assert all(
        note.strip()
        for hows in ref.undocumented.values()
        for n in hows.values()
        for note in n.values()
    )
    assert "fordez/zoho-books-mcp-server-openapi" in ref.source


def test_the_client_refuses_a_request_no_declaration_covers() -> None:
    contract.load_all()
    op = check_request("GET", "/invoices/4627000000012345/comments", None, None)
    assert op.key == "GET /invoices/{invoice_id}/comments"
    with pytest.raises(UndeclaredUse, match="no declared operation"):
        check_request("POST", "/invoices/1/email", None, {"to_mail_ids": []})
    with pytest.raises(UndeclaredUse, match="undeclared query parameter sort_order"):
        check_request("GET", "/invoices", {"customer_id": "1", "sort_order": "D"}, None)
    with pytest.raises(UndeclaredUse, match="undeclared body property from_address_id"):
        check_request(
            "POST",
            "/invoices/1/paymentreminder",
            None,
            {"to_mail_ids": ["a@b.nl"], "from_address_id": "x"},
        )


def _field_names_read(path: Path) -> set[str]:
    """String keys read from records: ``x.get("k")``, ``x["k"]``, ``"k" in x`` and the field
    argument of the mapping's helpers (``_money(record, "total", …)``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
            if isinstance(func, ast.Name) and func.id in FIELD_HELPERS and len(node.args) > 1:
                second = node.args[1]
                if isinstance(second, ast.Constant) and isinstance(second.value, str):
                    names.add(second.value)
        elif isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                names.add(node.slice.value)
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and any(isinstance(o, ast.In) for o in node.ops)
        ):
            names.add(node.left.value)
    return names


def test_every_field_the_mapping_reads_is_a_declared_response_field() -> None:
    declared = {
        part
        for use in contract.load_all().uses()
        if use.how == "response"
        for part in use.name.split(".")
    }
    read = _field_names_read(ADAPTER / "mapping.py") | _field_names_read(ADAPTER / "paging.py")
    read = {n for n in read if re.fullmatch(r"[a-z][a-z0-9_]*", n)}  # not "T", "Content-Type"
    assert read, "the scan found nothing: it is broken"
    assert sorted(read - declared) == []
