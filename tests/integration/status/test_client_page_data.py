"""What a console's client page shows (`connector.status.client`): the report's ageing and DSO,
customers found by part of their name, number or e-mail, the ladder per kind of customer in
words, the latest actions with their messages, and whether the ledger connection works."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from console_store import NOW, console_app

from connector.app import App
from connector.domain import Money
from connector.domain.clock import ManualClock
from connector.status.client import client_page, connection, search_customers
from connector.store import leases

CLOCK = ManualClock(NOW)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    application = console_app(tmp_path)
    yield application
    application.engine.dispose()


def test_ageing_is_in_words_with_amounts_and_counts_as_the_report_computes_them(
    app: App,
) -> None:
    page = client_page(app, "acme", CLOCK, "nl")
    assert page.display_name == "Demo Installatietechniek B.V. (acme)"
    assert page.ageing[:2] == [
        ("nog niet vervallen", Money.of("100.00", "EUR"), 1),
        ("1-30 dagen", Money.of("1724.50", "EUR"), 3),
    ]
    assert page.report.open_total == Money.of("1824.50", "EUR")
    assert page.report.dso_days is not None
    assert page.waiting_for_approval == 1 and page.approval_required


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("jansen", ["Drukkerij Jansen B.V."]),  # part of the name, any case
        ("DRUKKERIJ", ["Drukkerij de Vries", "Drukkerij Jansen B.V."]),
        ("2001", ["Bakkerij Bos"]),  # the customer number
        ("devries.example", ["Drukkerij de Vries"]),  # the e-mail address
        ("nobody", []),
        ("", ["Bakkerij Bos", "Drukkerij de Vries", "Drukkerij Jansen B.V."]),
    ],
)
def test_customers_are_found_by_part_of_name_number_or_email(
    app: App, text: str, names: list[str]
) -> None:
    assert [line.customer.name for line in search_customers(app, "acme", NOW, text)] == names


def test_the_ladder_per_kind_of_customer_is_told_in_words_and_days(app: App) -> None:
    business, consumers, _government = client_page(app, "acme", CLOCK, "nl").ladders
    assert business.profile == "Zakelijke klanten"
    assert [(s.when, s.label) for s in business.steps[:3]] == [
        ("7 dagen na de vervaldatum", "Herinnering met rekeningoverzicht"),
        ("14 dagen na de vervaldatum", "Beltaak"),
        ("21 dagen na de vervaldatum", "Dringende herinnering met rekeningoverzicht"),
    ]
    assert consumers.profile == "Particulieren"
    assert "Veertiendagenbrief" in [s.label for s in consumers.steps]
    english = client_page(app, "acme", CLOCK, "en").ladders[0]
    assert english.steps[0].when == "7 days after the due date"
    assert english.steps[-1].label == "Hand-off to collection"


def test_recent_actions_come_newest_first_with_their_messages(app: App) -> None:
    waiting, sent = client_page(app, "acme", CLOCK, "en").recent
    assert (waiting.customer_name, waiting.status) == ("Bakkerij Bos", "waiting for approval")
    assert (sent.customer_name, sent.status) == ("Drukkerij Jansen B.V.", "sent")
    assert sent.message is not None and sent.message.subject.startswith("Herinnering")


def test_the_connection_says_whether_the_client_must_consent(app: App) -> None:
    assert connection(app, "acme", "nl").state == "niet verbonden"
    app.tokens.put_initial(
        "acme",
        "default",
        "zoho",
        refresh_token="refresh-secret",
        access_token="access-secret",
        expires_at=datetime(2026, 3, 2, 10, tzinfo=UTC) + timedelta(hours=1),
        now=NOW,
    )
    connected = connection(app, "acme", "en")
    assert (connected.ok, connected.state, connected.consent_needed) == (True, "connected", False)
    assert "secret" not in repr(connected)


def test_the_last_run_is_told_in_local_time_as_people_write_it(app: App) -> None:
    finished = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)  # 09:05 in Amsterdam
    assert leases.try_acquire(app.engine, "acme", "me", finished, timedelta(minutes=5))
    leases.release(app.engine, "acme", "me", "ok", None, finished)
    assert connection(app, "acme", "nl").last_run == "laatste run 2 mrt 2026 09:05: gelukt"
    assert connection(app, "acme", "en").last_run == "last run 2 Mar 2026 09:05: ok"
