"""Reading the sandbox the way Moneybird documents: administrations, the synchronization API (ids
and versions, then records by id, at most 100), lists paged by ``page``/``per_page`` with a
``Link`` header, the sales-invoice filter (``period`` defaults to this year), contacts."""

from __future__ import annotations

from datetime import date

import requests
from moneybird_sandbox_harness import Moneybird


def test_administrations_lists_what_the_token_reaches(moneybird: Moneybird) -> None:
    r = moneybird.get("administrations")
    assert r.status_code == 200
    [adm] = r.json()
    assert adm["id"] == moneybird.administration
    assert (adm["name"], adm["currency"], adm["time_zone"]) == (
        "Demo Schilderwerken B.V.",
        "EUR",
        "Europe/Amsterdam",
    )


def test_synchronization_lists_every_invoice_as_id_and_version(moneybird: Moneybird) -> None:
    r = moneybird.get("sales_invoices/synchronization")
    assert r.status_code == 200
    rows = r.json()
    ledger = moneybird.state.ledger(moneybird.administration)
    assert {row["id"] for row in rows} == set(ledger.invoices)
    assert all(set(row) == {"id", "version"} and isinstance(row["id"], str) for row in rows)


def test_records_by_id_come_at_most_100_per_call(moneybird: Moneybird) -> None:
    ids = [row["id"] for row in moneybird.get("sales_invoices/synchronization").json()]
    assert len(ids) > 100
    r = moneybird.post("sales_invoices/synchronization", {"ids": ids})
    assert r.status_code == 200
    assert [i["id"] for i in r.json()] == ids[:100]
    one = moneybird.post("sales_invoices/synchronization", {"ids": [int(ids[0])]}).json()
    assert [i["id"] for i in one] == [ids[0]]


def test_no_ids_is_refused_as_documented(moneybird: Moneybird) -> None:
    r = moneybird.post("sales_invoices/synchronization", {})
    assert r.status_code == 400
    assert r.json() == {"error": "Ids is required", "symbolic": {"ids": "required"}}


def test_a_payment_raises_the_version_and_settles_the_invoice(moneybird: Moneybird) -> None:
    ledger = moneybird.state.ledger(moneybird.administration)
    late = next(i for i in ledger.invoices.values() if i.state == "late")
    before = late.version
    moneybird.state.record_payment(moneybird.administration, late.id, late.total_unpaid)
    versions = {
        r["id"]: r["version"] for r in moneybird.get("sales_invoices/synchronization").json()
    }
    assert versions[late.id] > before
    [record] = moneybird.post("sales_invoices/synchronization", {"ids": [late.id]}).json()
    assert record["state"] == "paid" and record["total_unpaid"] == "0.0"
    assert record["payments"][0]["price"] == record["total_price_incl_tax"]


def test_an_invoice_reads_as_moneybird_writes_it(moneybird: Moneybird) -> None:
    ledger = moneybird.state.ledger(moneybird.administration)
    invoice = next(i for i in ledger.invoices.values() if i.state == "open")
    r = moneybird.get(f"sales_invoices/{invoice.id}")
    body = r.json()
    assert body["invoice_id"] == invoice.invoice_id and body["contact_id"] == invoice.contact_id
    assert body["total_unpaid"] == body["total_price_incl_tax"]
    assert "." in body["total_unpaid"] and isinstance(body["version"], int)
    assert body["payment_url"].startswith("https://moneybird.com/")
    assert body["contact"]["id"] == invoice.contact_id
    assert body["due_date"] == invoice.due_date.isoformat()


def test_an_unknown_invoice_is_record_not_found(moneybird: Moneybird) -> None:
    r = moneybird.get("sales_invoices/123")
    assert r.status_code == 404
    assert r.json() == {"error": "record not found", "symbolic": {"id": "not_found"}}


def test_another_administration_is_not_found(moneybird: Moneybird) -> None:
    other = f"{moneybird.url}/api/v2/999/sales_invoices/synchronization.json"
    r = requests.get(other, headers=moneybird.headers(), timeout=10)
    assert r.status_code == 404 and r.json()["symbolic"] == {"administration_id": "not_found"}


def test_the_list_pages_with_link_headers(moneybird: Moneybird) -> None:
    first = moneybird.get("sales_invoices", {"filter": "period:prev_year", "per_page": 10})
    assert first.status_code == 200 and len(first.json()) == 10
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    seen = [i["id"] for i in first.json()]
    url = first.links["next"]["url"]

    while url:
        page = requests.get(url, headers=moneybird.headers(), timeout=10)
        seen += [i["id"] for i in page.json()]
        assert 'rel="prev"' in page.headers["Link"]
        url = page.links.get("next", {}).get("url", "")
    expected = [
        i.id
        for i in moneybird.state.ledger(moneybird.administration).invoices.values()
        if i.invoice_date.year == 2025
    ]
    assert seen == expected


def test_per_page_above_100_is_refused(moneybird: Moneybird) -> None:
    r = moneybird.get("sales_invoices", {"per_page": 101})
    assert r.status_code == 400
    assert r.json()["error"] == "per_page does not have a valid value"


def test_the_list_defaults_to_this_years_invoices(moneybird: Moneybird) -> None:
    rows = moneybird.get("sales_invoices", {"per_page": 100}).json()
    assert rows and all(date.fromisoformat(r["invoice_date"]).year == 2026 for r in rows)


def test_the_list_filters_on_state_contact_and_updated_after(moneybird: Moneybird) -> None:
    rows = moneybird.get(
        "sales_invoices", {"filter": "period:prev_year,state:late|reminded", "per_page": 100}
    ).json()
    assert rows and {r["state"] for r in rows} <= {"late", "reminded"}
    contact = rows[0]["contact_id"]
    mine = moneybird.get(
        "sales_invoices", {"filter": f"period:prev_year,contact_id:{contact}"}
    ).json()
    assert {r["contact_id"] for r in mine} == {contact}
    moneybird.clock.advance(60)
    moneybird.state.record_payment(moneybird.administration, rows[0]["id"], "1.00")
    changed = moneybird.get(
        "sales_invoices",
        {"filter": "period:prev_year,updated_after:2026-01-05T08:01:00Z"},
    ).json()
    assert [r["id"] for r in changed] == [rows[0]["id"]]
    bad = moneybird.get("sales_invoices", {"filter": "period:2025"})
    assert bad.status_code == 400 and bad.json()["error"] == "Period is invalid"


def test_contacts_list_sync_and_fetch(moneybird: Moneybird) -> None:
    ledger = moneybird.state.ledger(moneybird.administration)
    listed = moneybird.get("contacts", {"per_page": 100}).json()
    assert [c["id"] for c in listed] == list(ledger.contacts)
    assert listed[0]["company_name"].endswith("B.V.") and listed[0]["country"] == "NL"
    consumer = next(c for c in listed if not c["company_name"])
    assert consumer["firstname"] and consumer["lastname"]
    versions = moneybird.get("contacts/synchronization").json()
    ids = [v["id"] for v in versions]
    fetched = moneybird.post("contacts/synchronization", {"ids": ids[:3]}).json()
    assert [c["id"] for c in fetched] == ids[:3]
    ledger.contacts[ids[0]].archived = True
    assert ids[0] not in [v["id"] for v in moneybird.get("contacts/synchronization").json()]
    archived = moneybird.get("contacts/synchronization", {"include_archived": "true"}).json()
    assert ids[0] in [v["id"] for v in archived]
    assert moneybird.get(f"contacts/{ids[0]}").status_code == 404


def test_an_open_invoice_turns_late_after_its_due_date(moneybird: Moneybird) -> None:
    ledger = moneybird.state.ledger(moneybird.administration)
    contact = next(iter(ledger.contacts))
    invoice = moneybird.state.add_invoice(
        moneybird.administration, contact, "121.00", date(2026, 1, 5), date(2026, 1, 6)
    )
    assert moneybird.get(f"sales_invoices/{invoice.id}").json()["state"] == "open"
    version = invoice.version
    moneybird.clock.advance(2 * 86400)
    body = moneybird.get(f"sales_invoices/{invoice.id}").json()
    assert body["state"] == "late" and body["version"] > version


def test_the_synchronization_list_takes_updated_after(moneybird: Moneybird) -> None:
    ids = [r["id"] for r in moneybird.get("sales_invoices/synchronization").json()]
    moneybird.clock.advance(60)
    moneybird.state.record_payment(moneybird.administration, ids[5], "1.00")
    changed = moneybird.get(
        "sales_invoices/synchronization", {"filter": "updated_after:2026-01-05 08:01:00 UTC"}
    ).json()
    assert [r["id"] for r in changed] == [ids[5]]
