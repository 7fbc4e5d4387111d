"""The rate limit Moneybird documents: 150 requests per 5 minutes per user, for every application
and administration of that user together; beyond it 429 with ``Retry-After`` and the
``RateLimit-*`` headers."""

from __future__ import annotations

from moneybird_sandbox_harness import Moneybird


def test_the_151st_request_in_five_minutes_is_429_with_retry_after(moneybird: Moneybird) -> None:
    moneybird.clock.set(moneybird.clock.now().replace(minute=0, second=0))
    for _ in range(150):
        assert moneybird.get("administrations").status_code == 200
    moneybird.clock.advance(100)
    r = moneybird.get("sales_invoices/synchronization")
    assert r.status_code == 429
    assert r.json() == "Retry later"
    assert r.headers["Retry-After"] == "200"
    assert r.headers["RateLimit-Limit"] == "150" and r.headers["RateLimit-Remaining"] == "0"
    reset = int(moneybird.clock.now().timestamp()) + 200
    assert r.headers["RateLimit-Reset"] == str(reset)
    moneybird.clock.advance(200)
    assert moneybird.get("sales_invoices/synchronization").status_code == 200


def test_every_token_of_one_user_shares_the_budget(moneybird: Moneybird) -> None:
    moneybird.clock.set(moneybird.clock.now().replace(minute=0, second=0))
    second = moneybird.state.issue_tokens_for_tests(
        moneybird.info.client_id, moneybird.info.user_id
    )
    for n in range(150):
        token = second if n % 2 else moneybird.token
        assert moneybird.get("administrations", headers=moneybird.headers(token)).ok
    assert moneybird.get("administrations", headers=moneybird.headers(second)).status_code == 429
    other = moneybird.state.add_user("Andere Gebruiker", [moneybird.administration])
    theirs = moneybird.state.issue_tokens_for_tests(moneybird.info.client_id, other.id)
    assert moneybird.get("administrations", headers=moneybird.headers(theirs)).ok


def test_oauth_calls_do_not_count(moneybird: Moneybird) -> None:
    moneybird.clock.set(moneybird.clock.now().replace(minute=0, second=0))
    for _ in range(5):
        moneybird.token_call(grant_type="refresh_token", refresh_token="nope")
    assert moneybird.state.calls_left(moneybird.info.user_id) == 150
