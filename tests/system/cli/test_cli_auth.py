"""Logging in where no browser can reach the machine, and tokens kept off the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from connector.auth.login import LoginError, parse_pasted
from connector.cli import app as dunning
from sandboxes.world import local_moment
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ZohoWorld]:
    def small(state: ZohoState, org: str, seed: int) -> DemoInfo:
        return seed_demo(state, seed=seed, customers=3, invoices=6, organization_id=org)

    w = ZohoWorld.open(
        tmp_path,
        start=local_moment(date(2026, 1, 5), 9),
        slugs=("acme",),
        populate=small,
        connect=False,
    )
    yield w
    w.close()


def test_a_pasted_url_must_carry_this_logins_state() -> None:
    good = "http://127.0.0.1:8765/callback?code=1000.abc&state=S1&location=eu"
    assert parse_pasted(good, "S1").code == "1000.abc"
    assert parse_pasted(good, "S1").extra == {"location": "eu"}
    assert parse_pasted("  1000.abc\n", "S1").code == "1000.abc"  # the bare code
    with pytest.raises(LoginError, match="wrong or missing state"):
        parse_pasted(good, "S2")
    with pytest.raises(LoginError, match="wrong or missing state"):
        parse_pasted("http://127.0.0.1:8765/callback?code=1000.abc", "S1")
    with pytest.raises(LoginError, match="denied"):
        parse_pasted("http://127.0.0.1:8765/callback?error=access_denied&state=S1", "S1")
    with pytest.raises(LoginError, match="nothing was pasted"):
        parse_pasted("\n", "S1")


def test_login_without_a_browser_takes_the_redirected_url_pasted_back(
    world: ZohoWorld,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    env.update(world.env)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connector.cli",
            "--config",
            str(world.app.config_dir),
            "auth",
            "login",
            "acme",
            "--no-browser",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        url = ""
        for line in proc.stdout:
            if line.strip().startswith("http"):
                url = line.strip()
                break
        assert "state=" in url, url
        # consent given on another machine: the platform redirects to the loopback callback,
        # which nothing answers there; the user copies the URL from the address bar
        answer = requests.get(url, allow_redirects=False, timeout=10)
        redirected = answer.headers["Location"]
        assert redirected.startswith("http://127.0.0.1:8765/callback?")
        out, err = proc.communicate(redirected + "\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert "acme: connected" in out
    record = world.app.tokens.get("acme")
    assert record is not None and record.state == "ok" and record.access_token


def test_login_refuses_a_pasted_url_of_another_login(world: ZohoWorld) -> None:
    result = CliRunner().invoke(
        dunning,
        ["--config", str(world.app.config_dir), "auth", "login", "acme", "--no-browser"],
        input="http://127.0.0.1:8765/callback?code=1000.x&state=someone-elses\n",
        env=world.env,
    )
    assert result.exit_code == 1
    assert "wrong or missing state" in result.output and "Traceback" not in result.output
    assert world.app.tokens.get("acme") is None


def test_set_token_reads_the_token_from_stdin_or_the_environment(world: ZohoWorld) -> None:
    runner = CliRunner()
    base = ["--config", str(world.app.config_dir), "auth", "set-token", "acme"]
    result = runner.invoke(dunning, base, input="1000.from-stdin\n", env=world.env)
    assert result.exit_code == 0, result.output
    record = world.app.tokens.get("acme")
    assert record is not None and record.refresh_token == "1000.from-stdin"
    assert "from-stdin" not in result.output

    env = {**world.env, "DUNNING_REFRESH_TOKEN": "1000.from-env"}
    result = runner.invoke(dunning, base, input="", env=env)
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    record = world.app.tokens.get("acme")
    assert record is not None and record.refresh_token == "1000.from-env"

    result = runner.invoke(dunning, [*base, "--refresh-token", "1000.argv"], env=world.env)
    assert result.exit_code == 0
    assert "visible to other users" in result.output and "1000.argv" not in result.output

    result = runner.invoke(dunning, base, input="\n", env=world.env)
    assert result.exit_code == 2 and "no refresh token" in result.output
