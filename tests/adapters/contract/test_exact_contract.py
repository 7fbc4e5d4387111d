"""Every name the Exact adapter sends is in Exact's API reference (the list kept in the repo).

The adapter's declarations (adapters/exact/endpoints.py and any module that declares an
`Endpoint` or `PostSpec`) register themselves in `adapters.exact.contract.EXACT`; this suite
collects them and checks each resource, `$select`/`$filter`/`$orderby` property, POST body
property and parameter against ``adapters/exact/reference/``.
"""

from __future__ import annotations

import pytest

from adapters.exact import contract
from adapters.exact.contract import BODY, FILTER, PARAMETER, SELECT, Contract, violations
from adapters.exact.endpoints import (
    RECEIVABLES,
    Endpoint,
    PostSpec,
    UndeclaredField,
    guid_value,
)

GUID = "abcdef01-2345-4678-9abc-def012345678"


def test_every_resource_and_property_the_exact_adapter_uses_is_in_the_reference() -> None:
    uses = contract.load_all().uses()
    assert violations(uses) == []


def test_the_collector_sees_reads_filters_writes_and_parameters_of_every_module() -> None:
    uses = {(u.resource, u.prop, u.how) for u in contract.load_all().uses()}
    expected = {
        ("sync/Cashflow/PaymentTerms", "AmountFC", SELECT),
        ("sync/Cashflow/PaymentTerms", "Timestamp", FILTER),
        ("cashflow/Receivables", "IsFullyPaid", FILTER),
        ("read/financial/ReceivablesListByAccount", "Amount", SELECT),
        ("read/financial/ReceivablesListByAccount", "accountId", PARAMETER),
        ("activities/Tasks", "TaskType", BODY),
        ("activities/CommunicationNotes", "Date", BODY),
        ("documents/DocumentAttachments", "Attachment", BODY),
        ("current/Me", "CurrentDivision", SELECT),
        ("system/Divisions", "Status", SELECT),
    }
    assert expected <= uses
    assert not {u for u in uses if u[1] == "Amount" and u[0] != RECEIVABLES_LIST}


RECEIVABLES_LIST = "read/financial/ReceivablesListByAccount"


def test_a_property_outside_the_reference_fails_naming_resource_and_property() -> None:
    double = Contract("test double")
    Endpoint(
        "payment terms",
        "sync/Cashflow/PaymentTerms",
        ("ID", "Amount", "Timestamp"),
        sync=True,
        filters=("Timestamp", "OpenAmount"),
        contract=double,
    )
    PostSpec("note", "activities/CommunicationNotes", ("Account", "Text"), contract=double)
    Endpoint("bogus", "cashflow/OpenItems", ("ID",), contract=double)
    Endpoint(
        "by account",
        RECEIVABLES_LIST,
        ("Amount",),
        parameters=("accountId", "customerId"),
        contract=double,
    )
    assert violations(double.uses()) == [
        "activities/CommunicationNotes: no property 'Text' in POST body (POST note)",
        "cashflow/OpenItems: no such resource in Exact's reference (endpoint bogus)",
        f"{RECEIVABLES_LIST}: no parameter 'customerId' (endpoint by account)",
        "sync/Cashflow/PaymentTerms: no property 'Amount' in $select (endpoint payment terms)",
        "sync/Cashflow/PaymentTerms: no property 'OpenAmount' in $filter (endpoint payment terms)",
    ]


def test_a_wrong_declaration_in_the_real_contract_would_fail_the_suite() -> None:
    """The same check as the first test, on the real contract plus one wrong declaration."""
    real = contract.load_all()
    extra = Endpoint("wrong", "cashflow/Receivables", ("ID", "Amount"), contract=Contract("x"))
    found = violations([*real.uses(), *extra.uses()])
    assert found == ["cashflow/Receivables: no property 'Amount' in $select (endpoint wrong)"]


def test_filters_and_bodies_refuse_names_their_declaration_does_not_list() -> None:
    with pytest.raises(UndeclaredField, match="cashflow/Receivables: 'Amount'"):
        RECEIVABLES.prop("Amount")
    assert RECEIVABLES.prop("Account").eq(guid_value(GUID)).text == f"Account eq guid'{GUID}'"
    note = PostSpec("n", "activities/CommunicationNotes", ("Subject",), contract=Contract("x"))
    with pytest.raises(UndeclaredField, match="'Text' is not a declared body property"):
        note.body({"Subject": "s", "Text": "t"})
    with pytest.raises(TypeError):  # a plain string where a Guid belongs, on purpose
        RECEIVABLES.prop("Account").eq("guid'x' or 1 eq 1")  # type: ignore[arg-type]


def test_the_reference_in_the_repo_names_its_source() -> None:
    ref = contract.reference()
    assert "HlpRestAPIResourcesDetails" in ref.source and "picqer/exact-php-client" in ref.source
    assert "Amount" not in ref.fields["cashflow/Receivables"]
    assert "Amount" in ref.fields[RECEIVABLES_LIST]
