"""Secrets at rest: a new key without a new consent (`dunning keys rotate`, resumable), and each
ciphertext bound to its client and kind, so a row swapped in the database is refused."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, text

from connector.auth.spool import TokenSpool
from connector.store.crypto import MAGIC, BindingError, Cipher, CipherError, generate_key_file
from connector.store.keyrotation import rotate_keys
from connector.store.tokens import TokenRepository

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLIENTS = ("acme", "beta", "gamma")


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.key"
    generate_key_file(path)
    return path


def _store(engine: Engine, cipher: Cipher) -> TokenRepository:
    repo = TokenRepository(engine, cipher)
    for slug in CLIENTS:
        repo.put_initial(
            slug,
            "default",
            "exact",
            refresh_token=f"refresh-of-{slug}-0123456789",
            access_token=f"access-of-{slug}-0123456789",
            now=NOW,
        )
        repo.journal(slug, "default", {"refresh_token": f"journaled-{slug}"}, "lost", NOW)
    return repo


def _all_readable(engine: Engine, cipher: Cipher) -> None:
    repo = TokenRepository(engine, cipher)
    for slug in CLIENTS:
        record = repo.get(slug)
        assert record is not None
        assert record.refresh_token == f"refresh-of-{slug}-0123456789"
        assert record.access_token == f"access-of-{slug}-0123456789"
        assert repo.journaled(slug) == [("lost", {"refresh_token": f"journaled-{slug}"})]


def _ciphertexts(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT refresh_token_enc, access_token_enc FROM oauth_token")
        ).all()
        journal = conn.execute(text("SELECT payload_enc FROM token_journal")).all()
    return [v for row in rows for v in row if v] + [r[0] for r in journal]


# -- binding ----------------------------------------------------------------------------------
def test_a_token_row_swapped_to_another_client_fails_naming_client_and_kind(
    engine: Engine, cipher: Cipher
) -> None:
    repo = _store(engine, cipher)
    with engine.begin() as conn:
        beta = conn.execute(
            text("SELECT refresh_token_enc FROM oauth_token WHERE tenant = 'beta'")
        ).scalar_one()
        conn.execute(
            text("UPDATE oauth_token SET refresh_token_enc = :v WHERE tenant = 'acme'"),
            {"v": beta},
        )
    with pytest.raises(BindingError) as caught:
        repo.get("acme")
    message = str(caught.value)
    assert "refresh_token/default of client 'acme'" in message
    assert "refresh_token/default of client 'beta'" in message
    assert "refresh-of-beta" not in message
    assert repo.get("beta") is not None, "the other client is unaffected"


def test_an_access_token_moved_into_the_refresh_column_is_refused(
    engine: Engine, cipher: Cipher
) -> None:
    repo = _store(engine, cipher)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE oauth_token SET refresh_token_enc = access_token_enc WHERE tenant = 'gamma'"
            )
        )
    with pytest.raises(BindingError, match="belongs to the access_token/default"):
        repo.get("gamma")


def test_tokens_stored_before_binding_still_read_and_rotation_binds_them(
    engine: Engine, key_file: Path
) -> None:
    cipher = Cipher.from_settings(key_file, {})
    repo = _store(engine, cipher)
    old = Fernet(key_file.read_text().strip())
    with engine.begin() as conn:  # as an older version wrote them: plain Fernet of the token
        conn.execute(
            text("UPDATE oauth_token SET refresh_token_enc = :v WHERE tenant = 'acme'"),
            {"v": old.encrypt(b"refresh-of-acme-0123456789").decode()},
        )
    record = repo.get("acme")
    assert record is not None and record.refresh_token == "refresh-of-acme-0123456789"

    assert rotate_keys(engine, key_file, {}).finished
    new = Fernet(key_file.read_text().strip())
    for value in _ciphertexts(engine):
        assert new.decrypt(value.encode()).startswith(MAGIC)


# -- rotation ---------------------------------------------------------------------------------
def test_rotation_re_encrypts_every_secret_and_drops_the_old_key(
    engine: Engine, key_file: Path, tmp_path: Path
) -> None:
    old_key = key_file.read_text().strip()
    running = Cipher.from_settings(key_file, {})  # a `serve` started before the rotation
    _store(engine, running)
    spool = TokenSpool(tmp_path / "spool", running)
    spool.write("acme", "default", {"refresh_token": "spooled-refresh-0123456789"})

    result = rotate_keys(engine, key_file, {}, spool_folder=tmp_path / "spool")

    assert result.finished and result.rewritten == 3 * 3 + 1
    new_key = key_file.read_text().strip()
    assert new_key != old_key and len(new_key.split()) == 1
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    for value in _ciphertexts(engine):
        with pytest.raises(InvalidToken):
            Fernet(old_key).decrypt(value.encode())
    _all_readable(engine, Cipher.from_settings(key_file, {}))
    _all_readable(engine, running)  # it read the changed key file
    assert running.encrypt("x") and Fernet(new_key).decrypt(running.encrypt("x").encode())
    assert [
        p["refresh_token"] for _, p in TokenSpool(tmp_path / "spool", running).everything()
    ] == ["spooled-refresh-0123456789"]


class Interrupted(BaseException):
    pass


def test_an_interrupted_rotation_leaves_every_secret_readable_and_a_rerun_finishes_it(
    engine: Engine, key_file: Path
) -> None:
    old_key = key_file.read_text().strip()
    _store(engine, Cipher.from_settings(key_file, {}))
    done: list[str] = []

    def kill_after_four(what: str) -> None:
        done.append(what)
        if len(done) == 4:
            raise Interrupted  # as a kill between two rows: each row is its own transaction

    with pytest.raises(Interrupted):
        rotate_keys(engine, key_file, {}, progress=kill_after_four)
    keys = key_file.read_text().split()
    assert len(keys) == 2 and keys[1] == old_key, "new key first, old key still accepted"
    _all_readable(engine, Cipher.from_settings(key_file, {}))  # half old, half new

    result = rotate_keys(engine, key_file, {})
    assert result.finished and result.rewritten == 9 - 4, "only what was left"
    assert key_file.read_text().split() == keys[:1], "the same new key, no third one"
    _all_readable(engine, Cipher.from_settings(key_file, {}))
    # once finished, running it again is a new rotation with a fresh key
    assert rotate_keys(engine, key_file, {}).rewritten == 9
    assert key_file.read_text().split() != keys[:1]
    _all_readable(engine, Cipher.from_settings(key_file, {}))


def test_with_the_key_in_the_environment_the_new_key_goes_first_by_hand(
    engine: Engine,
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _store(engine, Cipher(old))
    with pytest.raises(CipherError, match="holds one key: put a new key in front"):
        rotate_keys(engine, Path("unused.key"), {"DUNNING_SECRET_KEY": old})
    result = rotate_keys(engine, Path("unused.key"), {"DUNNING_SECRET_KEY": f"{new},{old}"})
    assert result.finished and "set DUNNING_SECRET_KEY to it alone" in result.note
    _all_readable(engine, Cipher(new))


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_the_rotated_key_file_stays_private(
    key_file: Path, open_umask: None, engine: Engine
) -> None:
    rotate_keys(engine, key_file, {})
    assert key_file.stat().st_mode & 0o077 == 0
