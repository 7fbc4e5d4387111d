"""Three worker processes on PostgreSQL run 200 clients for two simulated hours; one is killed.

Shows issue #6's guarantees end to end: every client runs each hour's slot exactly once (a
killed worker's jobs are picked up by the others), and no reminder is sent twice.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from waiting import wait_until

from connector.worker import rounds
from sandboxes.world import local_moment
from sandboxes.zoho.generate import seed_small_org
from sandboxes.zoho.world import ZohoWorld

POSTGRES_URL = os.environ.get("DUNNING_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="DUNNING_TEST_POSTGRES_URL not set"),
]

CLIENTS = 200
MONDAY = date(2026, 1, 5)


@pytest.fixture
def world(tmp_path: Path, pg_url: str) -> Iterator[ZohoWorld]:
    w = ZohoWorld.open(
        tmp_path,
        start=local_moment(MONDAY, 9),
        seed=11,
        slugs=[f"client{n:03d}" for n in range(CLIENTS)],
        populate=seed_small_org,
        database_url=pg_url,
    )
    yield w
    w.close()


def dunning(world: ZohoWorld, *args: str) -> list[str]:
    return [sys.executable, "-m", "connector.cli", "--config", str(world.app.config_dir), *args]


def done_in(world: ZohoWorld, slot: datetime) -> int:
    return sum(1 for _, at, _ in rounds.done_slots(world.app.engine) if at == slot)


def going(world: ZohoWorld, slot: datetime) -> bool:
    """The round of `slot` is well under way (30 clients done)."""
    return done_in(world, slot) >= 30


def wait_for_slot(world: ZohoWorld, slot: datetime, timeout: float) -> None:
    wait_until(
        lambda: done_in(world, slot) == CLIENTS,
        f"every client to run the {slot:%H:%M} slot",
        timeout=timeout,
        interval=0.2,
        context=lambda: f"only {done_in(world, slot)} of {CLIENTS} clients did",
    )


def test_three_workers_run_every_client_once_per_hour_and_survive_a_kill(
    world: ZohoWorld,
    tmp_path: Path,
) -> None:
    # a killed worker's run lease runs out after 12 s (default 90 s) to keep the test short
    env = {**os.environ, **world.env, "DUNNING_RUN_LEASE_SECONDS": "12"}
    logs = [(tmp_path / f"worker{n}.log").open("w") for n in range(3)]
    workers = [
        subprocess.Popen(
            dunning(
                world,
                "-q",
                "worker",
                "--no-schedule",
                "--concurrency",
                "4",
                "--heartbeat",
                "1",
                "--stalled-after",
                "4",
            ),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for log in logs
    ]
    killed_after: int | None = None
    try:
        hours = [local_moment(MONDAY, 9), local_moment(MONDAY, 10)]
        for hour in hours:
            world.clock.set(hour)
            enqueue = subprocess.run(
                dunning(world, "-q", "enqueue", "--now", hour.isoformat()),
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert enqueue.returncode == 0, enqueue.stderr
            assert f"queued {CLIENTS} client runs" in enqueue.stdout, enqueue.stdout
            slot = rounds.slot(hour, 60)
            if killed_after is None:
                # kill one worker in the middle of the first hour's round
                wait_until(
                    functools.partial(going, world, slot),
                    "the workers to get going",
                    timeout=120,
                    interval=0.1,
                )
                killed_after = done_in(world, slot)
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait()
            wait_for_slot(world, slot, timeout=240)
    finally:
        for w in workers[1:]:
            w.send_signal(signal.SIGTERM)
        for w in workers[1:]:
            try:
                w.wait(timeout=60)
            except subprocess.TimeoutExpired:
                w.kill()
        for log in logs:
            log.close()

    assert killed_after is not None and killed_after < CLIENTS
    # exactly one finished round per client per hour
    finished = Counter((tenant, at) for tenant, at, _ in rounds.done_slots(world.app.engine))
    assert len(finished) == 2 * CLIENTS and set(finished.values()) == {1}
    # no customer got two reminder mails that day (a duplicate send would show up here)
    per_customer_day = Counter(
        (m.organization_id, m.contact_id, m.kind) for m in world.state.sent_mails
    )
    doubled = {k: v for k, v in per_customer_day.items() if v > 1}
    assert not doubled, f"mails sent twice: {doubled}"
    assert world.state.sent_mails, "the scenario sent no mail at all"
