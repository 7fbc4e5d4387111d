"""Helpers and fixtures for the Moneybird sandbox tests (imported by their conftest.py): the fake
on one loopback server for the session, a fresh seeded state per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from sandboxes.kit import LoopbackServer
from sandboxes.moneybird import (
    DemoInfo,
    Limits,
    MoneybirdRouter,
    MoneybirdState,
    SandboxClock,
    Token,
    make_app,
    seed_demo,
)

START = datetime(2026, 1, 5, 8, 0, 30, tzinfo=UTC)  # a Monday, 09:00:30 in Amsterdam


@dataclass
class Moneybird:
    clock: SandboxClock
    state: MoneybirdState
    app: MoneybirdRouter
    url: str
    info: DemoInfo
    token: Token

    @property
    def administration(self) -> str:
        return self.info.administration_id

    def headers(self, token: Token | str | None = None) -> dict[str, str]:
        access = token if isinstance(token, str) else (token or self.token).access
        return {"Authorization": f"Bearer {access}"}

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> requests.Response:
        """``GET /api/v2/{administration}/{path}.json`` (`path` "administrations" has none)."""
        headers = kw.pop("headers", None) or self.headers()
        return requests.get(self.api(path), params=params, headers=headers, timeout=10, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", None) or self.headers()
        return requests.post(self.api(path), json=body, headers=headers, timeout=10, **kw)

    def delete(self, path: str) -> requests.Response:
        return requests.delete(self.api(path), headers=self.headers(), timeout=10)

    def api(self, path: str) -> str:
        if path == "administrations":
            return f"{self.url}/api/v2/administrations.json"
        return f"{self.url}/api/v2/{self.administration}/{path}.json"

    def token_call(self, **form: str) -> requests.Response:
        form = {"client_id": self.info.client_id, "client_secret": self.info.client_secret, **form}
        return requests.post(f"{self.url}/oauth/token", data=form, timeout=10)


class _Swappable:
    """One loopback server for the whole session; each test plugs in a fresh sandbox app."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


#: the session's loopback server: the app holder and its URL
Loopback = tuple[_Swappable, str]


@pytest.fixture(scope="session")
def mb_loopback() -> Iterator[Loopback]:
    holder = _Swappable()
    with LoopbackServer(holder) as server:
        yield holder, server.url


def open_moneybird(loopback: Loopback, limits: Limits | None = None, **seed: Any) -> Moneybird:
    clock = SandboxClock(START)
    state = MoneybirdState(clock.now, limits)
    info = seed_demo(state, seed=7, **seed)
    token = state.issue_tokens_for_tests(info.client_id, info.user_id)
    holder, url = loopback
    holder.app = make_app(state)
    return Moneybird(clock, state, holder.app, url, info, token)


@pytest.fixture
def moneybird(mb_loopback: Loopback) -> Moneybird:
    return open_moneybird(mb_loopback)
