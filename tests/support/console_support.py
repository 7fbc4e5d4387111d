"""The console's route tests: an installation with two clients, its users, and a TestClient
signed in as one of them (`sign_in`). Used by tests/integration/console/ and the console
helpers' own route tests.

Clients: `acme` and `bakker` (Zoho, pointing at a closed port: nothing here reaches a
platform). Users (password `PASSWORD`): `admin@console.example` (admin, sees both),
`consultant@console.example` (acme and bakker), `acme@console.example` (owner of acme),
`bakker@console.example` (owner of bakker).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from httpx import Response

from connector.app import App
from connector.config.models import ConsoleSettings
from connector.console.app import create_app
from connector.console.deps import ConsoleContext
from connector.console.users import Role, add_user
from connector.domain.clock import ManualClock
from sandboxes.zoho.world import WorldClient, write_config

PASSWORD = "correct horse battery staple"
#: 10:00 in Amsterdam on Monday 2 March 2026
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USERS = {
    "admin@console.example": (Role.ADMIN, ()),
    "consultant@console.example": (Role.CONSULTANT, ("acme", "bakker")),
    "acme@console.example": (Role.OWNER, ("acme",)),
    "bakker@console.example": (Role.OWNER, ("bakker",)),
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def open_installation(root: Path) -> App:
    """A config folder with clients acme and bakker under `root`, opened (store migrated)."""
    env = {
        "ZOHO_CLIENT_ID": "id",
        "ZOHO_CLIENT_SECRET": "secret",
        "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    write_config(
        root / "config",
        "http://127.0.0.1:9",
        [WorldClient("acme", "20070001"), WorldClient("bakker", "20070002")],
        f"sqlite:///{root / 'dunning.db'}",
        {},
    )
    return App.open(root / "config", env)


def add_users(app: App, now: datetime = NOW) -> None:
    for email, (role, clients) in USERS.items():
        add_user(
            app.engine,
            email,
            role,
            PASSWORD,
            clients=clients,
            known_clients=app.config.clients,
            now=now,
            language="en",
        )


def csrf_of(html: str) -> str:
    """The csrf_token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "no csrf_token on the page"
    return found.group(1)


def sign_in(
    client: TestClient, email: str, password: str = PASSWORD, *, form: Response | None = None
) -> None:
    """Log `client` in through the login form, as a browser does (`form`: the login page
    already on screen, else it is fetched)."""
    page = form if form is not None else client.get("/login")
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


@pytest.fixture
def console_app(tmp_path: Path) -> Iterator[App]:
    """The installation, with its users added."""
    app = open_installation(tmp_path)
    add_users(app)
    yield app
    app.engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def console_ctx(console_app: App, clock: ManualClock) -> ConsoleContext:
    return ConsoleContext(console_app, clock, ConsoleSettings())


@pytest.fixture
def browser(console_ctx: ConsoleContext) -> Iterator[TestClient]:
    """A TestClient on the console (not signed in; `sign_in(browser, email)`)."""
    with TestClient(create_app(console_ctx), base_url="http://testserver") as client:
        yield client
