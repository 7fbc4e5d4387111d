"""Exact's throttles: 60 calls a minute, 5,000 a day, ten errors an hour per endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from exact_sandbox_harness import Exact, Serve

from sandboxes.exact import ExactState, Limits, SandboxClock, seed_demo

SIX = {
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Minutely-Limit",
    "X-RateLimit-Minutely-Remaining",
    "X-RateLimit-Minutely-Reset",
}
MINUTELY = {h for h in SIX if "Minutely" in h}


def test_every_api_response_carries_the_six_rate_limit_headers_in_epoch_ms(exact: Exact) -> None:
    r = exact.get(f"{exact.division}/crm/Accounts", {"$select": "ID"})  # an error, still counted
    assert r.status_code == 400
    assert set(r.headers) >= SIX
    assert r.headers["X-RateLimit-Minutely-Remaining"] == "59"
    assert r.headers["X-RateLimit-Remaining"] == "4999"
    now = exact.clock.now()
    next_minute = now.replace(second=0) + timedelta(minutes=1)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    assert int(r.headers["X-RateLimit-Minutely-Reset"]) == int(next_minute.timestamp() * 1000)
    assert int(r.headers["X-RateLimit-Reset"]) == int(midnight.timestamp() * 1000)


def test_the_61st_call_in_a_minute_is_a_429_with_only_minutely_headers_until_the_minute_turns(
    exact: Exact,
) -> None:
    for _ in range(60):
        assert exact.get("current/Me", {"$select": "UserID"}).status_code == 200
    over = exact.get("current/Me", {"$select": "UserID"})
    assert over.status_code == 429
    assert set(over.headers) & SIX == MINUTELY
    assert over.headers["X-RateLimit-Minutely-Remaining"] == "0"
    exact.clock.advance(30)  # 08:00:30 -> 08:01:00, a new calendar minute
    again = exact.get("current/Me", {"$select": "UserID"})
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Remaining"] == str(5000 - 61)


def test_the_daily_limit_answers_429_until_utc_midnight(serve: Serve) -> None:
    clock = SandboxClock(datetime(2025, 3, 3, 23, 58, tzinfo=UTC))
    state = ExactState(clock.now, Limits(daily=3))
    info = seed_demo(state, accounts=1)
    tokens = state.issue_tokens_for_tests(info.client_id)
    _, url = serve(state)
    import requests

    headers = {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json"}
    codes = [
        requests.get(f"{url}/api/v1/current/Me", headers=headers, timeout=10).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    clock.advance(121)  # past 00:00 UTC
    assert requests.get(f"{url}/api/v1/current/Me", headers=headers, timeout=10).ok


def test_ten_errors_on_one_endpoint_within_an_hour_block_it_for_an_hour(exact: Exact) -> None:
    path = f"{exact.division}/crm/Accounts"
    for _ in range(10):
        assert exact.get(path, {"$select": "ID"}).status_code == 400
    good = {"$select": "ID", "$filter": "Name eq 'x'"}
    blocked = exact.get(path, good)
    assert blocked.status_code == 429
    assert blocked.headers["Reason"] == "ErrorLimitExceeded"
    other = exact.get(f"{exact.division}/crm/Contacts", {"$select": "ID", "$filter": "Email eq ''"})
    assert other.status_code == 200  # only that endpoint
    exact.clock.advance(timedelta(hours=1))
    exact.tokens = exact.state.issue_tokens_for_tests(exact.info.client_id)
    assert exact.get(path, good).status_code == 200
    stats = exact.state.stats.as_json()
    assert stats["errors"]["crm/Accounts 400"] == 10 and stats["blocked"] == 1
