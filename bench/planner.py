"""The planner at scale: 100,000 invoices in one client and 1,000,000 over 1,000 clients.

Snapshots are built in memory (no database, no HTTP): the figure is `plan()` alone, the pure
function every run calls. Each size runs twice: without pauses, and with 1% of the customers
paused (a third of them on one invoice only). The per-invoice cost should be the same: the
planner looks pauses up by customer, it does not scan them per invoice.

Sizes: ``BENCH_PLANNER_SIZES`` (default ``100000,1000000``).
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, date, datetime, timedelta

from connector.config.policy_builtin import NL_B2B_STANDARD
from connector.domain import (
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
    Snapshot,
)
from connector.domain.history import HistoryEntry
from connector.domain.pauses import Pause, PauseKind
from connector.legal.calendar import BusinessCalendar, SendingWindow
from connector.policy.planner import PlanContext, plan

#: a Tuesday, 10:00 in Amsterdam
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 3)
INVOICES_PER_CUSTOMER = 10


def _tenant(
    slug: str, n_invoices: int, paused_share: float, rng: random.Random
) -> tuple[Snapshot, list[HistoryEntry], tuple[Pause, ...]]:
    n_customers = max(1, n_invoices // INVOICES_PER_CUSTOMER)
    customers = {
        f"c{k}": Customer(ref=f"c{k}", name=f"Customer {k}", email=f"c{k}@example.com")
        for k in range(n_customers)
    }
    invoices: dict[str, Invoice] = {}
    history: list[HistoryEntry] = []
    first = NL_B2B_STANDARD.steps[0]
    for i in range(n_invoices):
        ref = f"{slug}-i{i}"
        due = TODAY - timedelta(days=rng.randint(-20, 120))
        amount = Money.from_minor(rng.randint(1_000, 500_000), "EUR")
        cust = f"c{i % n_customers}"
        invoices[ref] = Invoice(
            ref=ref,
            number=f"INV-{i:07d}",
            customer_ref=cust,
            status=InvoiceStatus.OPEN,
            issue_date=due - timedelta(days=30),
            due_date=due,
            total=amount,
            balance=amount,
        )
        if i % 3 == 0 and due < TODAY - timedelta(days=first.offset_days + 1):
            history.append(
                HistoryEntry(
                    i, cust, ref, first.id, first.kind, "sent", due + timedelta(days=8), None
                )
            )
    pauses: list[Pause] = []
    n_paused = round(n_customers * paused_share)
    for k in range(n_paused):
        cust = f"c{k * (n_customers // max(1, n_paused))}"
        one_invoice = k % 3 == 0
        pauses.append(
            Pause(
                id=k + 1,
                tenant=slug,
                customer_ref=cust,
                kind=PauseKind.DISPUTE if one_invoice else PauseKind.PROMISE,
                reason="bench",
                created_by="bench",
                created_at=NOW - timedelta(days=1),
                invoice_ref=next(r for r, inv in invoices.items() if inv.customer_ref == cust)
                if one_invoice and k < 50
                else None,
                until=None if one_invoice else TODAY + timedelta(days=7),
            )
        )
    return Snapshot(customers, invoices, []), history, tuple(pauses)


def run(total: int, tenants: int, paused_share: float) -> tuple[float, int, int, int]:
    """Seconds in plan(), invoices, actions, pauses."""
    rng = random.Random(18)
    calendar = BusinessCalendar("NL")
    window = SendingWindow.parse("08:00-17:00", "Europe/Amsterdam")
    per_tenant = total // tenants
    seconds = 0.0
    actions = 0
    n_pauses = 0
    for t in range(tenants):
        slug = f"t{t}"
        snapshot, history, pauses = _tenant(slug, per_tenant, paused_share, rng)
        n_pauses += len(pauses)
        ctx = PlanContext(tenant=slug, calendar=calendar, window=window, pauses=pauses)
        t0 = time.process_time()
        actions += len(plan(snapshot, NL_B2B_STANDARD, history, NOW, ctx))
        seconds += time.process_time() - t0
    return seconds, per_tenant * tenants, actions, n_pauses


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_PLANNER_SIZES", "100000,1000000").split(",")]
    print("== Planner (in memory: CPU seconds in plan() only; built-in nl-b2b-standard ladder) ==")
    print(
        f"{'invoices':>9} {'clients':>7} {'paused':>7} {'pauses':>6} {'actions':>8} "
        f"{'CPU s':>7} {'µs/invoice':>10}"
    )
    for total in sizes:
        tenants = 1 if total <= 100_000 else total // 1_000
        for share in (0.0, 0.01):
            seconds, n, actions, n_pauses = run(total, tenants, share)
            print(
                f"{n:>9} {tenants:>7} {share:>7.0%} {n_pauses:>6} {actions:>8} "
                f"{seconds:>7.2f} {seconds / n * 1e6:>10.2f}"
            )
    print("(target: 1,000,000 invoices in under 10 s; 1% paused no dearer per invoice)")


if __name__ == "__main__":
    main()
