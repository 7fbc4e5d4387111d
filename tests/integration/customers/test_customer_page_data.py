"""What a console's customer page shows of one customer (`connector.customers.detail`): open
invoices, how they pay, every action with the message as it went out, and the pauses with who,
why and until when; in the page's language, with names, numbers and amounts, never an id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from console_store import BOS, JANSEN, NOW, console_app

from connector.app import App
from connector.customers import (
    CustomerLookupError,
    customer_overview,
    pause_customer,
    resume_customer,
)
from connector.customers.detail import customer_detail
from connector.domain import Money
from connector.domain.clock import ManualClock
from connector.domain.pauses import PauseKind


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    application = console_app(tmp_path)
    yield application
    application.engine.dispose()


CLOCK = ManualClock(NOW)


def test_a_customer_found_by_part_of_the_name_shows_the_open_invoices_oldest_first(
    app: App,
) -> None:
    page = customer_detail(app, "acme", "drukkerij jansen", CLOCK, "nl")
    assert page.customer.name == "Drukkerij Jansen B.V."
    assert [(i.number, i.balance, i.days_overdue) for i in page.invoices] == [
        ("INV-39", Money.of("1234.50", "EUR"), 26),
        ("INV-40", Money.of("100.00", "EUR"), 0),
    ]
    assert page.line.overdue == (Money.of("1234.50", "EUR"),)


def test_an_unknown_customer_is_a_lookup_error_not_a_guess(app: App) -> None:
    with pytest.raises(CustomerLookupError):
        customer_detail(app, "acme", "nobody at all", CLOCK, "nl")


def test_payment_behaviour_is_told_in_plain_words_with_the_advice_for_late_payers(
    app: App,
) -> None:
    bos = customer_detail(app, "acme", BOS.number or "", CLOCK, "nl")
    assert bos.behaviour.chronic_late_payer
    assert bos.behaviour_words == (
        "Betaalde 3 van 3 facturen te laat; gemiddeld 18 dagen na de vervaldatum. "
        "1 open factuur over de vervaldatum. "
        "Betaalt structureel te laat: overweeg vooruitbetaling of een kredietstop."
    )
    english = customer_detail(app, "acme", JANSEN.ref, CLOCK, "en")
    assert english.behaviour_words == "No paid invoices yet. 1 open invoice past the due date."


def test_every_action_is_listed_with_the_message_as_it_went_out(app: App) -> None:
    (sent,) = customer_detail(app, "acme", "1001", CLOCK, "nl").actions
    assert (sent.label, sent.status, sent.day) == (
        "Herinnering met rekeningoverzicht",
        "verstuurd",
        date(2026, 2, 11),
    )
    assert sent.invoices == (("INV-39", Money.of("1234.50", "EUR")),)
    assert sent.message is not None
    assert sent.message.to == ("boekhouding@jansen.example",)
    assert "Beste Drukkerij Jansen B.V." in sent.message.text
    assert "factuur INV-39 van 5 januari 2026, vervallen op 4 februari 2026: €\xa01.234,50" in (
        sent.message.text
    )


def test_an_action_waiting_for_approval_shows_as_waiting_with_its_message(app: App) -> None:
    (waiting,) = customer_detail(app, "acme", "Bakkerij Bos", CLOCK, "en").actions
    assert waiting.status == "waiting for approval"
    assert waiting.label == "Reminder with account statement"
    assert waiting.message is not None and "INV-42" in waiting.message.text


def test_pauses_show_who_why_and_until_and_the_cli_overview_names_them_too(app: App) -> None:
    pause_customer(
        app,
        "acme",
        customer="1001",
        invoice="INV-39",
        kind=PauseKind.DISPUTE,
        until=None,
        reason="amount is wrong",
        by="anna@acme.example (console)",
        now=NOW,
    )
    pause_customer(
        app,
        "acme",
        customer="1001",
        invoice=None,
        kind=PauseKind.PROMISE,
        until=date(2026, 3, 13),
        reason="pays Friday",
        by="anna@acme.example (console)",
        now=NOW,
    )
    page = customer_detail(app, "acme", "1001", CLOCK, "nl")
    promise, dispute = page.pauses
    assert (promise.label, promise.invoice, promise.until, promise.reason, promise.by) == (
        "Betaalbelofte",
        None,
        date(2026, 3, 13),
        "pays Friday",
        "anna@acme.example (console)",
    )
    assert (dispute.label, dispute.invoice, dispute.active) == ("Betwist", "INV-39", True)
    assert [i.paused for i in page.invoices] == ["Betaalbelofte", "Betaalbelofte"]
    (line,) = customer_overview(app, "acme", NOW, search="1001")
    assert line.notes == (
        "dispute (invoice INV-39): amount is wrong [by anna@acme.example (console)]",
        "promise to pay (customer) until 2026-03-13: pays Friday [by anna@acme.example (console)]",
    )


def test_a_resumed_pause_stays_on_record_with_who_ended_it(app: App) -> None:
    pause_customer(
        app,
        "acme",
        customer="1001",
        invoice=None,
        kind=PauseKind.STOP,
        until=None,
        reason="director is a friend",
        by="anna",
        now=NOW,
    )
    resume_customer(app, "acme", customer="1001", invoice=None, kind=None, by="bert", now=NOW)
    (stopped,) = customer_detail(app, "acme", "1001", CLOCK, "en").pauses
    assert (stopped.label, stopped.active, stopped.ended_by) == ("Do not chase", False, "bert")
    assert stopped.ended_at == NOW
