"""Zoho's consent URL, state, code exchange and refresh go through authlib's OAuth2Session,
sent by the house HTTP client; its compliance hook reads Zoho's errors answered with HTTP 200."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers
from zoho_fixtures import ACCOUNTS, CLIENT_SECRET, REFRESH

from adapters.zoho.auth import SCOPES, authorize_url, exchange_code, oauth_session, zoho_refresher
from connector.auth.login import LoginError, run_login
from connector.auth.oauth import OAuthSession
from connector.auth.tokens import TokenEndpointError, TokenRefreshUnknown, TokenResponse
from connector.domain.clock import ManualClock
from connector.http import make_http

TOKEN = f"{ACCOUNTS}/oauth/v2/token"
REDIRECT = "http://127.0.0.1:8765/callback"
CODE = "1000.one-time-code"
TOO_MANY = {
    "error_description": "You have made too many requests continuously. Please try again "
    "after some time.",
    "error": "Access Denied",
    "status": "failure",
}
GRANTED = {
    "access_token": "1000.access-NEW",
    "refresh_token": "1000.refresh-NEW",
    "api_domain": "https://www.zohoapis.eu",
    "token_type": "Bearer",
    "expires_in": 3600,
}


def _oauth(clock: ManualClock) -> OAuthSession:
    http = make_http(clock=clock, name="zoho-accounts", max_read_attempts=1)
    return oauth_session(http, "cid", CLIENT_SECRET, REDIRECT)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"error": "invalid_code"}, "invalid_grant"),  # consent needed
        (TOO_MANY, "throttled"),  # never "consent needed"
        ({"error": "invalid_client"}, "invalid_client"),
    ],
)
def test_a_code_exchange_refused_with_http_200_is_classified_by_the_compliance_hook(
    rsps: responses.RequestsMock, clock: ManualClock, body: dict[str, Any], kind: str
) -> None:
    rsps.post(TOKEN, json=body, status=200)
    with pytest.raises(TokenEndpointError) as err:
        exchange_code(_oauth(clock), ACCOUNTS, CODE)
    assert err.value.kind == kind
    assert CLIENT_SECRET not in str(err.value) and CODE not in str(err.value)


def test_a_refresh_refused_for_too_many_requests_is_throttled_and_not_resent(
    rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    refused = rsps.post(TOKEN, json=TOO_MANY, status=200)
    refresher = zoho_refresher(make_http(clock=clock, name="a"), ACCOUNTS, "cid", CLIENT_SECRET)
    with pytest.raises(TokenEndpointError) as err:
        refresher(REFRESH)
    assert err.value.kind == "throttled" and "too many requests" in err.value.message
    assert refused.call_count == 1


def test_the_code_exchange_posts_zohos_documented_form_with_the_secret_in_the_body(
    rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    rsps.post(
        TOKEN,
        json=GRANTED,
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "code": CODE,
                    "client_id": "cid",
                    "client_secret": CLIENT_SECRET,
                    "redirect_uri": REDIRECT,
                    "grant_type": "authorization_code",
                }
            )
        ],
    )
    answer = exchange_code(_oauth(clock), ACCOUNTS, CODE)
    assert answer.refresh_token == "1000.refresh-NEW" and answer.expires_in == 3600
    sent = rsps.calls[0].request
    assert CLIENT_SECRET not in (sent.url or "") and "Authorization" not in sent.headers


def test_token_calls_are_sent_once_by_the_house_client_with_its_timeout_and_metrics(
    rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    busy = rsps.post(TOKEN, status=503, body="busy")
    http = make_http(clock=clock, name="zoho-accounts", timeout=(3.0, 20.0))
    with pytest.raises(TokenRefreshUnknown):
        zoho_refresher(http, ACCOUNTS, "cid", CLIENT_SECRET)(REFRESH)
    assert busy.call_count == 1  # a token POST is never resent, not even on a 503
    sent = rsps.calls[0].request
    assert vars(sent)["req_kwargs"]["timeout"] == (3.0, 20.0)
    assert sent.headers["User-Agent"] == "dunning-connector (zoho-accounts)"
    assert http.metrics.total("calls") == 1


def test_a_token_answer_larger_than_the_body_cap_is_not_read(
    rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    rsps.post(TOKEN, body=b"x" * 5000)
    http = make_http(clock=clock, name="zoho-accounts", max_body=1000)
    with pytest.raises(TokenRefreshUnknown):
        zoho_refresher(http, ACCOUNTS, "cid", CLIENT_SECRET)(REFRESH)


def test_each_consent_url_carries_a_fresh_state_made_by_authlib(clock: ManualClock) -> None:
    first, state = authorize_url(_oauth(clock), ACCOUNTS)
    _, other = authorize_url(_oauth(clock), ACCOUNTS)
    assert state != other and len(state) >= 20
    query = _query(first)
    assert first.startswith(f"{ACCOUNTS}/oauth/v2/auth?")
    assert query == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": REDIRECT,
        "scope": ",".join(SCOPES),
        "state": state,
        "access_type": "offline",
        "prompt": "consent",
    }


def test_a_callback_with_another_state_is_refused_before_any_token_call(
    rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    exchange = rsps.post(TOKEN, json=GRANTED)
    oauth = _oauth(clock)
    url, state = authorize_url(oauth, ACCOUNTS)

    def login(pasted: str) -> TokenResponse:
        return run_login(
            url,
            lambda code: exchange_code(oauth, ACCOUNTS, code),
            redirect_port=8765,
            state=state,
            open_browser=lambda _: None,
            paste=lambda: pasted,
        )

    with pytest.raises(LoginError, match="wrong or missing state"):
        login(f"{REDIRECT}?code={CODE}&state=forged-{state}")
    assert exchange.call_count == 0
    assert login(f"{REDIRECT}?code={CODE}&state={state}").refresh_token == "1000.refresh-NEW"
    assert exchange.call_count == 1
