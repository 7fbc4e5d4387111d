"""`dunning serve` runs the web console too when connector.yaml has a `console:` section, and
stops it with the service."""

from __future__ import annotations

import socket
import threading
from datetime import date
from pathlib import Path

import requests
from waiting import wait_until

from connector.config import load_config
from connector.serve.scheduler import ServeOptions, Service
from sandboxes.world import local_moment
from sandboxes.zoho.world import ZohoWorld


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2, allow_redirects=False).status_code == 200
    except requests.ConnectionError:
        return False


def test_serve_runs_the_console_when_configured_and_stops_it_on_shutdown(tmp_path: Path) -> None:
    with ZohoWorld.open(tmp_path, start=local_moment(date(2026, 3, 2), 10)) as world:
        console_port, health_port = _free_port(), _free_port()
        connector_yaml = world.app.config_dir / "connector.yaml"
        connector_yaml.write_text(
            connector_yaml.read_text() + f"console:\n  listen: 127.0.0.1:{console_port}\n"
        )
        world.app.config = load_config(world.app.config_dir, world.env)
        service = Service(
            world.app,
            world.clock,
            ServeOptions(
                every_seconds=3600,
                jitter_seconds=0,
                listen=f"127.0.0.1:{health_port}",
                alert_check_seconds=3600,
            ),
            env=world.env,
        )
        thread = threading.Thread(target=service.serve, kwargs={"install_signals": False})
        thread.start()
        login = f"http://127.0.0.1:{console_port}/login"
        try:
            wait_until(lambda: _answers(login), "the console to answer")
            page = requests.get(login, timeout=5)
            assert 'name="csrf_token"' in page.text and 'name="password"' in page.text
        finally:
            service.signals.stop.set()
            thread.join(60)
        assert not thread.is_alive()
        assert not _answers(login)
