"""OAuth as Exact does it: single-use codes, rotating refresh tokens, the 570-second rule."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests
from exact_sandbox_harness import Exact, Serve

from sandboxes.exact import ExactState, Limits, SandboxClock, seed_demo


def _authorize(exact: Exact) -> str:
    r = requests.get(
        f"{exact.url}/api/oauth2/auth",
        params={
            "client_id": exact.info.client_id,
            "redirect_uri": exact.info.redirect_uri,
            "response_type": "code",
            "state": "xyz",
            "force_login": "0",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == exact.info.redirect_uri
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def _code_grant(exact: Exact, code: str) -> requests.Response:
    return exact.token(
        grant_type="authorization_code", code=code, redirect_uri=exact.info.redirect_uri
    )


def test_code_flow_redirects_with_code_and_state_and_the_code_works_only_once(exact: Exact) -> None:
    code = _authorize(exact)
    first = _code_grant(exact, code)
    assert first.status_code == 200
    again = _code_grant(exact, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_an_authorization_code_dies_after_three_minutes(exact: Exact) -> None:
    code = _authorize(exact)
    exact.clock.advance(181)
    assert _code_grant(exact, code).status_code == 400


def test_token_response_is_bearer_with_expires_in_as_a_string(exact: Exact) -> None:
    body = _code_grant(exact, _authorize(exact)).json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == "600"


def test_every_refresh_returns_a_new_refresh_token_and_the_old_one_dies(exact: Exact) -> None:
    exact.clock.advance(570)
    first = exact.refresh(exact.tokens.refresh_token)
    assert first.status_code == 200
    new_refresh = first.json()["refresh_token"]
    assert new_refresh != exact.tokens.refresh_token
    exact.clock.advance(600)
    assert exact.refresh(new_refresh).status_code == 200


def test_a_refresh_token_dies_once_its_successor_is_used_for_a_refresh(exact: Exact) -> None:
    exact.clock.advance(600)
    second = exact.refresh(exact.tokens.refresh_token).json()["refresh_token"]
    exact.clock.advance(600)
    assert exact.refresh(second).status_code == 200  # the successor is used
    exact.clock.advance(600)
    reused = exact.refresh(exact.tokens.refresh_token)
    assert reused.status_code == 401
    assert reused.json() == {
        "error": "unauthorized_client",
        "error_description": "Old refresh token used.",
    }


def test_a_refresh_token_dies_once_the_access_token_of_its_successor_calls_the_api(
    exact: Exact,
) -> None:
    exact.clock.advance(600)
    answer = exact.refresh(exact.tokens.refresh_token).json()
    me = exact.get(
        "current/Me",
        headers={"Authorization": f"Bearer {answer['access_token']}", "Accept": "application/json"},
    )
    assert me.status_code == 200
    exact.clock.advance(600)
    assert (
        exact.refresh(exact.tokens.refresh_token).json()["error_description"]
        == "Old refresh token used."
    )
    assert exact.state.refresh_token_state(exact.tokens.refresh_token) == "retired"
    assert exact.state.refresh_token_state(answer["refresh_token"]) == "live"


def test_an_unused_successor_leaves_the_old_refresh_token_valid(exact: Exact) -> None:
    """The answer of a refresh was lost (the client died before storing it): the old token,
    whose successor was never used, still refreshes, as Invantive describes Exact."""
    exact.clock.advance(600)
    lost = exact.refresh(exact.tokens.refresh_token).json()["refresh_token"]
    exact.clock.advance(600)
    again = exact.refresh(exact.tokens.refresh_token)
    assert again.status_code == 200
    exact.clock.advance(600)
    assert exact.refresh(again.json()["refresh_token"]).status_code == 200
    assert exact.state.refresh_token_state(lost) == "retired"
    assert exact.state.refresh_token_state(exact.tokens.refresh_token) == "retired"


def test_immediate_rotation_kills_the_old_refresh_token_when_its_successor_is_issued(
    serve: Serve,
) -> None:
    clock = SandboxClock()
    state = ExactState(clock.now, Limits(rotation="immediate"))
    info = seed_demo(state, accounts=1)
    tokens = state.issue_tokens_for_tests(info.client_id, info.user_id)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "client_id": info.client_id,
        "client_secret": info.client_secret,
    }
    _, url = serve(state)
    clock.advance(600)
    assert requests.post(f"{url}/api/oauth2/token", data=form, timeout=10).status_code == 200
    clock.advance(600)
    reused = requests.post(f"{url}/api/oauth2/token", data=form, timeout=10)
    assert reused.status_code == 401
    assert reused.json()["error_description"] == "Old refresh token used."


def test_refresh_within_570_seconds_is_refused_and_the_token_stays_usable(exact: Exact) -> None:
    exact.clock.advance(569)
    early = exact.refresh(exact.tokens.refresh_token)
    assert early.status_code == 400
    assert early.json() == {
        "error": "access_denied",
        "error_description": "Rate limit exceeded: access_token not expired",
    }
    assert early.headers["Reason"].startswith("TooEarlyToRefreshTokens: ")
    exact.clock.advance(1)
    assert exact.refresh(exact.tokens.refresh_token).status_code == 200


def test_too_early_refresh_can_be_configured_to_kill_the_chain(serve: Serve) -> None:
    clock = SandboxClock()
    state = ExactState(clock.now, Limits(too_early_consumes_token=True))
    info = seed_demo(state, accounts=1)
    tokens = state.issue_tokens_for_tests(info.client_id, info.user_id)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "client_id": info.client_id,
        "client_secret": info.client_secret,
    }
    _, url = serve(state)
    assert requests.post(f"{url}/api/oauth2/token", data=form, timeout=10).status_code == 400
    clock.advance(600)
    late = requests.post(f"{url}/api/oauth2/token", data=form, timeout=10)
    assert late.json()["error_description"] == "Old refresh token used."


def test_a_refresh_token_unused_for_30_days_expires(exact: Exact) -> None:
    exact.clock.advance(timedelta(days=30, seconds=1))
    expired = exact.refresh(exact.tokens.refresh_token)
    assert expired.status_code == 400
    assert expired.json()["error"] == "invalid_request"
    assert expired.json()["error_description"].startswith("The refresh token expired at 4/2/2025 ")


def test_an_access_token_older_than_600_seconds_answers_401_access_token_expired(
    exact: Exact,
) -> None:
    assert exact.get("current/Me", {"$select": "CurrentDivision"}).status_code == 200
    exact.clock.advance(600)
    expired = exact.get("current/Me", {"$select": "CurrentDivision"})
    assert expired.status_code == 401
    assert "access token expired" in expired.headers["WWW-Authenticate"]


def test_the_token_endpoint_allows_200_calls_per_user_per_day(exact: Exact) -> None:
    refresh = exact.tokens.refresh_token
    for _ in range(200):
        exact.clock.advance(1)
        assert exact.refresh(refresh).status_code == 400  # too early, but counted
    exact.clock.advance(600)
    over = exact.refresh(refresh)
    assert over.status_code == 400
    assert over.headers["Reason"].startswith("TooManyTokenRequests")
    exact.clock.advance(timedelta(days=1))
    assert exact.refresh(refresh).status_code == 200


def test_me_names_the_current_division_and_honours_select(exact: Exact) -> None:
    me = exact.get("current/Me", {"$select": "CurrentDivision"}).json()["d"]["results"][0]
    assert me["CurrentDivision"] == exact.division
    assert set(me) == {"__metadata", "CurrentDivision"}


def test_system_divisions_lists_the_users_divisions_with_current_flag(exact: Exact) -> None:
    rows = exact.get(
        f"{exact.division}/system/Divisions", {"$select": "Code,Description,Current,Status"}
    ).json()["d"]["results"]
    assert [(r["Code"], r["Current"], r["Status"]) for r in rows] == [(exact.division, True, 1)]


def test_a_division_not_granted_answers_403_no_division_access(exact: Exact) -> None:
    r = exact.get("999999/crm/Accounts", {"$select": "ID", "$filter": "Name eq 'x'"})
    assert r.status_code == 403
    assert r.headers["Reason"] == "NoDivisionAccess"
