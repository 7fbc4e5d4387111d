"""Moneybird sync at scale: API calls against the minimum, wall time, and peak memory.

Mirrors bench/exact_sync.py. The Moneybird sandbox runs in a forked child process with a bulk
administration (its memory does not count towards the connector's); the connector syncs it into
SQLite here, as `dunning sync` would. Figures:

* first full sync of 50,000 sales invoices: synchronization-API calls vs. the minimum (one GET of
  ids and versions per resource, one POST per 100 records: sales invoices and contacts);
* an hourly incremental sync after 1% of the invoices changed: calls vs. the minimum (one GET per
  resource, one POST per 100 invoices Moneybird changed since the last sync: the 1%, and the
  ones that turned late when the day changed); it lists again every invoice the first sync
  paused and must not fetch them. A second hourly sync shows the steady state;
* the calls that pause (first sync) or resume (paid since) Moneybird's own reminder workflow are
  write-backs, not sync: shown on their own line, one per invoice concerned;
* peak Python heap at 10k and 50k invoices, for each phase: it should stay flat (fetched 100 at
  a time; the lists of ids and versions, the waiting pauses and the payments are spooled to
  disk, the versions a cursor carries are packed).
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing as mp
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench.sync_report import Phase, free_port, print_report

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BATCH = 100
SLUG = "bench"
WORKFLOW = ("POST sales_invoices/{id}/pause", "POST sales_invoices/{id}/resume")
#: (invoices, phase) -> pause/resume calls, printed after the report
workflow_calls: list[tuple[int, str, int]] = []


def _serve(port: int, n: int, conn: Any) -> None:  # runs in the child process
    from sandboxes.kit.clock import SandboxClock
    from sandboxes.kit.server import LoopbackServer
    from sandboxes.moneybird import Limits, MoneybirdState, bulk_ledger, make_app
    from sandboxes.moneybird.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    clock = SandboxClock(START)
    state = MoneybirdState(clock.now, Limits(per_window=10**9))
    ledger = bulk_ledger(state, invoices=n, contacts=max(50, n // 20))
    tokens = state.issue_tokens_for_tests(DEMO_CLIENT_ID)
    server = LoopbackServer(make_app(state), port=port).start()
    conn.send(
        {
            "access": tokens.access,
            "refresh": tokens.refresh,
            "administration": ledger.administration_id,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        }
    )
    marked: dict[str, int] = {}
    while True:
        command = conn.recv()
        if command == "touch":
            conn.send(len(ledger.touch_share(0.01)))
        elif command in ("mark", "changed"):
            # the invoices whose version moved since the last mark: what a sync must fetch
            with state.lock:
                now = {
                    i.id: i.version
                    for i in state.ledger(ledger.administration_id).invoices.values()
                }
            conn.send(sum(1 for k, v in now.items() if marked.get(k) != v))
            marked = now
        elif command == "stop":
            break
    server.stop()


def write_config(root: Path, url: str, administration: str) -> Path:
    config = root / "config"
    (config / "clients").mkdir(parents=True)
    (config / "connector.yaml").write_text(
        f"database_url: {json.dumps('sqlite:///' + str(root / 'bench.db'))}\n"
        "timezone: Europe/Amsterdam\n"
    )
    (config / "clients" / f"{SLUG}.yaml").write_text(
        "display_name: Bulk Administratie B.V.\n"
        "platform: moneybird\n"
        "moneybird:\n"
        f"  administration_id: {administration}\n"
        "  client_id: ${MONEYBIRD_CLIENT_ID}\n"
        "  client_secret: ${MONEYBIRD_CLIENT_SECRET}\n"
        f"  api_url: {url}\n"
        f"  accounts_url: {url}\n"
        "mail: {smtp_host: 127.0.0.1, smtp_port: 2525, from: ar@bulk.example, starttls: false}\n"
        "sender: {name: Bulk Administratie B.V., email: ar@bulk.example}\n"
    )
    return config


def run_size(n: int, *, measure_memory: bool) -> list[Phase]:
    from cryptography.fernet import Fernet

    from connector.app import App
    from connector.domain.clock import ManualClock
    from connector.http import limiter as http_limiter
    from connector.store import ledger_repo
    from connector.store.db import session_scope
    from connector.sync import sync_tenant

    http_limiter._local.clear()
    port = free_port()
    ctx = mp.get_context("fork")
    parent, child_end = ctx.Pipe()
    child = ctx.Process(target=_serve, args=(port, n, child_end), daemon=True)
    child.start()
    try:
        if not parent.poll(600):
            raise RuntimeError("the sandbox did not start")
        info = parent.recv()
        url = f"http://127.0.0.1:{port}"
        http = requests.Session()

        def control(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
            response = http.request(method, url + "/_sandbox/" + path, json=body, timeout=60)
            response.raise_for_status()
            return response.json() if response.content else None

        def counted() -> tuple[int, int]:
            """(synchronization calls, workflow pause/resume calls) so far."""
            calls = control("GET", "stats")["calls"]
            workflow = sum(int(v) for k, v in calls.items() if k in WORKFLOW)
            return sum(int(v) for v in calls.values()) - workflow, workflow

        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            env = {
                "MONEYBIRD_CLIENT_ID": info["client_id"],
                "MONEYBIRD_CLIENT_SECRET": info["client_secret"],
                "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
            }
            app = App.open(write_config(root, url, info["administration"]), env)
            clock = ManualClock(START)
            app.tokens.put_initial(
                SLUG,
                "default",
                "moneybird",
                refresh_token=info["refresh"],
                access_token=info["access"],
                expires_at=START + timedelta(days=30),
                now=START,
            )
            tenant = app.tenant(SLUG, clock)
            phases = []

            def measured(name: str, minimum_of: Any) -> Phase:
                before, paused_before = counted()
                if measure_memory:
                    tracemalloc.start()
                t0 = time.perf_counter()
                stats = sync_tenant(app.engine, tenant.ledger, SLUG, clock)
                seconds = time.perf_counter() - t0
                peak = None
                if measure_memory:
                    peak = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
                after, paused_after = counted()
                if not measure_memory:
                    workflow_calls.append((n, name, paused_after - paused_before))
                return Phase(
                    name,
                    after - before,
                    minimum_of(stats),
                    seconds,
                    peak,
                    stats.customers + stats.invoices,
                )

            def full_minimum(stats: Any) -> int:
                # one GET of ids and versions per resource, one POST per 100 records
                return (
                    int(math.ceil(stats.invoices / BATCH) + math.ceil(stats.customers / BATCH)) + 2
                )

            phases.append(measured("first full sync", full_minimum))
            with session_scope(app.engine) as session:
                stored = ledger_repo.counts(session, SLUG)
            assert stored["invoices"] == n, stored

            parent.send("mark")  # the versions after the first sync (its pauses included)
            parent.recv()

            def incremental_minimum(_: Any) -> int:
                # one POST per 100 invoices Moneybird changed since the last sync (the 1%, and
                # those that turned late when the day changed), + the two lists
                parent.send("changed")
                return math.ceil(int(parent.recv()) / BATCH) + 2

            # the first hourly sync lists every invoice the first one paused again (the pause
            # changed it) and must not fetch them; the second is the steady state. The first
            # sync's pauses (one call each, 30 a minute) took the connector's clock ahead: the
            # sandbox's clock follows it, an hour later each time
            for name in ("hourly sync, 1% changed", "next hourly, 1% changed"):
                later = clock.now() + timedelta(hours=1)
                control("POST", "clock", {"set": later.isoformat()})
                clock.set(later)
                parent.send("touch")
                parent.recv()
                phases.append(measured(name, incremental_minimum))
            app.engine.dispose()
            return phases
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        child.kill()
        child.join()


def main() -> None:
    print_report(
        "== Moneybird sync (sandbox in a child process, SQLite store, 100 records a POST) ==",
        "invoices",
        run_size,
    )
    for n, name, calls in workflow_calls:
        print(
            f"{n:>9}  {name:<26} + {calls} calls pausing/resuming Moneybird's own workflow "
            "(write-backs, one per invoice concerned)"
        )


if __name__ == "__main__":
    main()
