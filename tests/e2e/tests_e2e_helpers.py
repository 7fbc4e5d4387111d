"""Helpers shared by the end-to-end tests (importable because pytest puts this folder on
sys.path)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import empty_ledger

from connector.demo import SandboxWorld, local_moment


def empty_two_tenants(root: Path) -> SandboxWorld:
    return SandboxWorld.create(root, start=local_moment(date(2026, 1, 5), 8), slugs=("a", "b"),
                               populate=empty_ledger)
