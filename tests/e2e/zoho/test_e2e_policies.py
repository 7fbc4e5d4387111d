"""End to end on the Zoho sandbox, one test per built-in policy: the connector runs daily at
09:00 over a simulated period and each customer profile gets its own ladder on the right days;
promises, disputes and do-not-dun stop the ladder and it resumes where it stopped.

Dates: the invoices fall due on Monday 5 January 2026. Days in the asserts are the local days
the outbox recorded the action as done (weekends and Dutch holidays move a step to the next
business day: Easter Monday 6 April 2026 is one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from e2e_support import MakeScenario, Scenario

from connector.config import load_config
from connector.domain import Money
from connector.domain.pauses import PauseKind
from connector.legal import check_letter_wording
from connector.store import pauses
from connector.store.db import session_scope
from sandboxes.zoho.state import Contact

DUE = date(2026, 1, 5)
ZONE = ZoneInfo("Europe/Amsterdam")


def done(s: Scenario, contact: Contact) -> list[tuple[date, str]]:
    """(day, kind) of every action done for the customer, in order."""
    return [
        (a["done_at"].astimezone(ZONE).date(), a["kind"])
        for a in s.world.actions()
        if a["status"] == "sent" and a["customer_ref"] == contact.contact_id
    ]


def steps_of(s: Scenario, invoice_id: str) -> list[tuple[date, str]]:
    return [
        (a["done_at"].astimezone(ZONE).date(), step)
        for a in s.world.actions()
        if a["status"] == "sent"
        for ref, step in a["items"]
        if ref == invoice_id
    ]


def configure(s: Scenario, extra: str) -> None:
    """Append to the client's file and reload, as a consultant editing the config would."""
    path = s.world.root / "config" / "clients" / "demo.yaml"
    path.write_text(path.read_text() + extra)
    s.world.app.config = load_config(s.world.root / "config", s.world.env)
    s.world.reload()


def pause(
    s: Scenario,
    contact: Contact,
    kind: PauseKind,
    *,
    until: date | None = None,
    invoice: str | None = None,
) -> None:
    with session_scope(s.world.app.engine) as session:
        pauses.add(
            session,
            "demo",
            contact.contact_id,
            kind,
            reason="test",
            by="e2e",
            now=s.world.clock.now(),
            invoice_ref=invoice,
            until=until,
        )


def resume(s: Scenario, contact: Contact, invoice: str | None = None) -> None:
    with session_scope(s.world.app.engine) as session:
        assert pauses.resume(
            session,
            "demo",
            contact.contact_id,
            by="e2e",
            now=s.world.clock.now(),
            invoice_ref=invoice,
        )


def on(day: date, action: Callable[[], None]) -> Callable[[date], None]:
    return lambda d: action() if d == day else None


def test_nl_b2b_standard_with_a_broken_promise_resumes_with_the_firm_reminder(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(DUE)
    firm = s.customer("Groothandel BV")
    s.invoice(firm, "2420.00", DUE)
    # after the first reminder the customer promises to pay by Friday 23 January, and does not
    s.days(
        DUE,
        45,
        after_run=on(
            date(2026, 1, 13), lambda: pause(s, firm, PauseKind.PROMISE, until=date(2026, 1, 23))
        ),
    )
    assert done(s, firm) == [
        (date(2026, 1, 12), "reminder"),
        # the promise broken, the ladder does not go on with the call it had reached (due on the
        # 19th, inside the promise) but with the firmer mail, on the first business day after
        # the promise (Saturday the 24th: Monday), and keeps its spacing from there
        (date(2026, 1, 26), "firm_reminder"),
        (date(2026, 2, 2), "call_task"),
        (date(2026, 2, 9), "notice_of_default"),
    ]


def test_nl_b2c_wik_consumers_get_the_fourteen_day_letter_and_a_dispute_pauses_one_invoice(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(DUE, client_overrides={"demo": "policies: {consumer: nl-b2c-wik}\n"})
    jan = s.state.add_contact(
        s.org,
        "Jan Jansen",
        email="jan@example.nl",
        first_name="Jan",
        sub_type="individual",
        created=s.world.clock.now(),
    )
    piet = s.state.add_contact(
        s.org,
        "Piet Pieters",
        email="piet@example.nl",
        first_name="Piet",
        sub_type="individual",
        created=s.world.clock.now(),
    )
    s.invoice(jan, "300.00", DUE)
    kept = s.invoice(piet, "200.00", DUE)
    disputed = s.invoice(piet, "150.00", DUE)

    def events(day: date) -> None:
        if day == date(2026, 1, 13):
            pause(s, piet, PauseKind.DISPUTE, invoice=disputed.invoice_id)
        if day == date(2026, 1, 30):
            resume(s, piet, invoice=disputed.invoice_id)

    s.days(DUE, 52, after_run=events)
    assert done(s, jan) == [
        (date(2026, 1, 12), "reminder"),
        (date(2026, 1, 26), "firm_reminder"),  # day 21: no call task at day 14 for consumers
        (date(2026, 2, 2), "fourteen_day_letter"),
        (date(2026, 2, 9), "call_task"),
        (date(2026, 2, 23), "handoff"),  # after the letter's term (costs from 19 February)
    ]
    [letter] = [
        m for m in s.state.mails("payment_reminder", jan.contact_id) if "veertien dagen" in m.body
    ]
    text = " ".join(re.sub(r"<[^>]+>", " ", letter.body).split())
    costs = Money.of("45.00", "EUR")  # 15 % of EUR 300 on the BIK scale
    assert check_letter_wording(text, "nl", costs=costs) == [], "the letter must be sound"
    assert steps_of(s, kept.invoice_id)[:2] == [
        (date(2026, 1, 12), "reminder"),
        (date(2026, 1, 26), "firm-reminder"),
    ]
    # the disputed invoice stopped after its reminder; resumed on Friday 30 January (after that
    # day's run) it goes on at the next step on the next business day, not from the start
    assert steps_of(s, disputed.invoice_id)[:2] == [
        (date(2026, 1, 12), "reminder"),
        (date(2026, 2, 2), "firm-reminder"),
    ]


def test_nl_government_is_slower_than_business_for_a_customer_set_to_government_in_config(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(DUE)
    town = s.customer("Gemeente Ergens")
    shop = s.customer("Winkel BV")
    s.invoice(town, "5000.00", DUE)
    s.invoice(shop, "100.00", DUE)
    configure(
        s,
        f"policies: {{government: nl-government}}\ncustomers:\n"
        f'  "{town.contact_id}": {{profile: government}}\n',
    )
    s.days(DUE, 93)
    assert done(s, town) == [
        (date(2026, 1, 19), "reminder"),
        (date(2026, 2, 4), "call_task"),
        (date(2026, 2, 19), "firm_reminder"),
        (date(2026, 3, 6), "call_task"),
        (date(2026, 3, 23), "statement"),  # day 75 is a Saturday
        (date(2026, 4, 7), "call_task"),  # day 90 is Easter Sunday, then Easter Monday
    ]
    assert done(s, shop)[0] == (date(2026, 1, 12), "reminder"), "business keeps its ladder"
    assert "notice_of_default" not in {k for _, k in done(s, town)}


def test_us_30_60_90_and_a_do_not_dun_customer_resumed_later(make_scenario: MakeScenario) -> None:
    s = make_scenario(DUE, client_overrides={"demo": "policies: {business: us-30-60-90}\n"})
    buyer = s.customer("Buyer Inc")
    held = s.customer("Held Inc")
    s.invoice(buyer, "990.00", DUE)
    s.invoice(held, "120.00", DUE)
    pause(s, held, PauseKind.STOP)
    s.days(DUE, 93, after_run=on(date(2026, 2, 10), lambda: resume(s, held)))
    assert done(s, buyer) == [
        (date(2026, 1, 6), "reminder"),
        (date(2026, 2, 4), "reminder"),
        (date(2026, 3, 6), "firm_reminder"),
        (date(2026, 4, 7), "handoff"),  # 90 days: stop of business (after Easter)
    ]
    held_done = done(s, held)
    assert held_done[0] == (date(2026, 2, 11), "reminder"), "nothing while on do-not-dun"
    assert held_done[1] == (date(2026, 3, 12), "reminder"), "the ladder's spacing from there"
