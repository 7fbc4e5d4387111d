"""The Mollie client (connector/payments/mollie.py) against Mollie's API mocked with `responses`:
what a create sends (documented fields, the amount as Mollie wants it, an idempotency key, the
API key as a bearer token and nowhere else), how answers and errors come back."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
import responses

from connector.domain import Money
from connector.domain.clock import ManualClock
from connector.payments.mollie import MollieClient, PaymentProviderError

API = "https://api.mollie.com"
KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"


def link_json(paid_at: str | None = None, value: str = "1210.50") -> dict[str, Any]:
    return {
        "resource": "payment-link",
        "id": "pl_4Y0eZitmBnQ6IDoMqZQKh",
        "mode": "test",
        "description": "Acme B.V.: 2026201",
        "amount": {"currency": "EUR", "value": value},
        "archived": False,
        "redirectUrl": None,
        "webhookUrl": "https://hooks.example.nl/mollie/webhook/acme",
        "profileId": "pfl_QkEhN94Ba",
        "createdAt": "2026-03-09T08:00:00+00:00",
        "paidAt": paid_at,
        "expiresAt": None,
        "reusable": False,
        "_links": {
            "self": {"href": f"{API}/v2/payment-links/pl_4Y0eZitmBnQ6IDoMqZQKh"},
            "paymentLink": {
                "href": "https://payment-links.mollie.com/payment/4Y0eZitmBnQ6IDoMqZQKh",
                "type": "text/html",
            },
        },
    }


@pytest.fixture
def client() -> MollieClient:
    return MollieClient(KEY, ManualClock(datetime(2026, 3, 9, 8, tzinfo=UTC)))


@responses.activate
def test_a_create_sends_the_amount_with_two_decimals_an_idempotency_key_and_the_key_as_bearer(
    client: MollieClient,
) -> None:
    responses.post(f"{API}/v2/payment-links", json=link_json(), status=201)

    link = client.create_payment_link(
        description="Acme B.V.: 2026201",
        amount=Money.of("1210.5", "EUR"),
        idempotency_key="k" * 32,
        webhook_url="https://hooks.example.nl/mollie/webhook/acme",
    )

    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Idempotency-Key"] == "k" * 32
    assert json.loads(sent.body or b"") == {
        "description": "Acme B.V.: 2026201",
        "amount": {"currency": "EUR", "value": "1210.50"},
        "reusable": False,
        "webhookUrl": "https://hooks.example.nl/mollie/webhook/acme",
    }
    assert link.id == "pl_4Y0eZitmBnQ6IDoMqZQKh"
    assert link.url == "https://payment-links.mollie.com/payment/4Y0eZitmBnQ6IDoMqZQKh"
    assert link.amount == Money.of("1210.50", "EUR") and not link.paid


@responses.activate
def test_a_create_mollie_could_not_answer_is_asked_again_with_the_same_key(
    client: MollieClient,
) -> None:
    responses.post(f"{API}/v2/payment-links", status=503)
    responses.post(f"{API}/v2/payment-links", json=link_json(), status=201)

    link = client.create_payment_link(
        description="x", amount=Money.of("10", "EUR"), idempotency_key="same-key"
    )

    assert link.id.startswith("pl_")
    keys = [c.request.headers["Idempotency-Key"] for c in responses.calls]
    assert keys == ["same-key", "same-key"]


@responses.activate
def test_a_refused_create_is_a_definite_error_naming_mollies_detail_never_the_key(
    client: MollieClient, caplog: pytest.LogCaptureFixture
) -> None:
    responses.post(
        f"{API}/v2/payment-links",
        json={
            "status": 422,
            "title": "Unprocessable Entity",
            "detail": "The amount is too low",
            "field": "amount.value",
        },
        status=422,
    )
    caplog.set_level(logging.DEBUG)

    with pytest.raises(PaymentProviderError) as raised:
        client.create_payment_link(
            description="x", amount=Money.of("0.001", "EUR"), idempotency_key="k"
        )

    assert raised.value.definite
    assert "The amount is too low (amount.value)" in str(raised.value)
    assert KEY not in str(raised.value) and KEY not in caplog.text


@responses.activate
def test_an_unreachable_mollie_is_not_a_definite_error(client: MollieClient) -> None:
    responses.get(f"{API}/v2/payment-links/pl_abc", status=500)

    with pytest.raises(PaymentProviderError) as raised:
        client.get_payment_link("pl_abc")

    assert not raised.value.definite


@responses.activate
def test_a_fetched_link_says_when_it_was_paid(client: MollieClient) -> None:
    responses.get(
        f"{API}/v2/payment-links/pl_4Y0eZitmBnQ6IDoMqZQKh",
        json=link_json(paid_at="2026-03-10T14:03:00+00:00"),
    )

    link = client.get_payment_link("pl_4Y0eZitmBnQ6IDoMqZQKh")

    assert link.paid and link.paid_at == datetime(2026, 3, 10, 14, 3, tzinfo=UTC)


def test_an_id_that_is_not_a_payment_link_is_never_put_in_a_url(client: MollieClient) -> None:
    with pytest.raises(PaymentProviderError):
        client.get_payment_link("pl_../../v2/payments")
