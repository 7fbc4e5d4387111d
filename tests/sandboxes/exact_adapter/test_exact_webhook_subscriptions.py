"""`dunning exact webhooks subscribe|list|remove CLIENT` against the Exact sandbox over HTTP:
``webhooks/WebhookSubscriptions`` with only its documented properties, subscribing is
idempotent, removing touches only this client's callback URL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from exact_world import DIVISION, ExactWorld
from typer.testing import CliRunner

from adapters.exact.adapter import exact_token_manager
from adapters.exact.client import ExactClient
from adapters.exact.contract import BODY, SELECT, violations
from adapters.exact.webhook import (
    WEBHOOK_SUBSCRIBE,
    WEBHOOK_SUBSCRIPTIONS,
    callback_url,
    subscribe,
    subscriptions,
    unsubscribe,
)
from connector.cli import app as cli
from connector.config import load_config
from sandboxes.exact.world import ExactWorld as ExactSandboxWorld
from sandboxes.world import local_moment

URL = "https://dunning.acme.example/exact/webhook/acme"


def _client(world: ExactWorld) -> ExactClient:
    tokens = exact_token_manager(world.settings(), world.tokens, tenant="acme", clock=world.clock)
    return ExactClient(tokens, world.server.url, world.clock)


def test_the_subscription_resource_is_declared_with_documented_properties_only() -> None:
    uses = {
        (u.resource, u.prop, u.how)
        for u in [*WEBHOOK_SUBSCRIPTIONS.uses(), *WEBHOOK_SUBSCRIBE.uses()]
    }
    assert ("webhooks/WebhookSubscriptions", "Topic", BODY) in uses
    assert ("webhooks/WebhookSubscriptions", "CallbackURL", SELECT) in uses
    assert violations([*WEBHOOK_SUBSCRIPTIONS.uses(), *WEBHOOK_SUBSCRIBE.uses()]) == []


def test_subscribing_twice_creates_each_subscription_once(world: ExactWorld) -> None:
    api = _client(world)
    first = subscribe(api, [DIVISION], URL, ["Accounts", "FinancialTransactions"])
    assert [(t, created) for _, t, created in first] == [
        ("Accounts", True),
        ("FinancialTransactions", True),
    ]
    again = subscribe(api, [DIVISION], URL, ["accounts", "FinancialTransactions", "Contacts"])
    assert [(t, created) for _, t, created in again] == [
        ("Accounts", False),
        ("FinancialTransactions", False),
        ("Contacts", True),
    ]
    found = subscriptions(api, [DIVISION])
    assert sorted(s.topic for s in found) == ["Accounts", "Contacts", "FinancialTransactions"]
    assert {s.callback_url for s in found} == {URL}
    assert {s.division for s in found} == {DIVISION}


def test_removing_takes_away_only_this_clients_subscriptions(world: ExactWorld) -> None:
    api = _client(world)
    other = "https://other-tool.example/hooks/exact"
    subscribe(api, [DIVISION], URL, ["Accounts", "Contacts"])
    subscribe(api, [DIVISION], other, ["Accounts"])
    removed = unsubscribe(api, [DIVISION], URL, ["Contacts"])
    assert [s.topic for s in removed] == ["Contacts"]
    removed = unsubscribe(api, [DIVISION], URL)
    assert [s.topic for s in removed] == ["Accounts"]
    left = subscriptions(api, [DIVISION])
    assert [(s.topic, s.callback_url) for s in left] == [("Accounts", other)]


def test_an_unknown_topic_is_refused_before_anything_is_sent(world: ExactWorld) -> None:
    with pytest.raises(ValueError, match="unknown webhook topic 'Invoices'"):
        subscribe(_client(world), [DIVISION], URL, ["Invoices"])
    assert subscriptions(_client(world), [DIVISION]) == []


def test_the_callback_must_be_https_except_on_loopback() -> None:
    assert callback_url("https://dunning.acme.example", "acme") == URL
    assert callback_url("https://dunning.acme.example/hooks/x", "acme").endswith("/hooks/x")
    assert callback_url("http://127.0.0.1:8089", "acme").endswith("/exact/webhook/acme")
    with pytest.raises(ValueError, match="https"):
        callback_url("http://dunning.acme.example", "acme")


def test_the_sandbox_refuses_what_exact_refuses_on_subscriptions(world: ExactWorld) -> None:
    tokens = exact_token_manager(world.settings(), world.tokens, tenant="acme", clock=world.clock)
    base = f"{world.server.url}/api/v1/{DIVISION}/webhooks/WebhookSubscriptions"
    headers = {"Authorization": f"Bearer {tokens.access_token()}", "Accept": "application/json"}

    def post(body: dict[str, object]) -> requests.Response:
        return requests.post(base, json=body, headers=headers, timeout=10)

    assert post({"Topic": "Accounts", "CallbackURL": URL, "Secret": "x"}).status_code == 400
    assert post({"Topic": "Accounts", "CallbackURL": "http://example.nl/x"}).status_code == 400
    created = post({"Topic": "Accounts", "CallbackURL": URL})
    assert created.status_code == 201
    assert post({"Topic": "Accounts", "CallbackURL": URL}).status_code == 500  # already exists
    listed = requests.get(
        base,
        params={"$select": "ID,Topic,CallbackURL,Division,UserID"},
        headers=headers,
        timeout=10,
    )
    assert listed.status_code == 200
    refused = requests.get(base, params={"$select": "ID,Url"}, headers=headers, timeout=10)
    assert refused.status_code == 400 and "No property 'Url'" in refused.text
    ref = created.json()["d"]["ID"]
    gone = requests.delete(f"{base}(guid'{ref}')", headers=headers, timeout=10)
    assert gone.status_code == 204
    again = requests.delete(f"{base}(guid'{ref}')", headers=headers, timeout=10)
    assert again.status_code == 404


# -- the command --------------------------------------------------------------------------------
@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[ExactSandboxWorld]:
    world = ExactSandboxWorld.open(tmp_path, start=local_moment(date(2026, 3, 2), 10))
    yield world
    world.close()


def _configure(world: ExactSandboxWorld, lines: str) -> None:
    world.env["EXACT_WEBHOOK_SECRET"] = "w3bh00k-s3cret"
    path = world.app.config_dir / "clients" / "demo.yaml"
    path.write_text(path.read_text().replace("exact:\n", f"exact:\n{lines}", 1))
    world.app.config = load_config(world.app.config_dir, world.env)


def _dunning(world: ExactSandboxWorld, *args: str) -> tuple[int, str]:
    now = world.clock.now().isoformat()
    result = CliRunner().invoke(
        cli, ["--config", str(world.app.config_dir), *args, "--now", now], env=world.env
    )
    return result.exit_code, result.output


def test_subscribe_list_and_remove_from_the_command_line(sandbox: ExactSandboxWorld) -> None:
    _configure(
        sandbox,
        "  webhook_secret: ${EXACT_WEBHOOK_SECRET}\n  webhook_url: https://dunning.acme.example\n",
    )
    code, out = _dunning(sandbox, "exact", "webhooks", "subscribe", "demo")
    assert code == 0, out
    hook = "https://dunning.acme.example/exact/webhook/demo"
    assert out.count("  subscribed") == 3 and hook in out
    code, out = _dunning(sandbox, "exact", "webhooks", "subscribe", "demo")
    assert code == 0 and out.count("already subscribed") == 3, out
    code, out = _dunning(sandbox, "exact", "webhooks", "list", "demo")
    assert code == 0 and out.count(hook) == 3 and "FinancialTransactions" in out, out
    code, out = _dunning(sandbox, "exact", "webhooks", "remove", "demo", "--topic", "Contacts")
    assert code == 0 and "Contacts" in out and "removed" in out, out
    code, out = _dunning(sandbox, "exact", "webhooks", "remove", "demo")
    assert code == 0 and out.count("removed") == 2, out
    code, out = _dunning(sandbox, "exact", "webhooks", "list", "demo")
    assert code == 0 and "no webhook subscriptions" in out, out


def test_subscribe_without_a_url_or_a_secret_says_what_to_set(sandbox: ExactSandboxWorld) -> None:
    code, out = _dunning(sandbox, "exact", "webhooks", "subscribe", "demo")
    assert code == 2 and "exact.webhook_url" in out and "Traceback" not in out
    _configure(sandbox, "  webhook_url: https://dunning.acme.example\n")
    code, out = _dunning(sandbox, "exact", "webhooks", "subscribe", "demo")
    assert code == 2 and "exact.webhook_secret" in out
    assert sandbox.state.stats.token_calls == 0
