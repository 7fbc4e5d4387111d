"""`dunning worker` and `dunning enqueue`: client runs through the PostgreSQL task queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from connector.cli._common import app_clock, fail, globals_of

if TYPE_CHECKING:
    import procrastinate

    from connector.worker.queue import WorkerContext


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(enqueue)


def _open_queue(ctx: typer.Context, *, schedule: bool) -> tuple[procrastinate.App, WorkerContext]:
    from connector.worker.queue import open_queue

    try:
        return open_queue(globals_of(ctx).config_dir, schedule=schedule)
    except ValueError as exc:
        fail(str(exc))


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
    from connector.domain.clock import ShiftedClock
    from connector.worker.queue import run_worker

    queue, context = _open_queue(ctx, schedule=schedule)
    if now is not None:  # the periodic tasks act on a clock that starts at --now
        context.shift = ShiftedClock(app_clock(context.app, now).now())
    run_worker(
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
    from connector.worker.queue import defer_round

    queue, context = _open_queue(ctx, schedule=False)
    clock = app_clock(context.app, now)
    deferred = defer_round(queue, context.app, clock.now(), simulated=now is not None)
    typer.echo(f"queued {len(deferred)} client runs")
