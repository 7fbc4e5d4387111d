"""Fair scheduling (issue #6): one client whose platform misbehaves never holds up the others.

A real `dunning worker` process on PostgreSQL, with two run slots, runs one hourly slot for a
client whose Zoho organisation keeps failing and 24 healthy clients of the same sandbox. Each
client's run is its own job under its own lock, so the failing client takes at most one slot at
a time: the waits inside a run (a read's retries, a 429's short reset) happen in that one slot,
and a run that still fails goes back to the queue with backoff, leaving its slot to the others.
The others' round is bounded by their own work (well under the connector's 30 s read timeout),
not by how long the failing client keeps failing (minutes: six attempts with backoff).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select
from waiting import wait_until

from connector.store.db import session_scope
from connector.store.models import TenantRound
from connector.worker import queue as q
from connector.worker import rounds
from sandboxes.kit import Fault, Response
from sandboxes.world import local_moment
from sandboxes.zoho import zoho_fault
from sandboxes.zoho.generate import seed_small_org
from sandboxes.zoho.world import ZohoWorld

POSTGRES_URL = os.environ.get("DUNNING_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="DUNNING_TEST_POSTGRES_URL not set"),
]

SLOW = "aaa-slow"  # sorts first, so its job is the first one a worker takes
OTHERS = [f"client{n:02d}" for n in range(24)]
MONDAY = date(2026, 1, 5)
HOUR = local_moment(MONDAY, 9)
SLOT = rounds.slot(HOUR, 60)
#: the connector's read timeout for Zoho calls (connector.http: (5, 30) s)
READ_TIMEOUT = 30.0


@dataclass
class Scene:
    world: ZohoWorld
    url: str
    tmp: Path

    @property
    def slow_org(self) -> str:
        return self.world.organization(SLOW)

    def start_round(self) -> subprocess.Popen[bytes]:
        """One worker process (two run slots), then the hour's slot queued for every client."""
        env = {**os.environ, **self.world.env}
        log = (self.tmp / "worker.log").open("w")
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "connector.cli",
                "-q",
                "--config",
                str(self.world.app.config_dir),
                "worker",
                "--no-schedule",
                "--concurrency",
                "2",
                "--heartbeat",
                "1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        queue = q.make_queue(self.url, schedule=False)
        q.ensure_schema(queue, self.url)
        queued = q.defer_round(queue, self.world.app, HOUR, simulated=True)
        assert sorted(queued) == sorted([SLOW, *OTHERS])
        return worker

    def rounds(self) -> dict[str, TenantRound]:
        with session_scope(self.world.app.engine) as session:
            rows = session.exec(select(TenantRound).where(TenantRound.round_at == SLOT)).all()
            return {r.tenant: r for r in rows}

    def others_done(self) -> bool:
        found = self.rounds()
        return all(found.get(t) is not None and found[t].status == "done" for t in OTHERS)

    def slow_job(self) -> tuple[str, int, bool]:
        """(status, attempts, waiting for its retry) of the slow client's job in the queue."""
        with self.world.app.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT status, attempts, scheduled_at > now() FROM procrastinate_jobs "
                    "WHERE lock = :lock ORDER BY id DESC LIMIT 1"
                ),
                {"lock": f"client:{SLOW}"},
            ).one()
            return str(row[0]), int(row[1]), bool(row[2])


@pytest.fixture
def scene(tmp_path: Path, pg_url: str) -> Iterator[Scene]:
    world = ZohoWorld.open(
        tmp_path,
        start=HOUR,
        seed=3,
        slugs=[SLOW, *OTHERS],
        populate=seed_small_org,
        database_url=pg_url,
    )
    yield Scene(world, pg_url, tmp_path)
    world.close()


def stop(worker: subprocess.Popen[bytes]) -> None:
    """The slow client's run may be stuck for minutes: no graceful shutdown waiting for it."""
    worker.send_signal(signal.SIGKILL)
    worker.wait()


def worker_log(scene: Scene) -> str:
    return (scene.tmp / "worker.log").read_text()[-3000:]


def test_a_client_whose_platform_keeps_timing_out_does_not_delay_the_other_clients(
    scene: Scene,
) -> None:
    # every call of the slow client's organisation hangs past the connector's read timeout
    scene.world.router.faults.add(
        zoho_fault("drop", times=10**9, delay=2 * READ_TIMEOUT, organization_id=scene.slow_org)
    )
    started = time.monotonic()
    worker = scene.start_round()
    try:
        wait_until(
            scene.others_done,
            "the other clients' runs",
            interval=0.1,
            context=lambda: worker_log(scene),
        )
        others_took = time.monotonic() - started
        slow = scene.rounds().get(SLOW)
    finally:
        stop(worker)

    # everyone else ran the hour before the slow client's first call had even timed out ...
    assert others_took < READ_TIMEOUT, f"the others took {others_took:.1f} s"
    # ... while the slow client was still in its first run, holding one slot, not both
    assert scene.world.router.faults.fired, "the slow client never reached its platform"
    assert slow is not None and slow.status == "running" and slow.attempts == 1
    assert all(r.status == "done" for t, r in scene.rounds().items() if t != SLOW)


def test_a_client_whose_platform_keeps_answering_429_is_retried_later_while_the_others_run(
    scene: Scene,
) -> None:
    # Zoho's per-minute limit, answered to every call of the slow organisation, "reset in 2 s"
    throttled = Response(
        429,
        json.dumps(
            {
                "code": 44,
                "message": "You have made too many requests per minute. Please try again "
                "after some time.",
            }
        ).encode(),
        {
            "Content-Type": "application/json;charset=UTF-8",
            "X-Rate-Limit-Limit": "100",
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": "2",
        },
    )
    scene.world.router.faults.add(
        Fault(
            "*", r"^/books/v3/", throttled, times=10**9, query={"organization_id": scene.slow_org}
        )
    )
    started = time.monotonic()
    worker = scene.start_round()
    seen_backing_off = False
    others_took: float | None = None
    slow: TenantRound | None = None

    def others_done_and_slow_retried() -> bool:
        """Notes, at each look, whether the slow client's job waits for its retry."""
        nonlocal seen_backing_off, others_took, slow
        if others_took is None and scene.others_done():
            others_took = time.monotonic() - started
        status, attempts, later = scene.slow_job()
        seen_backing_off |= status == "todo" and attempts >= 1 and later
        slow = scene.rounds().get(SLOW)
        return others_took is not None and slow is not None and slow.attempts >= 2

    try:
        wait_until(
            others_done_and_slow_retried,
            "the others done and the slow client failed, waited and started again",
            interval=0.1,
            context=lambda: worker_log(scene),
        )
    finally:
        stop(worker)

    assert others_took is not None and others_took < READ_TIMEOUT, worker_log(scene)
    # the slow client's failed run went back to the queue, scheduled for later (its slot free
    # for the others meanwhile), and was then tried again
    assert seen_backing_off
    assert slow is not None
    assert slow.status == "running" and slow.attempts == 2
    assert (slow.result or "").startswith("rate_limited: "), slow.result
    assert all(
        r.status == "done" and r.attempts == 1 for t, r in scene.rounds().items() if t != SLOW
    )
