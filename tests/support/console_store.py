"""A client's store as the console pages read it: customers, open and paid invoices, a reminder
that went out and an action waiting for approval, on a real SQLite file, with no platform.

`console_app(tmp_path)` opens an installation with one Zoho client `acme` (approval required,
Dutch) whose ledger was synced at `SYNCED`; `NOW` is Monday 2 March 2026, 10:00 in Amsterdam.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from connector.app import App
from connector.domain import (
    Action,
    ActionItem,
    ActionKind,
    Channel,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
)
from connector.store import ledger_repo, outbox
from connector.store.db import session_scope
from sandboxes.zoho.world import WorldClient, write_config

SYNCED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
#: 10:00 in Amsterdam on Monday 2 March 2026 (inside the sending window)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JANSEN = Customer("4600001", "Drukkerij Jansen B.V.", "boekhouding@jansen.example", number="1001")
DE_VRIES = Customer("4600002", "Drukkerij de Vries", "info@devries.example", number="1002")
BOS = Customer("4600003", "Bakkerij Bos", "bos@bakkerij.example", number="2001")
CLIENT_FILE = "approval: {required: true}\n"


def invoice(
    ref: str, customer: str, due: date, amount: str, *, paid_on: date | None = None
) -> Invoice:
    """An invoice issued a month before `due`; paid in full on `paid_on`, else open."""
    return Invoice(
        ref,
        ref.upper(),
        customer,
        InvoiceStatus.PAID if paid_on else InvoiceStatus.OPEN,
        due - timedelta(days=30),
        due,
        Money.of(amount, "EUR"),
        Money.of("0.00" if paid_on else amount, "EUR"),
        last_payment_date=paid_on,
    )


def console_app(tmp_path: Path, client_file: str = CLIENT_FILE, connector_file: str = "") -> App:
    """`connector_file`: more of connector.yaml (e.g. its `console:` section)."""
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
        {"acme": client_file},
    )
    if connector_file:
        with (config / "connector.yaml").open("a") as extra:
            extra.write(connector_file)
    app = App.open(config, env)
    fill_store(app)
    return app


def fill_store(app: App, slug: str = "acme") -> None:
    """The client's customers, invoices, a reminder sent to Jansen on 11 February and Bos's
    reminder waiting for approval (see the module docstring)."""
    with session_scope(app.engine) as session:
        ledger_repo.upsert_customers(session, slug, [JANSEN, DE_VRIES, BOS], SYNCED)
        ledger_repo.upsert_invoices(
            session,
            slug,
            [
                # Jansen: 26 days overdue, a friendly reminder went out on 11 February
                invoice("inv-39", JANSEN.ref, date(2026, 2, 4), "1234.50"),
                invoice("inv-40", JANSEN.ref, date(2026, 3, 22), "100.00"),
                # De Vries: due Wednesday 25 February, the first reminder is due 4 March
                invoice("inv-41", DE_VRIES.ref, date(2026, 2, 25), "80.00"),
                # Bos: 20 days overdue, its reminder waits for approval
                invoice("inv-42", BOS.ref, date(2026, 2, 10), "410.00"),
                *[
                    invoice(
                        f"old-{n}", BOS.ref, date(2025, n, 10), "50.00", paid_on=date(2025, n, 28)
                    )
                    for n in (1, 2, 3)
                ],
            ],
            SYNCED,
        )
        sent = outbox.enqueue(
            session,
            Action(
                slug,
                JANSEN.ref,
                ActionKind.REMINDER,
                "reminder",
                date(2026, 2, 11),
                (ActionItem("inv-39", "reminder", Money.of("1234.50", "EUR")),),
                with_statement=True,
                channel=Channel.LEDGER_MAIL,
            ),
            datetime(2026, 2, 11, 8, 0, tzinfo=UTC),
            "run-1",
        )
        assert sent is not None
        outbox.mark(session, sent, "sent", "sent", datetime(2026, 2, 11, 8, 1, tzinfo=UTC))
        waiting = outbox.enqueue(
            session,
            Action(
                slug,
                BOS.ref,
                ActionKind.REMINDER,
                "reminder",
                date(2026, 3, 2),
                (ActionItem("inv-42", "reminder", Money.of("410.00", "EUR")),),
                with_statement=True,
                channel=Channel.LEDGER_MAIL,
            ),
            datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
            "run-2",
            status="approval",
        )
        assert waiting is not None
