"""The smaller things a first user trips over: global options anywhere, `-v N`, `--version`, an
empty clients folder, and no real send on a pretend clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector import __version__
from connector.cli import app as dunning
from connector.cli._common import hoist_global_options
from connector.config.sample import init_config
from connector.domain.clock import SystemClock
from sandboxes.world import local_moment
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(dunning, list(args), env=env)
    return result.exit_code, result.output


def test_global_options_are_accepted_after_the_command_too() -> None:
    assert hoist_global_options(["doctor", "--config", "c"]) == ["--config", "c", "doctor"]
    assert hoist_global_options(["plan", "acme", "--config=c", "-vv"]) == [
        "--config=c",
        "-v",
        "-v",
        "plan",
        "acme",
    ]
    assert hoist_global_options(["-v", "2", "run", "--all"]) == ["-v", "-v", "run", "--all"]
    assert hoist_global_options(["pause", "a", "b", "--", "--config"]) == [
        "pause",
        "a",
        "b",
        "--",
        "--config",
    ]


def test_config_after_the_command_and_v_with_a_number_work(tmp_path: Path) -> None:
    config = tmp_path / "config"
    init_config(config)
    code, out = cli("doctor", "--config", str(config))
    assert code == 0 and "ok   database" in out, out
    code, out = cli("-v", "2", "status", "--config", str(config))
    assert code == 0 and "No such command" not in out, out


def test_version() -> None:
    code, out = cli("--version")
    assert code == 0 and out.strip() == f"dunning-connector {__version__}"


def test_an_empty_clients_folder_is_said_not_silently_ok(tmp_path: Path) -> None:
    config = tmp_path / "config"
    init_config(config)
    (config / "clients" / "example.yaml").unlink()
    code, out = cli("--config", str(config), "run", "--all")
    assert code == 2
    assert f"no clients configured in {config / 'clients'}" in out


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ZohoWorld]:
    def small(state: ZohoState, org: str, seed: int) -> DemoInfo:
        return seed_demo(state, seed=seed, customers=4, invoices=12, organization_id=org)

    w = ZohoWorld.open(
        tmp_path, start=local_moment(date(2026, 1, 5), 9), seed=3, slugs=("acme",), populate=small
    )
    yield w
    w.close()


def test_run_on_a_pretend_clock_sends_nothing_and_points_to_dry_run(world: ZohoWorld) -> None:
    config = str(world.app.config_dir)
    next_week = (SystemClock().now() + timedelta(days=7)).date().isoformat()
    code, out = cli("--config", config, "run", "acme", "--now", next_week, env=world.env)
    assert code == 2 and "--dry-run" in out and "--simulate" in out, out
    assert world.actions("acme") == [] and world.state.sent_mails == []
    code, out = cli("--config", config, "run", "--all", "--now", "2026-01-20", env=world.env)
    assert code == 2 and world.actions("acme") == []

    # plan and the dry run accept any moment; --simulate is the trial against the sandbox
    code, out = cli("--config", config, "plan", "acme", "--now", "2026-01-20", env=world.env)
    assert code == 0, out
    code, out = cli(
        "--config", config, "run", "acme", "--dry-run", "--now", "2026-01-20", env=world.env
    )
    assert code == 0 and world.state.sent_mails == [], out
    world.clock.set(local_moment(date(2026, 1, 20), 9))
    code, out = cli(
        "--config", config, "run", "acme", "--simulate", "--now", "2026-01-20", env=world.env
    )
    assert code == 0 and "acme: " in out and " planned" in out, out


def test_a_now_within_the_hour_is_the_real_time(world: ZohoWorld) -> None:
    from connector.domain.clock import pretend_clock_problem

    real = SystemClock().now()
    assert pretend_clock_problem(real + timedelta(minutes=59), real, "dunning run") is None
    assert pretend_clock_problem(real - timedelta(minutes=61), real, "dunning run")
