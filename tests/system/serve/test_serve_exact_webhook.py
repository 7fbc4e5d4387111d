"""Exact Online webhooks on `dunning serve`'s webhook listener: a verified event brings the
client's next run forward; a forged one, or one for a client without a webhook secret, changes
nothing."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from waiting import wait_until

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
    wait_until(lambda: _get_ok(url), "the service to answer")
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


def _brought_forward(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The clients whose next run a webhook brought forward: `Service.run_early` logs it in the
    listener's thread before the event is answered, so once a POST is answered this is final."""
    return [
        r.getMessage().split(":")[0]
        for r in caplog.records
        if r.name == "connector.serve" and "next run brought forward" in r.getMessage()
    ]


def test_a_verified_webhook_brings_the_next_run_forward_and_a_forged_one_does_not(
    service: tuple[Service, ExactWorld, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connector.serve")
    svc, world, url = service
    wait_until(lambda: _runs(svc, "hooked") == 1 and _runs(svc, "plain") == 1, "the first runs")
    hook = f"{url}/exact/webhook/hooked"

    assert requests.post(hook, data=b"", timeout=5).status_code == 200, "subscribe validation"
    forged = requests.post(hook, data=_event(world.division("hooked"), "wrong"), timeout=5)
    assert forged.status_code == 401
    unknown = requests.post(
        f"{url}/exact/webhook/plain", data=_event(world.division("plain")), timeout=5
    )
    assert unknown.status_code == 401, "a client without webhook_secret takes no webhooks"
    assert _brought_forward(caplog) == [], "a rejected event brought a run forward"
    assert _runs(svc, "hooked") == 1

    ok = requests.post(hook, data=_event(world.division("hooked")), timeout=5)
    assert ok.status_code == 200
    assert _brought_forward(caplog) == ["hooked"]
    wait_until(lambda: _runs(svc, "hooked") == 2, "the early run")
    # a burst of events brings the run forward once, not once per event
    for _ in range(3):
        assert requests.post(hook, data=_event(world.division("hooked")), timeout=5).ok
    assert _brought_forward(caplog) == ["hooked"], "the burst brought the run forward again"
    assert _runs(svc, "hooked") == 2
    assert _runs(svc, "plain") == 1
    assert svc.next_runs()["hooked"] > world.clock.now(), "the regular schedule goes on"
