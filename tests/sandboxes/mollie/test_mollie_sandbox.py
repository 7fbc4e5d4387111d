"""The Mollie sandbox does what Mollie documents: payment links made once per idempotency key,
undocumented properties refused, the pay page marking a link paid and calling its webhook with
nothing but the payment's id, and answers holding only documented names."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests

from connector.domain.clock import ManualClock
from sandboxes.kit.server import LoopbackServer
from sandboxes.mollie import MollieState, make_app, reference

KEY = "test_sandboxkey"
LINK = {"description": "Acme B.V.: 2026201", "amount": {"currency": "EUR", "value": "121.00"}}


@pytest.fixture
def mollie() -> Iterator[tuple[MollieState, str]]:
    clock = ManualClock(datetime(2026, 3, 9, 8, tzinfo=UTC))
    state = MollieState(clock.now, api_keys=(KEY,))
    with LoopbackServer(make_app(state)) as server:
        yield state, server.url


def create(url: str, body: dict[str, Any], key: str | None = "k1") -> requests.Response:
    headers = {"Authorization": f"Bearer {KEY}"}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(f"{url}/v2/payment-links", json=body, headers=headers, timeout=5)


def dotted(value: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(value, dict):
        for k, sub in value.items():
            out.add(prefix + k)
            out |= dotted(sub, f"{prefix}{k}.")
    return out


def test_a_link_is_made_once_per_idempotency_key(mollie: tuple[MollieState, str]) -> None:
    state, url = mollie
    first, again = create(url, LINK), create(url, LINK)
    other = create(url, LINK, key="k2")

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    assert len(state.links) == 2
    href = first.json()["_links"]["paymentLink"]["href"]
    assert href.startswith("https://payment-links.mollie.com/payment/")


def test_every_name_in_an_answer_is_documented(mollie: tuple[MollieState, str]) -> None:
    _, url = mollie
    made = create(url, LINK).json()
    fetched = requests.get(
        f"{url}/v2/payment-links/{made['id']}",
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=5,
    ).json()

    ref = reference()
    assert dotted(made) <= set(ref["POST /v2/payment-links"]["response"])
    assert dotted(fetched) <= set(ref["GET /v2/payment-links/{paymentLinkId}"]["response"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**LINK, "metadata": {"invoice": "2026201"}}, "metadata"),
        (
            {**LINK, "amount": {"currency": "EUR", "value": "121.00", "cents": 12100}},
            "amount.cents",
        ),
        ({**LINK, "amount": {"currency": "EUR", "value": 121}}, "amount.value"),
        ({**LINK, "amount": {"currency": "EUR", "value": "121.5"}}, "amount.value"),
        ({"amount": LINK["amount"]}, "description"),
    ],
)
def test_what_mollie_does_not_document_or_accept_is_refused(
    mollie: tuple[MollieState, str], body: dict[str, Any], field: str
) -> None:
    state, url = mollie
    answer = create(url, body)

    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert state.links == {}


def test_without_the_accounts_api_key_nothing_is_made(mollie: tuple[MollieState, str]) -> None:
    state, url = mollie
    answer = requests.post(
        f"{url}/v2/payment-links",
        json=LINK,
        headers={"Authorization": "Bearer test_other"},
        timeout=5,
    )
    assert answer.status_code == 401 and state.links == {}


def test_paying_on_the_pay_page_marks_the_link_paid_and_calls_its_webhook_with_only_the_id(
    mollie: tuple[MollieState, str],
) -> None:
    state, url = mollie
    received: list[bytes] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    hook = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        made = create(url, {**LINK, "webhookUrl": f"http://127.0.0.1:{hook.server_port}/h"})
        link = state.link_of(made.json()["_links"]["paymentLink"]["href"])
        page = requests.get(f"{url}/payment/{link.code}", timeout=5)
        paid = requests.post(f"{url}/payment/{link.code}", timeout=5)
        twice = requests.post(f"{url}/payment/{link.code}", timeout=5)
    finally:
        hook.shutdown()

    assert "EUR 121.00" in page.text and paid.status_code == 200 and twice.status_code == 409
    [payment] = link.payments
    assert received == [f"id={payment}".encode()]
    fetched = requests.get(
        f"{url}/v2/payment-links/{link.id}", headers={"Authorization": f"Bearer {KEY}"}, timeout=5
    ).json()
    assert fetched["paidAt"] == "2026-03-09T08:00:00+00:00"
