"""The console's preview (`connector.status.preview`): day by day, what would go out to whom
with the rendered text, from the pure planner on the store; what waits for approval is shown
as waiting; a pause takes the customer out; time is an input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from console_store import NOW, console_app

from connector.app import App
from connector.customers import pause_customer
from connector.domain import Money
from connector.domain.clock import ManualClock
from connector.domain.pauses import PauseKind
from connector.status.preview import preview

CLOCK = ManualClock(NOW)
MONDAY = date(2026, 3, 2)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    application = console_app(tmp_path)
    yield application
    application.engine.dispose()


def table(
    app: App, *, end: date = date(2026, 3, 12), language: str = "nl"
) -> list[tuple[date, str, str, bool]]:
    return [
        (day.day, item.customer_name, item.label, item.waiting_approval)
        for day in preview(app, "acme", MONDAY, end, CLOCK, language)
        for item in day.items
    ]


def test_each_day_says_what_would_go_out_to_whom_continuing_the_ladder(app: App) -> None:
    assert table(app) == [
        (MONDAY, "Bakkerij Bos", "Herinnering met rekeningoverzicht", True),
        (MONDAY, "Drukkerij Jansen B.V.", "Beltaak", True),
        (date(2026, 3, 4), "Drukkerij de Vries", "Herinnering met rekeningoverzicht", True),
        (
            date(2026, 3, 9),
            "Drukkerij Jansen B.V.",
            "Dringende herinnering met rekeningoverzicht",
            True,
        ),
        (date(2026, 3, 11), "Drukkerij de Vries", "Beltaak", True),
    ]


def test_every_day_of_the_range_is_there_even_when_nothing_goes_out(app: App) -> None:
    days = preview(app, "acme", MONDAY, date(2026, 3, 8), CLOCK)
    assert [d.day for d in days] == [MONDAY + timedelta(days=n) for n in range(7)]
    assert [d.items for d in days if d.day.weekday() >= 5] == [[], []]


def test_each_item_carries_the_rendered_message_with_names_numbers_and_amounts(
    app: App,
) -> None:
    (wednesday,) = preview(app, "acme", date(2026, 3, 4), date(2026, 3, 4), CLOCK)
    # what still waits for approval is shown on the first day; Monday's call task is not
    # shown again on Wednesday (the days before the range are planned too)
    waiting, item = wednesday.items
    assert (waiting.customer_name, waiting.waiting_approval) == ("Bakkerij Bos", True)
    assert item.invoices == (("INV-41", Money.of("80.00", "EUR")),)
    assert item.message is not None
    assert item.message.to == ("info@devries.example",)
    assert item.message.subject.startswith("Herinnering")
    assert "INV-41" in item.message.text and "Drukkerij de Vries" in item.message.text


def test_a_paused_customer_drops_out_of_the_preview(app: App) -> None:
    pause_customer(
        app,
        "acme",
        customer="Drukkerij Jansen",
        invoice=None,
        kind=PauseKind.PROMISE,
        until=date(2026, 3, 20),
        reason="pays on the 20th",
        by="anna",
        now=NOW,
    )
    assert "Drukkerij Jansen B.V." not in {name for _day, name, _label, _w in table(app)}


def test_a_client_without_approval_shows_nothing_as_waiting(tmp_path: Path) -> None:
    app = console_app(tmp_path, client_file="")
    try:
        rows = table(app, end=date(2026, 3, 4), language="en")
    finally:
        app.engine.dispose()
    # the waiting action stays in the outbox as waiting (made before approval was switched off)
    assert rows[0] == (MONDAY, "Bakkerij Bos", "Reminder with account statement", True)
    assert rows[1:] == [
        (MONDAY, "Drukkerij Jansen B.V.", "Call task", False),
        (date(2026, 3, 4), "Drukkerij de Vries", "Reminder with account statement", False),
    ]


def test_days_before_today_plan_nothing_and_a_range_is_bounded(app: App) -> None:
    (friday,) = preview(app, "acme", date(2026, 2, 27), date(2026, 2, 27), CLOCK)
    assert friday.items == []
    with pytest.raises(ValueError, match="before the first"):
        preview(app, "acme", MONDAY, MONDAY - timedelta(days=1), CLOCK)
    with pytest.raises(ValueError, match="at most"):
        preview(app, "acme", MONDAY, MONDAY + timedelta(days=100), CLOCK)
