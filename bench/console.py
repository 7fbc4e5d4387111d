"""The web console at the size issue #13 names: 1,000 clients with 50,000 invoices each.

An installation (SQLite) with ``BENCH_CONSOLE_CLIENTS`` clients (default 1,000), each with
``BENCH_CONSOLE_INVOICES`` open invoices (default 50,000: 50 million in all), a customer per
ten invoices, a payment per 25 and a few hundred actions in the outbox (sent reminders, calls
for today, some waiting for approval), so the client page has something to show.

The data is built fast: the first client's rows are written through the store's tables, then
copied for every other client in the database (``INSERT … SELECT`` with the client's name put
in), so every client holds the same ledger under its own name. Each client's summary (what
the overview shows, and its count of the next 7 days) is what the end of a run keeps: the
first client's is written by the run's own function (`connector.run.keep_summary`, which sums
its invoices and plans them), the others are copied from it (the same ledger gives the same
figures; one more client is computed by the run's function to check the copy).

An administrator (who sees every client) then asks, through the real application (FastAPI's
TestClient: routing, session check, queries, template), for the overview (`/`), a client's page
(`/clients/<name>`) and a client's "next 7 days" cell (the run's count); printed are their
p50/p95, the build time and the database's size. Last, one client is changed after its run
(a pause, say): the overview sums that client live, its cell plans it again and its page sums
its ageing again, timed too. The client page's first render is printed apart: it compiles the
console's templates, once per server process.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text

from connector.app import App
from connector.config.models import ConsoleSettings
from connector.console.app import create_app
from connector.console.deps import ConsoleContext
from connector.console.users import Role, add_user
from connector.domain.clock import ManualClock, SystemClock
from connector.run import keep_summary
from connector.store import summaries
from connector.store.db import session_scope
from connector.store.models import (
    ClientSummary,
    CustomerRow,
    InvoiceRow,
    OutboxAction,
    OutboxItem,
    PaymentRow,
)
from sandboxes.zoho.world import WorldClient, write_config

#: Monday 2 March 2026, 10:00 in Amsterdam
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
PASSWORD = "bench bench bench"
ROUNDS = 20
#: outbox actions per client (ids of client k start at k * ACTION_STRIDE)
ACTIONS = 300
ACTION_STRIDE = 1_000


def _first_client(engine: Engine, slug: str, invoices: int) -> None:
    """The first client's ledger and outbox, written through the store's tables."""
    customers = max(1, invoices // 10)
    with engine.begin() as conn:
        conn.execute(
            insert(CustomerRow),
            [
                {
                    "tenant": slug,
                    "ref": f"c{k}",
                    "name": f"Klant {k} B.V.",
                    "email": f"debiteuren@klant{k}.example",
                    "profile": "business",
                    "number": f"{10_000 + k}",
                }
                for k in range(customers)
            ],
        )
        for start in range(0, invoices, 10_000):
            conn.execute(
                insert(InvoiceRow),
                [
                    {
                        "tenant": slug,
                        "ref": f"i{i}",
                        "number": f"F{i:07d}",
                        "customer_ref": f"c{i % customers}",
                        "status": "open",
                        "issue_date": TODAY - timedelta(days=30 + i % 90),
                        "due_date": TODAY - timedelta(days=i % 90 - 20),
                        "currency": "EUR",
                        "total_minor": 10_000 + i % 50_000,
                        "balance_minor": 10_000 + i % 50_000,
                    }
                    for i in range(start, min(invoices, start + 10_000))
                ],
            )
        conn.execute(
            insert(PaymentRow),
            [
                {
                    "tenant": slug,
                    "ref": f"p{k}",
                    "customer_ref": f"c{k % customers}",
                    "paid_on": TODAY - timedelta(days=k % 120),
                    "currency": "EUR",
                    "amount_minor": 5_000 + k % 20_000,
                    "invoice_refs": [f"i{k}"],
                }
                for k in range(max(1, invoices // 25))
            ],
        )
        actions = []
        items = []
        for a in range(min(ACTIONS, invoices)):
            kind, status, day = "reminder", "sent", TODAY - timedelta(days=1 + a % 30)
            if a % 50 == 0:
                kind, status, day = "call_task", "sent", TODAY
            elif a % 40 == 1:
                status, day = "approval", TODAY
            actions.append(
                {
                    "id": a + 1,
                    "tenant": slug,
                    "customer_ref": f"c{a % customers}",
                    "kind": kind,
                    "template": "reminder" if kind == "reminder" else "call",
                    "channel": "ledger_mail" if kind == "reminder" else "task",
                    "planned_for": day,
                    "idempotency_key": f"bench-{a}",
                    "extra": {},
                    "status": status,
                    "created_at": NOW - timedelta(days=1 + a % 30),
                    "done_at": None if status == "approval" else NOW - timedelta(days=a % 30),
                }
            )
            items.append(
                {
                    "id": a + 1,
                    "action_id": a + 1,
                    "tenant": slug,
                    "invoice_ref": f"i{a}",
                    "step": "reminder" if kind == "reminder" else "call-1",
                    "currency": "EUR",
                    "balance_minor": 10_000 + a,
                    "live": True,
                }
            )
        if actions:
            conn.execute(insert(OutboxAction), actions)
            conn.execute(insert(OutboxItem), items)


def _copy(engine: Engine, table: str, source: str, slug: str, k: int) -> None:
    """Copy `source`'s rows of `table` for client `slug` (the k-th): same rows, its name."""
    with engine.connect() as conn:
        columns = [
            str(row[1]) for row in conn.execute(text(f"PRAGMA table_info({table})"))
        ]  # id column first
    shift = {
        "outbox_action": {"id": f"id + {k * ACTION_STRIDE}"},
        "outbox_item": {
            "id": f"id + {k * ACTION_STRIDE}",
            "action_id": f"action_id + {k * ACTION_STRIDE}",
        },
    }.get(table, {})
    names = [c for c in columns if c != "id" or "id" in shift]
    chosen = [":slug" if c == "tenant" else shift.get(c, c) for c in names]
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO {table} ({', '.join(names)}) "
                f"SELECT {', '.join(chosen)} FROM {table} WHERE tenant = :source"
            ),
            {"slug": slug, "source": source},
        )


def _copy_summary(engine: Engine, source: str, slug: str) -> None:
    columns = [c.name for c in ClientSummary.__table__.columns]  # type: ignore[attr-defined]
    chosen = [":slug" if c == "tenant" else c for c in columns]
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO client_summary ({', '.join(columns)}) "
                f"SELECT {', '.join(chosen)} FROM client_summary WHERE tenant = :source"
            ),
            {"slug": slug, "source": source},
        )


def _percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def _timed(rounds: int, ask: Callable[[], None]) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        ask()
        out.append(time.perf_counter() - t)
    return out


def run(clients: int, per_client: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        database = root / "dunning.db"
        slugs = [f"client{n:04d}" for n in range(clients)]
        started = time.perf_counter()
        write_config(
            root / "config",
            "http://127.0.0.1:9",
            [WorldClient(slug, str(20_000_000 + n)) for n, slug in enumerate(slugs)],
            f"sqlite:///{database}",
            {},
        )
        env = {
            "ZOHO_CLIENT_ID": "id",
            "ZOHO_CLIENT_SECRET": "secret",
            "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
        }
        app = App.open(root / "config", env)
        clock = ManualClock(NOW)
        first = slugs[0]
        _first_client(app.engine, first, per_client)
        for k, slug in enumerate(slugs[1:], start=1):
            for table in ("customer", "invoice", "payment", "outbox_action", "outbox_item"):
                _copy(app.engine, table, first, slug, k)
        filled = time.perf_counter() - started
        # what the end of a run keeps, by the run's own function for the first client
        seen = SystemClock().now()
        t = time.perf_counter()
        keep_summary(app.tenant(first, clock, offline=True), clock, config_seen_at=seen)
        kept_in = time.perf_counter() - t
        with session_scope(app.engine) as session:
            summary = session.get(ClientSummary, first)
            assert summary is not None and summary.upcoming is not None
            steps = summary.upcoming
        with session_scope(app.engine) as session:
            session.execute(text("DELETE FROM client_summary WHERE tenant != :t"), {"t": first})
        for slug in slugs[1:]:
            _copy_summary(app.engine, first, slug)
        if clients > 1:  # the copy is what the run's function computes for that client
            last = slugs[-1]
            with session_scope(app.engine) as session:
                copied = session.get(ClientSummary, last)
                assert copied is not None
                copied_figures = (
                    copied.outstanding,
                    copied.calls_today,
                    copied.upcoming,
                    copied.headline,
                )
            keep_summary(app.tenant(last, clock, offline=True), clock, config_seen_at=seen)
            with session_scope(app.engine) as session:
                again = session.get(ClientSummary, last)
                assert again is not None
                assert (
                    again.outstanding,
                    again.calls_today,
                    again.upcoming,
                    again.headline,
                ) == copied_figures
        add_user(
            app.engine, "admin@bench.example", Role.ADMIN, PASSWORD, known_clients=slugs, now=NOW
        )
        built = time.perf_counter() - started
        size = sum(p.stat().st_size for p in root.glob("dunning.db*"))
        ctx = ConsoleContext(app, clock, ConsoleSettings())
        with TestClient(create_app(ctx)) as browser:
            page = browser.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert token
            browser.post(
                "/login",
                data={"email": "admin@bench.example", "password": PASSWORD, "csrf_token": token[1]},
            )

            def overview() -> None:
                answer = browser.get("/")
                assert answer.status_code == 200 and answer.text.count("<tr") == clients + 1

            def page_of(slug: str) -> Callable[[], None]:
                def ask() -> None:
                    assert browser.get(f"/clients/{slug}").status_code == 200

                return ask

            def cell_of(slug: str) -> Callable[[], None]:
                def ask() -> None:
                    answer = browser.get(f"/overview/upcoming/{slug}")
                    assert answer.status_code == 200 and f">{steps} " in answer.text

                return ask

            middle = slugs[clients // 2]
            # the first page a server shows compiles the console's templates (once per process)
            first_page = _timed(1, page_of(slugs[-1]))[0]
            overview_times = _timed(ROUNDS, overview)
            page_times = _timed(ROUNDS, page_of(middle))
            cell_times = _timed(ROUNDS, cell_of(middle))
            # a pause (or an approval, a sync) after its run: that client is computed live
            summaries.touch_now(app.engine, middle)
            changed_overview = _timed(max(3, ROUNDS // 4), overview)
            changed_cell = _timed(3, cell_of(middle))
            changed_page = _timed(max(3, ROUNDS // 4), page_of(middle))
        total = clients * per_client
        print(
            f"console: {clients:,} clients × {per_client:,} open invoices = {total:,} "
            f"(built in {filled:.0f} s, summaries {built - filled:.0f} s of which the run's "
            f"function on one client {kept_in:.1f} s; database {size / 1e9:.1f} GB)"
        )
        print(f"  overview page (/), {ROUNDS} renders: {_percentiles(overview_times)}")
        print(
            f"  client page (/clients/{middle}), {len(page_times)} renders: "
            f"{_percentiles(page_times)} (the server's first page, compiling the templates: "
            f"{first_page * 1000:.0f} ms)"
        )
        print(f"  next-7-days cell of {middle} (the run's count): {_percentiles(cell_times)}")
        print(
            f"  after a change to {middle} since its run: overview "
            f"{_percentiles(changed_overview)}, its next-7-days cell (planned live) "
            f"{_percentiles(changed_cell)}, its client page (ageing summed live) "
            f"{_percentiles(changed_page)}"
        )
        app.engine.dispose()


def main() -> None:
    run(
        int(os.environ.get("BENCH_CONSOLE_CLIENTS", "1000")),
        int(os.environ.get("BENCH_CONSOLE_INVOICES", "50000")),
    )


if __name__ == "__main__":
    main()
