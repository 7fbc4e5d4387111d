"""Helpers and fixtures for the Zoho Books sandbox tests (imported by conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from sandboxes.kit import LoopbackServer
from sandboxes.zoho import (
    DemoInfo,
    SandboxClock,
    TokenSet,
    ZohoRouter,
    ZohoState,
    demo_tokens,
    make_app,
    seed_demo,
)

START = datetime(2026, 1, 5, 8, 0, 30, tzinfo=UTC)  # a Monday, 09:00:30 in Amsterdam


@dataclass
class Zoho:
    clock: SandboxClock
    state: ZohoState
    app: ZohoRouter
    url: str
    info: DemoInfo
    tokens: TokenSet

    @property
    def org(self) -> str:
        return self.info.organization_id

    def headers(self, tokens: TokenSet | None = None) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {(tokens or self.tokens).access_token}"}

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", None) or self.headers()
        query = {"organization_id": self.org, **(params or {})}
        return requests.get(
            f"{self.url}/books/v3{path}", params=query, headers=headers, timeout=10, **kw
        )

    def post(
        self, path: str, body: Any = None, params: dict[str, Any] | None = None, **kw: Any
    ) -> requests.Response:
        headers = kw.pop("headers", None) or self.headers()
        query = {"organization_id": self.org, **(params or {})}
        return requests.post(
            f"{self.url}/books/v3{path}", params=query, json=body, headers=headers, timeout=10, **kw
        )

    def token(self, **form: str) -> requests.Response:
        form = {"client_id": self.info.client_id, "client_secret": self.info.client_secret, **form}
        return requests.post(f"{self.url}/oauth/v2/token", data=form, timeout=10)

    def control(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return requests.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=10, **kw)

    def open_invoice(self, status: str = "overdue") -> str:
        """The id of a demo invoice with this status, full balance and no reminders yet."""
        od = self.state.data(self.org)
        today = od.today(self.clock.now())
        return next(
            i.invoice_id
            for i in od.invoices.values()
            if i.status(today) == status and i.reminders_sent == 0
        )


Serve = Callable[[ZohoState], tuple[ZohoRouter, str]]


class _Swappable:
    """One loopback server for the whole session; each test plugs in a fresh sandbox app."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def loopback() -> Iterator[tuple[_Swappable, str]]:
    holder = _Swappable()
    with LoopbackServer(holder) as server:
        yield holder, server.url


@pytest.fixture
def serve(loopback: tuple[_Swappable, str]) -> Serve:
    """`app, url = serve(state)`: the sandbox for `state` on the shared loopback server."""

    def plug(state: ZohoState) -> tuple[ZohoRouter, str]:
        holder, url = loopback
        holder.app = make_app(state)
        return holder.app, url

    return plug


@pytest.fixture
def zoho(serve: Serve) -> Zoho:
    clock = SandboxClock(START)
    state = ZohoState(clock.now)
    info = seed_demo(state, seed=7)
    app, url = serve(state)
    tokens = demo_tokens(state, info, api_domain=url)
    return Zoho(clock, state, app, url, info, tokens)
