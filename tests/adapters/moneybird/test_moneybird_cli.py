"""`dunning moneybird …` against the Moneybird sandbox world: the administrations the login
reaches, a webhook subscription made once (the token never printed), and releasing a client
(Moneybird's own workflow resumed for every open invoice the connector paused)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.app import App
from connector.cli import app as dunning
from sandboxes.moneybird.generate import seed_demo
from sandboxes.moneybird.world import MoneybirdWorld
from sandboxes.world import local_moment

TOKEN = "Qw3rTy-uI0pAsDfGhJkLzXcVbNm12345"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[MoneybirdWorld]:
    # a small administration: the commands run on the system clock, and a dozen calls stay
    # within the pace of 30 a minute without waiting for real
    world = MoneybirdWorld.open(
        tmp_path / "w",
        start=local_moment(date(2026, 1, 5), 9),
        populate=lambda state, seed, n: seed_demo(state, seed=seed, administrations=n, contacts=4),
    )
    client = world.root / "config" / "clients" / "demo.yaml"
    hooks = "moneybird:\n  webhook_url: http://127.0.0.1:8091\n  webhook_token: ${HOOK_TOKEN}\n"
    client.write_text(client.read_text().replace("moneybird:\n", hooks, 1))
    world.env["HOOK_TOKEN"] = TOKEN
    world.app.engine.dispose()
    world.app = App.open(world.root / "config", world.env)
    world.reload()
    yield world
    world.close()


def dunning_says(world: MoneybirdWorld, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        dunning, ["--config", str(world.app.config_dir), "moneybird", *args], env=world.env
    )
    return result.exit_code, result.output


def test_the_administrations_the_login_reaches_are_listed_with_the_client_files_marked(
    world: MoneybirdWorld,
) -> None:
    code, out = dunning_says(world, "administrations", "demo")
    assert code == 0, out
    assert f"(administration {world.administration()})  (in the client file)" in out


def test_a_webhook_is_subscribed_once_for_payment_and_state_events_without_showing_the_token(
    world: MoneybirdWorld,
) -> None:
    code, out = dunning_says(world, "webhooks", "subscribe", "demo")
    assert code == 0, out
    assert "demo: subscribed (payment_registered" in out
    assert "http://127.0.0.1:8091/moneybird/webhook/demo:<token>" in out and TOKEN not in out
    code, again = dunning_says(world, "webhooks", "subscribe", "demo")
    assert code == 0 and "already subscribed" in again
    hooks = list(world.state.ledger(world.administration()).webhooks.values())
    assert [h.url for h in hooks] == [f"http://127.0.0.1:8091/moneybird/webhook/demo:{TOKEN}"]


def test_releasing_a_client_resumes_moneybirds_workflow_for_the_invoices_it_paused(
    world: MoneybirdWorld,
) -> None:
    assert world.run("demo").ok
    invoices = world.state.ledger(world.administration()).invoices.values()
    paused = [i for i in invoices if i.paused]
    assert paused

    code, out = dunning_says(world, "release", "demo")

    assert code == 0, out
    assert "Moneybird's own reminders resumed for" in out
    assert not any(i.paused for i in invoices)
