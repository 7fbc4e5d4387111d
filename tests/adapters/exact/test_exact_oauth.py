"""Exact's consent URL, state, code exchange and refresh go through authlib's OAuth2Session,
sent by the house HTTP client; the lease, marker and compare-and-swap around a refresh are ours,
and every rotated refresh token is stored before it is used."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers
from sqlalchemy import Engine

from adapters.exact.adapter import exact_token_manager
from adapters.exact.auth import INTENT_KEY, authorize_url, oauth_session, token_url
from adapters.exact.consent import login_exact
from adapters.exact.settings import ExactSettings
from connector.auth.login import LoginError
from connector.auth.tokens import TokenManager, TokenRefreshUnknown
from connector.domain.clock import ManualClock
from connector.http import make_http
from connector.store.crypto import Cipher
from connector.store.tokens import TokenRecord, TokenRepository

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BASE = "https://start.exactonline.nl"
TOKEN = token_url(BASE)
SECRET = "exact-secret-SHOULD-NOT-LEAK"
REDIRECT = "http://127.0.0.1:8765/callback"


def _settings() -> ExactSettings:
    return ExactSettings.model_validate(
        {"country": "nl", "division": 1234567, "client_id": "cid", "client_secret": SECRET}
    )


def _pair(n: int) -> dict[str, str]:
    """Exact's answer: a new pair every time, ``expires_in`` as a string."""
    return {
        "access_token": f"at-{n}",
        "token_type": "bearer",
        "expires_in": "600",
        "refresh_token": f"rt-{n}",
    }


def _refresh_form(refresh_token: str) -> Any:
    return matchers.urlencoded_params_matcher(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "cid",
            "client_secret": SECRET,
        }
    )


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(sqlite_engine: Engine, cipher: Cipher) -> TokenRepository:
    repo = TokenRepository(sqlite_engine, cipher)
    repo.put_initial(
        "acme",
        "default",
        "exact",
        refresh_token="rt-1",
        access_token="at-1",
        expires_at=START + timedelta(seconds=600),
        now=START,
    )
    return repo


@pytest.fixture
def tokens(store: TokenRepository, clock: ManualClock) -> TokenManager:
    return exact_token_manager(_settings(), store, tenant="acme", clock=clock)


def _stored(store: TokenRepository) -> TokenRecord:
    record = store.get("acme")
    assert record is not None
    return record


def test_each_rotated_refresh_token_is_stored_and_the_next_refresh_sends_it(
    rsps: responses.RequestsMock, clock: ManualClock, store: TokenRepository, tokens: TokenManager
) -> None:
    rsps.post(TOKEN, json=_pair(2), match=[_refresh_form("rt-1")])
    rsps.post(TOKEN, json=_pair(3), match=[_refresh_form("rt-2")])
    clock.advance(timedelta(seconds=571))  # within the 30 s leeway: due, and 570 s have passed
    assert tokens.access_token() == "at-2"
    assert _stored(store).refresh_token == "rt-2"
    clock.advance(timedelta(seconds=600))
    assert tokens.access_token() == "at-3"
    assert _stored(store).refresh_token == "rt-3"
    assert len(rsps.calls) == 2


def test_no_refresh_is_asked_before_the_token_is_due(
    rsps: responses.RequestsMock, clock: ManualClock, tokens: TokenManager
) -> None:
    clock.advance(timedelta(seconds=560))  # Exact refuses a refresh within 570 s of the last
    assert tokens.access_token() == "at-1"
    assert len(rsps.calls) == 0


def test_an_answer_without_a_new_refresh_token_is_unknown_and_the_stored_token_is_kept(
    rsps: responses.RequestsMock, clock: ManualClock, store: TokenRepository, tokens: TokenManager
) -> None:
    """authlib fills a missing refresh_token with the one sent, which Exact has just spent; the
    compliance hook refuses the answer first, and the write-ahead marker stays set."""
    answer = _pair(2)
    del answer["refresh_token"]
    rsps.post(TOKEN, json=answer, match=[_refresh_form("rt-1")])
    clock.advance(timedelta(seconds=571))
    with pytest.raises(TokenRefreshUnknown, match="no refresh_token"):
        tokens.access_token()
    record = _stored(store)
    assert record.refresh_token == "rt-1" and record.extra.get(INTENT_KEY)


def test_the_consent_url_carries_exacts_parameters_and_a_state_made_by_authlib(
    clock: ManualClock,
) -> None:
    http = make_http(clock=clock, name="exact-oauth", max_read_attempts=1)
    url, state = authorize_url(oauth_session(http, "cid", SECRET, REDIRECT), BASE)
    assert url.startswith(f"{BASE}/api/oauth2/auth?") and len(state) >= 20
    assert {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()} == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": REDIRECT,
        "state": state,
        "force_login": "0",
    }


def test_a_pasted_answer_with_another_state_is_refused_and_nothing_is_exchanged_or_stored(
    rsps: responses.RequestsMock, clock: ManualClock, sqlite_engine: Engine, cipher: Cipher
) -> None:
    exchange = rsps.post(TOKEN, json=_pair(1))
    repo = TokenRepository(sqlite_engine, cipher)
    shown: list[str] = []

    def forged() -> str:
        state = parse_qs(urlsplit(shown[0]).query)["state"][0]
        return f"{REDIRECT}?code=one-time&state=forged-{state}"

    with pytest.raises(LoginError, match="wrong or missing state"):
        login_exact(
            "acme",
            _settings(),
            repo,
            clock,
            open_browser=shown.append,
            echo=lambda _: None,
            paste=forged,
        )
    assert exchange.call_count == 0 and repo.get("acme") is None
    rsps.remove(exchange)
