"""A worker's own upkeep: `--now` for its ticks, API usage for the budget alert, old jobs gone."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from waiting import wait_until

from connector.store import usage
from connector.worker import queue as q
from connector.worker import rounds
from sandboxes.world import local_moment
from sandboxes.zoho.generate import seed_small_org
from sandboxes.zoho.world import ZohoWorld

pytestmark = [pytest.mark.postgres]

CLIENTS = ["anna", "bram", "cees"]
HOUR = local_moment(date(2026, 1, 5), 9)


@pytest.fixture
def world(tmp_path: Path, pg_url: str) -> Iterator[ZohoWorld]:
    w = ZohoWorld.open(
        tmp_path, start=HOUR, seed=4, slugs=CLIENTS, database_url=pg_url, populate=seed_small_org
    )
    yield w
    w.close()


def test_a_worker_started_with_now_runs_that_moments_slot_and_counts_the_api_calls(
    world: ZohoWorld,
    tmp_path: Path,
) -> None:
    log = tmp_path / "worker.log"
    with log.open("w") as err:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "connector.cli",
                "-q",
                "--config",
                str(world.app.config_dir),
                "worker",
                "--now",
                HOUR.isoformat(),
                "--concurrency",
                "2",
                "--heartbeat",
                "1",
            ],
            env={**os.environ, **world.env},
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    slot = rounds.slot(HOUR, 60)

    def slot_done() -> bool:
        assert worker.poll() is None, f"the worker died:\n{log.read_text()[-3000:]}"
        done = sorted(t for t, at, _ in rounds.done_slots(world.app.engine) if at == slot)
        return done == CLIENTS

    try:
        wait_until(
            slot_done,
            f"the {HOUR:%H:%M} slot to be run",
            timeout=90,
            interval=0.1,
            context=lambda: log.read_text()[-3000:],
        )
    finally:
        worker.terminate()
        worker.wait(60)
    # the runs acted as of --now (a real-time worker would run today's slot instead)
    assert {at for _, at, _ in rounds.done_slots(world.app.engine)} == {slot}
    for slug in CLIENTS:
        assert usage.api_calls_on(world.app.engine, slug, HOUR.date()) > 0, (
            f"{slug}: the worker's API calls were not counted for the daily budget alert"
        )


def test_succeeded_jobs_older_than_a_day_are_deleted_and_newer_ones_kept(pg_url: str) -> None:
    queue = q.make_queue(pg_url, schedule=False)
    q.ensure_schema(queue, pg_url)

    @queue.task(name="noop", queue=q.QUEUE)
    def noop(n: int) -> int:
        return n

    async def scenario() -> list[int]:
        async with queue.open_async():
            for n in range(3):
                await noop.defer_async(n=n)
            await queue.run_worker_async(queues=[q.QUEUE], wait=False)
            with_old = (
                "UPDATE procrastinate_events SET at = at - interval '2 days' "
                "WHERE job_id IN (SELECT id FROM procrastinate_jobs WHERE args->>'n' <> '2')"
            )
            await queue.connector.execute_query_async(with_old)
            await q.clean_queue(SimpleNamespace(app=queue), 0)
            rows = await queue.connector.execute_query_all_async(
                "SELECT (args->>'n')::int AS n FROM procrastinate_jobs ORDER BY 1"
            )
            return [int(r["n"]) for r in rows]

    assert asyncio.run(scenario()) == [2]


def test_the_worker_queues_its_upkeep_tasks_on_a_schedule(pg_url: str) -> None:
    queue = q.make_queue(pg_url)
    periodic = {p.periodic_id: p.cron for p in queue.periodic_registry.periodic_tasks.values()}
    assert periodic == {"tick": "* * * * *", "alerts": "*/5 * * * *", "clean": "17 * * * *"}
    assert not q.make_queue(pg_url, schedule=False).periodic_registry.periodic_tasks, (
        "a --no-schedule worker must not queue the upkeep either"
    )
