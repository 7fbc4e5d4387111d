"""`dunning plans list|approve|reject CLIENT` (issue #14): the business sees the payment plans
customers proposed by number and customer name, never an internal id, and approves or rejects
them (a rejection needs a reason); each decision is on the audit trail with who and the command.
`dunning customers` shows each customer's plan and its status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from connector.app import App
from connector.cli import app as dunning
from connector.customers.plans import propose
from connector.domain import Customer, Invoice, InvoiceStatus, Money
from connector.store import audit, ledger_repo
from connector.store.db import session_scope
from sandboxes.zoho.world import WorldClient, write_config

SYNCED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JANSEN = Customer("4600001", "Drukkerij Jansen B.V.", "boekhouding@jansen.example", number="1001")
BOS = Customer("4600003", "Bakkerij Bos", "bos@bakkerij.example", number="2001")


def invoice(ref: str, number: str, customer: str, amount: str) -> Invoice:
    return Invoice(
        ref,
        number,
        customer,
        InvoiceStatus.OPEN,
        date(2026, 1, 5),
        date(2026, 2, 4),
        Money.of(amount, "EUR"),
        Money.of(amount, "EUR"),
    )


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], App]]:
    env = {
        "ZOHO_CLIENT_ID": "id",
        "ZOHO_CLIENT_SECRET": "secret",
        "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    config = tmp_path / "config"
    write_config(
        config,
        "http://127.0.0.1:9",
        [WorldClient("acme", "20070001")],
        f"sqlite:///{tmp_path / 'dunning.db'}",
        {"acme": "payment_plans: {max_instalments: 4, auto_approve_below: '0'}\n"},
    )
    application = App.open(config, env)
    with session_scope(application.engine) as session:
        ledger_repo.upsert_customers(session, "acme", [JANSEN, BOS], SYNCED)
        ledger_repo.upsert_invoices(
            session,
            "acme",
            [
                invoice("9000000123", "INV-000039", JANSEN.ref, "1200.00"),
                invoice("9000000124", "INV-000042", BOS.ref, "300.00"),
            ],
            SYNCED,
        )
    propose(application, "acme", JANSEN.ref, JANSEN.name, 3, date(2026, 3, 16), None, NOW)
    propose(application, "acme", BOS.ref, BOS.name, 2, date(2026, 3, 16), 14, NOW)
    yield config, env, application
    application.engine.dispose()


def run(installation: tuple[Path, dict[str, str], App], *args: str) -> tuple[int, str]:
    config, env, _ = installation
    result = CliRunner().invoke(dunning, ["--config", str(config), *args], env=env)
    return result.exit_code, result.output


def test_the_waiting_plans_are_listed_by_number_and_customer_name_without_ids(
    installation: tuple[Path, dict[str, str], App],
) -> None:
    code, out = run(installation, "plans", "list", "acme")
    assert code == 0, out
    assert "Drukkerij Jansen B.V.: plan 1: proposed, 3 instalments monthly" in out
    assert "1. €400.00 on 2026-03-16" in out and "3. €400.00 on 2026-05-16" in out
    assert "Bakkerij Bos: plan 2: proposed, 2 instalments every 14 days" in out
    assert "acme: 2 payment plan(s), 2 waiting for approval" in out
    assert "9000000123" not in out and "4600001" not in out


def test_approve_and_reject_are_recorded_with_who_and_the_command(
    installation: tuple[Path, dict[str, str], App],
) -> None:
    code, out = run(
        installation, "plans", "approve", "acme", "1", "--by", "ann", "--now", "2026-03-03T10:00"
    )
    assert code == 0, out
    assert "acme: Drukkerij Jansen B.V.: plan 1: approved" in out
    code, out = run(installation, "plans", "reject", "acme", "2", "--by", "ann")
    assert code == 2 and "Missing option '--reason'" in out
    code, out = run(
        installation, "plans", "reject", "acme", "2", "--reason", "Call us first", "--by", "ann"
    )
    assert code == 0 and "Bakkerij Bos: plan 2: rejected" in out
    code, out = run(installation, "plans", "approve", "acme", "2")
    assert code == 2 and "payment plan 2 is rejected, not waiting for a decision" in out
    code, out = run(installation, "plans", "approve", "acme", "9")
    assert code == 2 and "no payment plan 9 for acme" in out
    with session_scope(installation[2].engine) as session:
        events = {e.event: e for e in audit.recent(session, "acme")}
    assert events["payment_plan.approved"].actor == "ann"
    assert events["payment_plan.approved"].source == "command: dunning plans approve"
    assert "rejected: Call us first" in events["payment_plan.rejected"].message
    code, out = run(installation, "plans", "list", "acme", "--all")
    assert "reason: Call us first" in out


def test_customers_shows_each_customers_plan_and_its_status(
    installation: tuple[Path, dict[str, str], App],
) -> None:
    run(installation, "plans", "approve", "acme", "1", "--by", "ann")
    code, out = run(installation, "customers", "acme")
    assert code == 0, out
    [jansen] = [line for line in out.splitlines() if "Drukkerij Jansen" in line]
    [bos] = [line for line in out.splitlines() if "Bakkerij Bos" in line]
    assert "payment plan 1: approved" in jansen and "payment plan 2: proposed" in bos
