"""Token upkeep: an Exact connection nobody uses is refreshed once a day, so its refresh token
does not lapse (Exact: about 30 days without use); `dunning serve` never exits between Exact's
token answer and the commit, even past its grace period."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from waiting import wait_until

from adapters.exact.adapter import exact_token_manager
from adapters.exact.settings import ExactSettings
from connector.auth.tokens import ConsentNeeded
from connector.auth.upkeep import token_upkeep
from sandboxes.exact.world import ExactWorld
from sandboxes.kit.router import Request, Response
from sandboxes.world import local_moment

MONDAY = date(2026, 3, 2)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[ExactWorld]:
    world = ExactWorld.open(tmp_path, start=local_moment(MONDAY, 10))
    yield world
    world.close()


def _refreshable(world: ExactWorld) -> bool:
    settings = ExactSettings.of(world.app.config.clients["demo"])
    tokens = exact_token_manager(settings, world.app.tokens, tenant="demo", clock=world.clock)
    try:
        access = tokens.access_token()
    except ConsentNeeded:
        return False
    return world.state.authenticate(f"Bearer {access}").user_id is not None


def test_a_connection_nobody_uses_is_refreshed_daily_and_outlives_the_30_day_lapse(
    sandbox: ExactWorld,
) -> None:
    world = sandbox
    first = token_upkeep(world.app, world.clock)
    assert first.refreshed == [], "a token issued minutes ago is not due"
    for day in range(1, 41):
        world.clock.advance(timedelta(days=1))
        done = token_upkeep(world.app, world.clock)
        assert done.refreshed == ["demo"], f"day {day}: {done}"
        assert token_upkeep(world.app, world.clock).refreshed == [], "twice on one day"
    assert world.state.stats.token_calls == 40
    assert _refreshable(world), "the chain lapsed despite the daily refresh"


def test_without_the_keep_alive_an_idle_connection_lapses_after_30_days(
    sandbox: ExactWorld,
) -> None:
    world = sandbox
    world.clock.advance(timedelta(days=31))
    assert not _refreshable(world)
    record = world.app.tokens.get("demo")
    assert record is not None and record.state == "consent_needed"
    assert "expired" in (record.state_reason or "")


def test_the_keep_alive_leaves_clients_that_need_consent_alone(
    sandbox: ExactWorld,
) -> None:
    world = sandbox
    world.app.tokens.mark_consent_needed("demo", "default", "revoked", world.clock.now())
    world.clock.advance(timedelta(days=2))
    assert token_upkeep(world.app, world.clock).refreshed == []
    assert world.state.stats.token_calls == 0


# -- serve stops only after the refresh is committed --------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_stopped_in_the_middle_of_a_token_refresh_exits_only_after_the_commit(
    sandbox: ExactWorld, tmp_path: Path
) -> None:
    world = sandbox
    before = world.app.tokens.get("demo")
    assert before is not None
    answered, release = threading.Event(), threading.Event()

    def hold_token_answers(request: Request, _response: Response) -> None:
        if request.path == "/api/oauth2/token":
            answered.set()  # Exact has issued the pair; its answer is on the way
            release.wait(30)

    world.router.after.append(hold_token_answers)
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    env.update(world.env)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "connector.cli",
                "--config",
                str(world.app.config_dir),
                "serve",
                "--simulate",
                "--now",
                world.clock.now().isoformat(),
                "--every",
                "3600",
                "--jitter",
                "0",
                "--listen",
                f"127.0.0.1:{port}",
                "--grace",
                "0.5",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            assert answered.wait(180), f"no token refresh:\n{log.read_text()}"
            proc.send_signal(signal.SIGTERM)
            # logged once the grace period is over, while the refresh is still held
            wait_until(
                lambda: "waiting for the token refresh of demo/default" in log.read_text(),
                "serve to wait for the refresh past its grace period",
                context=log.read_text,
            )
            assert proc.poll() is None, f"serve exited mid-refresh:\n{log.read_text()}"
            release.set()
            code = proc.wait(60)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log.read_text()
    assert code in (0, 1), text
    assert "waiting for the token refresh of demo/default" in text, text
    after = world.app.tokens.get("demo")
    assert after is not None and after.version == before.version + 1, text
    assert after.refresh_token != before.refresh_token
    assert world.state.refresh_token_state(after.refresh_token) == "live"
    spool = world.root / "token-spool"
    assert not list(spool.glob("*.token")) if spool.exists() else True
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
