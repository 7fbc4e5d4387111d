"""Every name the Mollie client sends or reads is in Mollie's documentation, as the reference
list kept in the repo records it (connector/payments/reference/mollie-payment-links.json)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import responses

from connector.domain import Money
from connector.domain.clock import ManualClock
from connector.payments import mollie
from connector.payments.mollie import CREATE, GET, READ, MollieClient

API = "https://api.mollie.com"


def reference() -> dict[str, Any]:
    text = (
        resources.files("connector.payments.reference")
        .joinpath("mollie-payment-links.json")
        .read_text()
    )
    data: dict[str, Any] = json.loads(text)
    return data


def dotted(value: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            path = f"{prefix}{key}"
            out.add(path)
            out |= dotted(sub, path + ".")
    return out


def minimal_answer() -> dict[str, Any]:
    """A payment link object holding only what the client says it reads (`READ`)."""
    return {
        "id": "pl_abc",
        "amount": {"currency": "EUR", "value": "12.00"},
        "_links": {"paymentLink": {"href": "https://payment-links.mollie.com/payment/abc"}},
        "paidAt": None,
    }


@responses.activate
def test_every_header_and_body_property_a_create_sends_is_documented() -> None:
    responses.post(f"{API}/v2/payment-links", json=minimal_answer(), status=201)
    client = MollieClient("test_x", ManualClock(datetime(2026, 3, 9, tzinfo=UTC)))

    client.create_payment_link(
        description="d",
        amount=Money.of("12", "EUR"),
        idempotency_key="k",
        webhook_url="https://hooks.example.nl/mollie/webhook/acme",
        redirect_url="https://acme.example.nl/paid",
    )

    documented = reference()[CREATE]
    request = responses.calls[0].request
    assert dotted(json.loads(request.body or b"")) <= set(documented["body"])
    ours = {"Authorization", "Idempotency-Key"}
    assert ours <= set(request.headers) and ours <= set(documented["headers"])


def test_what_the_client_reads_is_documented_and_all_it_needs() -> None:
    for op in (CREATE, GET):
        assert set(READ) <= set(reference()[op]["response"]), op
    assert dotted(minimal_answer()) - set(READ) <= {"amount", "_links", "_links.paymentLink"}
    assert mollie._link(minimal_answer()).url.endswith("/payment/abc")


def test_the_operations_the_client_calls_are_in_the_reference_list() -> None:
    assert {CREATE, GET} <= set(reference())
