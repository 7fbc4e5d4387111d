"""Large ledgers in the store (issue #18): pages written with one cached statement, and the
planning snapshot loading only what the run needs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event

from connector.domain import (
    Action,
    ActionItem,
    ActionKind,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
    Payment,
)
from connector.store import ledger_repo, outbox
from connector.store.db import session_scope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _invoices(start: int, n: int) -> list[Invoice]:
    due = date(2026, 2, 1)
    return [
        Invoice(
            f"I{k}",
            f"INV-{k}",
            f"C{k % 7}",
            InvoiceStatus.OPEN,
            due - timedelta(days=30),
            due,
            Money.of("100.00", "EUR"),
            Money.of("100.00", "EUR"),
        )
        for k in range(start, start + n)
    ]


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, bool]]]:
    seen: list[tuple[str, bool]] = []

    def listen(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            seen.append((statement, many))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_every_page_of_a_sync_is_one_executemany_of_the_same_cached_upsert(
    engine: Engine,
) -> None:
    with _statements(engine) as seen:
        for page in range(3):  # two pages of new invoices, then the first page again (updates)
            with session_scope(engine) as session:
                ledger_repo.upsert_invoices(session, "acme", _invoices((page % 2) * 200, 200), NOW)
    assert len(seen) == 3, "one statement per page, not one per row or per chunk"
    assert all(many for _s, many in seen), "the rows go as executemany of bound parameters"
    assert len({s for s, _m in seen}) == 1, "the same statement text for every page"
    assert "VALUES (" in seen[0][0] and seen[0][0].count("VALUES (") == 1
    with session_scope(engine) as session:
        assert ledger_repo.counts(session, "acme")["invoices"] == 400


def test_the_planning_snapshot_holds_open_invoices_and_those_with_history_but_no_payments(
    engine: Engine,
) -> None:
    paid = Invoice(
        "P1",
        "INV-P1",
        "C1",
        InvoiceStatus.PAID,
        date(2026, 1, 1),
        date(2026, 1, 31),
        Money.of("80.00", "EUR"),
        Money.of("0.00", "EUR"),
    )
    with session_scope(engine) as session:
        ledger_repo.upsert_customers(session, "acme", [Customer("C1", "Klant B.V.", "a@b.nl")], NOW)
        ledger_repo.upsert_invoices(session, "acme", [*_invoices(0, 3), paid], NOW)
        ledger_repo.upsert_payments(
            session,
            "acme",
            [Payment("PAY1", "C1", date(2026, 2, 1), Money.of("80.00", "EUR"), ("P1",))],
            NOW,
        )
    with session_scope(engine) as session:
        without = ledger_repo.load_planning_snapshot(session, "acme")
        with_history = ledger_repo.load_planning_snapshot(session, "acme", also={"P1"})
    assert set(without.invoices) == {"I0", "I1", "I2"}
    assert set(with_history.invoices) == {"I0", "I1", "I2", "P1"}
    assert with_history.payments == [], "the planner never reads payment records"
    assert with_history.customers["C1"].email == "a@b.nl"
    assert with_history.invoices["I1"].balance == Money.of("100.00", "EUR")


def test_one_customers_history_reads_only_that_customers_outbox_entries(engine: Engine) -> None:
    def reminder(customer: str, ref: str) -> Action:
        item = ActionItem(ref, "reminder-1", Money.of("100.00", "EUR"))
        return Action("acme", customer, ActionKind.REMINDER, "t", date(2026, 3, 2), (item,))

    with session_scope(engine) as session:
        for n in range(6):
            outbox.enqueue(session, reminder(f"C{n % 3}", f"I{n}"), NOW, "run")
    with session_scope(engine) as session:
        everyone = outbox.history(session, "acme")
        one = outbox.history(session, "acme", customer_ref="C1")
    assert len(everyone) == 6
    assert [(h.customer_ref, h.invoice_ref) for h in one] == [("C1", "I1"), ("C1", "I4")]
    assert one[0].kind is ActionKind.REMINDER and one[0].status == "pending"


def test_the_planning_history_leaves_out_invoices_settled_before_the_thank_you_window(
    engine: Engine,
) -> None:
    """A client's history only grows; the run reads the entries on open invoices and on
    invoices paid since the thank-you look-back, not those settled months ago."""

    def settled(ref: str, paid_on: date | None, updated: datetime | None) -> Invoice:
        return Invoice(
            ref,
            f"INV-{ref}",
            "C1",
            InvoiceStatus.PAID,
            date(2025, 9, 1),
            date(2025, 10, 1),
            Money.of("80.00", "EUR"),
            Money.of("0.00", "EUR"),
            last_payment_date=paid_on,
            updated_at=updated,
        )

    invoices = [
        *_invoices(0, 1),  # I0: open
        settled("LONG-AGO", date(2025, 11, 3), None),
        settled("LAST-WEEK", date(2026, 2, 24), None),
        settled("NO-DATE-OLD", None, datetime(2025, 11, 3, tzinfo=UTC)),
        settled("NO-DATE-NEW", None, datetime(2026, 2, 27, tzinfo=UTC)),
    ]
    with session_scope(engine) as session:
        ledger_repo.upsert_invoices(session, "acme", invoices, NOW)
        for inv in [*invoices, settled("UNKNOWN", None, None)]:
            item = ActionItem(inv.ref, "reminder-1", Money.of("80.00", "EUR"))
            action = Action("acme", "C1", ActionKind.REMINDER, "t", date(2025, 10, 9), (item,))
            outbox.enqueue(session, action, NOW, "run")
    with session_scope(engine) as session:
        everything = outbox.history(session, "acme")
        planning = outbox.history(session, "acme", settled_since=date(2026, 2, 15))
    assert len(everything) == 6
    assert {h.invoice_ref for h in planning} == {"I0", "LAST-WEEK", "NO-DATE-NEW"}
