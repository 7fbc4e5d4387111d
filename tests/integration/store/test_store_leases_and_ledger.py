"""Run leases and the synced ledger in the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from connector.domain import Customer, Invoice, InvoiceStatus, Money, Payment
from connector.store import leases, ledger_repo
from connector.store.db import session_scope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


def test_one_run_per_tenant_at_a_time_and_a_dead_holder_times_out(engine: Engine) -> None:
    assert leases.try_acquire(engine, "acme", "cron", NOW, TTL)
    assert not leases.try_acquire(engine, "acme", "serve", NOW + timedelta(minutes=1), TTL)
    assert leases.try_acquire(engine, "globex", "serve", NOW, TTL), "other tenants are free"
    assert leases.try_acquire(engine, "acme", "serve", NOW + TTL + timedelta(seconds=1), TTL)


def test_release_records_the_result_and_counts_failures(engine: Engine) -> None:
    for i in range(2):
        assert leases.try_acquire(engine, "acme", "me", NOW, TTL)
        leases.release(engine, "acme", "me", "failed", f"boom {i}", NOW)
    state = leases.get_state(engine, "acme")
    assert state is not None
    assert (state.last_result, state.consecutive_failures, state.lease_owner) == ("failed", 2, None)
    assert leases.try_acquire(engine, "acme", "me", NOW, TTL)
    leases.release(engine, "acme", "me", "ok", None, NOW)
    state = leases.get_state(engine, "acme")
    assert state is not None and state.consecutive_failures == 0


def inv(
    ref: str, balance: str, status: InvoiceStatus = InvoiceStatus.OPEN, customer: str = "C1"
) -> Invoice:
    return Invoice(
        ref,
        f"INV-{ref}",
        customer,
        status,
        date(2026, 1, 1),
        date(2026, 1, 31),
        Money.of("100.00", "EUR"),
        Money.of(balance, "EUR"),
    )


def test_upserts_are_idempotent_and_exact_to_the_cent(engine: Engine) -> None:
    with session_scope(engine) as s:
        ledger_repo.upsert_customers(s, "acme", [Customer("C1", "Klant B.V.", "a@b.nl")], NOW)
        ledger_repo.upsert_invoices(s, "acme", [inv("I1", "100.00"), inv("I2", "0.10")], NOW)
        ledger_repo.upsert_invoices(s, "acme", [inv("I1", "33.33")], NOW)
        ledger_repo.upsert_payments(
            s,
            "acme",
            [Payment("P1", "C1", date(2026, 2, 1), Money.of("66.67", "EUR"), ("I1",))],
            NOW,
        )
    with session_scope(engine) as s:
        snapshot = ledger_repo.load_snapshot(s, "acme")
    assert snapshot.invoices["I1"].balance == Money.of("33.33", "EUR")
    assert snapshot.invoices["I2"].balance == Money.of("0.10", "EUR")
    assert snapshot.payments[0].invoice_refs == ("I1",)
    assert len(snapshot.invoices) == 2


def test_a_deletion_known_only_by_id_keeps_the_invoices_number_customer_and_amounts(
    engine: Engine,
) -> None:
    gone = Invoice(
        "I1",
        "deleted I1",
        "",
        InvoiceStatus.DELETED,
        date(2026, 3, 1),
        date(2026, 3, 1),
        Money.of("0.00", "EUR"),
        Money.of("0.00", "EUR"),
    )
    unknown = Invoice(
        "I9",
        "deleted I9",
        "",
        InvoiceStatus.DELETED,
        date(2026, 3, 1),
        date(2026, 3, 1),
        Money.of("0.00", "EUR"),
        Money.of("0.00", "EUR"),
    )
    with session_scope(engine) as s:
        ledger_repo.upsert_invoices(s, "acme", [inv("I1", "40.00")], NOW)
        ledger_repo.upsert_invoices(s, "globex", [inv("I1", "50.00")], NOW)
        ledger_repo.upsert_invoices(s, "acme", [gone, unknown], NOW)
    with session_scope(engine) as s:
        acme = ledger_repo.load_snapshot(s, "acme").invoices
        globex = ledger_repo.load_snapshot(s, "globex").invoices
    assert acme["I1"].status is InvoiceStatus.DELETED
    assert (acme["I1"].number, acme["I1"].customer_ref) == ("INV-I1", "C1")
    assert acme["I1"].balance == Money.of("40.00", "EUR")
    assert acme["I9"].status is InvoiceStatus.DELETED, "an unknown deleted id is still recorded"
    assert globex["I1"].status is InvoiceStatus.OPEN, "another tenant's invoice was touched"


def test_a_customer_list_without_addresses_keeps_the_postal_address_stored_before(
    engine: Engine,
) -> None:
    with session_scope(engine) as s:
        ledger_repo.upsert_customers(
            s,
            "acme",
            [Customer("C1", "Klant B.V.", "a@b.nl", address="Kade 1\n1011 AA Amsterdam")],
            NOW,
        )
        ledger_repo.upsert_customers(s, "acme", [Customer("C1", "Klant B.V.", "new@b.nl")], NOW)
    with session_scope(engine) as s:
        [kept] = ledger_repo.load_snapshot(s, "acme").customers.values()
    assert kept.address == "Kade 1\n1011 AA Amsterdam" and kept.email == "new@b.nl"
    with session_scope(engine) as s:
        ledger_repo.upsert_customers(
            s,
            "acme",
            [Customer("C1", "Klant B.V.", "new@b.nl", address="Dam 2\n1012 JS Amsterdam")],
            NOW,
        )
        moved = ledger_repo.load_snapshot(s, "acme").customers["C1"]
    assert moved.address == "Dam 2\n1012 JS Amsterdam", "a new address did not replace the old"


def test_tenants_never_see_each_others_rows(engine: Engine) -> None:
    with session_scope(engine) as s:
        ledger_repo.upsert_invoices(s, "acme", [inv("I1", "10.00")], NOW)
        ledger_repo.upsert_invoices(s, "globex", [inv("I1", "99.00")], NOW)
    with session_scope(engine) as s:
        assert ledger_repo.load_snapshot(s, "acme").invoices["I1"].balance.amount == 10
        assert ledger_repo.load_planning_snapshot(s, "globex").invoices["I1"].balance.amount == 99


def test_the_planning_snapshot_holds_open_invoices_and_those_with_history(engine: Engine) -> None:
    with session_scope(engine) as s:
        ledger_repo.upsert_invoices(
            s,
            "acme",
            [
                inv("open", "10.00"),
                inv("paid", "0.00", InvoiceStatus.PAID),
                inv("old", "0.00", InvoiceStatus.PAID),
            ],
            NOW,
        )
    with session_scope(engine) as s:
        snapshot = ledger_repo.load_planning_snapshot(s, "acme", also={"paid"})
    assert sorted(snapshot.invoices) == ["open", "paid"]


def test_invoices_a_full_sync_did_not_return_are_found(engine: Engine) -> None:
    with session_scope(engine) as s:
        ledger_repo.upsert_invoices(s, "acme", [inv("I1", "1.00"), inv("I2", "1.00")], NOW)
    later = NOW + timedelta(hours=24)
    with session_scope(engine) as s:
        ledger_repo.upsert_invoices(s, "acme", [inv("I1", "1.00")], later)
    with session_scope(engine) as s:
        assert ledger_repo.unseen_invoices(s, "acme", later) == ["I2"]
        ledger_repo.mark_invoices(s, "acme", {"I2": InvoiceStatus.DELETED})
    with session_scope(engine) as s:
        assert ledger_repo.unseen_invoices(s, "acme", later) == []
