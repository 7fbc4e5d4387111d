"""A small, hand-made Zoho ledger per test, on the sandbox over loopback, driven day by day
(`Scenario` in tests/support/e2e_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from e2e_support import MakeScenario, Scenario, empty_ledger

from sandboxes.world import local_moment
from sandboxes.zoho.state import Limits
from sandboxes.zoho.world import ZohoWorld


@pytest.fixture
def make_scenario(tmp_path: Path) -> Iterator[MakeScenario]:
    worlds: list[ZohoWorld] = []

    def make(
        start: date,
        *,
        limits: Limits | None = None,
        client_overrides: dict[str, str] | None = None,
    ) -> Scenario:
        world = ZohoWorld.open(
            tmp_path / f"w{len(worlds)}",
            start=local_moment(start, 8),
            populate=empty_ledger,
            limits=limits,
            client_overrides=client_overrides,
        )
        worlds.append(world)
        return Scenario(world)

    yield make
    for world in worlds:
        world.close()
