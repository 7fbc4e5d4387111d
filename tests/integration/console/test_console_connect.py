"""Connecting a client from the console (issue #13): the connect page, the consent on the Zoho
sandbox's page, the callback on the console's own URL (bound to the browser session, used once),
the data centre picked on the page; every POST needs the form's token; an owner of another
client gets 404 everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from console_support import add_users, csrf_of, sign_in
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from zoho_sandbox_harness import Zoho, loopback, serve, zoho  # noqa: F401 (fixtures)

from connector.app import App
from connector.config.models import ConsoleSettings
from connector.console.app import create_app
from connector.console.deps import ConsoleContext
from connector.domain.clock import ManualClock
from connector.status.audit import audit_log
from sandboxes.zoho.world import WorldClient, write_config

CALLBACK = "http://testserver/oauth/callback/zoho"


@pytest.fixture
def on_sandbox(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, App, Zoho]]:
    """The console over two clients on the Zoho sandbox (not connected yet)."""
    sandbox: Zoho = request.getfixturevalue("zoho")
    sandbox.state.clients[sandbox.info.client_id].redirect_uris.append(CALLBACK)
    env = {
        "ZOHO_CLIENT_ID": sandbox.info.client_id,
        "ZOHO_CLIENT_SECRET": sandbox.info.client_secret,
        "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    for name, value in env.items():  # the console's own environment
        monkeypatch.setenv(name, value)
    write_config(
        tmp_path / "config",
        sandbox.url,
        [WorldClient("acme", sandbox.org), WorldClient("bakker", "20070002")],
        f"sqlite:///{tmp_path / 'dunning.db'}",
        {},
    )
    app = App.open(tmp_path / "config", env)
    add_users(app)
    ctx = ConsoleContext(app, ManualClock(sandbox.clock.now()), ConsoleSettings())
    with TestClient(create_app(ctx), base_url="http://testserver") as client:
        yield client, app, sandbox
    app.engine.dispose()


def _consent(url: str) -> str:
    """The sandbox's consent page approves at once; where it sends the browser back to."""
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text
    back = answer.headers["Location"]
    assert back.startswith(CALLBACK + "?")
    return back.removeprefix("http://testserver")


def _start(browser: TestClient, name: str = "acme", centre: str = "eu") -> str:
    page = browser.get(f"/clients/{name}/connect")
    assert page.status_code == 200
    answer = browser.post(
        f"/clients/{name}/connect",
        data={"csrf_token": csrf_of(page.text), "before": centre},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_a_consultant_connects_a_client_through_the_consent_page(
    on_sandbox: tuple[TestClient, App, Zoho],
) -> None:
    browser, app, sandbox = on_sandbox
    sign_in(browser, "consultant@console.example")
    page = browser.get("/clients/acme/connect").text
    assert "Europe (zoho.eu)" in page and '<label for="before-2"' in page
    assert "Not connected yet." in page
    assert CALLBACK in page  # the address to register with the app

    url = _start(browser)
    query = dict(parse_qsl(urlsplit(url).query))
    assert url.startswith(sandbox.url + "/oauth/v2/auth?")
    assert query["redirect_uri"] == CALLBACK and query["state"]
    done = browser.get(_consent(url), follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/clients/acme/connect?done=1"
    assert "Connected." in browser.get(done.headers["location"]).text

    record = app.tokens.get("acme")
    assert record is not None and record.platform == "zoho" and record.state == "ok"
    [line] = audit_log(app.engine, "acme")
    assert (line.who, line.where, line.what) == (
        "consultant@console.example",
        "console: connect",
        "connected Zoho Books",
    )


def test_another_data_centre_chosen_on_the_page_goes_into_the_client_file(
    on_sandbox: tuple[TestClient, App, Zoho],
) -> None:
    browser, app, _ = on_sandbox
    sign_in(browser, "admin@console.example")
    browser.get(_consent(_start(browser, centre="com")))
    text = (app.config_dir / "clients" / "acme.yaml").read_text()
    assert "  data_center: com\n" in text and "data_center: eu" not in text
    assert app.config.clients["acme"].settings.data_center == "com"  # type: ignore[union-attr]
    [line] = audit_log(app.engine, "acme")
    assert line.what == "connected Zoho Books; client file now names data center com"


def test_the_callback_is_refused_in_another_session_and_the_second_time(
    on_sandbox: tuple[TestClient, App, Zoho],
) -> None:
    browser, app, _ = on_sandbox
    sign_in(browser, "consultant@console.example")
    back = _consent(_start(browser))
    with TestClient(browser.app, base_url="http://testserver") as other:
        sign_in(other, "admin@console.example")
        refused = other.get(back, follow_redirects=False)
    assert refused.status_code == 400
    assert "does not belong to a connect started in this browser session" in refused.text
    assert browser.get(back, follow_redirects=False).status_code == 400  # spent
    assert app.tokens.get("acme") is None

    back = _consent(_start(browser))
    assert browser.get(back, follow_redirects=False).status_code == 303
    assert browser.get(back, follow_redirects=False).status_code == 400  # used once


def test_a_callback_without_a_session_goes_to_the_login(
    on_sandbox: tuple[TestClient, App, Zoho],
) -> None:
    browser, app, _ = on_sandbox
    sign_in(browser, "consultant@console.example")
    back = _consent(_start(browser))
    with TestClient(browser.app, base_url="http://testserver") as stranger:
        answer = stranger.get(back, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert app.tokens.get("acme") is None


def test_a_denied_consent_is_said_in_plain_words(
    on_sandbox: tuple[TestClient, App, Zoho],
) -> None:
    browser, app, _ = on_sandbox
    sign_in(browser, "consultant@console.example")
    back = browser.get(_consent(_start(browser) + "&sandbox_deny=1"))
    assert back.status_code == 400
    assert "access was not granted on the consent page" in back.text
    assert app.tokens.get("acme") is None
    browser.get("/language/nl?next=/")  # the same in Dutch
    back = browser.get(_consent(_start(browser) + "&sandbox_deny=1"))
    assert "er is geen toegang gegeven op de toestemmingspagina" in back.text


def test_posts_need_the_forms_token_and_owners_see_only_their_client(
    on_sandbox: tuple[TestClient, App, Zoho],
) -> None:
    browser, _, _ = on_sandbox
    sign_in(browser, "bakker@console.example")
    page = browser.get("/clients/bakker/connect")
    token = csrf_of(page.text)
    assert browser.post("/clients/bakker/connect", data={"csrf_token": "x"}).status_code == 403
    assert browser.post("/clients/bakker/connect/choose", data={}).status_code == 403
    assert browser.get("/clients/acme/connect").status_code == 404
    for path in ("/clients/acme/connect", "/clients/acme/connect/choose"):
        assert browser.post(path, data={"csrf_token": token}).status_code == 404
