"""What the `dunning customers`, `pause`, `resume`, `statement`, `letter` and `handoff` commands
do, as library functions a console can call the same way (`connector.customers`,
`connector.customers.exports`): on a real SQLite store filled the way a sync fills it, with the
client file's exceptions per customer applied."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pypdf import PdfReader

from connector.app import App
from connector.customers import (
    AmbiguousCustomer,
    CustomerLookupError,
    UnknownCustomer,
    customer_overview,
    pause_customer,
    resolve_pause_target,
    resume_customer,
)
from connector.customers.exports import (
    NotInStore,
    customer_letter,
    customer_statement,
    handoff_dossiers,
)
from connector.domain import ActionKind, Customer, CustomerProfile, Invoice, InvoiceStatus, Money
from connector.domain.pauses import PauseKind
from connector.store import ledger_repo
from connector.store.db import session_scope
from sandboxes.zoho.world import WorldClient, write_config

SYNCED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
#: 10:00 in Amsterdam on Monday 2 March 2026
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JANSEN = Customer(
    "4600001",
    "Drukkerij Jansen B.V.",
    "boekhouding@jansen.example",
    number="1001",
    address="Ledgerstraat 1\n1000 AA Amsterdam",
)
DE_VRIES = Customer("4600002", "Drukkerij de Vries", "info@devries.example", number="1002")
BOS = Customer("4600003", "Bakkerij Bos", "bos@bakkerij.example", number="2001")
BOS_NOORD = Customer("4600004", "Bakkerij Bos Noord", "noord@bakkerij.example", number="2002")
#: the client file: De Vries is a consumer, Jansen's letters go to a P.O. box
EXCEPTIONS = (
    "customers:\n"
    '  "4600002": {profile: consumer}\n'
    '  "4600001": {address: "Postbus 77\\n1000 AB Amsterdam"}\n'
)


def invoice(
    ref: str,
    customer: str,
    due: date,
    amount: str,
    *,
    paid_on: date | None = None,
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


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
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
        {"acme": EXCEPTIONS},
    )
    application = App.open(config, env)
    paid_late = [
        invoice(f"old-{n}", BOS.ref, date(2025, n, 10), "50.00", paid_on=date(2025, n, 28))
        for n in (1, 2, 3)
    ]
    with session_scope(application.engine) as session:
        ledger_repo.upsert_customers(session, "acme", [JANSEN, DE_VRIES, BOS, BOS_NOORD], SYNCED)
        ledger_repo.upsert_invoices(
            session,
            "acme",
            [
                invoice("inv-39", JANSEN.ref, date(2026, 2, 4), "1234.50"),
                invoice("inv-40", JANSEN.ref, date(2026, 3, 22), "100.00"),
                invoice("inv-41", DE_VRIES.ref, date(2026, 2, 1), "80.00"),
                *paid_late,
            ],
            SYNCED,
        )
    yield application
    application.engine.dispose()


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# -- the overview ------------------------------------------------------------------------------
def test_the_overview_lists_every_customer_by_name_with_open_and_overdue_amounts(app: App) -> None:
    lines = customer_overview(app, "acme", NOW)
    assert [line.customer.name for line in lines] == [
        "Bakkerij Bos",
        "Bakkerij Bos Noord",
        "Drukkerij de Vries",
        "Drukkerij Jansen B.V.",
    ]
    jansen = lines[3]
    assert jansen.open == (Money.of("1334.50", "EUR"),)
    assert jansen.overdue == (Money.of("1234.50", "EUR"),)  # inv-40 is not due before 22 March
    assert lines[1].open == () and lines[1].overdue == ()


def test_the_overview_shows_the_client_files_profile_and_the_ladder_it_follows(app: App) -> None:
    by_name = {line.customer.name: line for line in customer_overview(app, "acme", NOW)}
    de_vries, jansen = by_name["Drukkerij de Vries"], by_name["Drukkerij Jansen B.V."]
    assert de_vries.customer.profile is CustomerProfile.BUSINESS  # as the ledger has it
    assert de_vries.profile is CustomerProfile.CONSUMER  # as the client file says
    assert jansen.profile is CustomerProfile.BUSINESS
    assert de_vries.ladder != jansen.ladder  # a consumer follows the consumer ladder


def test_a_chronic_late_payer_is_flagged_with_the_advice_to_act(app: App) -> None:
    by_name = {line.customer.name: line for line in customer_overview(app, "acme", NOW)}
    bos = by_name["Bakkerij Bos"]
    assert bos.chronic_late_payer
    assert bos.notes == (
        "CHRONIC LATE PAYER (paid 3 of 3 invoices late): consider prepayment / credit hold",
    )
    assert not by_name["Drukkerij Jansen B.V."].chronic_late_payer


def test_the_overview_names_the_pauses_in_force_and_forgets_resumed_ones(app: App) -> None:
    pause_customer(
        app,
        "acme",
        customer="1001",
        invoice=None,
        kind=PauseKind.DISPUTE,
        until=None,
        reason="wrong amount",
        by="anna",
        now=NOW,
    )
    (jansen,) = customer_overview(app, "acme", NOW, search="drukkerij jansen")
    assert jansen.notes == ("dispute (customer): wrong amount [by anna]",)
    resume_customer(app, "acme", customer="1001", invoice=None, kind=None, by="anna", now=NOW)
    (jansen,) = customer_overview(app, "acme", NOW, search="drukkerij jansen")
    assert jansen.notes == ()


def test_a_search_narrows_the_overview_to_the_customers_it_names(app: App) -> None:
    assert [line.customer.ref for line in customer_overview(app, "acme", NOW, search="2002")] == [
        BOS_NOORD.ref
    ]
    assert customer_overview(app, "acme", NOW, search="nobody") == []


# -- whom a pause is about ----------------------------------------------------------------------
def test_an_invoice_number_names_its_customer_and_the_invoice(app: App) -> None:
    assert resolve_pause_target(app.engine, "acme", None, "INV-39") == (JANSEN, "inv-39")
    both = resolve_pause_target(app.engine, "acme", "drukkerij jansen", "inv-39")
    assert both == (JANSEN, "inv-39")


def test_a_customer_and_an_invoice_of_someone_else_are_refused(app: App) -> None:
    with pytest.raises(CustomerLookupError, match="belongs to another customer than Bakkerij Bos"):
        resolve_pause_target(app.engine, "acme", "2001", "INV-39")


def test_a_pause_needs_a_customer_or_a_known_invoice(app: App) -> None:
    with pytest.raises(CustomerLookupError, match="name a CUSTOMER or pass --invoice REF"):
        resolve_pause_target(app.engine, "acme", None, None)
    with pytest.raises(CustomerLookupError, match="'INV-99' is not in the local store"):
        resolve_pause_target(app.engine, "acme", None, "INV-99")
    with pytest.raises(AmbiguousCustomer):
        resolve_pause_target(app.engine, "acme", "Bakkerij", None)
    with pytest.raises(UnknownCustomer):
        resolve_pause_target(app.engine, "acme", "Slagerij", None)


# -- pausing and resuming -----------------------------------------------------------------------
def test_a_promise_to_pay_is_kept_on_record_for_one_invoice(app: App) -> None:
    who, made = pause_customer(
        app,
        "acme",
        customer=None,
        invoice="INV-39",
        kind=PauseKind.PROMISE,
        until=date(2026, 3, 16),
        reason="pays on the 16th",
        by="anna",
        now=NOW,
    )
    assert who == JANSEN
    assert (made.customer_ref, made.invoice_ref, made.until) == (
        JANSEN.ref,
        "inv-39",
        date(2026, 3, 16),
    )
    assert (made.created_by, made.created_at) == ("anna", NOW)


def test_a_pause_ending_before_the_clients_today_is_refused_and_nothing_is_stored(
    app: App,
) -> None:
    with pytest.raises(ValueError, match="--until is in the past"):
        pause_customer(
            app,
            "acme",
            customer="1001",
            invoice=None,
            kind=PauseKind.PROMISE,
            until=date(2026, 3, 1),
            reason="x",
            by="anna",
            now=NOW,
        )
    who, ended = resume_customer(
        app, "acme", customer="1001", invoice=None, kind=None, by="anna", now=NOW
    )
    assert who == JANSEN and ended == []


def test_resuming_ends_only_the_pauses_of_the_kind_asked(app: App) -> None:
    for kind, until in ((PauseKind.DISPUTE, None), (PauseKind.PROMISE, date(2026, 4, 1))):
        pause_customer(
            app,
            "acme",
            customer="1001",
            invoice=None,
            kind=kind,
            until=until,
            reason="x",
            by="anna",
            now=NOW,
        )
    _, ended = resume_customer(
        app, "acme", customer="1001", invoice=None, kind=PauseKind.DISPUTE, by="bob", now=NOW
    )
    assert [p.kind for p in ended] == [PauseKind.DISPUTE]
    (jansen,) = customer_overview(app, "acme", NOW, search="1001")
    assert len(jansen.notes) == 1 and "until 2026-04-01" in jansen.notes[0]


# -- documents ----------------------------------------------------------------------------------
def test_a_statement_is_a_pdf_of_the_customers_open_invoices(app: App) -> None:
    made = customer_statement(app, "acme", "drukkerij jansen", NOW)
    assert made.customer == JANSEN
    text = pdf_text(made.pdf)
    assert "INV-39" in text and "INV-40" in text and "INV-41" not in text


def test_a_letter_goes_to_the_address_in_the_client_file_not_the_ledgers(app: App) -> None:
    made = customer_letter(app, "acme", "1001", ActionKind.NOTICE_OF_DEFAULT, NOW)
    text = pdf_text(made.pdf)
    assert "Postbus 77" in text and "Ledgerstraat" not in text


def test_there_is_no_letter_for_a_customer_who_owes_nothing(app: App) -> None:
    with pytest.raises(NotInStore, match="Bakkerij Bos Noord has no open invoices"):
        customer_letter(app, "acme", "2002", ActionKind.FOURTEEN_DAY_LETTER, NOW)


def test_only_letters_for_post_are_written(app: App) -> None:
    with pytest.raises(ValueError):
        customer_letter(app, "acme", "1001", ActionKind.REMINDER, NOW)


def test_dossiers_are_made_for_the_handed_off_customers_only(app: App) -> None:
    assert handoff_dossiers(app, "acme", NOW) == []
    with session_scope(app.engine) as session:
        ledger_repo.set_handed_off(session, "acme", JANSEN.ref, NOW)
    (dossier,) = handoff_dossiers(app, "acme", NOW)
    assert (dossier.customer_ref, dossier.name) == (JANSEN.ref, JANSEN.name)
    assert dossier.stem == "4600001-drukkerij-jansen-b-v"
    assert dossier.pdf.startswith(b"%PDF") and "INV-39" in dossier.csv


def test_dossiers_can_be_asked_for_by_the_names_people_know(app: App) -> None:
    dossiers = handoff_dossiers(app, "acme", NOW, ["drukkerij de vries", "2001"])
    assert [d.name for d in dossiers] == ["Drukkerij de Vries", "Bakkerij Bos"]  # by id
