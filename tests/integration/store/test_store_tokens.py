"""Tokens at rest: encrypted, leased, compare-and-swapped, never lost (real SQLite/PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from adapters.zoho.auth import zoho_refresher  # noqa: F401  (import check: adapters load)
from connector.auth.tokens import TokenManager, TokenResponse
from connector.domain.clock import ManualClock
from connector.store.crypto import Cipher, CipherError, generate_key_file
from connector.store.tokens import TokenRepository

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_tokens_are_stored_encrypted(engine: Engine, cipher: Cipher) -> None:
    repo = TokenRepository(engine, cipher)
    repo.put_initial(
        "acme",
        "default",
        "zoho",
        refresh_token="1000.refresh-secret-value",
        access_token="1000.access-secret-value",
        now=NOW,
    )
    with engine.connect() as conn:
        raw = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM oauth_token")) for v in row
        )
    assert "refresh-secret-value" not in raw and "access-secret-value" not in raw
    record = repo.get("acme")
    assert record is not None and record.refresh_token == "1000.refresh-secret-value"
    assert "secret-value" not in repr(record)


def test_a_wrong_key_is_a_clear_error(engine: Engine, cipher: Cipher) -> None:
    TokenRepository(engine, cipher).put_initial(
        "acme", "default", "zoho", refresh_token="r" * 20, now=NOW
    )
    from cryptography.fernet import Fernet

    other = TokenRepository(engine, Cipher(Fernet.generate_key()))
    with pytest.raises(CipherError, match="cannot be decrypted"):
        other.get("acme")


def test_the_refresh_lease_admits_one_holder_until_it_expires(
    engine: Engine, cipher: Cipher
) -> None:
    repo = TokenRepository(engine, cipher)
    repo.put_initial("acme", "default", "zoho", refresh_token="r" * 20, now=NOW)
    assert repo.try_lease("acme", "default", "a", NOW, 30)
    assert not repo.try_lease("acme", "default", "b", NOW + timedelta(seconds=10), 30)
    assert repo.try_lease("acme", "default", "b", NOW + timedelta(seconds=31), 30)


def test_commit_is_compare_and_swap_and_a_lost_race_is_journaled(
    engine: Engine, cipher: Cipher
) -> None:
    repo = TokenRepository(engine, cipher)
    record = repo.put_initial("acme", "default", "exact", refresh_token="old-refresh-1", now=NOW)
    ok = repo.commit_refresh(
        "acme",
        "default",
        expected_version=record.version,
        owner="a",
        refresh_token="new-refresh-2",
        access_token="acc-2",
        expires_at=NOW + timedelta(minutes=10),
        now=NOW,
    )
    assert ok
    stale = repo.commit_refresh(
        "acme",
        "default",
        expected_version=record.version,
        owner="b",
        refresh_token="new-refresh-3",
        access_token="acc-3",
        expires_at=NOW + timedelta(minutes=10),
        now=NOW,
    )
    assert not stale
    current = repo.get("acme")
    assert current is not None and current.refresh_token == "new-refresh-2"
    repo.journal("acme", "default", {"refresh_token": "new-refresh-3"}, "version moved", NOW)
    assert repo.journaled("acme") == [("version moved", {"refresh_token": "new-refresh-3"})]


def test_many_threads_refresh_a_rotating_token_exactly_once(engine: Engine, cipher: Cipher) -> None:
    """The TokenManager recipe on the real store: 6 threads, one refresh, everyone served."""
    repo = TokenRepository(engine, cipher)
    repo.put_initial(
        "acme",
        "default",
        "exact",
        refresh_token="rt-0",
        access_token="at-0",
        expires_at=NOW + timedelta(seconds=5),
        now=NOW,
    )
    calls: list[str] = []
    lock = threading.Lock()

    def refresher(refresh_token: str) -> TokenResponse:
        with lock:
            calls.append(refresh_token)
            n = len(calls)
        return TokenResponse(access_token=f"at-{n}", expires_in=600, refresh_token=f"rt-{n}")

    class WaitsForReal(ManualClock):
        """Frozen time whose waits really wait: a ManualClock's sleep would let the five waiting
        threads spin its time past the holder's 30 s lease while the holder is still refreshing
        (a starved thread, not a slow refresh), which no real clock does."""

        def sleep(self, seconds: float) -> None:
            time.sleep(min(seconds, 0.01))

    clock = WaitsForReal(NOW)
    got: list[str] = []

    def worker() -> None:
        manager = TokenManager(repo, "acme", "default", "exact", refresher, clock)
        got.append(manager.access_token())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["rt-0"], f"refresh token used {len(calls)} times: {calls}"
    assert got == ["at-1"] * 6
    record = repo.get("acme")
    assert record is not None and record.refresh_token == "rt-1"


def test_key_file_is_created_0600_and_never_overwritten(tmp_path: Path) -> None:
    key = tmp_path / "secret.key"
    assert generate_key_file(key)
    assert key.stat().st_mode & 0o777 == 0o600
    before = key.read_text()
    assert not generate_key_file(key)
    assert key.read_text() == before
    Cipher.from_settings(key, {})
    key.chmod(0o644)
    with pytest.raises(CipherError, match="readable by others"):
        Cipher.from_settings(key, {})
    with pytest.raises(CipherError, match="DUNNING_SECRET_KEY"):
        Cipher.from_settings(tmp_path / "missing.key", {})
