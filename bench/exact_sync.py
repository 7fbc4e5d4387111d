"""Exact sync at scale: API calls against the minimum, wall time, and peak memory.

Mirrors bench/zoho_sync.py. The Exact sandbox runs in a forked child process with a bulk ledger
(its memory does not count towards the connector's); the connector syncs it into SQLite here, as
`dunning sync` would. Figures:

* first full sync of 50,000 receivables: API calls vs. the minimum for 1,000-row sync pages
  (one call per 1,000 rows per sync endpoint: PaymentTerms, Accounts, Contacts, Deleted);
* an hourly incremental sync after 1% of the receivables changed: calls vs. the minimum
  (changed rows / 1,000 rounded up, plus one call each for the unchanged endpoints);
* peak Python heap at 10k and 50k receivables: it should stay flat (streamed page by page).
"""

from __future__ import annotations

import contextlib
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
PAGE = 1000
SLUG = "bench"
DIVISION = 7777777


def _serve(port: int, n: int, conn: Any) -> None:  # runs in the child process
    from sandboxes.exact import ExactState, Limits, SandboxClock, make_app
    from sandboxes.exact.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, bulk_ledger
    from sandboxes.kit.server import LoopbackServer

    clock = SandboxClock(START)
    state = ExactState(clock.now, Limits(minutely=10**9, daily=10**9))
    state.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [])
    user = state.add_user_with_divisions("bench", [(DIVISION, "Bulk B.V.")])
    ledger = bulk_ledger(state, DIVISION, receivables=n, accounts=max(50, n // 20))
    tokens = state.issue_tokens_for_tests(DEMO_CLIENT_ID, user.id)
    server = LoopbackServer(make_app(state), port=port).start()
    conn.send({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token})
    while True:
        command = conn.recv()
        if command == "touch":
            conn.send(len(ledger.touch_share(0.01)))
        elif command == "stop":
            break
    server.stop()


def run_size(n: int, *, measure_memory: bool) -> list[Phase]:
    from cryptography.fernet import Fernet

    from connector.app import App
    from connector.domain.clock import ManualClock
    from connector.store import ledger_repo
    from connector.store.db import session_scope
    from connector.sync import sync_tenant
    from sandboxes.exact.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
    from sandboxes.exact.world import write_config

    port = free_port()
    ctx = mp.get_context("fork")
    parent, child_end = ctx.Pipe()
    child = ctx.Process(target=_serve, args=(port, n, child_end), daemon=True)
    child.start()
    try:
        if not parent.poll(600):
            raise RuntimeError("the sandbox did not start")
        tokens = parent.recv()
        url = f"http://127.0.0.1:{port}"
        http = requests.Session()

        def control(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
            response = http.request(method, url + "/_sandbox/" + path, json=body, timeout=60)
            response.raise_for_status()
            return response.json() if response.content else None

        def api_calls() -> int:
            return int(control("GET", "stats")["total_calls"])

        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            env = {
                "EXACT_CLIENT_ID": DEMO_CLIENT_ID,
                "EXACT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
                "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
            }
            write_config(
                root / "config", url, 2525, {SLUG: DIVISION}, f"sqlite:///{root / 'bench.db'}", {}
            )
            app = App.open(root / "config", env)
            clock = ManualClock(START)
            app.tokens.put_initial(
                SLUG,
                "default",
                "exact",
                refresh_token=tokens["refresh_token"],
                access_token=tokens["access_token"],
                expires_at=START + timedelta(seconds=600),
                now=START,
            )
            tenant = app.tenant(SLUG, clock)
            phases = []

            def measured(name: str, minimum_of: Any) -> Phase:
                before = api_calls()
                if measure_memory:
                    tracemalloc.start()
                t0 = time.perf_counter()
                stats = sync_tenant(app.engine, tenant.ledger, SLUG, clock)
                seconds = time.perf_counter() - t0
                peak = None
                if measure_memory:
                    peak = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
                return Phase(
                    name,
                    api_calls() - before,
                    minimum_of(stats),
                    seconds,
                    peak,
                    stats.customers + stats.invoices,
                )

            def full_minimum(stats: Any) -> int:
                # PaymentTerms + Accounts pages, one call each for Contacts and Deleted
                return int(math.ceil(stats.invoices / PAGE) + math.ceil(stats.customers / PAGE)) + 2

            phases.append(measured("first full sync", full_minimum))
            with session_scope(app.engine) as session:
                stored = ledger_repo.counts(session, SLUG)
            assert stored["invoices"] == n, stored

            later = START + timedelta(hours=1)
            clock.set(later - timedelta(seconds=60))  # the token is refreshed 30 s early
            control("POST", "clock", {"set": later.isoformat()})
            clock.set(later)
            parent.send("touch")
            touched = int(parent.recv())

            def incremental_minimum(_: Any) -> int:
                return math.ceil(touched / PAGE) + 3  # + Accounts, Contacts, Deleted

            phases.append(measured("hourly sync, 1% changed", incremental_minimum))
            app.engine.dispose()
            return phases
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        child.kill()
        child.join()


def main() -> None:
    print_report(
        "== Exact sync (sandbox in a child process, SQLite store, 1,000-row sync pages) ==",
        "receivables",
        run_size,
    )


if __name__ == "__main__":
    main()
