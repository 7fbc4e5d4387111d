"""Zoho sync at scale: API calls against the minimum, wall time, and peak memory.

The sandbox runs in a child process (so its in-memory ledger does not count towards the
connector's memory) with a bulk ledger; the connector syncs it into SQLite in this process,
exactly as `dunning sync` would. Figures:

* first full sync: API calls used vs. the minimum for the page size (one call per 200 records
  per stream), wall time, peak Python heap (tracemalloc);
* an hourly incremental sync after 1% of the invoices changed: calls vs. the minimum (changed
  invoices / 200, rounded up, plus one call each for the unchanged streams);
* the same at a ledger five times smaller: peak memory should not grow with ledger size, as the
  sync is streamed page by page.
"""

from __future__ import annotations

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
PAGE = 200
SLUG = "bench"


def _serve(port: int, n_invoices: int, ready: Any) -> None:  # runs in the child process
    from sandboxes.kit.server import LoopbackServer
    from sandboxes.zoho import Limits, SandboxClock, ZohoState, make_app
    from sandboxes.zoho.generate import bulk_ledger

    clock = SandboxClock(START)
    state = ZohoState(clock.now, Limits(per_minute=10**9, daily=10**9))
    bulk_ledger(state, n_invoices=n_invoices, n_customers=max(50, n_invoices // 20))
    server = LoopbackServer(make_app(state), port=port).start()
    ready.set()
    while True:
        time.sleep(3600)
    server.stop()


def _api_calls(stats: dict[str, Any]) -> int:
    return sum(int(n) for key, n in stats["calls"].items() if "/oauth/" not in key)


def run_size(n_invoices: int, *, measure_memory: bool) -> list[Phase]:
    from cryptography.fernet import Fernet

    from connector.app import App
    from connector.domain.clock import ManualClock
    from connector.store import ledger_repo
    from connector.store.db import session_scope
    from connector.sync import sync_tenant
    from sandboxes.zoho.world import WorldClient, write_config

    port = free_port()
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=_serve, args=(port, n_invoices, ready), daemon=True)
    child.start()
    try:
        if not ready.wait(300):
            raise RuntimeError("the sandbox did not start")
        url = f"http://127.0.0.1:{port}"
        http = requests.Session()

        def control(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
            response = http.request(method, url + "/_sandbox/" + path, json=body, timeout=60)
            response.raise_for_status()
            return response.json() if response.content else None

        stats0 = control("GET", "stats")
        org = next(iter(stats0.get("usage", {}) or {}), None) or "20011112222"
        tokens = control("POST", "tokens", {})
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            env = {
                "ZOHO_CLIENT_ID": "1000.SANDBOXDEMO7Q2K9X4M1Z8W3R5T6Y",
                "ZOHO_CLIENT_SECRET": "sandbox-zoho-secret-4f9a1c07",
                "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
            }
            write_config(
                root / "config", url, [WorldClient(SLUG, org)], f"sqlite:///{root / 'bench.db'}", {}
            )
            app = App.open(root / "config", env)
            clock = ManualClock(START)
            app.tokens.put_initial(
                SLUG,
                "default",
                "zoho",
                refresh_token=tokens["refresh_token"],
                access_token=tokens["access_token"],
                expires_at=START + timedelta(seconds=3500),
                now=START,
            )
            tenant = app.tenant(SLUG, clock)
            phases = []

            def measured(name: str, minimum_of: Any) -> Phase:
                before = _api_calls(control("GET", "stats"))
                if measure_memory:
                    tracemalloc.start()
                t0 = time.perf_counter()
                stats = sync_tenant(app.engine, tenant.ledger, SLUG, clock)
                seconds = time.perf_counter() - t0
                peak = None
                if measure_memory:
                    peak = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
                calls = _api_calls(control("GET", "stats")) - before
                return Phase(
                    name,
                    calls,
                    minimum_of(stats),
                    seconds,
                    peak,
                    stats.customers + stats.invoices + stats.payments,
                )

            def full_minimum(stats: Any) -> int:
                return sum(
                    max(1, math.ceil(n / PAGE))
                    for n in (stats.customers, stats.invoices, stats.payments)
                )

            phases.append(measured("first full sync", full_minimum))
            with session_scope(app.engine) as session:
                stored = ledger_repo.counts(session, SLUG)
            assert stored["invoices"] == n_invoices, stored

            # one hour later, 1% of the invoices changed
            later = START + timedelta(hours=1)
            clock.set(later)
            control("POST", "clock", {"set": later.isoformat()})
            touched = len(control("POST", "touch", {"fraction": 0.01})["touched"])

            def incremental_minimum(_: Any) -> int:
                return math.ceil(touched / PAGE) + 2  # changed invoices + contacts + payments

            phases.append(measured("hourly sync, 1% changed", incremental_minimum))
            app.engine.dispose()
            return phases
    finally:
        child.kill()
        child.join()


def main() -> None:
    print_report("== Zoho sync (sandbox in a child process, SQLite store) ==", "invoices", run_size)


if __name__ == "__main__":
    main()
