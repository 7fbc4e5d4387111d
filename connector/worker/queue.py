"""The task queue: procrastinate on the connector's PostgreSQL database.

Tasks:
* `run_client(slug, round_at)` runs one client for one schedule slot. Deferred with the queueing
  lock `client:<slug>` (one waiting run per client at most) and the lock `client:<slug>` (never
  two running at once); retried with exponential backoff when the run failed transiently. Its
  API calls are added to the client's daily usage (what the budget alert reads).
* `tick` (periodic, every minute) defers a `run_client` for every enabled client whose current
  slot has not run yet. `dunning enqueue --now T` does the same for a chosen moment, which is how
  tests and backfills drive simulated time; `dunning worker --now T` runs the ticks on a clock
  that starts at T.
* `check_alerts` (periodic, every 5 minutes, one worker at a time) mails the operator about new
  problems, as `dunning serve` does.
* `clean_queue` (hourly) deletes succeeded jobs older than a day: the queue table would otherwise
  grow by a row per client and hour; `tenant_round` keeps the record.

Fairness: each run is its own job, so a slow or failing client (timeouts, 429 waits) occupies
one worker slot and retries later with backoff; it never holds up the other clients' slots.
Jobs of a worker that died (SIGKILL, power cut) are found through procrastinate's heartbeats and
retried by the surviving workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import procrastinate
from procrastinate.app import WorkerOptions
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.worker import Worker
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from connector import alerts
from connector.app import App, ClientUnavailable
from connector.auth.tokens import wait_for_refreshes
from connector.auth.upkeep import token_upkeep
from connector.config.environment import database_url, process_env
from connector.domain.clock import Clock, ShiftedClock, SystemClock
from connector.http import HttpMetrics
from connector.run import run_tenant
from connector.store import usage
from connector.worker import rounds
from connector.worker.budget import db_limiters

log = logging.getLogger("connector.worker")

QUEUE = "clients"
SCHEDULE_QUEUE = "schedule"
#: 5 s plus 4, 8, 16, 32, 64 s: long enough to outlast a dead worker's run lease (90 s)
RETRY = procrastinate.RetryStrategy(max_attempts=6, wait=5, exponential_wait=2)


class TransientRunFailure(Exception):
    """A client run failed in a way worth retrying (network, rate limit, lease held)."""


def libpq_url(database_url: str) -> str:
    """procrastinate speaks libpq: `postgresql+psycopg://…` → `postgresql://…` (query kept,
    so `?options=-csearch_path%3D…` selects a schema for both)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("the task queue needs PostgreSQL (DATABASE_URL=postgresql+psycopg://…)")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class WorkerContext:
    """What tasks in this process run with: the configuration and one cached `App`."""

    config_dir: Path
    env: dict[str, str] = field(default_factory=lambda: dict(process_env()))
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    #: `dunning worker --now T`: the periodic tasks act on a clock that starts at T
    shift: ShiftedClock | None = None
    #: real time: runs act on it unless told otherwise, and it says how late a job started
    wall: Clock = field(default_factory=SystemClock)
    _app: App | None = None

    def now(self, timestamp: int) -> datetime:
        """The moment a periodic task deferred for `timestamp` (real epoch seconds) acts at."""
        if self.shift is not None:
            return self.shift.now()
        return datetime.fromtimestamp(timestamp, UTC)

    @property
    def app(self) -> App:
        if self._app is None:
            app = App.open(self.config_dir, self.env)
            app.limiters = db_limiters(app.engine)
            event.listen(app.engine, "before_cursor_execute", _count_query)
            self._app = app
        return self._app


#: database statements of the run in this thread (each job runs in its own thread), reported
#: with the run's result so operators and the load benchmark see the database cost per run
_queries = threading.local()


def _count_query(*_: Any) -> None:
    _queries.n = getattr(_queries, "n", 0) + 1


_context: WorkerContext | None = None


def configure(context: WorkerContext) -> None:
    global _context
    _context = context


def open_queue(
    config_dir: Path, *, schedule: bool = True
) -> tuple[procrastinate.App, WorkerContext]:
    """The task queue on the configuration's PostgreSQL database, its schema in place, and the
    context its tasks run with in this process (configured; its `App` open). `dunning worker`
    and `dunning enqueue` start here.

    Raises:
        ValueError: the database is not PostgreSQL.
    """
    context = WorkerContext(config_dir)
    configure(context)
    url = database_url(context.app.config.connector.database_url, context.env)
    queue = make_queue(url, schedule=schedule)
    ensure_schema(queue, url)
    return queue, context


def context() -> WorkerContext:
    if _context is None:
        raise RuntimeError("connector.worker.queue.configure() was not called")
    return _context


#: set when the worker is asked to stop (SIGTERM/SIGINT): a run in flight stops between
#: actions (the action in flight finishes and is recorded) instead of being cut off mid-action
#: at the end of the graceful shutdown
STOPPING = threading.Event()

RUN_CLIENT = "dunning:run_client"
TICK = "dunning:tick"
ALERTS = "dunning:check_alerts"
CLEAN = "dunning:clean_queue"


def run_client(
    slug: str, round_at: str, now: str | None = None, queued_at: float | None = None
) -> str:
    """Run `slug` for the schedule slot starting at `round_at` (ISO, UTC), as of `now` when
    given (simulated time, backfills) and else as of the real time. `queued_at` (epoch seconds)
    is when `now` was meant: a retry minutes later acts that much later, so simulated time never
    runs backwards between attempts (rate-limit blocks set by the first attempt stay past)."""
    ctx = context()
    app = ctx.app
    slot = datetime.fromisoformat(round_at)
    clock: Clock = ctx.wall
    if now:
        real = ctx.wall.now().timestamp()
        late = max(0.0, real - queued_at) if queued_at is not None else 0.0
        clock = ShiftedClock(datetime.fromisoformat(now) + timedelta(seconds=late))
    _queries.n = 0
    if not rounds.begin(app.engine, slug, slot, ctx.name, clock.now()):
        return "already done"
    http = HttpMetrics()
    try:
        tenant = app.tenant(slug, clock, metrics=http)
    except ClientUnavailable as exc:
        rounds.finish(app.engine, slug, slot, "failed", exc.reason, clock.now())
        return f"unavailable: {exc.reason}"  # needs a human, not a retry
    try:
        result = run_tenant(tenant, clock, owner=f"{ctx.name}:{slug}", stop=STOPPING)
    finally:
        _record_usage(app, slug, clock, http)
    if result.skipped:
        raise TransientRunFailure(result.error or "lease held")
    if not result.ok:
        rounds.finish(app.engine, slug, slot, "failed", result.error or "", clock.now())
        raise TransientRunFailure(result.error or "failed")
    summary = f"{result.summary()}; {_queries.n} queries"
    rounds.finish(app.engine, slug, slot, "done", summary, clock.now())
    return summary


def _record_usage(app: App, slug: str, clock: Clock, http: HttpMetrics) -> None:
    client = app.config.clients.get(slug)
    try:
        usage.record_api_usage(
            app.engine,
            slug,
            client.platform if client else "unknown",
            clock.now().astimezone(UTC).date(),
            http.total("calls"),
            http.total("throttled"),
        )
    except Exception:  # bookkeeping for alerts must not fail a run that did its work
        log.exception("%s: recording API usage failed", slug)


def enqueue_due(
    queue: procrastinate.App,
    app: App,
    now: datetime,
    *,
    simulated: bool = False,
    wall: Clock | None = None,
) -> list[str]:
    """Defer the current slot of every enabled client that has not run it; returns the slugs.
    `simulated`: the runs act as of `now` instead of the real time; `wall` (the system clock
    unless given) stamps when they were queued, so a retry acts that much later.

    A few queries whatever the number of clients (the tick runs every minute): which clients are
    due, which already have a run waiting, then the new jobs in batches."""
    every = app.config.connector.schedule.every_minutes
    slot = rounds.slot(now, every)
    candidates = [slug for slug in app.slugs() if slug not in app.config.errors]
    waiting = _waiting_runs(app.engine)
    task = queue.tasks[RUN_CLIENT]
    queued_at = (wall or SystemClock()).now().timestamp() if simulated else None
    jobs = [
        task.configure(queueing_lock=f"client:{slug}", lock=f"client:{slug}").make_new_job(
            slug=slug,
            round_at=slot.isoformat(),
            now=now.isoformat() if simulated else None,
            queued_at=queued_at,
        )
        for slug in rounds.due(app.engine, candidates, now, every)
        if f"client:{slug}" not in waiting
    ]
    deferred = []
    for start in range(0, len(jobs), DEFER_BATCH):
        deferred += _defer(queue, jobs[start : start + DEFER_BATCH])
    if len(deferred) >= ANALYZE_AFTER:
        refresh_queue_statistics(app.engine)
    return deferred


DEFER_BATCH = 500


def _waiting_runs(engine: Engine) -> set[str]:
    """Queueing locks of the client runs already waiting (deferring them again would fail)."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT queueing_lock FROM procrastinate_jobs "
                    "WHERE status = 'todo' AND queueing_lock IS NOT NULL"
                )
            ).scalars()
        )


def _defer(queue: procrastinate.App, jobs: list[Job]) -> list[str]:
    """Defer a batch in one statement; when another process queued one of them meanwhile (the
    whole statement fails then), each on its own, skipping the ones already waiting."""
    try:
        queue.job_manager.batch_defer_jobs(jobs)
        return [str(job.task_kwargs["slug"]) for job in jobs]
    except AlreadyEnqueued:
        pass
    deferred = []
    for job in jobs:
        with contextlib.suppress(AlreadyEnqueued):
            queue.job_manager.defer_job(job)
            deferred.append(str(job.task_kwargs["slug"]))
    return deferred


def tick(job_context: Any, timestamp: int) -> int:
    ctx = context()
    queue = job_context.app
    deferred = len(
        enqueue_due(
            queue, ctx.app, ctx.now(timestamp), simulated=ctx.shift is not None, wall=ctx.wall
        )
    )
    # kept token answers, then the daily keep-alive refresh of idle Exact connections (a few a
    # tick; `--now` shifts the clock it judges "a day" by)
    token_upkeep(ctx.app, ctx.shift or ctx.wall, limit=UPKEEP_PER_TICK)
    return deferred


#: keep-alive refreshes per tick at most (a tick runs every minute)
UPKEEP_PER_TICK = 10


def check_alerts(timestamp: int) -> int:
    """Mail the operator about new problems (failing runs, consent needed, API budget)."""
    ctx = context()
    return len(alerts.evaluate(ctx.app, ctx.now(timestamp)))


#: finished jobs are kept this long (for `procrastinate` inspection), then deleted
KEEP_JOBS_HOURS = 24


async def clean_queue(job_context: Any, timestamp: int) -> None:
    """Delete jobs that succeeded more than `KEEP_JOBS_HOURS` ago (procrastinate's own
    `remove_old_jobs`, which cannot be made periodic as it takes no timestamp). Failed jobs stay
    for inspection; `tenant_round` keeps every slot's outcome anyway."""
    await job_context.app.job_manager.delete_old_jobs(nb_hours=KEEP_JOBS_HOURS)


def make_queue(database_url: str, *, schedule: bool = True) -> procrastinate.App:
    """The queue app. `schedule`: this process's workers also defer the every-minute `tick`
    (off for simulated time, where `dunning enqueue --now` drives the slots)."""
    queue = procrastinate.App(
        # a small pool: the listener, job fetching and completions; runs use the store's engine
        connector=procrastinate.PsycopgConnector(
            conninfo=libpq_url(database_url), min_size=1, max_size=4
        ),
    )
    # registered on each new app (procrastinate's Blueprint renames its tasks when added, so a
    # second queue in one process, e.g. in tests, would get "dunning:dunning:run_client")
    queue.task(name=RUN_CLIENT, queue=QUEUE, retry=RETRY)(run_client)
    queue.task(name=TICK, queue=SCHEDULE_QUEUE, queueing_lock="tick", pass_context=True)(tick)
    queue.task(name=ALERTS, queue=SCHEDULE_QUEUE, queueing_lock="alerts", lock="alerts")(
        check_alerts
    )
    queue.task(
        name=CLEAN, queue=SCHEDULE_QUEUE, queueing_lock="clean", lock="clean", pass_context=True
    )(clean_queue)
    if schedule:
        queue.periodic(cron="* * * * *", periodic_id="tick")(queue.tasks[TICK])
        queue.periodic(cron="*/5 * * * *", periodic_id="alerts")(queue.tasks[ALERTS])
        queue.periodic(cron="17 * * * *", periodic_id="clean")(queue.tasks[CLEAN])
    return queue


def ensure_schema(queue: procrastinate.App, database_url: str) -> None:
    """Install procrastinate's tables once (serialised by an advisory lock across workers), and
    the index that keeps job fetching cheap however many clients wait (see `LIVE_LOCK_INDEX`)."""
    import psycopg

    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(7310455202)")
        try:
            exists = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if exists and exists[0] is None:
                conn.execute(queue.schema_manager.get_schema())
            conn.execute(LIVE_LOCK_INDEX)
        finally:
            conn.execute("SELECT pg_advisory_unlock(7310455202)")


#: procrastinate fetches a job with "the first waiting job whose lock no other live job holds".
#: Its only index with `lock` leads with `id`, so each lock check walks that index: when the
#: planner misjudges the queue (see `refresh_queue_statistics`) it checks every waiting job
#: and one fetch cost 0.7 s with 5,000 clients waiting (18 ms with this index).
LIVE_LOCK_INDEX = (
    "CREATE INDEX IF NOT EXISTS dunning_jobs_live_lock_idx ON procrastinate_jobs (lock) "
    "WHERE status IN ('todo', 'doing')"
)
#: below this many jobs deferred at once, stale statistics cost little
ANALYZE_AFTER = 100


def refresh_queue_statistics(engine: Engine) -> None:
    """`ANALYZE procrastinate_jobs` after a round was deferred.

    The planner's statistics of the jobs table date from the last (auto)analyze, typically taken
    when no job was waiting. Planning the fetch for "almost no waiting jobs", PostgreSQL then
    checks the lock of every waiting job and sorts them all, for every single fetch, instead of
    taking the first one in priority order: with 5,000 clients queued, each fetch took 0.7-1.5 s
    and one worker ran 1.35 clients a second instead of 7. Fresh statistics make it 1 ms. Only
    the table's owner may analyze it; anyone else gets a warning and the slower fetches.
    """
    try:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE procrastinate_jobs"))
    except DBAPIError as exc:
        log.warning(
            "could not refresh the job queue's statistics (%s); job fetching may be "
            "slow while many clients wait",
            exc.orig,
        )


async def _reap_stalled(queue: procrastinate.App, every: float, heartbeat_timeout: float) -> None:
    """Retry jobs whose worker stopped sending heartbeats (it was killed mid-run)."""
    while True:
        await asyncio.sleep(every)
        try:
            stalled = await queue.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=heartbeat_timeout
            )
            for job in stalled:
                log.warning("retrying job %s (%s) of a stalled worker", job.id, job.task_name)
                await queue.job_manager.retry_job(job)
        except Exception:  # the reaper must outlive a hiccup of the database
            log.exception("stalled-job reaper failed; trying again")


def run_worker(
    queue: procrastinate.App,
    *,
    concurrency: int,
    heartbeat: float = 5.0,
    stalled_after: float = 30.0,
    wait: bool = True,
) -> None:
    """Run a worker until SIGTERM/SIGINT (or, with wait=False, until the queue is empty)."""

    async def main() -> None:
        async with queue.open_async():
            reaper = asyncio.create_task(_reap_stalled(queue, heartbeat, stalled_after))
            try:
                queue.perform_import_paths()  # type: ignore[no-untyped-call]
                options: WorkerOptions = {
                    **queue.worker_defaults,
                    "queues": [QUEUE, SCHEDULE_QUEUE],
                    "concurrency": concurrency,
                    "wait": wait,
                    "update_heartbeat_interval": heartbeat,
                    "stalled_worker_timeout": stalled_after,
                    "name": context().name,
                    "shutdown_graceful_timeout": 60,
                }
                worker = stoppable(Worker(app=queue, **options))
                await worker.run()  # type: ignore[no-untyped-call]
            finally:
                reaper.cancel()

    asyncio.run(main())
    # procrastinate has stopped taking jobs; a job past its graceful timeout may still be inside
    # a token refresh: never exit between Exact's answer and the commit
    wait_for_refreshes()


def stoppable(worker: Worker) -> Worker:
    """The worker, telling the runs in flight when it is asked to stop (its signal handler
    calls `stop`): they stop between actions (`STOPPING`)."""
    stop = worker.stop

    def stop_between_actions() -> None:
        STOPPING.set()
        stop()  # type: ignore[no-untyped-call]

    worker.stop = stop_between_actions  # type: ignore[method-assign]
    return worker


def defer_round(queue: procrastinate.App, app: App, now: datetime, *, simulated: bool) -> list[str]:
    """`dunning enqueue`: defer the slot containing `now` for every due client."""
    with queue.open():
        return enqueue_due(queue, app, now, simulated=simulated)
