"""ZohoLedger reads: paging, cursors, mapping, retries, throttling, malformed pages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from fake_store import MemoryTokenStore
from responses import matchers
from responses.registries import OrderedRegistry
from zoho_fixtures import API, ORG, contact, envelope, invoice, page_ctx, payment

from adapters.zoho.adapter import ZohoLedger
from adapters.zoho.errors import ZohoApiError
from adapters.zoho.paging import PaginationLoop
from connector.domain import CustomerProfile, InvoiceStatus, Money
from connector.domain.clock import ManualClock
from connector.domain.ports import ErrorKind


def q(**params: Any) -> Any:
    return matchers.query_param_matcher(
        {"organization_id": ORG, "per_page": "200", **params}, strict_match=True
    )


def test_invoices_are_streamed_page_by_page_to_the_end_with_the_cursor_on_the_last(
    ledger: ZohoLedger, rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    rsps.get(
        f"{API}/invoices",
        match=[q(page="1")],
        json=envelope(invoices=[invoice(1), invoice(2)], page_context=page_ctx(1, True)),
    )
    rsps.get(
        f"{API}/invoices",
        match=[q(page="2")],
        json=envelope(
            invoices=[invoice(3, last_modified_time="2026-01-05T08:30:00+0100")],
            page_context=page_ctx(2, False),
        ),
    )
    pages = list(ledger.iter_invoices(None))
    assert [len(p.items) for p in pages] == [2, 1]
    assert pages[0].cursor is None
    # max seen = 08:00 UTC; run start - lag = 08:55 UTC -> max seen
    assert pages[1].cursor == "2026-01-05T08:00:00+00:00"
    first = pages[0].items[0]
    assert first.total == Money(Decimal("121.00"), "EUR")
    assert first.status is InvoiceStatus.OPEN
    assert first.updated_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert first.platform_reminders_sent == 1
    assert first.last_reminder_date == date(2025, 12, 20)
    assert first.last_payment_date is None


def test_the_cursor_never_passes_run_start_minus_lag(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    # a row changed during the sync (10:00+0100 = 09:00 UTC = run start)
    rsps.get(
        f"{API}/invoices",
        match=[q(page="1", last_modified_time="2026-01-04T10:00:00+0100")],
        json=envelope(
            invoices=[invoice(1, last_modified_time="2026-01-05T10:00:00+0100")],
            page_context=page_ctx(1, False),
        ),
    )
    pages = list(ledger.iter_invoices("2026-01-04T09:00:00+00:00"))
    assert pages[-1].cursor == "2026-01-05T08:55:00+00:00"


def test_an_empty_result_keeps_the_stored_cursor(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    rsps.get(f"{API}/invoices", json=envelope(invoices=[], page_context=page_ctx(1, False)))
    pages = list(ledger.iter_invoices("2026-01-04T09:00:00+00:00"))
    assert pages == [pages[0]] and pages[0].items == [] and pages[0].cursor is None


def test_a_page_that_comes_back_twice_is_a_loop(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    rsps.get(
        f"{API}/invoices",
        match=[q(page="1")],
        json=envelope(invoices=[invoice(1)], page_context=page_ctx(1, True)),
    )
    rsps.get(
        f"{API}/invoices",
        match=[q(page="2")],
        json=envelope(invoices=[invoice(2)], page_context=page_ctx(1, True)),
    )
    with pytest.raises(PaginationLoop, match="loop detected") as err:
        list(ledger.iter_invoices(None))
    assert err.value.kind is ErrorKind.MALFORMED


def test_payments_accept_the_customerpayments_key_and_use_date_minus_a_week_as_cursor(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    rsps.get(
        f"{API}/customerpayments",
        json=envelope(
            customerpayments=[payment(1), payment(2, date="2026-01-04")],
            page_context=page_ctx(1, False),
        ),
    )
    pages = list(ledger.iter_payments(None))
    p = pages[0].items[0]
    assert p.amount == Money(Decimal("121.00"), "EUR")
    assert p.invoice_refs == ()
    # 2026-01-04 00:00 Amsterdam = 2026-01-03 23:00 UTC, minus 7 days
    assert pages[0].cursor == "2025-12-27T23:00:00+00:00"


def test_payments_accept_the_customer_payments_key_too(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    rsps.get(
        f"{API}/customerpayments",
        json=envelope(
            customer_payments=[payment(1, last_modified_time="2026-01-03T10:00:00+0100")],
            page_context=page_ctx(1, False),
        ),
    )
    pages = list(ledger.iter_payments(None))
    assert pages[0].cursor == "2026-01-03T09:00:00+00:00"


def test_a_payment_list_item_without_the_undocumented_customer_id_is_read_in_full(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    """Zoho documents no customer_id on payment list items (docs/zoho-books.md): such an item
    is read from the documented detail, which names the customer, currency and invoices."""
    documented_only = {
        k: v
        for k, v in payment(1).items()
        if k in ("payment_id", "payment_number", "date", "payment_mode", "amount", "bcy_amount")
    }
    rsps.get(
        f"{API}/customerpayments",
        json=envelope(customer_payments=[documented_only], page_context=page_ctx(1, False)),
    )
    detail = {
        **payment(1, currency_code="USD"),
        "invoices": [{"invoice_id": "460000000012345", "amount_applied": "121.00"}],
    }
    del detail["payment_number"]
    rsps.get(
        f"{API}/customerpayments/{documented_only['payment_id']}", json=envelope(payment=detail)
    )
    [page] = list(ledger.iter_payments(None))
    [p] = page.items
    assert p.customer_ref == "460000000000111"
    assert p.amount == Money(Decimal("121.00"), "USD")
    assert p.invoice_refs == ("460000000012345",)


def test_customers_are_read_as_customers_only(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    rsps.get(
        f"{API}/contacts",
        match=[q(page="1", contact_type="customer")],
        json=envelope(contacts=[contact(1)], page_context=page_ctx(1, False)),
    )
    customer = next(iter(ledger.iter_customers(None))).items[0]
    assert customer.email == "ap1@example.nl"
    assert customer.reminders_enabled is None  # list summaries do not say


def test_a_500_on_a_page_is_retried_and_the_page_comes_back_once(
    ledger: ZohoLedger, clock: ManualClock
) -> None:
    with responses.RequestsMock(registry=OrderedRegistry) as mock:
        mock.get(f"{API}/invoices", status=500, json={"code": 1000, "message": "Internal error"})
        mock.get(
            f"{API}/invoices", json=envelope(invoices=[invoice(1)], page_context=page_ctx(1, False))
        )
        pages = list(ledger.iter_invoices(None))
        assert len(mock.calls) == 2
    assert [len(p.items) for p in pages] == [1]
    assert len(clock.slept) == 1


def test_a_429_waits_x_rate_limit_reset_on_the_clock(
    ledger: ZohoLedger, clock: ManualClock
) -> None:
    with responses.RequestsMock(registry=OrderedRegistry) as mock:
        mock.get(
            f"{API}/invoices",
            status=429,
            headers={"X-Rate-Limit-Reset": "37"},
            json={"code": 44, "message": "API usage limit exceeded"},
        )
        mock.get(
            f"{API}/invoices", json=envelope(invoices=[invoice(1)], page_context=page_ctx(1, False))
        )
        list(ledger.iter_invoices(None))
    assert clock.slept == [37.0]


def test_the_daily_quota_is_budget_exhausted_without_waiting_hours(
    ledger: ZohoLedger, rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    rsps.get(
        f"{API}/invoices",
        status=429,
        headers={"X-Rate-Limit-Reset": "34881"},
        json={"code": 45, "message": "daily limit"},
    )
    with pytest.raises(ZohoApiError) as err:
        list(ledger.iter_invoices(None))
    assert err.value.kind is ErrorKind.BUDGET_EXHAUSTED
    assert clock.slept == []


@pytest.mark.parametrize(
    "body",
    [
        "<html>maintenance</html>",
        '{"code": 0, "message": "success", "page_context": {"page": 1, "has_more_page": false}}',
    ],
)
def test_a_malformed_page_fails_naming_the_endpoint(
    ledger: ZohoLedger, rsps: responses.RequestsMock, body: str
) -> None:
    rsps.get(f"{API}/invoices", body=body, content_type="application/json")
    with pytest.raises(ZohoApiError) as err:
        list(ledger.iter_invoices(None))
    assert err.value.kind is ErrorKind.MALFORMED
    assert "/invoices" in str(err.value)


def test_get_invoices_maps_404_to_none(ledger: ZohoLedger, rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{API}/invoices/460000000000001",
        json=envelope(invoice=invoice(1, status="paid", balance="0.00")),
    )
    rsps.get(
        f"{API}/invoices/460000000000002",
        status=404,
        json={"code": 1002, "message": "Invoice does not exist."},
    )
    found = ledger.get_invoices(["460000000000001", "460000000000002"])
    first = found["460000000000001"]
    assert first is not None and first.status is InvoiceStatus.PAID
    assert found["460000000000002"] is None


def test_recheck_customer_is_one_list_call_with_customer_and_since(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    rsps.get(
        f"{API}/invoices",
        match=[
            q(
                page="1",
                customer_id="460000000000111",
                last_modified_time="2026-01-05T09:00:00+0100",
            )
        ],
        json=envelope(
            invoices=[invoice(1, balance="0", status="paid")], page_context=page_ctx(1, False)
        ),
    )
    found = ledger.recheck_customer("460000000000111", datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    assert [i.status for i in found] == [InvoiceStatus.PAID]


def test_get_customer_reads_the_detail(ledger: ZohoLedger, rsps: responses.RequestsMock) -> None:
    detail = contact(
        7,
        customer_sub_type="individual",
        payment_reminder_enabled=False,
        email="",
        contact_persons=[
            {"contact_person_id": "1", "email": "other@example.nl", "is_primary_contact": False},
            {"contact_person_id": "2", "email": "main@example.nl", "is_primary_contact": True},
        ],
    )
    rsps.get(f"{API}/contacts/460000000000007", json=envelope(contact=detail))
    customer = ledger.get_customer("460000000000007")
    assert customer.email == "main@example.nl"
    assert customer.reminders_enabled is False
    assert customer.profile is CustomerProfile.CONSUMER


def test_check_names_the_organisation(ledger: ZohoLedger, rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{API}/organizations/{ORG}",
        json=envelope(
            organization={"organization_id": ORG, "name": "Acme B.V.", "currency_code": "EUR"}
        ),
    )
    assert ledger.check() == f"Acme B.V. (organization {ORG})"


def test_every_call_carries_the_token_header_and_organization_id(
    ledger: ZohoLedger, rsps: responses.RequestsMock
) -> None:
    rsps.get(f"{API}/invoices", json=envelope(invoices=[], page_context=page_ctx(1, False)))
    list(ledger.iter_invoices(None))
    sent = rsps.calls[0].request
    assert sent.headers["Authorization"].startswith("Zoho-oauthtoken 1000.access-0")
    assert f"organization_id={ORG}" in (sent.url or "")


def test_a_read_timeout_on_every_attempt_is_transient(
    ledger: ZohoLedger, rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    rsps.get(f"{API}/invoices", body=requests.ReadTimeout("slow"))
    with pytest.raises(ZohoApiError) as err:
        list(ledger.iter_invoices(None))
    assert err.value.kind is ErrorKind.TRANSIENT
    assert len(rsps.calls) == 5
    clock.advance(timedelta(0))


def test_a_ledger_is_wired_from_zoho_settings_and_the_token_store(
    store: MemoryTokenStore, clock: ManualClock, rsps: responses.RequestsMock
) -> None:
    from adapters.zoho.adapter import zoho_ledger_from_settings
    from adapters.zoho.settings import ZohoSettings

    settings = ZohoSettings.model_validate(
        {
            "data_center": "eu",
            "organization_id": ORG,
            "client_id": "1000.CID",
            "client_secret": "s3cret",
        }
    )
    ledger = zoho_ledger_from_settings(
        settings, store, tenant="acme", timezone="Europe/Amsterdam", clock=clock
    )
    rsps.get(
        f"{API}/organizations/{ORG}",
        json=envelope(organization={"organization_id": ORG, "name": "Acme B.V."}),
    )
    assert ledger.check() == f"Acme B.V. (organization {ORG})"
    assert ledger.platform == "zoho"


@pytest.mark.parametrize(
    "api_domain",
    [
        "https://www.zohoapis.eu.evil.example",
        "http://www.zohoapis.eu",
        "https://attacker.example",
        "https://user@www.zohoapis.eu",
    ],
)
def test_an_api_domain_in_the_token_answer_that_is_not_zohos_is_not_given_the_token(
    store: MemoryTokenStore, clock: ManualClock, rsps: responses.RequestsMock, api_domain: str
) -> None:
    """The access token travels to the API host with every call: a token answer naming
    another host (or plain http) is ignored and the data centre's own host is used."""
    from adapters.zoho.adapter import zoho_ledger_from_settings
    from adapters.zoho.settings import ZohoSettings

    record = store.get("acme", "default")
    assert record is not None
    store.rows[("acme", "default")] = dataclasses.replace(record, api_domain=api_domain)
    settings = ZohoSettings.model_validate(
        {"data_center": "eu", "organization_id": ORG, "client_id": "1000.C", "client_secret": "s"}
    )
    ledger = zoho_ledger_from_settings(
        settings, store, tenant="acme", timezone="Europe/Amsterdam", clock=clock
    )
    rsps.get(
        f"{API}/organizations/{ORG}",
        json=envelope(organization={"organization_id": ORG, "name": "Acme B.V."}),
    )
    assert ledger.check() == f"Acme B.V. (organization {ORG})"
    assert all(str(call.request.url).startswith(API) for call in rsps.calls)
