"""Zoho token endpoint and the client's 401 handling; secrets never in logs or errors."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from fake_store import MemoryTokenStore
from responses import matchers
from responses.registries import OrderedRegistry
from zoho_fixtures import (
    ACCESS,
    ACCOUNTS,
    API,
    CLIENT_SECRET,
    REFRESH,
    envelope,
    page_ctx,
)

from adapters.zoho.adapter import ZohoLedger
from adapters.zoho.auth import SCOPES, authorize_url, exchange_code, oauth_session, zoho_refresher
from adapters.zoho.errors import ZohoApiError
from connector.auth.tokens import (
    ConsentNeeded,
    TokenEndpointError,
    TokenManager,
    TokenRefreshUnknown,
)
from connector.domain.clock import ManualClock
from connector.domain.ports import ErrorKind
from connector.http import make_http

TOKEN = f"{ACCOUNTS}/oauth/v2/token"
NEW_ACCESS = "1000.access-NEW-SHOULD-NOT-LEAK"


def refreshed(**over: Any) -> dict[str, Any]:
    return {
        "access_token": NEW_ACCESS,
        "api_domain": "https://www.zohoapis.eu",
        "token_type": "Bearer",
        "expires_in": 3600,
        **over,
    }


def test_refresh_posts_the_form_and_keeps_the_old_refresh_token(
    rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    rsps.post(
        TOKEN,
        json=refreshed(),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "refresh_token": REFRESH,
                    "client_id": "cid",
                    "client_secret": CLIENT_SECRET,
                    "grant_type": "refresh_token",
                }
            )
        ],
    )
    answer = zoho_refresher(make_http(clock=clock, name="a"), ACCOUNTS, "cid", CLIENT_SECRET)(
        REFRESH
    )
    assert answer.access_token == NEW_ACCESS
    assert answer.refresh_token is None
    assert answer.api_domain == "https://www.zohoapis.eu"
    assert CLIENT_SECRET not in (rsps.calls[0].request.url or "")


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"error": "invalid_code"}, "invalid_grant"),
        (
            {
                "error_description": "You have made too many requests continuously. Please try "
                "again after some time.",
                "error": "Access Denied",
                "status": "failure",
            },
            "throttled",
        ),
        ({"error": "invalid_client"}, "invalid_client"),
        ({"error": "something_new"}, "other"),
    ],
)
def test_token_errors_come_with_http_200_and_are_classified(
    rsps: responses.RequestsMock, clock: ManualClock, body: dict[str, Any], kind: str
) -> None:
    rsps.post(TOKEN, json=body, status=200)
    refresher = zoho_refresher(make_http(clock=clock, name="a"), ACCOUNTS, "cid", CLIENT_SECRET)
    with pytest.raises(TokenEndpointError) as err:
        refresher(REFRESH)
    assert err.value.kind == kind
    assert CLIENT_SECRET not in str(err.value) and REFRESH not in str(err.value)


def test_a_refresh_timeout_is_unknown_and_not_resent(
    rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    rsp = rsps.post(TOKEN, body=requests.ReadTimeout("slow"))
    refresher = zoho_refresher(make_http(clock=clock, name="a"), ACCOUNTS, "cid", CLIENT_SECRET)
    with pytest.raises(TokenRefreshUnknown):
        refresher(REFRESH)
    assert rsp.call_count == 1


def test_a_throttled_token_answer_does_not_mark_consent_needed(
    rsps: responses.RequestsMock, clock: ManualClock, tokens: TokenManager, store: MemoryTokenStore
) -> None:
    clock.advance(timedelta(hours=1))
    rsps.post(TOKEN, json={"error": "Access Denied", "status": "failure"})
    with pytest.raises(TokenEndpointError):
        tokens.access_token()
    record = store.get("acme")
    assert record is not None and record.state == "ok"


def test_invalid_code_marks_consent_needed(
    rsps: responses.RequestsMock, clock: ManualClock, tokens: TokenManager, store: MemoryTokenStore
) -> None:
    clock.advance(timedelta(hours=1))
    rsps.post(TOKEN, json={"error": "invalid_code"})
    with pytest.raises(ConsentNeeded):
        tokens.access_token()
    record = store.get("acme")
    assert record is not None and record.state == "consent_needed"


def test_a_401_refreshes_once_and_retries_the_call_once(
    ledger: ZohoLedger, store: MemoryTokenStore
) -> None:
    with responses.RequestsMock(registry=OrderedRegistry) as mock:
        first = mock.get(
            f"{API}/invoices",
            status=401,
            json={"code": 14, "message": "Invalid value passed for authtoken."},
        )
        mock.post(TOKEN, json=refreshed())
        second = mock.get(
            f"{API}/invoices",
            json=envelope(invoices=[], page_context=page_ctx(1, False)),
            match=[matchers.header_matcher({"Authorization": f"Zoho-oauthtoken {NEW_ACCESS}"})],
        )
        list(ledger.iter_invoices(None))
        assert first.call_count == 1 and second.call_count == 1
    record = store.get("acme")
    assert record is not None and record.access_token == NEW_ACCESS


def test_a_second_401_is_consent_needed(ledger: ZohoLedger) -> None:
    with responses.RequestsMock(registry=OrderedRegistry) as mock:
        mock.get(f"{API}/invoices", status=401, json={"code": 14, "message": "Invalid"})
        mock.post(TOKEN, json=refreshed())
        mock.get(f"{API}/invoices", status=401, json={"code": 14, "message": "Invalid"})
        with pytest.raises(ZohoApiError) as err:
            list(ledger.iter_invoices(None))
        assert len(mock.calls) == 3
    assert err.value.kind is ErrorKind.CONSENT_NEEDED


def test_code_57_in_http_200_refreshes_then_is_a_config_error(ledger: ZohoLedger) -> None:
    with responses.RequestsMock(registry=OrderedRegistry) as mock:
        body = {"code": 57, "message": "You are not authorized to perform this operation"}
        mock.get(f"{API}/invoices", json=body)
        mock.post(TOKEN, json=refreshed())
        mock.get(f"{API}/invoices", json=body)
        with pytest.raises(ZohoApiError) as err:
            list(ledger.iter_invoices(None))
    assert err.value.kind is ErrorKind.CONFIG


def test_authorize_url_asks_offline_access_with_consent_and_the_needed_scopes(
    clock: ManualClock,
) -> None:
    oauth = oauth_session(
        make_http(clock=clock, name="a"), "cid", CLIENT_SECRET, "http://127.0.0.1:8765/callback"
    )
    url, state = authorize_url(oauth, ACCOUNTS, SCOPES, state="st")
    assert state == "st"
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{ACCOUNTS}/oauth/v2/auth?")
    assert q["access_type"] == "offline" and q["prompt"] == "consent"
    assert q["response_type"] == "code" and q["state"] == "st"
    assert set(q["scope"].split(",")) >= {
        "ZohoBooks.invoices.READ",
        "ZohoBooks.invoices.CREATE",
        "ZohoBooks.contacts.READ",
        "ZohoBooks.contacts.CREATE",
        "ZohoBooks.customerpayments.READ",
    }


def test_exchange_code_captures_api_domain_and_needs_a_refresh_token(
    rsps: responses.RequestsMock, clock: ManualClock
) -> None:
    rsps.post(TOKEN, json=refreshed(refresh_token="1000.new-refresh"))
    rsps.post(TOKEN, json=refreshed())
    oauth = oauth_session(
        make_http(clock=clock, name="a"), "cid", CLIENT_SECRET, "http://127.0.0.1/cb"
    )
    answer = exchange_code(oauth, ACCOUNTS, "1000.c")
    assert answer.api_domain == "https://www.zohoapis.eu"
    assert answer.refresh_token == "1000.new-refresh"
    with pytest.raises(TokenEndpointError, match="access_type=offline"):
        exchange_code(oauth, ACCOUNTS, "1000.c")


def test_secrets_never_reach_log_lines_or_error_text(
    ledger: ZohoLedger, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock.advance(timedelta(hours=1))
    errors: list[str] = []
    with responses.RequestsMock(registry=OrderedRegistry) as mock:
        mock.post(TOKEN, json=refreshed())
        mock.get(f"{API}/invoices", status=401, json={"code": 14, "message": "Invalid"})
        mock.post(TOKEN, json={"error": "invalid_code"})
        with pytest.raises(ZohoApiError) as err:
            list(ledger.iter_invoices(None))
        errors.append(str(err.value))
    text = caplog.text + "\n".join(errors)
    for secret in (CLIENT_SECRET, REFRESH, ACCESS, NEW_ACCESS):
        assert secret not in text
    assert err.value.kind is ErrorKind.CONSENT_NEEDED
