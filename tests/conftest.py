"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured) and a cipher.

`engine` runs a test once on a fresh SQLite file and once on PostgreSQL when
`DUNNING_TEST_POSTGRES_URL` is set (CI sets it). Each PostgreSQL test gets its own schema, so
tests running in parallel never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text

from connector.store.crypto import Cipher
from connector.store.db import make_engine, migrate

POSTGRES_URL = os.environ.get("DUNNING_TEST_POSTGRES_URL")

# Property tests check what is computed, never how fast: Hypothesis's default 200 ms deadline per
# example failed them on a loaded 2-core machine (speed is measured in `make bench` instead).
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


def _backends() -> list[object]:
    params: list[object] = ["sqlite"]
    params.append(
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not POSTGRES_URL, reason="DUNNING_TEST_POSTGRES_URL not set"),
            ],
        )
    )
    return params


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dunning.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    """(url, schema): a private, empty schema on the test server, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("DUNNING_TEST_POSTGRES_URL not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield POSTGRES_URL, schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_engine(url: str, schema: str) -> Engine:
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture(params=_backends())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'dunning.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    pg = request.getfixturevalue("postgres_schema")
    eng = postgres_engine(*pg)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def cipher() -> Cipher:
    return Cipher(Fernet.generate_key())
