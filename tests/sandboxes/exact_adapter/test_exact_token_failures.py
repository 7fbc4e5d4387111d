"""Token failures an Exact connection survives (in one process, over HTTP to the sandbox).

* A refresh that never left this machine (refused, no such host, TLS handshake) is definite:
  the marker is cleared and the stored token is used again at once.
* A refresh that may have reached Exact (the connection closed after the request, a 5xx
  without an OAuth answer) is unknown: the stored token is tried again only after Exact's
  570-second rule, once; "Old refresh token used." then means consent, and no loop.
* An answer the database does not take is retried, kept in an fsynced encrypted local file and
  committed from there at the next start, before any refresh.
"""

from __future__ import annotations

import socket
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from cryptography.fernet import Fernet
from exact_world import ExactWorld, make_world
from sqlalchemy import Engine, event

from adapters.exact.adapter import exact_token_manager
from adapters.exact.auth import INTENT_KEY, Hook, token_url
from connector.auth.spool import TokenSpool
from connector.auth.tokens import (
    ConsentNeeded,
    Refresher,
    TokenCommitDeferred,
    TokenEndpointError,
    TokenRefreshUnknown,
)
from connector.store.crypto import Cipher
from connector.store.db import make_engine, migrate
from connector.store.tokens import TokenRepository
from sandboxes.exact import Limits


def _due(world: ExactWorld) -> None:
    world.clock.advance(timedelta(seconds=31))  # the stored access token is due for a refresh


def _marker(world: ExactWorld) -> Any:
    record = world.tokens.get("acme")
    assert record is not None
    return record.extra.get(INTENT_KEY)


def _closing_server() -> Iterator[int]:
    """A loopback server that reads the request and closes without answering."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def run() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.close()

    threading.Thread(target=run, daemon=True).start()
    yield srv.getsockname()[1]
    srv.close()


@pytest.fixture
def closing_port() -> Iterator[int]:
    yield from _closing_server()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "where",
    ["refused", "no such host", "TLS handshake"],
)
def test_a_refresh_that_never_left_the_machine_is_definite_and_the_chain_stays_usable(
    world: ExactWorld, where: str
) -> None:
    stored = world.tokens.get("acme")
    assert stored is not None
    base = {
        "refused": f"http://127.0.0.1:{_free_port()}",
        "no such host": "http://exact-token-host.invalid",
        "TLS handshake": world.server.url.replace("http://", "https://"),
    }[where]
    _due(world)
    # model_copy: the configuration would refuse these hosts; the token code must cope anyway
    broken = exact_token_manager(
        world.settings().model_copy(update={"base_url": base}),
        world.tokens,
        tenant="acme",
        clock=world.clock,
    )
    with pytest.raises(TokenEndpointError) as failed:
        broken.access_token()
    assert failed.value.kind == "other" and "nothing was sent" in str(failed.value)
    assert _marker(world) is None, "a definite failure must clear the in-flight marker"
    assert world.state.stats.token_calls == 0

    # the very next attempt refreshes with the same stored token, no 570-second wait
    tokens = exact_token_manager(world.settings(), world.tokens, tenant="acme", clock=world.clock)
    access = tokens.access_token()
    assert world.state.authenticate(f"Bearer {access}").user_id == world.user_id
    assert world.state.stats.token_calls == 1
    after = world.tokens.get("acme")
    assert after is not None and after.refresh_token != stored.refresh_token
    assert world.state.refresh_token_state(after.refresh_token) == "live"


def test_a_connection_closed_after_the_request_was_sent_is_an_unknown_outcome(
    world: ExactWorld, closing_port: int
) -> None:
    _due(world)
    tokens = exact_token_manager(
        world.settings(base_url=f"http://127.0.0.1:{closing_port}"),
        world.tokens,
        tenant="acme",
        clock=world.clock,
    )
    with pytest.raises(TokenRefreshUnknown):
        tokens.access_token()
    assert _marker(world) is not None, "Exact may have answered: the marker must stay"


@responses.activate
def test_a_5xx_without_an_oauth_answer_is_unknown_and_one_with_an_oauth_error_is_definite(
    world: ExactWorld,
) -> None:
    base = "https://start.exactonline.example"
    _due(world)
    responses.add(responses.POST, token_url(base), status=503, body=b"")
    tokens = exact_token_manager(
        world.settings().model_copy(update={"base_url": base}),
        world.tokens,
        tenant="acme",
        clock=world.clock,
    )
    with pytest.raises(TokenRefreshUnknown):
        tokens.access_token()
    assert _marker(world) is not None

    world.tokens.set_extra("acme", "default", {INTENT_KEY: None}, world.clock.now())
    responses.replace(responses.POST, token_url(base), status=500, json={"error": "server_error"})
    with pytest.raises(TokenEndpointError) as refused:
        tokens.access_token()
    assert refused.value.kind == "other"
    assert _marker(world) is None


class AnswerLost(Exception):
    """Stands for the process dying between Exact's answer and the commit."""


def _lose_answer(point: str) -> None:
    if point == "after_response":
        raise AnswerLost


def _lose_one_answer(world: ExactWorld) -> None:
    losing = exact_token_manager(
        world.settings(), world.tokens, tenant="acme", clock=world.clock, hook=_lose_answer
    )
    with pytest.raises(AnswerLost):
        losing.access_token()
    assert world.state.stats.token_calls == 1


def test_after_an_unknown_outcome_nothing_is_sent_until_the_570_second_rule_has_passed(
    world: ExactWorld,
) -> None:
    stored = world.tokens.get("acme")
    assert stored is not None
    _due(world)
    _lose_one_answer(world)
    tokens = exact_token_manager(world.settings(), world.tokens, tenant="acme", clock=world.clock)
    for wait in (120, 300, 170):  # 590 s after the lost request: still inside the rule + timeout
        world.clock.advance(timedelta(seconds=wait))
        with pytest.raises(TokenEndpointError) as waiting:
            tokens.access_token()
        assert waiting.value.kind == "throttled" and "570-second" in str(waiting.value)
    assert world.state.stats.token_calls == 1, "a refresh was sent inside the 570-second rule"
    record = world.tokens.get("acme")
    assert record is not None and record.state == "ok"
    assert record.refresh_token == stored.refresh_token

    world.clock.advance(timedelta(seconds=15))
    access = tokens.access_token()
    assert world.state.stats.token_calls == 2, "the stored token is tried exactly once"
    assert world.state.authenticate(f"Bearer {access}").user_id == world.user_id
    assert world.state.stats.token_errors.get("unauthorized_client", 0) == 0


@pytest.fixture
def retiring_world(sqlite_engine: Engine, cipher: Cipher) -> Iterator[ExactWorld]:
    """Exact retiring a refresh token the moment its successor is issued."""
    w = make_world(sqlite_engine, cipher, limits=Limits(rotation="immediate"))
    w.connect()
    yield w
    w.server.stop()


def test_when_the_one_retry_meets_old_refresh_token_used_the_client_needs_consent_and_it_stops(
    retiring_world: ExactWorld,
) -> None:
    world = retiring_world
    _due(world)
    _lose_one_answer(world)
    world.clock.advance(timedelta(seconds=601))
    tokens = exact_token_manager(world.settings(), world.tokens, tenant="acme", clock=world.clock)
    with pytest.raises(ConsentNeeded):
        tokens.access_token()
    record = world.tokens.get("acme")
    assert record is not None and record.state == "consent_needed"
    assert "Old refresh token used" in (record.state_reason or "")
    for _ in range(3):  # later runs do not send the spent token again
        world.clock.advance(timedelta(hours=1))
        with pytest.raises(ConsentNeeded):
            tokens.access_token()
    assert world.state.stats.token_calls == 2
    assert world.state.stats.token_errors["unauthorized_client"] == 1


# -- the database does not take the answer ------------------------------------------------------
@pytest.fixture
def impatient_repo(sqlite_url: str, cipher: Cipher, tmp_path: Path) -> Iterator[TokenRepository]:
    """The real store on SQLite, giving up on a locked database after 0.1 s (not 30 s)."""
    engine = make_engine(sqlite_url)
    migrate(engine)

    def short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=100")

    event.listen(engine, "connect", short_busy_timeout)
    engine.dispose()
    yield TokenRepository(engine, cipher, TokenSpool(tmp_path / "token-spool", cipher))
    engine.dispose()


class Locked:
    """Another writer holding SQLite's write lock (the database refuses every commit)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def __enter__(self) -> Locked:
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *_: object) -> None:
        self.conn.execute("ROLLBACK")


def _world_on(repo: TokenRepository, engine: Engine, cipher: Cipher) -> ExactWorld:
    w = make_world(engine, cipher)
    w.tokens = repo
    w.connect()
    return w


def test_an_answer_the_database_refuses_is_kept_in_a_local_file_and_committed_at_the_next_start(
    impatient_repo: TokenRepository, cipher: Cipher, sqlite_url: str
) -> None:
    world = _world_on(impatient_repo, impatient_repo.engine, cipher)
    try:
        stored = world.tokens.get("acme")
        assert stored is not None and impatient_repo.spool is not None
        _due(world)
        tokens = exact_token_manager(
            world.settings(), world.tokens, tenant="acme", clock=world.clock, commit_patience=5
        )

        def lock_after_answer(point: str) -> None:
            if point == "after_response":
                locked.__enter__()

        locked = Locked(sqlite_url.removeprefix("sqlite:///"))
        tokens.refresher = _with_hook(world, lock_after_answer)
        with pytest.raises(TokenCommitDeferred):
            tokens.access_token()
        slept = sum(world.clock.slept)
        assert 4 <= slept <= 6, f"the commit was retried for {slept} s, not about 5 s"
        files = list(impatient_repo.spool.folder.glob("*.token"))
        assert len(files) == 1
        assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
        assert stat.S_IMODE(impatient_repo.spool.folder.stat().st_mode) == 0o700
        text = files[0].read_text()
        assert stored.refresh_token not in text and "refresh_token" not in text  # encrypted
        locked.__exit__()

        # the next start: the answer is committed from the file, nothing is sent to Exact
        calls = world.state.stats.token_calls
        world.clock.advance(timedelta(seconds=60))
        fresh = exact_token_manager(
            world.settings(), world.tokens, tenant="acme", clock=world.clock
        )
        access = fresh.access_token()
        assert world.state.stats.token_calls == calls
        assert world.state.authenticate(f"Bearer {access}").user_id == world.user_id
        after = world.tokens.get("acme")
        assert after is not None and after.version == stored.version + 1
        assert world.state.refresh_token_state(after.refresh_token) == "live"
        assert not list(impatient_repo.spool.folder.glob("*.token"))
        reasons = [reason for reason, _ in world.tokens.journaled("acme")]
        assert "recovered from local token file" in reasons
    finally:
        world.server.stop()


def test_a_commit_that_succeeds_within_the_retry_time_leaves_no_local_file(
    impatient_repo: TokenRepository, cipher: Cipher, sqlite_url: str
) -> None:
    world = _world_on(impatient_repo, impatient_repo.engine, cipher)
    try:
        assert impatient_repo.spool is not None
        _due(world)
        locked = Locked(sqlite_url.removeprefix("sqlite:///"))
        tokens = exact_token_manager(
            world.settings(), world.tokens, tenant="acme", clock=world.clock, commit_patience=30
        )

        def lock_after_response(point: str) -> None:
            if point == "after_response":
                locked.__enter__()

        tokens.refresher = _with_hook(world, lock_after_response)
        real_sleep = world.clock.sleep

        def sleep_then_unlock(seconds: float) -> None:
            real_sleep(seconds)
            if sum(world.clock.slept) > 1 and locked.conn.in_transaction:
                locked.__exit__()

        world.clock.sleep = sleep_then_unlock  # type: ignore[method-assign]
        access = tokens.access_token()
        assert world.state.authenticate(f"Bearer {access}").user_id == world.user_id
        assert not list(impatient_repo.spool.folder.glob("*.token"))
        record = world.tokens.get("acme")
        assert (
            record is not None and world.state.refresh_token_state(record.refresh_token) == "live"
        )
    finally:
        world.server.stop()


def _with_hook(world: ExactWorld, hook: Hook) -> Refresher:
    from adapters.exact.adapter import exact_token_manager as build

    return build(
        world.settings(), world.tokens, tenant="acme", clock=world.clock, hook=hook
    ).refresher


def test_a_local_token_file_for_a_token_that_moved_on_is_set_aside_not_applied(
    impatient_repo: TokenRepository, cipher: Cipher
) -> None:
    world = _world_on(impatient_repo, impatient_repo.engine, cipher)
    try:
        assert impatient_repo.spool is not None
        stored = world.tokens.get("acme")
        assert stored is not None
        impatient_repo.spool.write(
            "acme",
            "default",
            {
                "access_token": "old-access",
                "refresh_token": "old-refresh",
                "expires_at": world.clock.now().isoformat(),
                "expected_version": stored.version - 1,
                "refreshed_from": "0" * 24,
            },
        )
        _due(world)
        tokens = exact_token_manager(
            world.settings(), world.tokens, tenant="acme", clock=world.clock
        )
        tokens.access_token()
        after = world.tokens.get("acme")
        assert after is not None and after.refresh_token != "old-refresh"
        assert not list(impatient_repo.spool.folder.glob("*.token"))
        assert any("stale" in reason for reason, _ in world.tokens.journaled("acme"))
    finally:
        world.server.stop()


def test_a_local_token_file_written_with_another_key_is_left_alone(tmp_path: Path) -> None:
    spool = TokenSpool(tmp_path, Cipher(Fernet.generate_key()))
    spool.write("acme", "default", {"refresh_token": "x"})
    other = TokenSpool(tmp_path, Cipher(Fernet.generate_key()))
    assert other.pending("acme", "default") == []
    assert len(list(tmp_path.glob("*.token"))) == 1
