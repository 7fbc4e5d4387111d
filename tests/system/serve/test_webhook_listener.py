"""The Exact webhook endpoint faces the internet: what an outsider without the secret can cost
is bounded (one pass over a body, limited nesting, limited connections, time-outs, body size),
and no answer tells which client names exist."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from waiting import wait_until

from adapters.exact.webhook import (
    MAX_BODY,
    ReplayGuard,
    WebhookRejected,
    handle,
    hash_code,
    raw_content,
    verify,
)
from connector.domain.clock import ManualClock
from connector.serve.webhook import WebhookServer

SECRET = "w3bh00k-s3cret"
SECRETS = {"acme": SECRET}


def event(secret: str = SECRET, key: str = "k-1") -> bytes:
    content = json.dumps({"Topic": "SalesInvoices", "Division": 7, "Key": key})
    return (
        '{"Content": ' + content + ', "HashCode": "' + hash_code(content, secret) + '"}'
    ).encode()


class Triggers:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, slug: str, content: dict[str, Any]) -> None:
        self.calls.append((slug, content))


# -- the handler ------------------------------------------------------------------------------
def test_an_unknown_client_and_a_bad_signature_get_the_same_answer() -> None:
    fired = Triggers()
    forged = handle("/exact/webhook/acme", event("wrong"), SECRETS, fired)
    unknown = handle("/exact/webhook/nobody", event(), SECRETS, fired)
    assert forged == unknown == (401, "rejected")
    assert handle("/exact/webhook/nobody", b"", SECRETS, fired) == (200, "ok")
    assert handle("/exact/webhook/acme", b"", SECRETS, fired) == (200, "ok")
    assert fired.calls == []
    assert handle("/exact/webhook/acme", event(), SECRETS, fired) == (200, "ok")
    assert fired.calls == [("acme", {"Topic": "SalesInvoices", "Division": 7, "Key": "k-1"})]


def test_a_replayed_event_is_acknowledged_but_triggers_nothing_until_a_day_has_passed() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    guard = ReplayGuard(clock.now)
    fired = Triggers()
    for _ in range(3):
        assert handle("/exact/webhook/acme", event(), SECRETS, fired, guard) == (200, "ok")
    assert len(fired.calls) == 1
    assert handle("/exact/webhook/acme", event(key="k-2"), SECRETS, fired, guard) == (200, "ok")
    assert len(fired.calls) == 2, "another event is not a replay"
    clock.advance(timedelta(days=1, seconds=1))
    handle("/exact/webhook/acme", event(), SECRETS, fired, guard)
    assert len(fired.calls) == 3


def test_a_deeply_nested_body_is_refused_without_recursion() -> None:
    deep = b'{"Content": ' + b"[" * 200_000 + b"]" * 200_000 + b', "HashCode": "00"}'
    fired = Triggers()
    assert handle("/exact/webhook/acme", deep[:MAX_BODY], SECRETS, fired) == (401, "rejected")
    with pytest.raises(WebhookRejected, match="nested too deeply"):
        verify(b'{"HashCode": "x", "Content": {"a": ' + b"[" * 50 + b"]" * 50 + b"}}", SECRET)


def test_a_body_crafted_to_make_the_content_search_repeat_costs_one_pass() -> None:
    # Each "Content" string sent the old search to the next colon, which decoded the big array
    # again: quadratic (seconds for this 35 KB request). Now each value is decoded once.
    items = ",".join(['"Content"'] * 2_500)
    big = "[" + ",".join(["1"] * 5_000) + "]"
    body = '{"HashCode": "00", "a": [' + items + '], "z": ' + big + ', "Content": {"a": 1}}'
    assert len(body) < MAX_BODY
    started = time.perf_counter()
    for _ in range(3):
        assert handle("/exact/webhook/acme", body.encode(), SECRETS, Triggers()) == (
            401,
            "rejected",
        )
    assert (time.perf_counter() - started) / 3 < 0.1, "one rejection must stay cheap"


@pytest.mark.parametrize(
    "body",
    [
        b'{"Content": {"a": 1}, "Content": {"a": 2}, "HashCode": "x"}',
        b'{"Content": {"a": 1}, "HashCode": "x"} trailing',
        b'["Content", {"a": 1}]',
        b'{"Content": {"a": 1}, "HashCode": 5}',
        b'{"Content": {"a": 1}}',
        b"\xff\xfe",
        b'{"Content": {"a": 1',
    ],
)
def test_malformed_bodies_are_rejected_not_crashed(body: bytes) -> None:
    assert handle("/exact/webhook/acme", body, SECRETS, Triggers()) == (401, "rejected")


def test_the_signed_text_is_the_content_exactly_as_sent() -> None:
    content = '{ "Topic" : "Accounts",\n "Key": "\\u00e9" }'
    body = '{"HashCode":"' + hash_code(content, SECRET) + '" ,  "Content" :' + content + "}"
    assert raw_content(body) == content
    assert verify(body.encode(), SECRET) == {"Topic": "Accounts", "Key": "é"}


# -- the listener -----------------------------------------------------------------------------
@pytest.fixture
def listener() -> Iterator[tuple[WebhookServer, Triggers]]:
    fired = Triggers()
    server = WebhookServer(
        "127.0.0.1",
        0,
        lambda path, body: handle(path, body, SECRETS, fired),
        max_connections=4,
        timeout=0.5,
        deadline=1.0,
    ).start()
    try:
        yield server, fired
    finally:
        server.stop()


def _connect(server: WebhookServer) -> socket.socket:
    host, port = server.address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=5)


def test_the_listener_answers_events_and_refuses_oversized_or_unsized_bodies(
    listener: tuple[WebhookServer, Triggers],
) -> None:
    server, fired = listener
    url = f"http://{server.address}/exact/webhook/acme"
    assert requests.post(url, data=event(), timeout=5).status_code == 200
    assert fired.calls and fired.calls[0][0] == "acme"
    with _connect(server) as sock:  # announces 10 MB, sends nothing: answered without reading
        sock.sendall(b"POST /exact/webhook/acme HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.0 413")
    with _connect(server) as sock:
        sock.sendall(b"POST /exact/webhook/acme HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.0 411")
    assert requests.get(f"http://{server.address}/metrics", timeout=5).status_code == 405


def test_slow_connections_are_cut_and_connections_beyond_the_cap_get_503_at_once(
    listener: tuple[WebhookServer, Triggers],
) -> None:
    server, _ = listener
    slow = [_connect(server) for _ in range(4)]  # the cap: 4 connections trickling headers
    try:
        for sock in slow:
            sock.sendall(b"POST /exact/webhook/acme HTTP/1.1\r\n")
        wait_until(lambda: server.busy == 4, "the slow connections to hold every slot")
        with _connect(server) as extra:
            started = time.monotonic()
            assert extra.recv(100).startswith(b"HTTP/1.0 503")
            assert time.monotonic() - started < 1.0
        started = time.monotonic()
        for sock in slow:  # keep trickling: the deadline cuts them anyway
            try:
                while sock.recv(100):
                    pass
            except OSError:
                pass
            with contextlib.suppress(OSError):
                sock.sendall(b"X")
        assert time.monotonic() - started < 3.0, "slow connections were held too long"
    finally:
        for sock in slow:
            sock.close()
    assert server.refused >= 1
    wait_until(lambda: server.busy == 0, "the slow connections' slots to be free")
    assert requests.post(
        f"http://{server.address}/exact/webhook/acme", data=event(key="k-9"), timeout=5
    ).ok, "free again once the slow ones are gone"
