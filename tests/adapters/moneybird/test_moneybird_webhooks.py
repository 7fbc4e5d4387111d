"""Moneybird webhooks: the push is authenticated by the unguessable token in its URL, brings the
client's next run forward with nothing but the payload's short fields, and the subscription is
made once for payment and state events (`responses` for Moneybird)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from fake_store import MemoryTokenStore

from adapters.moneybird.client import MoneybirdClient
from adapters.moneybird.settings import MoneybirdSettings
from adapters.moneybird.webhook import EVENTS, callback_url, handle, subscribe
from connector.auth.tokens import TokenManager, TokenResponse
from connector.domain.clock import ManualClock
from connector.http import limiter as http_limiter
from connector.logs.redact import redact
from connector.platforms import get_platform

TOKEN = "Zq8x-u1bY3vQk2mW9rT5sLpA7dE0fGh"
SECRETS = {"vogel": TOKEN}
PUSH = {
    "administration_id": "123",
    "webhook_id": "9",
    "webhook_token": "moneybirds-own",
    "entity_type": "SalesInvoice",
    "entity_id": "458026356994737217",
    "state": "paid",
    "action": "sales_invoice_state_changed_to_paid",
    "entity": {"id": "458026356994737217", "total_unpaid": "0.0"},
}


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    http_limiter._local.clear()
    yield
    http_limiter._local.clear()


def receive(path: str, body: bytes) -> tuple[tuple[int, str], list[tuple[str, dict[str, Any]]]]:
    triggered: list[tuple[str, dict[str, Any]]] = []
    answer = handle(path, body, SECRETS, lambda slug, content: triggered.append((slug, content)))
    return answer, triggered


def test_a_push_with_the_clients_token_brings_its_next_run_forward() -> None:
    answer, triggered = receive(f"/moneybird/webhook/vogel:{TOKEN}", json.dumps(PUSH).encode())
    assert answer == (200, "ok")
    assert triggered == [
        (
            "vogel",
            {
                "administration_id": "123",
                "entity_type": "SalesInvoice",
                "entity_id": "458026356994737217",
                "state": "paid",
                "action": "sales_invoice_state_changed_to_paid",
            },
        )
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/moneybird/webhook/vogel:wrong-token-of-the-same-length-xx",
        "/moneybird/webhook/vogel",
        f"/moneybird/webhook/nobody:{TOKEN}",
        f"/moneybird/webhook/vogel/{TOKEN}",
    ],
)
def test_a_wrong_token_an_unknown_client_or_no_token_are_refused_alike(path: str) -> None:
    answer, triggered = receive(path, json.dumps(PUSH).encode())
    assert answer == (401, "rejected") and triggered == []


def test_moneybirds_check_on_registration_and_an_unreadable_body_are_answered_without_a_run() -> (
    None
):
    assert receive(f"/moneybird/webhook/vogel:{TOKEN}", b"") == ((200, "ok"), [])
    assert receive(f"/moneybird/webhook/vogel:{TOKEN}", b"[[[") == ((200, "ok"), [])
    assert receive(f"/moneybird/webhook/vogel:{TOKEN}", b"x" * (256 * 1024 + 1))[0][0] == 413


def test_the_callback_url_is_https_with_the_token_after_a_colon_so_logs_redact_it() -> None:
    url = callback_url("https://dunning.example/", "vogel", TOKEN)
    assert url == f"https://dunning.example/moneybird/webhook/vogel:{TOKEN}"
    assert callback_url("http://127.0.0.1:8091", "vogel", TOKEN).startswith("http://127.0.0.1")
    with pytest.raises(ValueError, match="must be an https:// URL"):
        callback_url("http://dunning.example", "vogel", TOKEN)
    get_platform("moneybird").webhooks.secret(  # type: ignore[union-attr]
        MoneybirdSettings.model_validate(
            {
                "administration_id": "1",
                "client_id": "a",
                "client_secret": "s",
                "webhook_token": TOKEN,
            }
        )
    )
    line = f'"POST /moneybird/webhook/vogel:{TOKEN} HTTP/1.1" 200'
    assert TOKEN not in redact(line)


def test_a_guessable_webhook_token_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="unguessable token"):
        MoneybirdSettings.model_validate(
            {
                "administration_id": "1",
                "client_id": "a",
                "client_secret": "s",
                "webhook_token": "x1",
            }
        )


def never_refreshed(refresh_token: str) -> TokenResponse:
    raise AssertionError("the token is valid for the whole test")


@responses.activate
def test_subscribing_twice_makes_one_webhook_for_payment_and_state_events() -> None:
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    clock = ManualClock(start)
    store = MemoryTokenStore()
    store.put_initial(
        "vogel",
        "default",
        "moneybird",
        refresh_token="r",
        access_token="a",
        expires_at=start + timedelta(hours=1),
        now=start,
    )
    tokens = TokenManager(store, "vogel", "default", "moneybird", never_refreshed, clock)
    client = MoneybirdClient(tokens, "https://moneybird.com/api/v2", "123", clock)
    hooks = "https://moneybird.com/api/v2/123/webhooks.json"
    url = callback_url("https://dunning.example", "vogel", TOKEN)
    responses.get(hooks, json=[])
    add = responses.post(hooks, json={"id": "9", "url": url, "enabled_events": list(EVENTS)})

    assert subscribe(client, url) == ("9", True)
    assert json.loads(add.calls[0].request.body or b"{}") == {
        "url": url,
        "enabled_events": list(EVENTS),
    }
    responses.replace(responses.GET, hooks, json=[{"id": "9", "url": url}])
    assert subscribe(client, url) == ("9", False)
    assert add.call_count == 1


def test_the_platform_serves_webhooks_under_its_name_and_mounts_its_commands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    platform = get_platform("moneybird")
    assert platform.webhooks is not None and platform.cli is not None
    assert platform.webhooks.path_hint == "/moneybird/webhook/<client>:<token>"
    receiver = platform.webhooks.receiver(lambda: datetime.now(UTC))
    with caplog.at_level(logging.INFO):
        status, _ = receiver(f"/moneybird/webhook/vogel:{TOKEN}", b"{}", SECRETS, lambda s, c: None)
    assert status == 200
    from connector.cli import app  # the CLI mounts `dunning moneybird ...` as it starts

    [group] = [g for g in app.registered_groups if g.name == "moneybird"]
    assert group.typer_instance is not None
    names = {c.name for c in group.typer_instance.registered_commands}
    assert {"administrations", "release"} <= names
