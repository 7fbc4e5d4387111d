"""`dunning worker` and `dunning enqueue`: client runs through the PostgreSQL task queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from connector.cli._common import app_clock, fail, globals_of

if TYPE_CHECKING:
    import procrastinate

    from connector.app import App


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(enqueue)


def _queue_and_app(
    ctx: typer.Context,
    *,
    schedule: bool = True,
    now: str | None = None,
) -> tuple[procrastinate.App, App]:
    from connector.domain.clock import ShiftedClock
    from connector.worker import queue as q

    g = globals_of(ctx)
    context = q.WorkerContext(g.config_dir)
    q.configure(context)
    try:
        app = context.app
        if now is not None:
            start = app_clock(app, now).now()
            context.shift = ShiftedClock(start)
        url = app.config.connector.database_url
        from connector.config.environment import database_url

        url = database_url(url, context.env)
        queue = q.make_queue(url, schedule=schedule)
        q.ensure_schema(queue, url)
    except ValueError as exc:
        fail(str(exc))
    return queue, app


def worker(
    ctx: typer.Context,
    concurrency: Annotated[int, typer.Option(help="Client runs at once in this process.")] = 4,
    heartbeat: Annotated[float, typer.Option(help="Seconds between heartbeats.")] = 5.0,
    stalled_after: Annotated[
        float, typer.Option(help="Seconds without heartbeat before a worker's jobs are retried.")
    ] = 30.0,
    burst: Annotated[bool, typer.Option(help="Stop when the queue is empty.")] = False,
    schedule: Annotated[
        bool, typer.Option(help="Also queue due clients every minute (off: `dunning enqueue`).")
    ] = True,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Act as if it were this moment when this worker "
            "starts (the clock then runs on); for trials and backfills.",
        ),
    ] = None,
) -> None:
    """Run client jobs from the PostgreSQL task queue (start several, on several machines)."""
    from connector.worker import queue as q

    queue, _app = _queue_and_app(ctx, schedule=schedule, now=now)
    q.run_worker(
        queue,
        concurrency=concurrency,
        heartbeat=heartbeat,
        stalled_after=stalled_after,
        wait=not burst,
    )


def enqueue(
    ctx: typer.Context,
    now: Annotated[
        str | None, typer.Option("--now", help="Run the slot containing this moment, as of it.")
    ] = None,
) -> None:
    """Queue the current schedule slot for every client that has not run it yet."""
    from connector.worker import queue as q

    queue, app = _queue_and_app(ctx, schedule=False)
    clock = app_clock(app, now)
    deferred = q.defer_round(queue, app, clock.now(), simulated=now is not None)
    typer.echo(f"queued {len(deferred)} client runs")
