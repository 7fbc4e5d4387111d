"""Zoho Accounts: consent redirect, code exchange, non-rotating refresh, expiry, revocation."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests
from zoho_sandbox_harness import Zoho

from sandboxes.zoho import Limits, OAuthError, ZohoState, seed_demo

SCOPES = "ZohoBooks.invoices.READ,ZohoBooks.invoices.CREATE,ZohoBooks.contacts.READ"


def consent(zoho: Zoho, **extra: str) -> requests.Response:
    params = {
        "scope": SCOPES,
        "client_id": zoho.info.client_id,
        "response_type": "code",
        "redirect_uri": zoho.info.redirect_uri,
        "access_type": "offline",
        "prompt": "consent",
        "state": "xyz",
        **extra,
    }
    return requests.get(
        f"{zoho.url}/oauth/v2/auth", params=params, allow_redirects=False, timeout=10
    )


def code_from(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("http://127.0.0.1:8765/callback?")
    return {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(zoho: Zoho, code: str) -> requests.Response:
    return zoho.token(
        grant_type="authorization_code", code=code, redirect_uri=zoho.info.redirect_uri
    )


def test_the_code_flow_redirects_with_code_state_location_and_accounts_server(zoho: Zoho) -> None:
    params = code_from(consent(zoho))
    assert params["state"] == "xyz"
    assert params["location"] == "eu"
    assert params["accounts-server"] == zoho.url
    assert params["code"].startswith("1000.")
    answer = exchange(zoho, params["code"])
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "refresh_token", "api_domain", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["api_domain"] == zoho.url
    r = zoho.get("/invoices", headers={"Authorization": f"Zoho-oauthtoken {body['access_token']}"})
    assert r.status_code == 200 and r.json()["code"] == 0


def test_a_code_is_single_use_and_dies_after_60_seconds_with_http_200_invalid_code(
    zoho: Zoho,
) -> None:
    code = code_from(consent(zoho))["code"]
    assert exchange(zoho, code).status_code == 200
    again = exchange(zoho, code)
    assert again.status_code == 200 and again.json() == {"error": "invalid_code"}
    late = code_from(consent(zoho))["code"]
    zoho.clock.advance(61)
    assert exchange(zoho, late).json() == {"error": "invalid_code"}
    assert zoho.state.stats.token_errors["invalid_code"] == 2


def test_client_errors_come_as_http_200_error_bodies(zoho: Zoho) -> None:
    code = code_from(consent(zoho))["code"]
    wrong_secret = zoho.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri=zoho.info.redirect_uri,
        client_secret="nope",
    )
    assert wrong_secret.status_code == 200
    assert wrong_secret.json() == {"error": "invalid_client_secret"}
    unknown = zoho.token(grant_type="refresh_token", refresh_token="x", client_id="1000.X")
    assert unknown.json() == {"error": "invalid_client"}
    other_uri = zoho.token(
        grant_type="authorization_code", code=code, redirect_uri="http://elsewhere/cb"
    )
    assert other_uri.json() == {"error": "invalid_redirect_uri"}
    assert zoho.token(grant_type="password").json() == {"error": "unsupported_grant_type"}


def test_the_consent_page_refuses_unknown_clients_and_redirect_uris_and_can_deny(
    zoho: Zoho,
) -> None:
    assert consent(zoho, client_id="1000.UNKNOWN").status_code == 400
    assert consent(zoho, redirect_uri="http://evil.example/cb").status_code == 400
    denied = code_from(consent(zoho, sandbox_deny="1"))
    assert denied == {"error": "access_denied", "state": "xyz"}


def test_online_access_gives_no_refresh_token(zoho: Zoho) -> None:
    code = code_from(consent(zoho, access_type="online"))["code"]
    body = exchange(zoho, code).json()
    assert "refresh_token" not in body and body["access_token"]


def test_refresh_returns_a_new_access_token_only_and_the_refresh_token_keeps_working(
    zoho: Zoho,
) -> None:
    first = zoho.token(grant_type="refresh_token", refresh_token=zoho.tokens.refresh_token or "")
    body = first.json()
    assert set(body) == {"access_token", "api_domain", "token_type", "expires_in"}
    assert body["access_token"] != zoho.tokens.access_token
    second = zoho.token(grant_type="refresh_token", refresh_token=zoho.tokens.refresh_token or "")
    assert second.json()["access_token"] not in (body["access_token"], zoho.tokens.access_token)
    assert zoho.get("/invoices").status_code == 200  # older access tokens stay valid


def test_an_access_token_lives_one_hour_then_401_code_57(zoho: Zoho) -> None:
    zoho.clock.advance(3599)
    assert zoho.get("/contacts").status_code == 200
    zoho.clock.advance(1)
    expired = zoho.get("/contacts")
    assert expired.status_code == 401
    assert expired.json() == {
        "code": 57,
        "message": "You are not authorized to perform this operation",
    }
    fresh = zoho.token(grant_type="refresh_token", refresh_token=zoho.tokens.refresh_token or "")
    headers = {"Authorization": f"Zoho-oauthtoken {fresh.json()['access_token']}"}
    assert zoho.get("/contacts", headers=headers).status_code == 200


def test_a_missing_or_foreign_authorization_header_is_401_code_14(zoho: Zoho) -> None:
    for header in ("", f"Bearer {zoho.tokens.access_token}", "Zoho-oauthtoken 1000.nope"):
        r = zoho.get("/invoices", headers={"Authorization": header} if header else {"X": "y"})
        assert r.status_code == 401 and r.json()["code"] == 14


def test_a_scope_not_granted_is_401_code_57(zoho: Zoho) -> None:
    code = code_from(consent(zoho))["code"]  # invoices and contacts only
    token = exchange(zoho, code).json()["access_token"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    assert zoho.get("/invoices", headers=headers).status_code == 200
    denied = zoho.get("/customerpayments", headers=headers)
    assert denied.status_code == 401 and denied.json()["code"] == 57


def test_revoking_the_refresh_token_kills_it_and_its_access_tokens(zoho: Zoho) -> None:
    r = requests.post(
        f"{zoho.url}/oauth/v2/token/revoke", params={"token": zoho.tokens.refresh_token}, timeout=10
    )
    assert r.status_code == 200 and r.json() == {"status": "success"}
    assert zoho.get("/invoices").status_code == 401
    again = zoho.token(grant_type="refresh_token", refresh_token=zoho.tokens.refresh_token or "")
    assert again.status_code == 200 and again.json() == {"error": "invalid_code"}


def test_more_than_ten_refreshes_in_ten_minutes_is_access_denied(zoho: Zoho) -> None:
    refresh = zoho.tokens.refresh_token or ""
    # demo_tokens issued one access token already: nine more are allowed in the window
    for _ in range(9):
        assert (
            "access_token" in zoho.token(grant_type="refresh_token", refresh_token=refresh).json()
        )
    throttled = zoho.token(grant_type="refresh_token", refresh_token=refresh)
    assert throttled.status_code == 200
    assert throttled.json()["error"] == "Access Denied"
    assert throttled.json()["status"] == "failure"
    zoho.clock.advance(timedelta(minutes=10))
    assert "access_token" in zoho.token(grant_type="refresh_token", refresh_token=refresh).json()


def test_the_eleventh_live_access_token_of_a_refresh_token_retires_the_oldest(zoho: Zoho) -> None:
    refresh = zoho.tokens.refresh_token or ""
    for _ in range(9):
        zoho.token(grant_type="refresh_token", refresh_token=refresh)
    zoho.clock.advance(timedelta(minutes=10))
    assert zoho.get("/invoices").status_code == 200
    zoho.token(grant_type="refresh_token", refresh_token=refresh)  # the 11th live one
    assert zoho.get("/invoices").status_code == 401


def test_the_21st_refresh_token_of_a_user_revokes_the_oldest() -> None:
    from sandboxes.zoho import SandboxClock

    clock = SandboxClock()
    state = ZohoState(clock.now, Limits(refresh_tokens_per_user=2))
    info = seed_demo(state, customers=1, invoices=1)
    first = state.issue_tokens_for_tests(info.client_id)
    clock.advance(1)
    state.issue_tokens_for_tests(info.client_id)
    clock.advance(1)
    state.issue_tokens_for_tests(info.client_id)
    try:
        state.token_grant(
            {
                "client_id": info.client_id,
                "client_secret": info.client_secret,
                "grant_type": "refresh_token",
                "refresh_token": first.refresh_token or "",
            }
        )
    except OAuthError as exc:
        assert exc.body == {"error": "invalid_code"}
    else:
        raise AssertionError("the oldest refresh token should be gone")


def test_serverinfo_names_the_sandbox_as_its_data_centre(zoho: Zoho) -> None:
    body = requests.get(f"{zoho.url}/oauth/serverinfo", timeout=10).json()
    assert body["result"] == "success"
    assert body["locations"]["eu"] == zoho.url
    assert body["locations"]["us"] == "https://accounts.zoho.com"
