"""Moneybird's OAuth login and refresh (`responses` for Moneybird, the real token repository on
SQLite): the consent URL asks for the documented scopes, the login stores the tokens and lists
the administrations the token reaches, a refresh honours ``expires_in`` (an hour when absent)
and keeps the refresh token unless a new one comes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers
from sqlalchemy import Engine

from adapters.moneybird.adapter import moneybird_token_manager
from adapters.moneybird.auth import SCOPES, authorize_url, oauth_session
from adapters.moneybird.login import login_moneybird
from adapters.moneybird.settings import MoneybirdSettings
from connector.auth.login import LoginError
from connector.domain.clock import ManualClock
from connector.http import limiter as http_limiter
from connector.http import make_http
from connector.platforms import get_platform
from connector.platforms.spec import WebLoginRequest
from connector.store.crypto import Cipher
from connector.store.tokens import TokenRepository

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MB = "https://moneybird.com"
TOKEN = f"{MB}/oauth/token"
ADMINISTRATIONS = f"{MB}/api/v2/administrations.json"
SECRET = "app-secret-value"
ADMIN = "123456789012345678"


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    http_limiter._local.clear()
    yield
    http_limiter._local.clear()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def repo(sqlite_engine: Engine, cipher: Cipher) -> TokenRepository:
    return TokenRepository(sqlite_engine, cipher)


def settings() -> MoneybirdSettings:
    return MoneybirdSettings.model_validate(
        {"administration_id": ADMIN, "client_id": "app-1", "client_secret": SECRET}
    )


def pasted(shown: list[str]) -> str:
    state = parse_qs(urlsplit(shown[0].split("\n  ")[-1]).query)["state"][0]
    return f"http://127.0.0.1:8766/callback?code=one-time&state={state}"


def test_moneybird_is_a_registered_platform_whose_client_files_need_a_mail_relay() -> None:
    platform = get_platform("moneybird")
    assert platform.title == "Moneybird" and platform.sends_reminders is False
    assert platform.settings_model is MoneybirdSettings
    assert platform.web_login is not None


def test_the_consent_url_asks_for_the_documented_scopes_with_a_state(clock: ManualClock) -> None:
    http = make_http(clock=clock, name="moneybird-oauth", max_read_attempts=1)
    redirect = "http://127.0.0.1:8766/callback"
    url, state = authorize_url(oauth_session(http, "app-1", SECRET, redirect), MB)
    assert url.startswith(f"{MB}/oauth/authorize?") and len(state) >= 20
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "app-1",
        "redirect_uri": redirect,
        "scope": " ".join(SCOPES),
        "state": state,
    }
    assert SCOPES == ("sales_invoices", "settings")


def test_a_login_stores_the_tokens_and_lists_the_administrations_it_reaches(
    rsps: responses.RequestsMock, clock: ManualClock, repo: TokenRepository
) -> None:
    rsps.post(
        TOKEN,
        json={"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 7200},
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "authorization_code",
                    "code": "one-time",
                    "redirect_uri": "http://127.0.0.1:8766/callback",
                    "client_id": "app-1",
                    "client_secret": SECRET,
                }
            )
        ],
    )
    rsps.get(
        ADMINISTRATIONS,
        json=[
            {"id": ADMIN, "name": "Vogel Installaties B.V."},
            {"id": "222", "name": "Vogel Holding"},
        ],
        match=[matchers.header_matcher({"Authorization": "Bearer at-1"})],
    )
    shown: list[str] = []
    said: list[str] = []

    lines = login_moneybird(
        "vogel",
        settings(),
        "Vogel Installaties",
        repo,
        clock,
        open_browser=shown.append,
        echo=said.append,
        paste=lambda: pasted(said),
    )

    assert lines == [
        f"  Vogel Installaties B.V. (administration {ADMIN})  (in the client file)",
        "  Vogel Holding (administration 222)",
    ]
    stored = repo.get("vogel")
    assert stored is not None and stored.platform == "moneybird"
    assert stored.expires_at == START + timedelta(seconds=7200)
    assert "Administrations this login reaches:" in said[-1]


def test_a_login_that_cannot_reach_the_client_files_administration_says_which_it_can(
    rsps: responses.RequestsMock, clock: ManualClock, repo: TokenRepository
) -> None:
    rsps.post(TOKEN, json={"access_token": "at-1", "refresh_token": "rt-1"})
    rsps.get(ADMINISTRATIONS, json=[{"id": "222", "name": "Vogel Holding"}])
    said: list[str] = []
    with pytest.raises(LoginError) as raised:
        login_moneybird(
            "vogel",
            settings(),
            "Vogel Installaties",
            repo,
            clock,
            open_browser=lambda _: None,
            echo=said.append,
            paste=lambda: pasted(said),
        )
    assert str(raised.value) == (
        f"administration {ADMIN} from the client file is not reachable with this login. "
        "Administrations this login reaches:\n  Vogel Holding (administration 222)"
    )


def test_a_refresh_honours_expires_in_keeps_the_refresh_token_and_assumes_an_hour_without(
    rsps: responses.RequestsMock, clock: ManualClock, repo: TokenRepository
) -> None:
    repo.put_initial(
        "vogel",
        "default",
        "moneybird",
        refresh_token="rt-1",
        access_token="old",
        expires_at=START - timedelta(minutes=1),
        now=START,
    )
    refresh = rsps.post(
        TOKEN,
        json={"access_token": "at-2"},
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": "rt-1",
                    "client_id": "app-1",
                    "client_secret": SECRET,
                }
            )
        ],
    )
    manager = moneybird_token_manager(settings(), repo, tenant="vogel", clock=clock)
    assert manager.access_token() == "at-2"
    stored = repo.get("vogel")
    assert stored is not None and stored.expires_at == START + timedelta(hours=1)
    assert refresh.call_count == 1

    clock.advance(timedelta(hours=2))
    rsps.replace(
        responses.POST,
        TOKEN,
        json={"access_token": "at-3", "refresh_token": "rt-2", "expires_in": 600},
    )
    assert manager.access_token() == "at-3"
    stored = repo.get("vogel")
    assert stored is not None
    assert stored.expires_at == START + timedelta(hours=2, seconds=600)


# -- the console's Connect ------------------------------------------------------------------
def web_request(repo: TokenRepository, clock: ManualClock) -> WebLoginRequest:
    from connector.config.models import ClientConfig

    client = ClientConfig.model_construct(display_name="Vogel Installaties")
    return WebLoginRequest(
        slug="vogel",
        client=client,
        settings=settings(),
        tokens=repo,
        clock=clock,
        redirect_uri="https://console.example/oauth/callback/moneybird",
        state="console-made-state-123456",
    )


def test_the_console_connects_and_picks_the_administration_after_consent(
    rsps: responses.RequestsMock, clock: ManualClock, repo: TokenRepository
) -> None:
    web = get_platform("moneybird").web_login
    assert web is not None and web.after is not None and web.settle is not None
    request = web_request(repo, clock)
    url = web.authorize_url(request)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["state"] == "console-made-state-123456"
    assert query["redirect_uri"] == "https://console.example/oauth/callback/moneybird"

    rsps.post(TOKEN, json={"access_token": "at-1", "refresh_token": "rt-1"})
    web.exchange(request, "one-time", {})
    assert repo.get("vogel") is not None

    rsps.get(
        ADMINISTRATIONS,
        json=[{"id": ADMIN, "name": "Vogel Installaties B.V."}, {"id": "222", "name": "Holding"}],
    )
    title, choices, several = web.after(request)
    assert (title, several) == ("Administration", False)
    assert [(c.value, c.selected, c.notes) for c in choices] == [
        (ADMIN, True, ("in the client file",)),
        ("222", False, ()),
    ]
    assert web.settle(request, ["222"]) == {"administration_id": "222"}
    with pytest.raises(ValueError, match="not reachable with this login"):
        web.settle(request, ["333"])
