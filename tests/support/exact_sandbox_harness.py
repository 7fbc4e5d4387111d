"""Helpers and fixtures for the Exact Online sandbox tests (imported by conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from sandboxes.exact import (
    DemoInfo,
    ExactRouter,
    ExactState,
    SandboxClock,
    TokenSet,
    make_app,
    seed_demo,
)
from sandboxes.kit import LoopbackServer

START = datetime(2025, 3, 3, 8, 0, 30, tzinfo=UTC)  # a Monday, 09:00:30 in Amsterdam


@dataclass
class Exact:
    clock: SandboxClock
    state: ExactState
    app: ExactRouter
    url: str
    info: DemoInfo
    tokens: TokenSet

    @property
    def division(self) -> int:
        return self.info.division

    def headers(self, tokens: TokenSet | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {(tokens or self.tokens).access_token}",
            "Accept": "application/json",
        }

    def get(self, path: str, params: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", None) or self.headers()
        return requests.get(
            f"{self.url}/api/v1/{path}", params=params, headers=headers, timeout=10, **kw
        )

    def post(self, path: str, body: dict[str, Any], **kw: Any) -> requests.Response:
        headers = {**self.headers(), "Prefer": "return=representation"}
        return requests.post(
            f"{self.url}/api/v1/{path}", json=body, headers=headers, timeout=10, **kw
        )

    def token(self, **form: str) -> requests.Response:
        form = {"client_id": self.info.client_id, "client_secret": self.info.client_secret, **form}
        return requests.post(f"{self.url}/api/oauth2/token", data=form, timeout=10)

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.token(grant_type="refresh_token", refresh_token=refresh_token)


Serve = Callable[[ExactState], tuple[ExactRouter, str]]


class _Swappable:
    """One loopback server for the whole session; each test plugs in a fresh sandbox app
    (stopping a server costs half a second of polling)."""

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

    def plug(state: ExactState) -> tuple[ExactRouter, str]:
        holder, url = loopback
        holder.app = make_app(state)
        return holder.app, url

    return plug


@pytest.fixture
def exact(serve: Serve) -> Exact:
    clock = SandboxClock(START)
    state = ExactState(clock.now)
    info = seed_demo(state, seed=7)
    tokens = state.issue_tokens_for_tests(info.client_id, info.user_id)
    app, url = serve(state)
    return Exact(clock, state, app, url, info, tokens)
