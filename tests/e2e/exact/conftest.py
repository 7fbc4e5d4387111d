"""A small, hand-made Exact ledger per test, on the sandbox over loopback with a real SMTP
server, driven day by day (the Exact twin of tests/e2e/zoho/conftest.py; `ExactScenario` in
tests/support/e2e_exact_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from e2e_exact_support import ExactScenario, MakeExactScenario, empty_ledger

from sandboxes.exact.state import Limits
from sandboxes.exact.world import ExactWorld
from sandboxes.world import local_moment


@pytest.fixture
def make_exact_scenario(tmp_path: Path) -> Iterator[MakeExactScenario]:
    worlds: list[ExactWorld] = []

    def make(
        start: date,
        *,
        limits: Limits | None = None,
        client_overrides: dict[str, str] | None = None,
    ) -> ExactScenario:
        world = ExactWorld.open(
            tmp_path / f"w{len(worlds)}",
            start=local_moment(start, 8),
            populate=empty_ledger,
            limits=limits,
            client_overrides=client_overrides,
        )
        worlds.append(world)
        return ExactScenario(world)

    yield make
    for world in worlds:
        world.close()
