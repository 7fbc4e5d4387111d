"""Exact Online webhooks on `dunning serve`'s webhook listener: a verified event brings the
client's next run forward; a forged one, or one for a client without a webhook secret, changes
nothing."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from adapters.exact.webhook import hash_code
from connector.config import load_config
from connector.serve.scheduler import ServeOptions, Service
from sandboxes.exact.world import ExactWorld
from sandboxes.world import local_moment

SECRET = "w3bh00k-s3cret"
MONDAY = date(2026, 3, 2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {what}")


def _event(division: int, secret: str = SECRET) -> bytes:
    content = json.dumps(
        {
            "Topic": "SalesInvoices",
            "ClientId": "x",
            "Division": division,
            "Action": "Update",
            "Key": "0b7e3f6c-0000-4000-8000-000000000001",
            "ExactOnlineEndpoint": "",
            "EventCreatedOn": "2026-03-02T10:00:00",
        }
    )
    return ('{"Content":' + content + ',"HashCode":"' + hash_code(content, secret) + '"}').encode()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, ExactWorld, str]]:
    world = ExactWorld.open(tmp_path, start=local_moment(MONDAY, 10), slugs=("hooked", "plain"))
    client_file = world.app.config_dir / "clients" / "hooked.yaml"
    client_file.write_text(
        client_file.read_text().replace(
            "exact:\n", "exact:\n  webhook_secret: ${HOOKED_WEBHOOK_SECRET}\n", 1
        )
    )
    world.env["HOOKED_WEBHOOK_SECRET"] = SECRET
    world.app.config = load_config(world.app.config_dir, world.env)
    port, hook_port = _free_port(), _free_port()
    svc = Service(
        world.app,
        world.clock,
        ServeOptions(
            every_seconds=3600,
            jitter_seconds=0,
            listen=f"127.0.0.1:{port}",
            webhook_listen=f"127.0.0.1:{hook_port}",
            alert_check_seconds=3600,
            grace_seconds=30,
        ),
        env=world.env,
    )
    thread = threading.Thread(target=svc.serve, kwargs={"install_signals": False}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    _wait("the service to answer", lambda: _get_ok(url))
    yield svc, world, f"http://127.0.0.1:{hook_port}"
    svc.signals.stop.set()
    thread.join(60)
    world.close()


def _get_ok(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).ok
    except requests.ConnectionError:
        return False


def _runs(svc: Service, slug: str) -> float:
    return float(svc.metrics.runs.labels(slug, "ok")._value.get())


def test_a_verified_webhook_brings_the_next_run_forward_and_a_forged_one_does_not(
    service: tuple[Service, ExactWorld, str],
) -> None:
    svc, world, url = service
    _wait("the first runs", lambda: _runs(svc, "hooked") == 1 and _runs(svc, "plain") == 1)
    hook = f"{url}/exact/webhook/hooked"

    assert requests.post(hook, data=b"", timeout=5).status_code == 200, "subscribe validation"
    forged = requests.post(hook, data=_event(world.division("hooked"), "wrong"), timeout=5)
    assert forged.status_code == 401
    unknown = requests.post(
        f"{url}/exact/webhook/plain", data=_event(world.division("plain")), timeout=5
    )
    assert unknown.status_code == 401, "a client without webhook_secret takes no webhooks"
    time.sleep(1.0)
    assert _runs(svc, "hooked") == 1, "a rejected event triggered a run"

    ok = requests.post(hook, data=_event(world.division("hooked")), timeout=5)
    assert ok.status_code == 200
    _wait("the early run", lambda: _runs(svc, "hooked") == 2)
    # a burst of events brings the run forward once, not once per event
    for _ in range(3):
        assert requests.post(hook, data=_event(world.division("hooked")), timeout=5).ok
    time.sleep(1.5)
    assert _runs(svc, "hooked") == 2
    assert _runs(svc, "plain") == 1
    assert svc.next_runs()["hooked"] > world.clock.now(), "the regular schedule goes on"
