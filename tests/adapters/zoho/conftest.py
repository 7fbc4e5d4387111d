"""Fixtures for the Zoho adapter tests: doc-shaped JSON builders, a ManualClock, a token store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from fake_store import MemoryTokenStore
from zoho_fixtures import ACCESS, ACCOUNTS, API, CLIENT_SECRET, ORG, REFRESH, START

from adapters.zoho.adapter import ZohoLedger
from adapters.zoho.auth import zoho_refresher
from adapters.zoho.client import ZohoClient
from connector.auth.tokens import TokenManager
from connector.domain.clock import ManualClock
from connector.http import limiter as http_limiter
from connector.http import make_http


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    http_limiter._local.clear()
    yield
    http_limiter._local.clear()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store() -> MemoryTokenStore:
    s = MemoryTokenStore()
    s.put_initial(
        "acme",
        "default",
        "zoho",
        refresh_token=REFRESH,
        access_token=ACCESS,
        expires_at=START + timedelta(minutes=30),
        api_domain="https://www.zohoapis.eu",
        now=START,
    )
    return s


@pytest.fixture
def tokens(store: Any, clock: ManualClock) -> TokenManager:
    accounts = make_http(clock=clock, name="zoho-accounts")
    refresher = zoho_refresher(accounts, ACCOUNTS, "1000.CLIENTID", CLIENT_SECRET)
    return TokenManager(store, "acme", "default", "zoho", refresher, clock, owner="test")


@pytest.fixture
def client(tokens: TokenManager, clock: ManualClock) -> ZohoClient:
    return ZohoClient.create(tokens=tokens, api_base=API, organization_id=ORG, clock=clock)


@pytest.fixture
def ledger(client: ZohoClient, clock: ManualClock) -> ZohoLedger:
    return ZohoLedger(client, tenant="acme", timezone="Europe/Amsterdam", clock=clock)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
