"""Quotas per organisation: 100 calls a minute, the plan's daily quota, optional concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import requests
from zoho_sandbox_harness import Serve, Zoho

from sandboxes.zoho import Limits, SandboxClock, ZohoState, demo_tokens, seed_demo

RATE_HEADERS = {"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"}


def test_every_answer_carries_the_daily_quota_headers(zoho: Zoho) -> None:
    r = zoho.get("/invoices", {"per_page": 1})
    assert set(r.headers) >= RATE_HEADERS
    assert r.headers["X-Rate-Limit-Limit"] == "5000"  # Professional plan
    assert r.headers["X-Rate-Limit-Remaining"] == "4999"
    # 09:00:30 in Amsterdam: 14:59:30 until the organisation's midnight
    assert r.headers["X-Rate-Limit-Reset"] == str(15 * 3600 - 30)
    assert zoho.get("/nothing-here").status_code == 404


def test_the_101st_call_in_a_minute_is_429_code_44_until_the_minute_turns(zoho: Zoho) -> None:
    for _ in range(100):
        assert zoho.get("/contacts", {"per_page": 1}).status_code == 200
    over = zoho.get("/contacts", {"per_page": 1})
    assert over.status_code == 429
    assert over.json()["code"] == 44
    assert "Retry-After" not in over.headers
    assert over.headers["X-Rate-Limit-Reset"] == "30"  # seconds until 08:01:00 UTC
    assert over.headers["X-Rate-Limit-Remaining"] == "0"
    zoho.clock.advance(30)
    again = zoho.get("/contacts", {"per_page": 1})
    assert again.status_code == 200
    assert again.headers["X-Rate-Limit-Remaining"] == str(5000 - 101)
    assert zoho.state.stats.throttled[44] == 1


def test_retry_after_is_sent_only_when_configured(zoho: Zoho) -> None:
    zoho.state.limits.retry_after = True
    zoho.state.limits.per_minute = 1
    zoho.get("/contacts")
    over = zoho.get("/contacts")
    assert over.status_code == 429 and over.headers["Retry-After"] == "30"


def test_the_daily_quota_answers_429_code_45_until_the_organisations_midnight(
    serve: Serve,
) -> None:
    clock = SandboxClock(datetime(2026, 1, 5, 22, 58, tzinfo=UTC))  # 23:58 in Amsterdam
    state = ZohoState(clock.now, Limits(daily=3))
    info = seed_demo(state, customers=2, invoices=3)
    _, url = serve(state)
    tokens = demo_tokens(state, info)
    headers = {"Authorization": f"Zoho-oauthtoken {tokens.access_token}"}
    q = {"organization_id": info.organization_id}

    def call() -> requests.Response:
        return requests.get(f"{url}/books/v3/invoices", params=q, headers=headers, timeout=10)

    answers = [call() for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["code"] == 45
    assert answers[-1].headers["X-Rate-Limit-Reset"] == "120"
    clock.advance(timedelta(minutes=2))  # midnight in Amsterdam, 23:00 UTC
    assert call().status_code == 200


def test_the_plan_decides_the_daily_quota(zoho: Zoho) -> None:
    zoho.state.data(zoho.org).org.plan_name = "FREE"
    assert zoho.get("/contacts").headers["X-Rate-Limit-Limit"] == "1000"


def test_the_concurrency_limit_refuses_with_code_1070(zoho: Zoho) -> None:
    zoho.state.limits.concurrent = 2
    zoho.state.limits.latency = 0.3
    codes: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        r = zoho.get("/contacts", {"per_page": 1})
        with lock:
            codes.append(r.json()["code"])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [0, 0, 1070, 1070]


def test_reset_counters_forgets_usage_and_stats(zoho: Zoho) -> None:
    zoho.state.limits.per_minute = 2
    zoho.get("/contacts")
    zoho.get("/contacts")
    assert zoho.get("/contacts").status_code == 429
    assert zoho.control("POST", "reset-counters").status_code == 204
    assert zoho.state.calls == {}
    assert zoho.get("/contacts").status_code == 200
    stats = zoho.control("GET", "stats").json()
    assert stats["usage"][zoho.org]["minute"] == 1
    assert stats["calls"] == {"GET /contacts": 1}
