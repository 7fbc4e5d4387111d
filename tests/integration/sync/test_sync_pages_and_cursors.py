"""The sync on its own, against an in-memory ledger (tests/support/fake_ledger.py) and the real
store: each page is stored together with its cursor, so an interrupted sync keeps what it stored
and resumes after it, and the full reconciliation marks what the platform lost as deleted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fake_ledger import FakeLedger
from sqlalchemy import Engine

from connector.domain import InvoiceStatus
from connector.domain.clock import ManualClock
from connector.domain.ports import ErrorKind, LedgerError
from connector.store import cursors, ledger_repo
from connector.store.db import session_scope
from connector.sync import sync_tenant

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DUE = date(2026, 2, 1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def ledger(clock: ManualClock) -> FakeLedger:
    """Two customers and five invoices, created a minute apart: three pages of invoices."""
    fake = FakeLedger(clock, page_size=2)
    jansen = fake.add_customer("C1", "Drukkerij Jansen")
    smit = fake.add_customer("C2", "Smit & Zn")
    for n in range(1, 6):
        clock.advance(timedelta(minutes=1))
        fake.add_invoice(f"I{n}", jansen if n % 2 else smit, f"{n}00.00", DUE)
    clock.advance(timedelta(minutes=1))
    return fake


def stored_invoices(engine: Engine) -> set[str]:
    with session_scope(engine) as session:
        return set(ledger_repo.invoices_by_ref(session, "acme", [f"I{n}" for n in range(1, 9)]))


def stamp(ledger: FakeLedger, ref: str) -> str:
    """The invoice's last change on the ledger, as the cursor of a page ending with it."""
    updated = ledger.invoices[ref].updated_at
    assert updated is not None
    return updated.isoformat()


def cursor(engine: Engine, stream: str) -> str | None:
    with session_scope(engine) as session:
        return cursors.get_cursor(session, "acme", stream)


def test_a_first_sync_stores_every_record_and_the_last_cursor_of_each_stream(
    engine: Engine, ledger: FakeLedger, clock: ManualClock
) -> None:
    stats = sync_tenant(engine, ledger, "acme", clock)
    assert (stats.customers, stats.invoices, stats.payments) == (2, 5, 0)
    assert stats.pages == 1 + 3
    assert stored_invoices(engine) == {"I1", "I2", "I3", "I4", "I5"}
    assert cursor(engine, "invoices") == stamp(ledger, "I5")


def test_the_cursor_is_stored_only_after_its_page_is(
    engine: Engine, ledger: FakeLedger, clock: ManualClock
) -> None:
    """What the store holds each time the ledger is asked for the next invoice page: the pages
    before it with the cursor of the last of them, never a cursor ahead of the stored pages."""
    seen: list[tuple[int, str | None, set[str]]] = []

    def look(stream: str, index: int) -> None:
        if stream == "invoices":
            seen.append((index, cursor(engine, "invoices"), stored_invoices(engine)))

    ledger.before_page = look
    sync_tenant(engine, ledger, "acme", clock)
    assert seen == [
        (0, None, set()),
        (1, stamp(ledger, "I2"), {"I1", "I2"}),
        (2, stamp(ledger, "I4"), {"I1", "I2", "I3", "I4"}),
    ]


def test_a_sync_that_breaks_off_keeps_the_stored_pages_and_resumes_after_them(
    engine: Engine, ledger: FakeLedger, clock: ManualClock
) -> None:
    def break_at_third_page(stream: str, index: int) -> None:
        if stream == "invoices" and index == 2:
            raise LedgerError(ErrorKind.TRANSIENT, "connection reset")

    ledger.before_page = break_at_third_page
    with pytest.raises(LedgerError):
        sync_tenant(engine, ledger, "acme", clock)
    assert stored_invoices(engine) == {"I1", "I2", "I3", "I4"}
    fourth = stamp(ledger, "I4")
    assert cursor(engine, "invoices") == fourth

    ledger.before_page = None
    ledger.cursors_asked.clear()
    stats = sync_tenant(engine, ledger, "acme", clock)
    assert ("invoices", fourth) in ledger.cursors_asked, "the next sync starts after the last page"
    assert stats.invoices == 1
    assert stored_invoices(engine) == {"I1", "I2", "I3", "I4", "I5"}


def test_an_incremental_sync_reads_only_what_changed_and_stores_the_change(
    engine: Engine, ledger: FakeLedger, clock: ManualClock
) -> None:
    sync_tenant(engine, ledger, "acme", clock)
    clock.advance(timedelta(hours=1))
    ledger.pay("I3")
    stats = sync_tenant(engine, ledger, "acme", clock)
    assert (stats.invoices, stats.payments) == (1, 1)
    with session_scope(engine) as session:
        [paid] = ledger_repo.invoices_by_ref(session, "acme", ["I3"]).values()
    assert paid.status is InvoiceStatus.PAID
    assert not paid.balance.is_positive()


def test_the_full_reconciliation_marks_invoices_the_platform_lost_as_deleted(
    engine: Engine, ledger: FakeLedger, clock: ManualClock
) -> None:
    sync_tenant(engine, ledger, "acme", clock)
    clock.advance(timedelta(hours=1))
    ledger.forget("I2")
    assert sync_tenant(engine, ledger, "acme", clock).deleted == 0, "only a full sync looks"
    stats = sync_tenant(engine, ledger, "acme", clock, full=True)
    assert stats.deleted == 1
    with session_scope(engine) as session:
        invoices = ledger_repo.invoices_by_ref(session, "acme", ["I1", "I2"])
    assert invoices["I2"].status is InvoiceStatus.DELETED
    assert invoices["I1"].status is InvoiceStatus.OPEN


def test_customers_with_unusable_addresses_are_counted(
    engine: Engine, ledger: FakeLedger, clock: ManualClock
) -> None:
    ledger.update_customer("C2", email="smit at zn")
    stats = sync_tenant(engine, ledger, "acme", clock)
    assert stats.bad_addresses == 1
    assert "1 customers with unusable e-mail addresses" in stats.summary()
