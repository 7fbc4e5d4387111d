"""Worker tests: a private PostgreSQL schema per test, as a URL the queue and the store share."""

from __future__ import annotations

import pytest


@pytest.fixture
def pg_url(postgres_schema: tuple[str, str]) -> str:
    """The test server's URL with `search_path` set to this test's schema (libpq options, so
    procrastinate and SQLAlchemy both use it)."""
    url, schema = postgres_schema
    return f"{url}?options=-csearch_path%3D{schema}"
