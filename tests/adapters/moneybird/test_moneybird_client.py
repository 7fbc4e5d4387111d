"""The Moneybird client against HTTP answers shaped like Moneybird's documentation (`responses`).

What it promises: only the changed sales invoices are fetched (ids and versions first, then 100
ids per POST), lists follow the ``Link`` header's next link on Moneybird's own host, a 429 waits
what ``Retry-After`` asks (on the clock, not for real), a refused token is refreshed once, and
every failure is one classified line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from fake_store import MemoryTokenStore

from adapters.moneybird.client import MoneybirdClient, changed_ids
from adapters.moneybird.errors import MoneybirdApiError
from adapters.moneybird.mapping import versions
from connector.auth.tokens import TokenEndpointError, TokenManager, TokenResponse
from connector.domain.clock import ManualClock
from connector.domain.ports import ErrorKind
from connector.http import limiter as http_limiter

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ADMIN = "123456789012345678"
API = "https://moneybird.com/api/v2"
BASE = f"{API}/{ADMIN}"
VERSIONS = f"{BASE}/sales_invoices/synchronization.json"


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    http_limiter._local.clear()
    yield
    http_limiter._local.clear()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


class Refresher:
    """Moneybird's token endpoint as the token manager sees it: a new token, or a refusal."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.calls = 0

    def __call__(self, refresh_token: str) -> TokenResponse:
        self.calls += 1
        if self.refuse:
            raise TokenEndpointError("invalid_grant", "the refresh token was revoked")
        return TokenResponse(access_token="fresh-token", expires_in=3600)


def make_client(clock: ManualClock, refresher: Refresher | None = None) -> MoneybirdClient:
    store = MemoryTokenStore()
    store.put_initial(
        "vogel",
        "default",
        "moneybird",
        refresh_token="refresh-1",
        access_token="first-token",
        expires_at=START + timedelta(hours=1),
        now=START,
    )
    tokens = TokenManager(
        store, "vogel", "default", "moneybird", refresher or Refresher(), clock, owner="test"
    )
    return MoneybirdClient(tokens, API, ADMIN, clock)


def invoice_ids(call: responses.Call) -> list[str]:
    body = call.request.body
    assert body is not None
    ids: list[str] = json.loads(body)["ids"]
    return ids


@responses.activate
def test_only_sales_invoices_whose_version_changed_are_fetched_100_ids_per_call(
    clock: ManualClock,
) -> None:
    listed: list[dict[str, Any]] = [
        {"id": str(10**17 + n), "version": 1700000000 + n} for n in range(250)
    ]
    responses.get(VERSIONS, json=listed)
    for _ in range(3):
        responses.post(VERSIONS, json=[])
    client = make_client(clock)
    known: dict[str, int] = {r["id"]: r["version"] for r in listed[:40]}  # the last run stored
    known[listed[0]["id"]] = 1  # changed since
    known["99"] = 5  # deleted in Moneybird since

    changed, gone = changed_ids(versions(client.sales_invoice_versions()), known)
    fetched = list(client.sales_invoices(changed))

    assert len(changed) == 211 and gone == ["99"]
    posts = [c for c in responses.calls if c.request.method == "POST"]
    assert [len(invoice_ids(c)) for c in posts] == [100, 100, 11]
    assert fetched == [[], [], []]
    assert all(c.request.headers["Authorization"] == "Bearer first-token" for c in responses.calls)


@responses.activate
def test_a_list_follows_the_link_header_to_the_last_page(clock: ManualClock) -> None:
    page2 = f"{BASE}/contacts/synchronization.json?include_archived=true&page=2"
    responses.get(
        f"{BASE}/contacts/synchronization.json",
        json=[{"id": "1", "version": 10}],
        headers={"Link": f'<{page2}>; rel="next"'},
        match=[responses.matchers.query_param_matcher({"include_archived": "true"})],
    )
    responses.get(
        page2,
        json=[{"id": "2", "version": 20}],
        headers={"Link": f'<{BASE}/contacts/synchronization.json>; rel="prev"'},
    )
    assert versions(make_client(clock).contact_versions()) == {"1": 10, "2": 20}
    assert len(responses.calls) == 2


@responses.activate
def test_a_next_link_to_another_host_is_not_followed_with_the_token(clock: ManualClock) -> None:
    responses.get(
        VERSIONS,
        json=[{"id": "1", "version": 10}],
        headers={"Link": '<https://moneybird.com.evil.example/steal?page=2>; rel="next"'},
    )
    with pytest.raises(MoneybirdApiError) as raised:
        make_client(clock).sales_invoice_versions()
    assert raised.value.kind is ErrorKind.MALFORMED
    assert "the next link points to another host (moneybird.com.evil.example)" in str(raised.value)
    assert len(responses.calls) == 1


@responses.activate
def test_a_next_link_that_comes_back_is_a_loop_and_stops(clock: ManualClock) -> None:
    page2 = f"{VERSIONS}?page=2"
    responses.get(page2, json=[], headers={"Link": f'<{page2}>; rel="next"'})
    responses.get(VERSIONS, json=[], headers={"Link": f'<{page2}>; rel="next"'})
    with pytest.raises(MoneybirdApiError, match="loop in pagination"):
        make_client(clock).sales_invoice_versions()


@responses.activate
def test_a_429_waits_what_retry_after_asks_on_the_clock_then_reads_again(
    clock: ManualClock,
) -> None:
    responses.get(VERSIONS, status=429, headers={"Retry-After": "40"}, json={"error": "Limit"})
    responses.get(VERSIONS, json=[{"id": "7", "version": 70}])
    rows = make_client(clock).sales_invoice_versions()
    assert versions(rows) == {"7": 70}
    assert clock.now() - START >= timedelta(seconds=40)


@responses.activate
def test_fetching_by_id_is_a_read_and_is_retried_after_a_429_too(clock: ManualClock) -> None:
    responses.post(VERSIONS, status=429, headers={"Retry-After": "5"})
    responses.post(VERSIONS, json=[])
    assert list(make_client(clock).sales_invoices(["1"])) == [[]]
    assert len(responses.calls) == 2


@responses.activate
def test_a_limit_that_outlasts_the_wait_budget_is_rate_limited_not_a_crash(
    clock: ManualClock,
) -> None:
    responses.get(VERSIONS, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(MoneybirdApiError) as raised:
        make_client(clock).sales_invoice_versions()
    assert raised.value.kind is ErrorKind.RATE_LIMITED
    assert str(raised.value) == "Moneybird GET sales_invoices/synchronization: HTTP 429"


@responses.activate
def test_a_refused_token_is_refreshed_once_and_the_call_made_again(clock: ManualClock) -> None:
    responses.get(VERSIONS, status=401, json={"error": "Token is invalid"})
    responses.get(VERSIONS, json=[])
    refresher = Refresher()
    assert make_client(clock, refresher).sales_invoice_versions() == []
    assert refresher.calls == 1
    assert responses.calls[1].request.headers["Authorization"] == "Bearer fresh-token"


@responses.activate
def test_a_revoked_refresh_token_asks_for_consent(clock: ManualClock) -> None:
    responses.get(VERSIONS, status=401, json={"error": "Token is invalid"})
    with pytest.raises(MoneybirdApiError) as raised:
        make_client(clock, Refresher(refuse=True)).sales_invoice_versions()
    assert raised.value.kind is ErrorKind.CONSENT_NEEDED


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (402, ErrorKind.CONFIG),
        (403, ErrorKind.CONFIG),
        (404, ErrorKind.FATAL),
        (422, ErrorKind.FATAL),
        (500, ErrorKind.TRANSIENT),
    ],
)
@responses.activate
def test_each_failure_is_one_classified_line_with_moneybirds_message(
    clock: ManualClock, status: int, kind: ErrorKind
) -> None:
    responses.post(VERSIONS, status=status, json={"error": "Administration not found"})
    with pytest.raises(MoneybirdApiError) as raised:
        list(make_client(clock).sales_invoices(["1"]))
    assert raised.value.kind is kind
    assert str(raised.value) == (
        f"Moneybird POST sales_invoices/synchronization: HTTP {status}: Administration not found"
    )


@responses.activate
def test_an_answer_that_is_not_a_list_of_records_is_malformed(clock: ManualClock) -> None:
    responses.get(VERSIONS, body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(MoneybirdApiError) as raised:
        make_client(clock).sales_invoice_versions()
    assert raised.value.kind is ErrorKind.MALFORMED
    assert "not JSON (HTTP 200, text/html)" in str(raised.value)
    responses.replace(responses.GET, VERSIONS, json={"id": "1"})
    with pytest.raises(MoneybirdApiError, match="not a list of objects"):
        make_client(clock).sales_invoice_versions()


@responses.activate
def test_the_administrations_the_token_reaches_are_listed_without_an_administration_id(
    clock: ManualClock,
) -> None:
    responses.get(f"{API}/administrations.json", json=[{"id": ADMIN, "name": "Vogel"}])
    assert make_client(clock).administrations() == [{"id": ADMIN, "name": "Vogel"}]
