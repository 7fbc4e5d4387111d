"""The control of the Moneybird e2e scenarios (test_e2e_moneybird_dunning.py,
test_moneybird_demo.py): with ``pause_workflow: false`` Moneybird's own reminder workflow, which
the sandbox runs every morning as Moneybird does, reminds the customers too, and `dunning doctor`
names those invoices; with the default the doctor finds none. So the scenarios' "Moneybird's own
workflow never reminds a managed invoice" is the connector's doing, not the fake's silence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from connector.app import App
from connector.doctor import run_doctor
from sandboxes.moneybird.world import MoneybirdWorld
from sandboxes.world import local_moment

START = date(2026, 1, 5)


def world_with(tmp_path: Path, pause: bool) -> MoneybirdWorld:
    world = MoneybirdWorld.open(
        tmp_path / ("paused" if pause else "not-paused"), start=local_moment(START, 8)
    )
    client = world.root / "config" / "clients" / "demo.yaml"
    flag = f"moneybird:\n  pause_workflow: {'true' if pause else 'false'}\n"
    client.write_text(client.read_text().replace("moneybird:\n", flag, 1))
    world.app.engine.dispose()
    world.app = App.open(world.root / "config", world.env)  # the token stays in the database
    world.reload()
    return world


@pytest.fixture
def worlds(tmp_path: Path) -> Iterator[list[MoneybirdWorld]]:
    made: list[MoneybirdWorld] = []
    yield made
    for world in made:
        world.close()


@pytest.mark.parametrize("pause", [False, True], ids=["not paused", "paused (the default)"])
def test_without_pausing_moneybirds_own_workflow_reminds_too_and_doctor_says_so(
    tmp_path: Path, worlds: list[MoneybirdWorld], pause: bool
) -> None:
    world = world_with(tmp_path, pause)
    worlds.append(world)
    pay = world.payments(seed=7)
    for n in range(21):
        day = START + timedelta(days=n)
        result = world.run("demo", at=local_moment(day, 9))
        assert result.ok, result.error
        world.clock.set(local_moment(day, 18))
        pay(day)

    own = world.own_reminders_after(world.started_at)
    line = world.tenant("demo").ledger.check()
    assert world.mails_after_payment() == []
    if pause:
        assert own == []
        assert line.endswith("Moneybird's own reminders are paused for every late invoice")
    else:
        assert own, "the control shows nothing: Moneybird's workflow never ran"
        assert "WARNING: Moneybird's own workflow is reminding" in line
        assert "set pause_workflow: true under moneybird: in the client file" in line
        lines, ok = run_doctor(world.app, world.clock)
        warned = [x for x in lines if x.startswith("WARN demo: Moneybird's own workflow")]
        assert len(warned) == 1 and ok  # a warning, not a failure
