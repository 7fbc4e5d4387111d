"""The sandbox is generated from Moneybird's documentation as kept in the repository
(adapters/moneybird/reference/moneybird-fields.json): it serves exactly the documented endpoints,
shows exactly the documented properties, and refuses an undocumented query parameter, filter key
or body property with Moneybird's error shape."""

from __future__ import annotations

import pytest
from moneybird_sandbox_harness import Moneybird

from adapters.moneybird.contract import reference
from sandboxes.moneybird import unserved
from sandboxes.moneybird.documented import record_fields


def test_every_documented_endpoint_is_served(moneybird: Moneybird) -> None:
    assert unserved(moneybird.state) == []


def test_records_show_exactly_the_documented_properties(moneybird: Moneybird) -> None:
    ref = reference().records
    ids = [r["id"] for r in moneybird.get("sales_invoices/synchronization").json()]
    invoices = moneybird.post("sales_invoices/synchronization", {"ids": ids}).json()
    paid = next(i for i in invoices if i["payments"])
    assert set(paid) == ref["sales_invoice"]
    assert set(paid["contact"]) == ref["embedded_contact"]
    assert set(paid["payments"][0]) == ref["payment"]
    [contact] = moneybird.post("contacts/synchronization", {"ids": [paid["contact_id"]]}).json()
    assert set(contact) == ref["contact"]
    [adm] = moneybird.get("administrations").json()
    assert set(adm) == ref["administration"]
    note = moneybird.post(f"sales_invoices/{paid['id']}/notes", {"note": {"note": "x"}}).json()
    assert set(note) == ref["note"]
    hook = moneybird.post("webhooks", {"url": "https://example.nl/hooks/x"}).json()
    assert set(hook) == ref["webhook"]


def test_a_getter_for_an_undocumented_property_fails_at_once() -> None:
    with pytest.raises(ValueError, match="not in Moneybird's reference: language_code"):
        record_fields("contact", {"language_code": lambda c: "nl"})


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("sales_invoices", {"sort": "due_date"}, "sort"),
        ("sales_invoices/synchronization", {"updated_after": "2026-01-01"}, "updated_after"),
        ("contacts", {"filter": "first_name:henk"}, "filter"),
        ("administrations", {"page": "2"}, "page"),
    ],
)
def test_an_undocumented_query_parameter_is_refused(
    moneybird: Moneybird, path: str, params: dict[str, str], name: str
) -> None:
    r = moneybird.get(path, params)
    assert r.status_code == 400
    assert r.json() == {
        "error": f"{name} does not have a valid value",
        "symbolic": {name: "invalid"},
    }
    assert moneybird.state.stats.refused[-1].endswith(f"parameter {name}")


def test_an_undocumented_filter_key_is_refused(moneybird: Moneybird) -> None:
    r = moneybird.get("sales_invoices/synchronization", {"filter": "state:open"})
    assert r.status_code == 400
    assert r.json()["symbolic"] == {"filter": {"state": "invalid"}}
    r = moneybird.get("sales_invoices", {"filter": "period:this_year,due_before:2026-01-01"})
    assert r.status_code == 400 and r.json()["symbolic"] == {"filter": {"due_before": "invalid"}}


def test_an_undocumented_body_property_is_refused_at_any_depth(moneybird: Moneybird) -> None:
    ledger = moneybird.state.ledger(moneybird.administration)
    invoice = next(iter(ledger.invoices))
    r = moneybird.post(f"sales_invoices/{invoice}/notes", {"note": {"note": "x", "color": "red"}})
    assert r.status_code == 400
    assert r.json() == {
        "error": "note.color does not have a valid value",
        "symbolic": {"note.color": "invalid"},
    }
    r = moneybird.post(f"sales_invoices/{invoice}/pause", {"reason": "connector"})
    assert r.status_code == 400 and r.json()["symbolic"] == {"reason": "invalid"}
    r = moneybird.post(
        "sales_invoices/send_reminders",
        {"sales_invoice_reminders": [{"contact_id": "1", "subject": "Herinnering"}]},
    )
    assert r.status_code == 400
    assert r.json()["symbolic"] == {"sales_invoice_reminders[].subject": "invalid"}
    assert ledger.notes == {} and not ledger.reminders


def test_an_undocumented_endpoint_is_not_there(moneybird: Moneybird) -> None:
    r = moneybird.get("reports/debtors")
    assert r.status_code == 404 and r.json() == {"error": "Not found"}
    r = moneybird.post("sales_invoices", {"sales_invoice": {}})
    assert r.status_code == 405
