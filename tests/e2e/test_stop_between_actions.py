"""SIGTERM stops a run between actions (issue #15): the action in flight finishes and is
recorded, no further action starts, nothing is left `pending` or `sending`; the next run plans
the rest. Serve passes its stop signal to the runs; the worker sets `STOPPING` when asked to
stop."""

from __future__ import annotations

import socket
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import procrastinate
from procrastinate.testing import InMemoryConnector
from procrastinate.worker import Worker

from connector.serve.scheduler import ServeOptions, Service
from connector.worker import queue
from sandboxes.exact.generate import DemoInfo, seed_demo
from sandboxes.exact.state import ExactState
from sandboxes.exact.world import ExactWorld
from sandboxes.world import local_moment

MONDAY = date(2026, 3, 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def three_overdue_customers(root: Path) -> ExactWorld:
    def empty(state: ExactState, seed: int) -> DemoInfo:
        return seed_demo(state, seed=seed, accounts=0)

    world = ExactWorld.open(root, start=local_moment(MONDAY, 8), populate=empty)
    division = world.division()
    for n in range(3):
        account = world.state.add_account(division, f"Klant {n}", email=f"k{n}@cust.example")
        world.state.add_receivable(
            division, account.id, Decimal("100.00"), MONDAY - timedelta(days=40), MONDAY
        )
    return world


def test_sigterm_during_a_serve_run_finishes_the_mail_in_flight_and_starts_no_other(
    tmp_path: Path,
) -> None:
    world = three_overdue_customers(tmp_path)
    try:
        service = Service(
            world.app,
            world.clock,
            ServeOptions(
                every_seconds=3600,
                jitter_seconds=0,
                listen=f"127.0.0.1:{free_port()}",
                alert_check_seconds=3600,
                grace_seconds=30,
            ),
            env=world.env,
        )
        deliver = world.smtp.handle_DATA

        async def sigterm_on_first_mail(server: Any, session: Any, envelope: Any) -> str:
            answer = await deliver(server, session, envelope)
            service.signals.stop.set()  # SIGTERM while the first reminder is in flight
            return answer

        world.smtp.handle_DATA = sigterm_on_first_mail  # type: ignore[method-assign]
        world.clock.set(local_moment(MONDAY + timedelta(days=7), 9))
        service.run_client("demo")

        assert len(world.smtp.mails) == 1
        statuses = [a["status"] for a in world.actions()]
        assert statuses == ["sent"], "the action in flight is recorded; no other started"
        assert world.state.written(world.division())["notes"], "its note was written too"

        service.signals.stop.clear()
        world.smtp.handle_DATA = deliver  # type: ignore[method-assign]
        world.clock.set(local_moment(MONDAY + timedelta(days=7), 10))
        service.run_client("demo")
        assert len(world.smtp.mails) == 3
        assert sorted(a["status"] for a in world.actions()) == ["sent", "sent", "sent"]
    finally:
        world.close()


def test_a_worker_asked_to_stop_tells_its_runs_to_stop_between_actions() -> None:
    queue.STOPPING.clear()
    app = procrastinate.App(connector=InMemoryConnector())
    worker = queue.stoppable(Worker(app=app, install_signal_handlers=False))
    try:
        worker.stop()  # type: ignore[no-untyped-call]  # procrastinate leaves Worker.stop unannotated
        assert queue.STOPPING.is_set()
    finally:
        queue.STOPPING.clear()
