"""The web console's overview at scale: 1,000 clients on one installation.

An installation (SQLite) with ``BENCH_CONSOLE_CLIENTS`` clients (default 1,000), each with
``BENCH_CONSOLE_INVOICES`` open invoices (default 50), and one large client with
``BENCH_CONSOLE_LARGE`` invoices (default 50,000); rows are written straight into the store.
An administrator (who sees every client) asks for the overview (`/`) through the real
application (FastAPI's TestClient: routing, session check, queries, template); printed are
p50/p95 of the page, of the large client's "next 7 days" cell (the planner over its open
invoices, which the page loads separately by htmx), and of that client's own page
(`/clients/<name>`: ageing and DSO, customers, ladders, recent actions).
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import insert

from connector.app import App
from connector.config.models import ConsoleSettings
from connector.console.app import create_app
from connector.console.deps import ConsoleContext
from connector.console.users import Role, add_user
from connector.domain.clock import ManualClock
from connector.store.models import CustomerRow, InvoiceRow
from sandboxes.zoho.world import WorldClient, write_config

#: Monday 2 March 2026, 10:00 in Amsterdam
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
PASSWORD = "bench bench bench"
ROUNDS = 20


def _fill(app: App, slug: str, invoices: int) -> None:
    customers = max(1, invoices // 10)
    with app.engine.begin() as conn:
        conn.execute(
            insert(CustomerRow),
            [
                {"tenant": slug, "ref": f"c{k}", "name": f"Klant {k} B.V.", "profile": "business"}
                for k in range(customers)
            ],
        )
        conn.execute(
            insert(InvoiceRow),
            [
                {
                    "tenant": slug,
                    "ref": f"{slug}-{i}",
                    "number": f"F{i:07d}",
                    "customer_ref": f"c{i % customers}",
                    "status": "open",
                    "issue_date": TODAY - timedelta(days=30 + i % 90),
                    "due_date": TODAY - timedelta(days=i % 90 - 20),
                    "currency": "EUR",
                    "total_minor": 10_000 + i % 50_000,
                    "balance_minor": 10_000 + i % 50_000,
                }
                for i in range(invoices)
            ],
        )


def _percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def run(clients: int, per_client: int, large: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        slugs = [f"client{n:04d}" for n in range(clients)]
        started = time.perf_counter()
        write_config(
            root / "config",
            "http://127.0.0.1:9",
            [WorldClient(slug, str(20_000_000 + n)) for n, slug in enumerate(slugs)],
            f"sqlite:///{root / 'dunning.db'}",
            {},
        )
        env = {
            "ZOHO_CLIENT_ID": "id",
            "ZOHO_CLIENT_SECRET": "secret",
            "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
        }
        app = App.open(root / "config", env)
        for n, slug in enumerate(slugs):
            _fill(app, slug, large if n == 0 else per_client)
        add_user(
            app.engine, "admin@bench.example", Role.ADMIN, PASSWORD, known_clients=slugs, now=NOW
        )
        setup = time.perf_counter() - started
        ctx = ConsoleContext(app, ManualClock(NOW), ConsoleSettings())
        with TestClient(create_app(ctx)) as browser:
            page = browser.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert token
            browser.post(
                "/login",
                data={"email": "admin@bench.example", "password": PASSWORD, "csrf_token": token[1]},
            )
            overview, cell = [], []
            for _ in range(ROUNDS):
                t = time.perf_counter()
                answer = browser.get("/")
                overview.append(time.perf_counter() - t)
                assert answer.status_code == 200 and answer.text.count("<tr") == clients + 1
            for _ in range(max(3, ROUNDS // 4)):
                t = time.perf_counter()
                assert browser.get(f"/overview/upcoming/{slugs[0]}").status_code == 200
                cell.append(time.perf_counter() - t)
            client_page = []
            for _ in range(max(3, ROUNDS // 4)):
                t = time.perf_counter()
                assert browser.get(f"/clients/{slugs[0]}").status_code == 200
                client_page.append(time.perf_counter() - t)
        total = large + per_client * (clients - 1)
        print(
            f"console overview: {clients:,} clients, {total:,} open invoices "
            f"(one client {large:,}, the others {per_client:,}; set up in {setup:.0f} s)"
        )
        print(f"  overview page (/), {ROUNDS} renders: {_percentiles(overview)}")
        print(
            f"  next-7-days cell of the {large:,}-invoice client (planner, by htmx): "
            f"{_percentiles(cell)}"
        )
        print(
            f"  client page of the {large:,}-invoice client (/clients/{slugs[0]}): "
            f"{_percentiles(client_page)}"
        )
        app.engine.dispose()


def main() -> None:
    run(
        int(os.environ.get("BENCH_CONSOLE_CLIENTS", "1000")),
        int(os.environ.get("BENCH_CONSOLE_INVOICES", "50")),
        int(os.environ.get("BENCH_CONSOLE_LARGE", "50000")),
    )


if __name__ == "__main__":
    main()
