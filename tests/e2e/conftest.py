"""A small, hand-made ledger per test, on a platform's sandbox over loopback, driven day by day:
`make_scenario` on Zoho Books (`Scenario` in tests/support/e2e_support.py), `make_exact_scenario`
on Exact Online with a real SMTP server (`ExactScenario` in tests/support/e2e_exact_support.py),
`make_moneybird_scenario` on Moneybird with a real SMTP server (`MoneybirdScenario` in
tests/support/e2e_moneybird_support.py). All here, so a scenario that reads the same on every
platform can run on each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import e2e_exact_support
import e2e_moneybird_support
import e2e_support
import pytest
from e2e_exact_support import ExactScenario, MakeExactScenario
from e2e_moneybird_support import MakeMoneybirdScenario, MoneybirdScenario
from e2e_support import MakeScenario, Scenario

from sandboxes.exact.state import Limits as ExactLimits
from sandboxes.exact.world import ExactWorld
from sandboxes.moneybird.state import Limits as MoneybirdLimits
from sandboxes.moneybird.world import MoneybirdWorld
from sandboxes.world import local_moment
from sandboxes.zoho.state import Limits as ZohoLimits
from sandboxes.zoho.world import ZohoWorld


@pytest.fixture
def make_scenario(tmp_path: Path) -> Iterator[MakeScenario]:
    worlds: list[ZohoWorld] = []

    def make(
        start: date,
        *,
        limits: ZohoLimits | None = None,
        client_overrides: dict[str, str] | None = None,
    ) -> Scenario:
        world = ZohoWorld.open(
            tmp_path / f"w{len(worlds)}",
            start=local_moment(start, 8),
            populate=e2e_support.empty_ledger,
            limits=limits,
            client_overrides=client_overrides,
        )
        worlds.append(world)
        return Scenario(world)

    yield make
    for world in worlds:
        world.close()


@pytest.fixture
def make_exact_scenario(tmp_path: Path) -> Iterator[MakeExactScenario]:
    worlds: list[ExactWorld] = []

    def make(
        start: date,
        *,
        limits: ExactLimits | None = None,
        client_overrides: dict[str, str] | None = None,
    ) -> ExactScenario:
        world = ExactWorld.open(
            tmp_path / f"x{len(worlds)}",
            start=local_moment(start, 8),
            populate=e2e_exact_support.empty_ledger,
            limits=limits,
            client_overrides=client_overrides,
        )
        worlds.append(world)
        return ExactScenario(world)

    yield make
    for world in worlds:
        world.close()


@pytest.fixture
def make_moneybird_scenario(tmp_path: Path) -> Iterator[MakeMoneybirdScenario]:
    worlds: list[MoneybirdWorld] = []

    def make(
        start: date,
        *,
        limits: MoneybirdLimits | None = None,
        client_overrides: dict[str, str] | None = None,
    ) -> MoneybirdScenario:
        world = MoneybirdWorld.open(
            tmp_path / f"m{len(worlds)}",
            start=local_moment(start, 8),
            populate=e2e_moneybird_support.empty_ledger,
            limits=limits,
            client_overrides=client_overrides,
        )
        worlds.append(world)
        return MoneybirdScenario(world)

    yield make
    for world in worlds:
        world.close()
