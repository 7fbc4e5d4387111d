"""Exact webhooks: a verified event triggers an early sync; anything else changes nothing."""

from __future__ import annotations

import json
from typing import Any

import requests

from adapters.exact.webhook import hash_code, make_webhook_app, raw_content
from sandboxes.kit import LoopbackServer

SECRET = "webhook-secret-123"
CONTENT = (
    '{"Topic":"SalesInvoices","ClientId":"b81c","Division":1234567,"Action":"Update",'
    '"Key":"3b0e7c0e-0000-4000-8000-000000000001","EventCreatedOn":"2026-01-06T16:26:08"}'
)


def _body(content: str = CONTENT, code: str | None = None) -> str:
    signature = code or hash_code(content, SECRET)
    return '{"Content": ' + content + ', "HashCode": "' + signature + '"}'


def _serve(triggered: list[tuple[str, dict[str, Any]]]) -> LoopbackServer:
    app = make_webhook_app({"acme": SECRET}, lambda slug, c: triggered.append((slug, c)))
    return LoopbackServer(app)


def test_the_raw_content_text_is_what_is_signed_not_a_re_serialisation() -> None:
    spaced = CONTENT.replace(",", ", ")
    assert raw_content(_body(spaced)) == spaced


def test_a_correctly_signed_event_triggers_an_early_sync_of_that_client() -> None:
    triggered: list[tuple[str, dict[str, Any]]] = []
    with _serve(triggered) as server:
        answer = requests.post(f"{server.url}/exact/webhook/acme", data=_body(), timeout=5)
    assert answer.status_code == 200
    assert triggered == [("acme", json.loads(CONTENT))]


def test_a_forged_or_unsigned_event_is_refused_and_triggers_nothing() -> None:
    triggered: list[tuple[str, dict[str, Any]]] = []
    tampered = CONTENT.replace("Update", "Delete")
    with _serve(triggered) as server:
        forged = requests.post(
            f"{server.url}/exact/webhook/acme",
            data=_body(tampered, hash_code(CONTENT, SECRET)),
            timeout=5,
        )
        unsigned = requests.post(
            f"{server.url}/exact/webhook/acme", data='{"Content": ' + CONTENT + "}", timeout=5
        )
        unknown = requests.post(f"{server.url}/exact/webhook/other", data=_body(), timeout=5)
        validation = requests.post(f"{server.url}/exact/webhook/acme", data=b"", timeout=5)
    # an unknown client is refused like a bad signature: no answer tells which clients exist
    assert (forged.status_code, unsigned.status_code, unknown.status_code) == (401, 401, 401)
    assert validation.status_code == 200
    assert triggered == []
