"""The `dunning` command as a user meets it: real subprocesses against the sandbox on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from adapters.zoho.settings import ZohoSettings
from connector.domain.clock import ManualClock
from connector.platforms import login
from sandboxes.world import local_moment
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 1, 5)


def dunning(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_init_writes_a_configuration_that_passes_doctor(tmp_path: Path) -> None:
    config = tmp_path / "config"
    init = dunning("init", str(config))
    assert init.returncode == 0, init.stderr
    assert (config / "secret.key").stat().st_mode & 0o777 == 0o600
    doctor = dunning("--config", str(config), "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "ok   database" in doctor.stdout
    again = dunning("init", str(config))
    assert again.returncode == 2 and "exist" in again.stderr, "init overwrote a configuration"


def test_a_missing_configuration_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = dunning("--config", str(tmp_path / "nope"), "run", "--all")
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "dunning init" in result.stderr


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ZohoWorld]:
    def small(state: ZohoState, org: str, seed: int) -> DemoInfo:
        return seed_demo(state, seed=seed, customers=8, invoices=30, organization_id=org)

    w = ZohoWorld.open(
        tmp_path,
        start=local_moment(MONDAY, 9),
        seed=3,
        slugs=("good", "notoken", "down"),
        populate=small,
        connect=False,
    )
    w.connect("good")
    w.connect("down")
    down = w.app.config_dir / "clients" / "down.yaml"
    dead = f"http://127.0.0.1:{free_port()}"
    down.write_text(down.read_text().replace(w.server.url, dead))
    (w.app.config_dir / "clients" / "broken.yaml").write_text(
        "display_name: Broken B.V.\nplatform: zoho\nzoho:\n  data_center: eu\n"
        "  organization_id: '123'\n  client_id: x\n  client_secret: ${ZOHO_CLIENT_SECRET}\n"
        "policy: nl-b2b-standard\nlanguage: nl\nsender: {name: B, email: b@b.nl}\n"
        "colour: blue\n"
    )
    yield w
    w.close()


def test_broken_file_missing_token_and_unreachable_api_name_the_client_and_others_run(
    world: ZohoWorld,
) -> None:
    now = world.clock.now().isoformat()
    result = dunning(
        "--config",
        str(world.app.config_dir),
        "run",
        "--all",
        "--simulate",
        "--now",
        now,
        env=world.env,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "broken.yaml" in out and "colour" in out, out
    assert "notoken" in out and "dunning auth login notoken" in out, out
    assert "down: FAILED" in out and "connect" in out.lower(), out
    good = [line for line in out.splitlines() if line.startswith("good:")]
    assert good and "FAILED" not in good[-1] and "planned" in good[-1], out
    assert not any(
        s in out for s in (world.env["ZOHO_CLIENT_SECRET"], world.env["DUNNING_SECRET_KEY"])
    ), "a secret was printed"


def test_plan_prints_a_table_and_sends_nothing(world: ZohoWorld) -> None:
    at = local_moment(MONDAY + timedelta(days=1), 10).isoformat()
    result = dunning(
        "--config", str(world.app.config_dir), "plan", "good", "--now", at, env=world.env
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["customer", "invoice", "balance"]
    assert any("DUE NOW" in line for line in lines), result.stdout
    assert world.state.sent_mails == []


def test_dry_run_plans_without_sending_and_status_reports_clients(world: ZohoWorld) -> None:
    at = local_moment(MONDAY + timedelta(days=1), 10).isoformat()
    dry = dunning(
        "--config",
        str(world.app.config_dir),
        "run",
        "good",
        "--dry-run",
        "--now",
        at,
        env=world.env,
    )
    assert dry.returncode == 0, dry.stderr
    assert "(dry run) good: would" in dry.stdout
    assert world.state.sent_mails == []
    status = dunning("--config", str(world.app.config_dir), "status", "--now", at, env=world.env)
    assert status.returncode == 0, status.stderr
    assert "notoken" in status.stdout and "no token" in status.stdout


def test_set_token_stores_the_refresh_token_encrypted(world: ZohoWorld) -> None:
    result = dunning(
        "--config",
        str(world.app.config_dir),
        "auth",
        "set-token",
        "notoken",
        "--refresh-token",
        "1000.headless-refresh-token-value",
        env=world.env,
    )
    assert result.returncode == 0, result.stderr
    assert "headless-refresh-token-value" not in result.stdout + result.stderr
    record = world.app.tokens.get("notoken")
    assert record is not None and record.refresh_token == "1000.headless-refresh-token-value"
    raw = (world.root / "dunning.db").read_bytes()
    assert b"headless-refresh-token-value" not in raw


def test_login_captures_the_code_on_the_local_callback_and_stores_tokens(
    world: ZohoWorld,
) -> None:
    """The authorization-code flow against the sandbox's accounts server, state checked."""
    cfg = world.app.config.clients["notoken"]
    assert ZohoSettings.of(cfg).redirect_port == 8765
    seen: list[str] = []

    def browser(url: str) -> None:
        seen.append(url)
        # the "user" approves: the sandbox redirects to the local callback
        response = requests.get(url, allow_redirects=True, timeout=10)
        assert response.status_code == 200, response.text

    login(
        "notoken",
        cfg,
        world.app.tokens,
        ManualClock(world.clock.now()),
        open_browser=browser,
        echo=lambda _: None,
        timeout=20,
    )
    assert seen and "state=" in seen[0] and "access_type=offline" in seen[0]
    record = world.app.tokens.get("notoken")
    assert record is not None and record.access_token and record.state == "ok"
    world.reload()
    assert world.app.tenant("notoken", world.clock).ledger.check()


def test_debug_logs_of_a_run_never_show_a_token_or_secret(world: ZohoWorld) -> None:
    before = world.app.tokens.get("good")
    assert before is not None
    world.state.expire_access_tokens()  # force a refresh inside the run, logged at DEBUG
    at = (world.clock.now()).isoformat()
    result = dunning(
        "--config",
        str(world.app.config_dir),
        "-vv",
        "run",
        "good",
        "--simulate",
        "--now",
        at,
        env=world.env,
    )
    after = world.app.tokens.get("good")
    assert after is not None and after.access_token != before.access_token
    out = result.stdout + result.stderr
    assert "DEBUG" in out, "debug logging was not on"
    for secret in (
        before.access_token,
        before.refresh_token,
        after.access_token,
        world.env["ZOHO_CLIENT_SECRET"],
        world.env["DUNNING_SECRET_KEY"],
    ):
        assert secret and secret not in out, "a secret appeared in the log"
