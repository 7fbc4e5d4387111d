"""Webhooks as Moneybird documents them: subscribe, list and delete through the API; a payment or
a state change of a sales invoice is pushed to the URL in Moneybird's payload shape with an
``Idempotency-Key``, and the receiver's answer is kept on the webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from moneybird_sandbox_harness import Moneybird


class _Receiver:
    def __init__(self) -> None:
        self.pushes: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                receiver.pushes.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/s3cr3t-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver()
    yield r
    r.server.shutdown()


def test_subscribe_list_and_delete(moneybird: Moneybird, receiver: _Receiver) -> None:
    r = moneybird.post(
        "webhooks", {"url": receiver.url, "enabled_events": ["sales_invoice_state_changed_to_paid"]}
    )
    assert r.status_code == 201
    hook = r.json()
    assert hook["url"] == receiver.url and len(hook["token"]) >= 20
    assert [w["id"] for w in moneybird.get("webhooks").json()] == [hook["id"]]
    gone = moneybird.delete(f"webhooks/{hook['id']}")
    assert gone.status_code == 204 and moneybird.get("webhooks").json() == []
    assert moneybird.delete(f"webhooks/{hook['id']}").status_code == 404


def test_a_webhook_needs_a_url(moneybird: Moneybird) -> None:
    r = moneybird.post("webhooks", {"enabled_events": ["payment_registered"]})
    assert r.status_code == 400 and r.json() == {
        "error": "Url is required",
        "symbolic": {"url": "required"},
    }
    r = moneybird.post("webhooks", {"url": "x", "events": ["payment_registered"]})
    assert r.status_code == 400 and r.json()["symbolic"] == {"events": "invalid"}


def test_a_payment_is_pushed_in_moneybirds_shape(moneybird: Moneybird, receiver: _Receiver) -> None:
    events = ["payment_registered", "sales_invoice_state_changed_to_paid"]
    hook = moneybird.post("webhooks", {"url": receiver.url, "enabled_events": events}).json()
    ledger = moneybird.state.ledger(moneybird.administration)
    late = next(i for i in ledger.invoices.values() if i.state == "late")
    moneybird.state.record_payment(moneybird.administration, late.id, late.total_unpaid)
    moneybird.state.flush_pushes()
    assert [body["action"] for _, body in receiver.pushes] == events
    headers, body = receiver.pushes[1]
    assert body["webhook_id"] == hook["id"] and body["webhook_token"] == hook["token"]
    assert (body["entity_type"], body["entity_id"], body["state"]) == (
        "SalesInvoice",
        late.id,
        "paid",
    )
    assert body["entity"]["total_unpaid"] == "0.0"
    assert headers["Idempotency-Key"] != receiver.pushes[0][0]["Idempotency-Key"]
    assert moneybird.get("webhooks").json()[0]["last_http_status"] == 200


def test_only_the_subscribed_events_are_pushed_and_failures_are_kept(
    moneybird: Moneybird, receiver: _Receiver
) -> None:
    receiver.status = 500
    moneybird.post(
        "webhooks", {"url": receiver.url, "enabled_events": ["sales_invoice_state_changed_to_paid"]}
    )
    ledger = moneybird.state.ledger(moneybird.administration)
    late = next(i for i in ledger.invoices.values() if i.state == "late")
    moneybird.state.record_payment(moneybird.administration, late.id, "1.00")
    moneybird.state.flush_pushes()
    assert receiver.pushes == []
    moneybird.state.record_payment(moneybird.administration, late.id, late.total_unpaid)
    moneybird.state.flush_pushes()
    assert [b["action"] for _, b in receiver.pushes] == ["sales_invoice_state_changed_to_paid"]
    [hook] = moneybird.get("webhooks").json()
    assert hook["last_http_status"] == 500 and hook["last_http_body"] == "ok"
