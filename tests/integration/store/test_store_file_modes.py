"""The SQLite database holds customers' personal data and the encrypted tokens: its files are
readable by the service's user only, whatever the process umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from connector.store.db import make_engine, migrate, session_scope


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_its_wal_and_shm_are_0600_in_a_0700_folder_the_connector_made(
    tmp_path: Path, open_umask: None
) -> None:
    db = tmp_path / "data" / "dunning" / "dunning.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        migrate(engine)
        with session_scope(engine) as session:
            session.execute(text("CREATE TABLE probe (x INTEGER)"))
            session.execute(text("INSERT INTO probe VALUES (1)"))
        with engine.connect() as conn:  # keep a connection: -wal and -shm exist meanwhile
            conn.execute(text("SELECT * FROM probe")).all()
            sides = [Path(f"{db}-wal"), Path(f"{db}-shm")]
            assert all(p.exists() for p in sides)
            assert {p.name: mode(p) for p in [db, *sides]} == {
                "dunning.db": 0o600,
                "dunning.db-wal": 0o600,
                "dunning.db-shm": 0o600,
            }
    finally:
        engine.dispose()
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "dunning") == 0o700


def test_an_existing_folder_is_left_alone_and_an_existing_open_file_is_narrowed(
    tmp_path: Path, open_umask: None
) -> None:
    os.chmod(tmp_path, 0o755)  # noqa: S103 - an operator's ordinary folder
    db = tmp_path / "dunning.db"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    engine = make_engine(f"sqlite:///{db}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    assert mode(db) == 0o600
    assert mode(tmp_path) == 0o755
