"""Exact adapter pieces without a server: OData values, paging, token answers, limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from adapters.exact import mapping
from adapters.exact.auth import StoreIntents, exact_refresher, fingerprint, token_response
from adapters.exact.client import ExactClient
from adapters.exact.endpoints import PAYMENT_TERMS, int64_value
from adapters.exact.errors import ExactApiError
from adapters.exact.paging import NextLinks, list_page
from adapters.exact.ratelimit import DivisionGate
from connector.auth.tokens import Refresher, TokenEndpointError, TokenRefreshUnknown
from connector.domain import InvoiceStatus
from connector.domain.clock import ManualClock
from connector.domain.ports import ErrorKind
from connector.http import make_http

BASE = "https://start.exactonline.nl"
NOW = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)


# -- OData values at the edge ------------------------------------------------------------------
def test_odata_dates_are_dutch_wall_time_and_become_aware_amsterdam_datetimes() -> None:
    # 2022-01-01 12:00 on the Dutch wall clock, written as if it were UTC
    wall_ms = int((datetime(2022, 1, 1, 12, 0) - datetime(1970, 1, 1)).total_seconds() * 1000)
    moment = mapping.parse_odata_datetime(f"/Date({wall_ms})/")
    assert moment is not None
    assert moment.astimezone(UTC) == datetime(2022, 1, 1, 11, 0, tzinfo=UTC)
    summer = int((datetime(2022, 7, 1, 12, 0) - datetime(1970, 1, 1)).total_seconds() * 1000)
    moment = mapping.parse_odata_datetime(f"/Date({summer})/")
    assert moment is not None and moment.astimezone(UTC).hour == 10


def test_an_odata_date_with_an_offset_is_a_true_utc_instant() -> None:
    moment = mapping.parse_odata_datetime("/Date(1516741035800+0100)/")
    assert moment is not None
    assert moment.astimezone(UTC) == datetime.fromtimestamp(1516741035.8, UTC)


def test_filter_literals_are_written_in_dutch_wall_time() -> None:
    assert (
        mapping.wall_literal(datetime(2026, 7, 1, 8, 0, tzinfo=UTC))
        == "datetime'2026-07-01T10:00:00'"
    )


def test_guids_are_canonical_and_a_non_guid_never_reaches_a_filter() -> None:
    assert (
        mapping.guid("{ABCDEF01-2345-4678-9ABC-DEF012345678}")
        == "abcdef01-2345-4678-9abc-def012345678"
    )
    with pytest.raises(ExactApiError) as exc:
        mapping.guid_literal("x' or 1 eq 1 or ID eq guid'")
    assert exc.value.kind is ErrorKind.MALFORMED


def test_a_receivable_with_nothing_open_is_paid_and_a_credit_note_is_never_dunned() -> None:
    row: dict[str, Any] = {
        "ID": "abcdef01-2345-4678-9abc-def012345678",
        "Account": "abcdef01-2345-4678-9abc-def012345679",
        "AmountDC": Decimal("100"),
        "AmountFC": Decimal("100"),
        "InvoiceDate": "/Date(1767225600000)/",
        "DueDate": "/Date(1769904000000)/",
        "InvoiceNumber": 7,
        "IsFullyPaid": True,
    }
    assert mapping.invoice_from_term(row).status is InvoiceStatus.PAID
    credit = {**row, "AmountFC": Decimal("-50"), "AmountDC": Decimal("-50"), "IsFullyPaid": False}
    assert mapping.invoice_from_term(credit).status is InvoiceStatus.PAID
    matched = {**row, "IsFullyPaid": False, "Status": 50}
    assert mapping.invoice_from_term(matched).status is InvoiceStatus.PAID
    open_ = {**row, "IsFullyPaid": False, "Status": 20}
    invoice = mapping.invoice_from_term(open_)
    assert invoice.status is InvoiceStatus.OPEN
    assert str(invoice.balance.amount) == "100.00"
    assert invoice.issue_date == date(2026, 1, 1)


def test_a_receivable_without_an_amount_fails_loudly_naming_it() -> None:
    with pytest.raises(ExactApiError, match="receivable 7"):
        mapping.invoice_from_term(
            {
                "ID": "abcdef01-2345-4678-9abc-def012345678",
                "Account": "abcdef01-2345-4678-9abc-def012345679",
                "InvoiceNumber": 7,
                "InvoiceDate": "/Date(1767225600000)/",
            }
        )


# -- paging ---------------------------------------------------------------------------------------
def test_next_links_are_followed_only_on_our_host_and_never_twice() -> None:
    links = NextLinks(BASE, "sync/Cashflow/PaymentTerms")
    url = f"{BASE}/api/v1/1/sync/Cashflow/PaymentTerms?$skiptoken=5L"
    assert links.check(url) == url
    with pytest.raises(ExactApiError, match="loop"):
        links.check(url)
    with pytest.raises(ExactApiError, match="another host"):
        links.check("https://evil.example/api/v1/1/x")


def test_a_bare_array_answer_is_a_last_page() -> None:
    assert list_page({"d": [{"ID": 1}]}, "x") == ([{"ID": 1}], None)


# -- tokens -------------------------------------------------------------------------------------
def test_expires_in_comes_as_a_string() -> None:
    answer = token_response({"access_token": "a", "refresh_token": "r", "expires_in": "600"})
    assert answer.expires_in == 600


class _Intents:
    def __init__(self) -> None:
        self.value: str | None = None

    def pending(self) -> tuple[str, datetime | None] | None:
        return (self.value, None) if self.value else None

    def set(self, fingerprint: str | None) -> None:
        self.value = fingerprint


def _refresher(intents: _Intents | None = None, recover: bool = True) -> Refresher:
    http = make_http(clock=ManualClock(NOW), name="exact-oauth", max_read_attempts=1)
    return exact_refresher(http, BASE, "cid", "secret", intents=intents, recover=recover)


@responses.activate
def test_old_refresh_token_used_means_consent_and_too_early_means_wait() -> None:
    responses.post(
        f"{BASE}/api/oauth2/token",
        status=401,
        json={"error": "unauthorized_client", "error_description": "Old refresh token used."},
    )
    with pytest.raises(TokenEndpointError) as exc:
        _refresher()("spent")
    assert exc.value.kind == "invalid_grant"
    responses.replace(
        responses.POST,
        f"{BASE}/api/oauth2/token",
        status=400,
        json={
            "error": "access_denied",
            "error_description": "Rate limit exceeded: access_token not expired",
        },
        headers={"Reason": "TooEarlyToRefreshTokens: Rate limit exceeded"},
    )
    with pytest.raises(TokenEndpointError) as early:
        _refresher()("fresh")
    assert early.value.kind == "throttled"


@responses.activate
def test_with_immediate_rotation_a_refresh_that_may_have_reached_exact_is_never_sent_again() -> (
    None
):
    responses.post(f"{BASE}/api/oauth2/token", body=requests.ReadTimeout("slow"))
    intents = _Intents()
    refresh = _refresher(intents, recover=False)
    with pytest.raises(TokenRefreshUnknown):
        refresh("rt-1")
    assert intents.value == fingerprint("rt-1")
    with pytest.raises(TokenEndpointError) as exc:
        refresh("rt-1")
    assert exc.value.kind == "invalid_grant"
    assert len(responses.calls) == 1, "the possibly spent refresh token was sent again"


@responses.activate
def test_with_rotation_on_first_use_a_lost_answer_is_recovered_with_the_stored_token() -> None:
    """The lost pair was never used (pairs are committed before use), so Exact has not retired
    the stored token: once the marker is old it is sent again, deliberately, and only then."""
    responses.post(f"{BASE}/api/oauth2/token", body=requests.ReadTimeout("slow"))
    responses.post(
        f"{BASE}/api/oauth2/token",
        json={
            "access_token": "at-2",
            "token_type": "bearer",
            "expires_in": "600",
            "refresh_token": "rt-2",
        },
    )
    intents = _Intents()
    refresh = _refresher(intents)
    with pytest.raises(TokenRefreshUnknown):
        refresh("rt-1")
    answer = refresh("rt-1")
    assert answer.refresh_token == "rt-2"
    assert intents.value is None or intents.value == fingerprint("rt-1")
    assert len(responses.calls) == 2


@responses.activate
def test_a_young_marker_is_a_refresh_still_in_flight_elsewhere_not_a_lost_token() -> None:
    responses.post(f"{BASE}/api/oauth2/token", json={})

    class Young(_Intents):
        def pending(self) -> tuple[str, datetime | None] | None:
            return (self.value, NOW - timedelta(seconds=5)) if self.value else None

    intents = Young()
    intents.value = fingerprint("rt-1")
    http = make_http(clock=ManualClock(NOW), name="exact-oauth", max_read_attempts=1)
    refresh = exact_refresher(http, BASE, "cid", "secret", intents=intents, now=lambda: NOW)
    with pytest.raises(TokenRefreshUnknown):
        refresh("rt-1")
    assert len(responses.calls) == 0


@responses.activate
def test_a_definite_refusal_clears_the_in_flight_marker() -> None:
    responses.post(
        f"{BASE}/api/oauth2/token",
        status=400,
        json={"error": "access_denied", "error_description": "access_token not expired"},
        headers={"Reason": "TooEarlyToRefreshTokens"},
    )
    intents = _Intents()
    with pytest.raises(TokenEndpointError):
        _refresher(intents)("rt-1")
    assert intents.value is None


def test_store_intents_live_in_the_token_row(sqlite_engine: Any, cipher: Any) -> None:
    from connector.store.tokens import TokenRepository

    repo = TokenRepository(sqlite_engine, cipher)
    repo.put_initial("acme", "default", "exact", refresh_token="r", now=NOW)
    intents = StoreIntents(repo, "acme", "default", lambda: NOW)
    intents.set("abc")
    assert intents.pending() == ("abc", NOW)
    intents.set(None)
    assert intents.pending() is None


# -- limits ---------------------------------------------------------------------------------------
def _headers(minute_left: int, day_left: int, now: datetime) -> dict[str, str]:
    next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return {
        "X-RateLimit-Minutely-Limit": "60",
        "X-RateLimit-Minutely-Remaining": str(minute_left),
        "X-RateLimit-Minutely-Reset": str(int(next_minute.timestamp() * 1000)),
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": str(day_left),
        "X-RateLimit-Reset": str(int(midnight.timestamp() * 1000)),
    }


def test_the_gate_waits_for_the_minutes_reset_when_none_remain() -> None:
    clock = ManualClock(NOW)
    gate = DivisionGate(clock)
    gate.after("x", 200, _headers(0, 4000, NOW))
    gate.before("x", write=False)
    assert clock.now() >= NOW.replace(second=0) + timedelta(minutes=1)


def test_reads_stop_at_the_reserve_and_writes_may_use_it() -> None:
    clock = ManualClock(NOW)
    gate = DivisionGate(clock, reserve=100)
    gate.after("x", 200, _headers(50, 100, NOW))
    with pytest.raises(ExactApiError) as exc:
        gate.before("x", write=False)
    assert exc.value.kind is ErrorKind.BUDGET_EXHAUSTED
    gate.before("notes", write=True)
    gate.after("notes", 201, _headers(50, 0, NOW))
    with pytest.raises(ExactApiError):
        gate.before("notes", write=True)


def test_an_endpoint_that_keeps_failing_is_not_called_again_within_the_hour() -> None:
    clock = ManualClock(NOW)
    gate = DivisionGate(clock, error_guard=3)
    for _ in range(3):
        gate.before("crm/Accounts", write=False)
        gate.after("crm/Accounts", 400, {})
    with pytest.raises(ExactApiError, match="error budget"):
        gate.before("crm/Accounts", write=False)
    gate.before("cashflow/Receivables", write=False)  # other endpoints go on
    clock.advance(timedelta(hours=1, seconds=1))
    gate.before("crm/Accounts", write=False)


class _StaticTokens:
    tenant = "acme"

    def access_token(self) -> str:
        return "token"

    def invalidate(self, token: str | None = None) -> None:
        pass


@responses.activate
def test_a_400_is_raised_at_once_never_retried() -> None:
    url = f"{BASE}/api/v1/1/{PAYMENT_TERMS.path}"
    responses.get(
        url,
        status=400,
        json={
            "error": {
                "code": "",
                "message": {
                    "lang": "",
                    "value": "Please add a $select or a $top=1 statement to the query string.",
                },
            }
        },
    )
    tokens: Any = _StaticTokens()
    client = ExactClient(tokens, BASE, ManualClock(NOW))
    with pytest.raises(ExactApiError) as exc:
        client.rows(1, PAYMENT_TERMS, PAYMENT_TERMS.prop("Timestamp").gt(int64_value(1)))
    assert exc.value.kind is ErrorKind.FATAL
    assert "$select" in str(exc.value)
    assert len(responses.calls) == 1


@responses.activate
def test_a_429_for_the_day_stops_the_run_as_budget_exhausted() -> None:
    url = f"{BASE}/api/v1/1/{PAYMENT_TERMS.path}"
    responses.get(
        url,
        status=429,
        headers=_headers(10, 0, NOW),
        json={"error": {"message": {"value": "API rate limit exceeded."}}},
    )
    tokens: Any = _StaticTokens()
    client = ExactClient(tokens, BASE, ManualClock(NOW))
    with pytest.raises(ExactApiError) as exc:
        client.rows(1, PAYMENT_TERMS)
    assert exc.value.kind is ErrorKind.BUDGET_EXHAUSTED
    assert len(responses.calls) == 1


def test_the_token_manager_for_exact_refreshes_thirty_seconds_before_expiry() -> None:
    from adapters.exact.auth import REFRESH_LEEWAY_SECONDS

    assert 600 - REFRESH_LEEWAY_SECONDS >= 570
    # (the leeway reaches the TokenManager through adapters.exact.adapter.exact_token_manager)


def test_an_accounts_postal_address_is_street_postcode_city_and_a_foreign_country() -> None:
    from adapters.exact.mapping import account_address

    assert (
        account_address(
            {
                "AddressLine1": "Havenkade 12",
                "Postcode": "3011 AB",
                "City": "Rotterdam",
                "Country": "NL ",
            }
        )
        == "Havenkade 12\n3011 AB Rotterdam"
    )
    assert (
        account_address(
            {
                "AddressLine1": "Rue Neuve 1",
                "Postcode": "1000",
                "City": "Bruxelles",
                "Country": "BE",
            }
        )
        == "Rue Neuve 1\n1000 Bruxelles\nBE"
    )
    assert account_address({"AddressLine1": None, "City": "Utrecht"}) is None
