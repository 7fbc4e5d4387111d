"""`dunning auth login` for Exact: consent on the sandbox, then an explicit division choice."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from exact_world import DIVISION, ExactWorld, make_world
from sqlalchemy import Engine

from adapters.exact.consent import login_exact
from connector.auth.login import LoginError
from connector.store.crypto import Cipher
from sandboxes.exact.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

OTHER = 7654321


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _login(
    world: ExactWorld, chosen: int | None, **settings: Any
) -> tuple[tuple[int, ...], list[str]]:
    port = _free_port()
    world.state.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [f"http://127.0.0.1:{port}/callback"])
    lines: list[str] = []
    followed = login_exact(
        "acme",
        world.settings(**settings),
        world.tokens,
        world.clock,
        division=chosen,
        open_browser=lambda url: requests.get(url, timeout=10),
        echo=lines.append,
        timeout=10,
        redirect_port=port,
    )
    return followed, lines


@pytest.fixture
def two_divisions(sqlite_engine: Engine, cipher: Cipher) -> Iterator[ExactWorld]:
    w = make_world(sqlite_engine, cipher, divisions=(DIVISION, OTHER))
    # the user last clicked the second division in Exact's web UI
    w.state.users[w.user_id].current_division = OTHER
    yield w
    w.server.stop()


def test_login_with_a_division_stores_tokens_and_never_uses_current_division(
    two_divisions: ExactWorld,
) -> None:
    followed, lines = _login(two_divisions, DIVISION, division=DIVISION, divisions=None)
    assert followed == (DIVISION,)
    record = two_divisions.tokens.get("acme")
    assert record is not None and record.extra["divisions"] == [DIVISION]
    listing = "\n".join(lines)
    assert str(OTHER) in listing and "not used by the connector" in listing


def test_a_division_the_user_cannot_reach_fails_with_the_listing(
    two_divisions: ExactWorld,
) -> None:
    with pytest.raises(LoginError) as exc:
        _login(two_divisions, 999, division=999, divisions=None)
    assert "not reachable" in str(exc.value)
    assert str(DIVISION) in str(exc.value) and str(OTHER) in str(exc.value)


def test_a_chosen_division_must_be_in_the_client_file(two_divisions: ExactWorld) -> None:
    with pytest.raises(LoginError, match="not in the client file"):
        _login(two_divisions, OTHER, division=DIVISION, divisions=None)


def test_one_client_file_may_follow_several_divisions_with_one_token(
    two_divisions: ExactWorld,
) -> None:
    followed, _ = _login(two_divisions, None)
    assert followed == (DIVISION, OTHER)
    assert len(two_divisions.tokens.connections("acme")) == 1
