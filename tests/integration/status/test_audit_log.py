"""A client's audit log on the real store (SQLite and PostgreSQL): people's actions with who and
where, the connector's steps in words (customer names and invoice numbers, never platform ids or
step codes), newest first, by period, only this client's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from connector.domain import Customer, Invoice, InvoiceStatus, Money
from connector.status.audit import CONNECTOR, audit_csv, audit_log
from connector.store import audit, ledger_repo
from connector.store.db import session_scope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _fill(engine: Engine) -> None:
    with session_scope(engine) as session:
        ledger_repo.upsert_customers(
            session, "acme", [Customer("4600001", "Drukkerij Jansen B.V.", "j@jansen.example")], NOW
        )
        ledger_repo.upsert_invoices(
            session,
            "acme",
            [
                Invoice(
                    "inv-1",
                    "INV-000039",
                    "4600001",
                    InvoiceStatus.OPEN,
                    date(2026, 1, 5),
                    date(2026, 2, 4),
                    Money.of("1234.50", "EUR"),
                    Money.of("1234.50", "EUR"),
                )
            ],
            NOW,
        )
        audit.record(
            session,
            "acme",
            "action.sent",
            "firm_reminder for customer 4600001: payment reminder: Your reminder has been sent.",
            now=NOW - timedelta(days=2),
            data={"action_id": 7, "invoices": ["inv-1"]},
        )
        audit.record(
            session,
            "acme",
            "action.failed",
            "call_task for customer 4600001: the platform refused the note",
            now=NOW - timedelta(days=1),
            data={"action_id": 8, "invoices": []},
        )
        audit.record(
            session,
            "acme",
            "console.action",
            "approved 1 action",
            now=NOW,
            actor="owner@acme.example",
            source="console: approvals",
        )
        audit.record(session, "bakker", "console.action", "not acme's", now=NOW, actor="x@y.z")


def test_the_log_names_people_and_says_the_connectors_steps_in_words(engine: Engine) -> None:
    _fill(engine)
    lines = audit_log(engine, "acme")
    assert [(line.who, line.where, line.what) for line in lines] == [
        ("owner@acme.example", "console: approvals", "approved 1 action"),
        (
            CONNECTOR,
            "",
            "call task to Drukkerij Jansen B.V.: failed: the platform refused the note",
        ),
        (CONNECTOR, "", "firm reminder to Drukkerij Jansen B.V. (INV-000039): done"),
    ]
    assert [line.what for line in audit_log(engine, "acme", people_only=True)] == [
        "approved 1 action"
    ]
    window = audit_log(engine, "acme", since=NOW - timedelta(days=2), until=NOW)
    assert [line.at for line in window] == [NOW - timedelta(days=1), NOW - timedelta(days=2)]


def test_the_csv_has_local_times_and_plain_columns(engine: Engine) -> None:
    _fill(engine)
    text = audit_csv(audit_log(engine, "acme", people_only=True), "Europe/Amsterdam")
    assert text == (
        "when,who,where,what\n"
        "2026-03-02T10:00:00+01:00,owner@acme.example,console: approvals,approved 1 action\n"
    )
