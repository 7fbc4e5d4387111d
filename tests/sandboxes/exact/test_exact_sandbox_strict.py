"""The sandbox answers like Exact: only documented properties, unknown ones refused with 400."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from exact_sandbox_harness import Exact

from adapters.exact.contract import reference
from sandboxes.exact.entities import documented, entities

TERMS = "sync/Cashflow/PaymentTerms"


def _refusal(name: str, type_name: str) -> dict[str, object]:
    return {
        "error": {
            "code": "",
            "message": {
                "lang": "",
                "value": f"No property '{name}' exists in type '{type_name}' at position 0.",
            },
        }
    }


def test_selecting_amount_on_payment_terms_is_refused_as_exact_does(exact: Exact) -> None:
    r = exact.get(
        f"{exact.division}/{TERMS}", {"$select": "ID,Amount", "$filter": "Timestamp gt 1L"}
    )
    assert r.status_code == 400
    assert r.json() == _refusal("Amount", "Exact.Web.Api.Models.Sync.Cashflow.PaymentTerm")


def test_filtering_or_ordering_on_an_undocumented_property_is_refused(exact: Exact) -> None:
    account = exact.info.accounts[exact.division][0]
    r = exact.get(
        f"{exact.division}/cashflow/Receivables",
        {"$select": "ID", "$filter": f"Account eq guid'{account}' and Amount gt 0"},
    )
    assert r.status_code == 400
    assert r.json() == _refusal("Amount", "Exact.Web.Api.Models.Cashflow.Receivable")
    r = exact.get(
        f"{exact.division}/cashflow/Receivables",
        {"$select": "ID", "$filter": f"Account eq guid'{account}'", "$orderby": "OpenAmount"},
    )
    assert r.status_code == 400
    assert r.json() == _refusal("OpenAmount", "Exact.Web.Api.Models.Cashflow.Receivable")


def test_me_and_divisions_refuse_undocumented_properties_too(exact: Exact) -> None:
    r = exact.get("current/Me", {"$select": "UserID,Division"})
    assert r.status_code == 400 and "No property 'Division'" in r.text
    r = exact.get(f"{exact.division}/system/Divisions", {"$select": "Code,Name"})
    assert r.status_code == 400 and "No property 'Name'" in r.text


def test_an_unknown_resource_is_404(exact: Exact) -> None:
    r = exact.get(f"{exact.division}/cashflow/OpenReceivables", {"$select": "ID"})
    assert r.status_code == 404


def test_every_served_resource_shows_exactly_the_documented_properties() -> None:
    ref = reference()
    specs = entities(lambda _id: None)
    assert "read/financial/ReceivablesListByAccount" in specs
    for path, entity in specs.items():
        assert set(entity.fields) == ref.fields[path], path
        assert set(entity.writable) <= ref.fields[path], path


def test_a_getter_for_an_undocumented_property_cannot_be_added() -> None:
    with pytest.raises(ValueError, match="cashflow/Receivables: not in Exact's reference: Amount"):
        documented("cashflow/Receivables", {"ID": lambda t: t, "Amount": lambda t: t})


def test_the_lenient_mode_drops_what_strict_refuses(exact: Exact) -> None:
    exact.state.limits.strict = False
    r = exact.get(
        f"{exact.division}/{TERMS}", {"$select": "ID,Amount", "$filter": "Timestamp gt 1L"}
    )
    assert r.status_code == 200
    assert "Amount" not in r.json()["d"]["results"][0]


def test_receivables_by_account_show_the_open_part_after_a_partial_payment(exact: Exact) -> None:
    account = exact.info.accounts[exact.division][0]
    term = exact.state.add_receivable(exact.division, account, "100.00", date(2025, 2, 1))
    exact.state.record_payment(exact.division, term.id, Decimal("30.00"), date(2025, 3, 1))
    path = f"{exact.division}/read/financial/ReceivablesListByAccount"
    select = "EntryNumber,Amount,AmountInTransit,CurrencyCode,DueDate"
    rows = exact.get(path, {"accountId": f"guid'{account}'", "$select": select}).json()["d"][
        "results"
    ]
    mine = [r for r in rows if r["EntryNumber"] == term.entry_number]
    assert [r["Amount"] for r in mine] == [70.0]
    assert exact.get(path, {"$select": select}).status_code == 400  # accountId is required
    exact.state.record_payment(exact.division, term.id, Decimal("70.00"), date(2025, 3, 2))
    rows = exact.get(path, {"accountId": f"guid'{account}'", "$select": select}).json()["d"][
        "results"
    ]
    assert term.entry_number not in [r["EntryNumber"] for r in rows]  # settled: not listed
