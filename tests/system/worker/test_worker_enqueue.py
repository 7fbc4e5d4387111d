"""Queueing a round: every due client once, in a few queries whatever the number of clients.

The every-minute tick (and `dunning enqueue`) must not queue a client whose slot already
finished, nor a second run of one whose run is already waiting; when another process queues
the same client at the same moment, the rest of the batch still gets queued.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from procrastinate.jobs import Job
from sqlalchemy import text

from connector.worker import queue as q
from connector.worker import rounds
from sandboxes.world import local_moment
from sandboxes.zoho.world import ZohoWorld

POSTGRES_URL = os.environ.get("DUNNING_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="DUNNING_TEST_POSTGRES_URL not set"),
]

CLIENTS = ["anna", "bram", "cees", "dirk"]
HOUR = local_moment(date(2026, 1, 5), 9)


@pytest.fixture
def world(tmp_path: Path, pg_url: str) -> Iterator[tuple[ZohoWorld, str]]:
    w = ZohoWorld.open(
        tmp_path,
        start=HOUR,
        slugs=CLIENTS,
        database_url=pg_url,
        connect=False,
        populate=lambda state, org, seed: None,
    )
    yield w, pg_url
    w.close()


def waiting(world: ZohoWorld) -> list[str]:
    with world.app.engine.connect() as conn:
        return sorted(
            conn.execute(
                text("SELECT args->>'slug' FROM procrastinate_jobs WHERE status = 'todo'")
            ).scalars()
        )


def test_a_round_queues_each_due_client_once(world: tuple[ZohoWorld, str]) -> None:
    w, url = world
    queue = q.make_queue(url, schedule=False)
    q.ensure_schema(queue, url)
    slot = rounds.slot(HOUR, 60)
    # bram already finished this hour's slot (e.g. run by a worker before a restart)
    assert rounds.begin(w.app.engine, "bram", slot, "test", HOUR)
    rounds.finish(w.app.engine, "bram", slot, "done", "ok", HOUR)

    assert sorted(q.defer_round(queue, w.app, HOUR, simulated=True)) == ["anna", "cees", "dirk"]
    assert waiting(w) == ["anna", "cees", "dirk"]
    # the next tick of the same hour finds them all waiting or done: nothing new
    assert q.defer_round(queue, w.app, HOUR + timedelta(minutes=1), simulated=True) == []
    assert waiting(w) == ["anna", "cees", "dirk"]


def test_a_client_queued_meanwhile_by_another_process_does_not_stop_the_rest_of_the_batch(
    world: tuple[ZohoWorld, str],
) -> None:
    w, url = world
    queue = q.make_queue(url, schedule=False)
    q.ensure_schema(queue, url)
    slot = rounds.slot(HOUR, 60).isoformat()

    def job(slug: str) -> Job:
        return (
            queue.tasks[q.RUN_CLIENT]
            .configure(
                queueing_lock=f"client:{slug}",
                lock=f"client:{slug}",
            )
            .make_new_job(slug=slug, round_at=slot, now=None)
        )

    with queue.open():
        assert q._defer(queue, [job("cees")]) == ["cees"]  # the other process was quicker
        assert q._defer(queue, [job(s) for s in CLIENTS]) == ["anna", "bram", "dirk"]
    assert waiting(w) == sorted(CLIENTS)
