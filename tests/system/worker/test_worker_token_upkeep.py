"""The worker's minute tick keeps idle Exact connections alive (a refresh once a day), judged by
the worker's clock (`--now`), not by the wall clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from connector.domain.clock import ShiftedClock
from connector.worker import queue as q
from sandboxes.exact.world import ExactWorld
from sandboxes.world import local_moment

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def world(tmp_path: Path, pg_url: str) -> Iterator[ExactWorld]:
    w = ExactWorld.open(tmp_path, start=local_moment(date(2026, 3, 2), 10), database_url=pg_url)
    yield w
    w.close()


def _tick(world: ExactWorld, url: str, days_later: float) -> None:
    context = q.WorkerContext(world.app.config_dir, env=dict(world.env))
    context._app = world.app
    context.shift = ShiftedClock(world.clock.now() + timedelta(days=days_later))
    q.configure(context)
    queue = q.make_queue(url, schedule=False)
    q.ensure_schema(queue, url)
    with queue.open():
        q.tick(SimpleNamespace(app=queue), 0)


def test_the_tick_refreshes_an_exact_connection_idle_for_a_day_and_only_then(
    world: ExactWorld, pg_url: str
) -> None:
    before = world.app.tokens.get("demo")
    assert before is not None
    _tick(world, pg_url, days_later=0.5)
    assert world.state.stats.token_calls == 0, "refreshed although used half a day ago"
    _tick(world, pg_url, days_later=1.5)
    assert world.state.stats.token_calls == 1
    after = world.app.tokens.get("demo")
    assert after is not None and after.version == before.version + 1
    assert world.state.refresh_token_state(after.refresh_token) == "live"
