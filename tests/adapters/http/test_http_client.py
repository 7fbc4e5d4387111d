"""connector.http: retries on reads only, waits on the clock, limiter, redaction, metrics."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from connector.domain.clock import ManualClock
from connector.http import (
    HttpMetrics,
    RateLimiter,
    make_http,
    mask_query,
    path_template,
    retry_after_seconds,
)

URL = "https://api.example.test/books/v3/invoices"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@responses.activate(registry=OrderedRegistry)
def test_a_read_is_retried_on_503_until_it_succeeds(clock: ManualClock) -> None:
    rsps = [
        responses.get(URL, status=503),
        responses.get(URL, status=503),
        responses.get(URL, json={"ok": True}),
    ]
    http = make_http(clock=clock, name="t")
    response = http.request("GET", URL)
    assert response.status_code == 200
    assert [r.call_count for r in rsps] == [1, 1, 1]
    assert len(clock.slept) == 2  # both waits went through the clock
    assert http.metrics.total("retries") == 2
    assert http.metrics.total("calls") == 3


@responses.activate(registry=OrderedRegistry)
def test_retry_after_seconds_is_waited_exactly(clock: ManualClock) -> None:
    responses.get(URL, status=429, headers={"Retry-After": "7"})
    responses.get(URL, json={})
    http = make_http(clock=clock, name="t")
    assert http.request("GET", URL).status_code == 200
    assert clock.slept == [7.0]
    assert http.metrics.total("throttled") == 1


@responses.activate(registry=OrderedRegistry)
def test_retry_after_http_date_is_waited_relative_to_the_clock(clock: ManualClock) -> None:
    when = (START + timedelta(seconds=12)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    responses.get(URL, status=503, headers={"Retry-After": when})
    responses.get(URL, json={})
    make_http(clock=clock, name="t").request("GET", URL)
    assert clock.slept == [12.0]


@responses.activate(registry=OrderedRegistry)
def test_the_platform_wait_hint_is_used_on_429_without_retry_after(clock: ManualClock) -> None:
    responses.get(URL, status=429, headers={"X-Rate-Limit-Reset": "42"})
    responses.get(URL, json={})
    http = make_http(
        clock=clock, name="t", wait_hint=lambda r: float(r.headers["X-Rate-Limit-Reset"])
    )
    http.request("GET", URL)
    assert clock.slept == [42.0]


@responses.activate(registry=OrderedRegistry)
def test_a_hint_longer_than_max_wait_returns_the_429_instead_of_waiting(
    clock: ManualClock,
) -> None:
    rsp = responses.get(URL, status=429, headers={"Retry-After": "34881"})
    response = make_http(clock=clock, name="t", max_wait=120).request("GET", URL)
    assert response.status_code == 429
    assert rsp.call_count == 1
    assert clock.slept == []


@responses.activate(registry=OrderedRegistry)
def test_reads_give_up_after_max_attempts_and_return_the_last_response(
    clock: ManualClock,
) -> None:
    rsp = responses.get(URL, status=500)
    for _ in range(2):
        responses.get(URL, status=500)
    response = make_http(clock=clock, name="t", max_read_attempts=3).request("GET", URL)
    assert response.status_code == 500
    assert rsp.call_count == 1
    assert len(responses.calls) == 3
    assert all(0 < s <= 30 for s in clock.slept)


@responses.activate(registry=OrderedRegistry)
def test_timeouts_on_reads_are_retried_and_the_last_one_is_raised(clock: ManualClock) -> None:
    for _ in range(2):
        responses.get(URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(requests.ReadTimeout):
        make_http(clock=clock, name="t", max_read_attempts=2).request("GET", URL)
    assert len(responses.calls) == 2
    assert len(clock.slept) == 1


@responses.activate(registry=OrderedRegistry)
def test_a_post_is_never_retried_on_503(clock: ManualClock) -> None:
    rsp = responses.post(URL, status=503)
    response = make_http(clock=clock, name="t").request("POST", URL, json={"a": 1})
    assert response.status_code == 503
    assert rsp.call_count == 1
    assert clock.slept == []


@responses.activate(registry=OrderedRegistry)
def test_a_post_timeout_is_raised_at_once_and_not_resent(clock: ManualClock) -> None:
    rsp = responses.post(URL, body=requests.ReadTimeout("no answer"))
    with pytest.raises(requests.ReadTimeout):
        make_http(clock=clock, name="t").request("POST", URL, json={})
    assert rsp.call_count == 1
    assert clock.slept == []


@responses.activate(registry=OrderedRegistry)
def test_a_read_with_retry_false_is_not_retried(clock: ManualClock) -> None:
    rsp = responses.get(URL, status=503)
    assert make_http(clock=clock, name="t").request("GET", URL, retry=False).status_code == 503
    assert rsp.call_count == 1


@responses.activate(registry=OrderedRegistry)
def test_timeouts_are_always_passed(clock: ManualClock) -> None:
    responses.get(URL, json={})
    make_http(clock=clock, name="t", timeout=(2.0, 9.0)).request("GET", URL)
    assert vars(responses.calls[0].request)["req_kwargs"]["timeout"] == (2.0, 9.0)


def test_the_limiter_waits_on_the_clock_for_the_sliding_window(clock: ManualClock) -> None:
    limiter = RateLimiter(3, clock)
    for _ in range(3):
        assert limiter.acquire() == 0
    clock.advance(timedelta(seconds=20))
    assert limiter.acquire() == pytest.approx(40.0)
    assert clock.slept == [pytest.approx(40.0)]


def test_the_limiter_honours_a_server_reset(clock: ManualClock) -> None:
    limiter = RateLimiter(100, clock)
    limiter.note_reset(START.timestamp() + 15)
    assert limiter.acquire() == pytest.approx(15.0)


@responses.activate
def test_every_call_passes_the_limiter(clock: ManualClock) -> None:
    responses.get(URL, json={})
    limiter = RateLimiter(2, clock)
    http = make_http(clock=clock, name="t", limiter=limiter)
    for _ in range(3):
        http.request("GET", URL)
    assert clock.slept == [pytest.approx(60.0)]


@responses.activate
def test_log_lines_show_method_path_status_and_mask_query_secrets(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    responses.get(URL, json={})
    caplog.set_level(logging.DEBUG, logger="connector.http")
    make_http(clock=clock, name="zoho").request(
        "GET", URL, params={"organization_id": "123", "client_secret": "s3cr3t-value"}
    )
    assert "GET /books/v3/invoices?organization_id=123&client_secret=*** -> 200" in caplog.text
    assert "s3cr3t-value" not in caplog.text


def test_mask_query_masks_secret_keys_only() -> None:
    url = "https://x/oauth/v2/token?refresh_token=abc&client_id=cid&code=1000.x"
    assert mask_query(url) == "https://x/oauth/v2/token?refresh_token=***&client_id=cid&code=***"


def test_path_template_replaces_ids() -> None:
    assert (
        path_template("https://h/books/v3/invoices/460000000012345/comments")
        == "/books/v3/invoices/{id}/comments"
    )


@responses.activate
def test_metrics_count_per_host_method_and_path_template(clock: ManualClock) -> None:
    responses.get("https://h.test/books/v3/invoices/1", json={})
    responses.get("https://h.test/books/v3/invoices/2", json={})
    metrics = HttpMetrics()
    http = make_http(clock=clock, name="t", metrics=metrics)
    http.request("GET", "https://h.test/books/v3/invoices/1")
    http.request("GET", "https://h.test/books/v3/invoices/2")
    assert metrics.calls[("h.test", "GET", "/books/v3/invoices/{id}")] == 2


def test_retry_after_ignores_garbage() -> None:
    response = requests.Response()
    response.headers["Retry-After"] = "soon"
    assert retry_after_seconds(response, START) is None


# -- issue #15: the response body is capped ---------------------------------------------
@responses.activate
def test_an_answer_bigger_than_the_cap_is_refused_with_a_clear_error(clock: ManualClock) -> None:
    from connector.http import ResponseTooLarge

    responses.get(URL, body=b"x" * 5000)
    http = make_http(clock=clock, name="zoho", max_body=4096)
    with pytest.raises(ResponseTooLarge, match=r"larger than 4096 bytes"):
        http.request("GET", URL)
    assert len(responses.calls) == 1, "a too large answer is not fetched again"


@responses.activate
def test_an_announced_content_length_over_the_cap_is_refused_before_reading(
    clock: ManualClock,
) -> None:
    from connector.http import ResponseTooLarge

    responses.get(
        URL,
        body=b"{}",
        headers={"Content-Length": str(10**12)},
        auto_calculate_content_length=False,
    )
    http = make_http(clock=clock, name="zoho", max_body=4096)
    with pytest.raises(ResponseTooLarge, match="announced"):
        http.request("GET", URL)


@responses.activate
def test_an_answer_within_the_cap_reads_as_usual(clock: ManualClock) -> None:
    responses.get(URL, json={"invoices": [{"invoice_id": "1"}]})
    http = make_http(clock=clock, name="zoho", max_body=4096)
    assert http.request("GET", URL).json() == {"invoices": [{"invoice_id": "1"}]}


@responses.activate(registry=OrderedRegistry)
def test_a_sink_takes_a_successful_answer_from_its_start_and_the_errors_stay_in_memory(
    clock: ManualClock,
) -> None:
    import io

    responses.get(URL, status=503, json={"error": "busy"})
    responses.get(URL, body=b"[" + b'{"id":"1"},' * 1000 + b'{"id":"2"}]')
    sink = io.BytesIO(b"what an earlier attempt left")
    http = make_http(clock=clock, name="moneybird", max_body=64 * 1024)

    response = http.request("GET", URL, sink=sink)

    assert response.status_code == 200 and response.content == b""
    assert sink.getvalue().startswith(b'[{"id":"1"},') and sink.getvalue().endswith(b"]")
    responses.get(URL, status=404, json={"error": "not found"})
    assert http.request("GET", URL, sink=sink, retry=False).json() == {"error": "not found"}


@responses.activate
def test_a_sink_is_capped_like_memory(clock: ManualClock) -> None:
    import io

    from connector.http import ResponseTooLarge

    responses.get(URL, body=b"x" * 10_000)
    http = make_http(clock=clock, name="moneybird", max_body=4096)
    with pytest.raises(ResponseTooLarge, match=r"larger than 4096 bytes"):
        http.request("GET", URL, sink=io.BytesIO())
