"""Connecting an Exact Online client from the console (issue #13): consent on the Exact
sandbox's page, then the divisions this login reaches are offered (never Exact's last-opened
one by itself), and the pick goes into the client file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from console_support import PASSWORD, csrf_of, sign_in
from cryptography.fernet import Fernet
from exact_world import DIVISION, ExactWorld, make_world
from fastapi.testclient import TestClient

from adapters.exact.settings import ExactSettings
from connector.app import App
from connector.config.models import ConsoleSettings
from connector.console.app import create_app
from connector.console.deps import ConsoleContext
from connector.console.users import Role, add_user
from sandboxes.exact.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

CALLBACK = "http://testserver/oauth/callback/exact"
OTHER = 7654321

CLIENT = """\
# Beta's own notes stay
display_name: Beta B.V.
platform: exact
exact:
  base_url: {url}
  client_id: {client_id}
  client_secret: ${{BETA_EXACT_SECRET}}
mail:
  smtp_host: 127.0.0.1
  from: ar@beta.example
sender:
  name: Beta
  email: ar@beta.example
"""


@pytest.fixture
def exact_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, App, ExactWorld]]:
    config = tmp_path / "config"
    (config / "clients").mkdir(parents=True)
    (config / "connector.yaml").write_text(
        f"database_url: sqlite:///{tmp_path / 'dunning.db'}\ntimezone: Europe/Amsterdam\n"
    )
    env = {
        "BETA_EXACT_SECRET": DEMO_CLIENT_SECRET,
        "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    store = App.open(config, env)  # the store first: the sandbox world shares it
    world = make_world(store.engine, store.cipher, divisions=(DIVISION, OTHER))
    world.state.users[world.user_id].current_division = OTHER
    world.state.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [CALLBACK])
    (config / "clients" / "beta.yaml").write_text(
        CLIENT.format(url=world.server.url, client_id=DEMO_CLIENT_ID)
    )
    app = App.open(config, env)
    add_user(
        app.engine,
        "admin@console.example",
        Role.ADMIN,
        PASSWORD,
        clients=(),
        known_clients=app.config.clients,
        now=world.clock.now(),
        language="en",
    )
    ctx = ConsoleContext(app, world.clock, ConsoleSettings())
    with TestClient(create_app(ctx), base_url="http://testserver") as client:
        yield client, app, world
    world.server.stop()
    app.engine.dispose()
    store.engine.dispose()


def test_exact_divisions_are_chosen_after_consent(
    exact_console: tuple[TestClient, App, ExactWorld],
) -> None:
    browser, app, _ = exact_console
    sign_in(browser, "admin@console.example")
    page = browser.get("/clients/beta/connect")
    assert 'name="before"' not in page.text  # nothing to ask before consent
    start = browser.post(
        "/clients/beta/connect", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    consent = requests.get(start.headers["location"], allow_redirects=False, timeout=10)
    back = consent.headers["Location"].removeprefix("http://testserver")
    answer = browser.get(back, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/clients/beta/connect")

    page = browser.get("/clients/beta/connect")
    assert f'value="{DIVISION}"' in page.text and f'value="{OTHER}"' in page.text
    assert 'type="checkbox"' in page.text and " checked" not in page.text
    assert "last opened in Exact" in page.text

    chosen = browser.post(
        "/clients/beta/connect/choose",
        data={"csrf_token": csrf_of(page.text), "choice": [str(DIVISION)]},
        follow_redirects=False,
    )
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/clients/beta/connect?done=1")
    text = (app.config_dir / "clients" / "beta.yaml").read_text()
    assert text.startswith("# Beta's own notes stay\n") and f"  division: {DIVISION}\n" in text
    settings = app.config.clients["beta"].settings
    assert isinstance(settings, ExactSettings) and settings.division_list == (DIVISION,)
    record = app.tokens.get("beta")
    assert record is not None and record.extra["divisions"] == [DIVISION]
