"""Load: hourly rounds of N clients through `dunning worker` processes on PostgreSQL.

The Zoho sandbox (in this process) answers every API call after 100 ms, like a real platform
across the internet. For each N, a warm-up round (first full syncs) runs first; then one round
per worker count (1, 2, 4 workers, `--concurrency 4` each) is timed from `dunning enqueue` to
the last client's slot finished, once the workers have started (read their configuration and
registered with the queue), as long-running workers are. Per worker: CPU seconds in the round
and peak RSS from /proc. Database load: SQL statements per client run (counted by the worker)
and PostgreSQL transactions per run (pg_stat_database: includes the queue's own polling, so it
grows with idle time). "sandbox CPU" is this process (the fake Zoho serving every call, and the
polling): it stays far below one core, so the sandbox is not what limits the rounds.

`make bench` (`python -m bench worker-load`) runs N = 100, 1,000 and 5,000, about 35 minutes on
two cores (the 5,000 warm-up alone is 5,000 first syncs); `make bench-quick` (or
BENCH_WORKER_SIZES=100,1000) leaves out 5,000.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get(
    "DUNNING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MONDAY = date(2026, 1, 5)
LATENCY = 0.1
CONCURRENCY = 4  # per worker: rounds are latency-bound, so more workers can shorten them


def _proc_stats(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak RSS MiB) of a live process."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return cpu, hwm


def _commits(admin: Any) -> int:
    with admin.connect() as conn:
        return int(
            conn.execute(
                text("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            ).scalar_one()
        )


def _done(admin: Any, schema: str, slot: Any) -> int:
    """Clients that finished `slot` (a count in the database: loading the rounds in this process
    would take the GIL from the sandbox serving the workers)."""
    with admin.connect() as conn:
        return int(
            conn.execute(
                text(
                    f'SELECT count(*) FROM "{schema}".tenant_round '
                    "WHERE round_at = :slot AND status = 'done'"
                ),
                {"slot": slot},
            ).scalar_one()
        )


def _wait_for_workers(admin: Any, schema: str, workers: list[Any], timeout: float = 300) -> None:
    """Until every worker registered with the queue (each reads all client files first)."""
    deadline = time.monotonic() + timeout
    while True:
        with admin.connect() as conn:
            registered = 0
            if (
                conn.execute(
                    text("SELECT to_regclass(:t)"), {"t": f'"{schema}".procrastinate_workers'}
                ).scalar()
                is not None
            ):
                registered = conn.execute(
                    text(f'SELECT count(*) FROM "{schema}".procrastinate_workers')
                ).scalar_one()
        if registered >= len(workers):
            return
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a worker exited before it started")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {registered} of {len(workers)} workers started")
        time.sleep(0.5)


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=120)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait()


def run_size(n_clients: int, worker_counts: tuple[int, ...] = (1, 2, 4)) -> list[dict[str, Any]]:
    from connector.worker import rounds
    from sandboxes.world import local_moment
    from sandboxes.zoho import Limits
    from sandboxes.zoho.generate import seed_small_org
    from sandboxes.zoho.world import ZohoWorld

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"

    rows = []
    workers: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        world = ZohoWorld.open(
            Path(tmp),
            start=local_moment(MONDAY, 8),
            seed=5,
            populate=seed_small_org,
            slugs=[f"c{n:05d}" for n in range(n_clients)],
            database_url=url,
            limits=Limits(per_minute=10**6, daily=10**9, latency=LATENCY),
        )
        env = {**os.environ, **world.env}
        base = [sys.executable, "-m", "connector.cli", "-q", "--config", str(world.app.config_dir)]
        try:
            plan = [("warm-up (first sync)", 4)] + [(f"{k} worker(s)", k) for k in worker_counts]
            for hour, (label, k) in enumerate(plan):
                at = local_moment(MONDAY, 9 + hour)
                world.clock.set(at)
                workers = [
                    subprocess.Popen(
                        [*base, "worker", "--no-schedule", "--concurrency", str(CONCURRENCY)],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    for _ in range(k)
                ]
                _wait_for_workers(admin, schema, workers)
                started = [_proc_stats(w.pid)[0] for w in workers]  # reading the configuration
                commits0 = _commits(admin)
                cpu0 = time.process_time()
                t0 = time.perf_counter()
                subprocess.run(
                    [*base, "enqueue", "--now", at.isoformat()],
                    env=env,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                slot = rounds.slot(at, 60)
                while _done(admin, schema, slot) < n_clients:
                    time.sleep(0.25)
                seconds = time.perf_counter() - t0
                sandbox_cpu = time.process_time() - cpu0
                commits = _commits(admin) - commits0
                queries = [
                    int(m.group(1))
                    for r in rounds.results(world.app.engine, slot)
                    if (m := re.search(r"; (\d+) queries$", r))
                ]
                stats = [_proc_stats(w.pid) for w in workers]
                _stop(workers)
                rows.append(
                    {
                        "clients": n_clients,
                        "round": label,
                        "workers": k,
                        "seconds": seconds,
                        "cpu": (sum(c for c, _ in stats) - sum(started)) / k,
                        "rss": max(m for _, m in stats),
                        "sandbox_cpu": sandbox_cpu,
                        "tx_per_run": commits / n_clients,
                        "queries_per_run": sum(queries) / max(1, len(queries)),
                    }
                )
        finally:
            _stop(workers)
            world.close()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return rows


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_WORKER_SIZES", "100,1000,5000").split(",")]
    print(
        f"== worker load: Zoho sandbox at {LATENCY * 1000:.0f} ms per call, PostgreSQL, "
        f"--concurrency {CONCURRENCY} =="
    )
    print(
        f"{'clients':>8}  {'round':<22} {'round s':>8} {'CPU s/worker':>13} "
        f"{'peak RSS MiB':>13} {'queries/run':>12} {'PG tx/run':>10} {'sandbox CPU s':>14}",
        flush=True,
    )
    for n in sizes:
        for row in run_size(n):
            print(
                f"{row['clients']:>8}  {row['round']:<22} {row['seconds']:>8.1f} "
                f"{row['cpu']:>13.1f} {row['rss']:>13.0f} {row['queries_per_run']:>12.1f} "
                f"{row['tx_per_run']:>10.1f} {row['sandbox_cpu']:>14.1f}",
                flush=True,
            )
    print("(an hourly round must finish well inside 3600 s; more workers should shorten it)")


if __name__ == "__main__":
    main()
