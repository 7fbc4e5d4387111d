"""Killing the connector (SIGKILL) around the token failures it must survive, on SQLite and on
PostgreSQL (when DUNNING_TEST_POSTGRES_URL is set).

The sandbox retires a refresh token the moment its successor is issued (``immediate``) and the
client file says so too: the strictest case, where a lost answer can only be made good by the
answer itself. So every "carry on" below proves that the answer was kept, not that the old token
happened to still work.

* The process dies after Exact's answer and before the commit while the disk works: the next
  process commits the answer from the local token file and asks Exact for nothing.
* The database refuses the commit (another writer holds its lock) and the process dies while
  retrying, or gives up: the same, once the database is back.
* PostgreSQL only: the row update is refused but the journal takes the answer; a process on
  another machine (another local folder) recovers it from the journal.
* A refresh that never left the machine (connection refused) leaves the chain usable: the next
  process refreshes at once with the stored token.
* The process dies with Exact's answer (before the local file): the next processes send nothing
  until the 570-second rule has passed (their clocks run ahead, no real wait), then try the
  stored token once; "Old refresh token used." ends in "consent needed", with no further try.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import Connection, Engine, event, text, update

from adapters.exact.adapter import exact_token_manager
from adapters.exact.settings import ExactSettings
from connector.auth.spool import TokenSpool
from connector.domain.clock import ShiftedClock, SystemClock
from connector.store.crypto import Cipher
from connector.store.db import is_sqlite, session_scope
from connector.store.models import OAuthToken
from connector.store.tokens import TokenRepository
from sandboxes.exact import ExactState, Limits, make_app
from sandboxes.exact.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from sandboxes.kit import LoopbackServer

fork = multiprocessing.get_context("fork")


def _die(point: str, kill_at: str | None) -> None:
    if point == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)


class _KillingSpool(TokenSpool):
    def __init__(self, folder: Path, cipher: Cipher, kill_at: str | None) -> None:
        super().__init__(folder, cipher)
        self.kill_at = kill_at

    def write(self, tenant: str, connection: str, payload: Any) -> Path:
        path = super().write(tenant, connection, payload)
        _die("after_local_file", self.kill_at)
        return path


class _KillingRepo(TokenRepository):
    attempts = 0

    def commit_refresh(self, *args: Any, **kwargs: Any) -> bool:
        self.attempts += 1
        if self.attempts == 2:
            _die("while_retrying_the_commit", getattr(self.spool, "kill_at", None))
        return super().commit_refresh(*args, **kwargs)


def _impatient(engine: Engine) -> None:
    """Give up on a held lock after 0.1 s instead of waiting 30 s (the database 'refuses')."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cur = dbapi_connection.cursor()
        if is_sqlite(engine):
            cur.execute("PRAGMA busy_timeout=100")
        else:
            cur.execute("SET lock_timeout = '100ms'")
        cur.close()

    event.listen(engine, "connect", on_connect)


def _child(
    engine: Engine,
    key: bytes,
    settings: ExactSettings,
    folder: Path,
    kill_at: str | None,
    answered: Any,
    locked: Any,
    results: Any,
    later: float = 0.0,
) -> None:
    engine.dispose(close=False)  # fresh connections in the forked process
    _impatient(engine)
    cipher = Cipher(key)
    repo = _KillingRepo(engine, cipher, _KillingSpool(folder, cipher, kill_at))

    def hook(point: str) -> None:
        if point == "after_response" and answered is not None:
            answered.set()  # the test now makes the database refuse writes
            locked.wait(10)
        _die(point, kill_at)

    tokens = exact_token_manager(
        settings,
        repo,
        tenant="acme",
        clock=ShiftedClock(datetime.now(UTC) + timedelta(seconds=later))
        if later
        else SystemClock(),
        hook=hook,
        commit_patience=0.5,
        lease_ttl=0.3,  # a killed holder's lease runs out quickly
    )
    tokens.poll_interval = 0.05
    try:
        access = tokens.access_token()
    except Exception as exc:  # reported to the test, which names it
        results.put((type(exc).__name__, None))
        return
    finally:
        engine.dispose()
    answer = requests.get(
        f"{settings.effective_base_url}/api/v1/current/Me",
        headers={"Authorization": f"Bearer {access}", "Accept": "application/json"},
        timeout=10,
    )
    results.put(("ok" if answer.status_code == 200 else f"HTTP {answer.status_code}", access))


class Rig:
    def __init__(self, engine: Engine, tmp: Path) -> None:
        self.engine = engine
        self.key = Fernet.generate_key()
        self.repo = TokenRepository(engine, Cipher(self.key))
        self.state = ExactState(
            lambda: datetime.now(UTC),
            Limits(refresh_min_interval=0, token_daily=100_000, rotation="immediate"),
        )
        self.state.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [])
        self.user = self.state.add_user_with_divisions("boekhouder", [1234567])
        self.server = LoopbackServer(make_app(self.state)).start()
        self.folder = tmp / "token-spool"
        self.settings = self.exact_settings(self.server.url)
        self.lock: Connection | None = None

    def exact_settings(self, base_url: str, rotation: str = "immediate") -> ExactSettings:
        return ExactSettings.model_validate(
            {
                "base_url": base_url,
                "division": 1234567,
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "refresh_rotation": rotation,
            }
        )

    def consent(self) -> None:
        t = self.state.issue_tokens_for_tests(DEMO_CLIENT_ID, self.user.id)
        now = datetime.now(UTC)
        self.repo.put_initial(
            "acme", "default", "exact", refresh_token=t.refresh_token, access_token=t.access_token,
            expires_at=now, now=now,
        )  # fmt: skip

    def expire(self) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(OAuthToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )

    def refuse_writes(self) -> None:
        """Another writer holds the lock the token update needs (SQLite: the database's write
        lock; PostgreSQL: the token table, so the journal can still take an insert)."""
        self.lock = self.engine.connect()
        if is_sqlite(self.engine):
            self.lock.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock
        else:
            self.lock.execute(text("LOCK TABLE oauth_token IN EXCLUSIVE MODE"))

    def accept_writes(self) -> None:
        if self.lock is not None:
            self.lock.rollback()
            self.lock.close()
            self.lock = None

    def run(
        self,
        kill_at: str | None = None,
        *,
        refuse: bool = False,
        folder: Path | None = None,
        settings: ExactSettings | None = None,
        later: float = 0.0,
    ) -> tuple[int | None, Any]:
        results = fork.Queue()
        answered = fork.Event() if refuse else None
        locked = fork.Event() if refuse else None
        p = fork.Process(
            target=_child,
            args=(
                self.engine,
                self.key,
                settings or self.settings,
                folder or self.folder,
                kill_at,
                answered,
                locked,
                results,
                later,
            ),
        )
        p.start()
        try:
            if answered is not None and locked is not None:
                assert answered.wait(20), "the child never got Exact's answer"
                self.refuse_writes()
                locked.set()
            p.join(30)
        finally:
            self.accept_writes()
            if p.is_alive():
                p.kill()
                p.join()
        outcome = results.get(timeout=5) if p.exitcode == 0 else None
        return p.exitcode, outcome

    def stored_token_is_live(self) -> bool:
        record = self.repo.get("acme")
        assert record is not None
        return self.state.refresh_token_state(record.refresh_token) == "live"

    def local_files(self, folder: Path | None = None) -> list[Path]:
        return sorted((folder or self.folder).glob("*.token"))


@pytest.fixture
def rig(engine: Engine, tmp_path: Path) -> Iterator[Rig]:
    r = Rig(engine, tmp_path)
    r.consent()
    yield r
    r.accept_writes()
    r.server.stop()


def _carry_on_without_asking_exact(rig: Rig) -> None:
    calls = rig.state.stats.token_calls
    exitcode, outcome = rig.run()
    assert exitcode == 0 and outcome is not None and outcome[0] == "ok", outcome
    assert rig.state.stats.token_calls == calls, "the kept answer was not used"
    assert rig.stored_token_is_live(), "the refresh token chain was lost"
    assert rig.local_files() == []
    record = rig.repo.get("acme")
    assert record is not None and record.state == "ok"
    assert rig.state.stats.token_errors.get("unauthorized_client", 0) == 0


def test_killed_after_the_answer_and_before_the_commit_the_next_process_commits_the_kept_answer(
    rig: Rig,
) -> None:
    for _ in range(2):
        rig.expire()
        exitcode, _ = rig.run(kill_at="after_local_file")
        assert exitcode == -signal.SIGKILL
        assert len(rig.local_files()) == 1
        assert not rig.stored_token_is_live()  # Exact retired it when it answered
        _carry_on_without_asking_exact(rig)


def test_killed_while_the_database_refuses_the_commit_the_answer_is_recovered_from_the_local_file(
    rig: Rig,
) -> None:
    rig.expire()
    exitcode, _ = rig.run(kill_at="while_retrying_the_commit", refuse=True)
    assert exitcode == -signal.SIGKILL
    assert len(rig.local_files()) == 1
    _carry_on_without_asking_exact(rig)


def test_a_database_refusing_past_the_retry_time_defers_the_commit_to_the_next_start(
    rig: Rig,
) -> None:
    rig.expire()
    exitcode, outcome = rig.run(refuse=True)
    assert exitcode == 0 and outcome == ("TokenCommitDeferred", None)
    assert len(rig.local_files()) == 1
    _carry_on_without_asking_exact(rig)


def test_on_postgresql_another_machine_recovers_an_answer_from_the_journal(
    rig: Rig, tmp_path: Path
) -> None:
    if is_sqlite(rig.engine):
        pytest.skip("a locked SQLite database takes no journal insert either")
    rig.expire()
    exitcode, outcome = rig.run(refuse=True)
    assert exitcode == 0 and outcome == ("TokenCommitDeferred", None)
    calls = rig.state.stats.token_calls
    elsewhere = tmp_path / "another-machine"
    exitcode, outcome = rig.run(folder=elsewhere)
    assert exitcode == 0 and outcome is not None and outcome[0] == "ok", outcome
    assert rig.state.stats.token_calls == calls
    assert rig.stored_token_is_live()


def test_a_refresh_refused_before_anything_was_sent_leaves_the_chain_usable(
    rig: Rig,
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    for _ in range(2):
        rig.expire()
        exitcode, outcome = rig.run(settings=rig.exact_settings(closed))
        assert exitcode == 0 and outcome == ("TokenEndpointError", None)
        calls = rig.state.stats.token_calls
        exitcode, outcome = rig.run()  # at once: no marker to wait out
        assert exitcode == 0 and outcome is not None and outcome[0] == "ok", outcome
        assert rig.state.stats.token_calls == calls + 1
        assert rig.stored_token_is_live()
        record = rig.repo.get("acme")
        assert record is not None and record.state == "ok"


def test_killed_with_the_answer_lost_the_next_processes_wait_out_the_570_second_rule_then_try_once(
    rig: Rig,
) -> None:
    """The client file expects rotation on first use, but this Exact retired the stored token
    when it issued the lost pair: the one retry meets "Old refresh token used.", and then the
    connection says "consent needed" instead of trying again."""
    settings = rig.exact_settings(rig.server.url, rotation="on_first_use")
    rig.expire()
    exitcode, _ = rig.run(kill_at="after_response", settings=settings)
    assert exitcode == -signal.SIGKILL and rig.local_files() == []  # died before the file
    assert rig.state.stats.token_calls == 1
    for later in (90, 400):  # inside the 570-second rule (+ the read timeout): nothing is sent
        exitcode, outcome = rig.run(settings=settings, later=later)
        assert exitcode == 0 and outcome == ("TokenEndpointError", None), outcome
        assert rig.state.stats.token_calls == 1, f"{later} s after the lost answer: a refresh"
    exitcode, outcome = rig.run(settings=settings, later=620)
    assert exitcode == 0 and outcome == ("ConsentNeeded", None), outcome
    assert rig.state.stats.token_calls == 2
    assert rig.state.stats.token_errors["unauthorized_client"] == 1
    record = rig.repo.get("acme")
    assert record is not None and record.state == "consent_needed"
    assert "Old refresh token used" in (record.state_reason or "")
    exitcode, outcome = rig.run(settings=settings, later=4000)  # the next hour: no loop
    assert exitcode == 0 and outcome == ("ConsentNeeded", None), outcome
    assert rig.state.stats.token_calls == 2
