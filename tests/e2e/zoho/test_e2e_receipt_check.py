"""End to end on the Zoho sandbox (issue #14): with a receipt check in the client's ladder, a
large invoice gets a "check receipt" call task in Zoho (an internal comment on the invoice) three
days after its invoice date, once; a small invoice invoiced the same day gets nothing.

Dates: both invoices are dated Monday 2 March 2026 and fall due 30 days later; the connector runs
daily at 09:00 from that Monday for eight days.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from zoneinfo import ZoneInfo

from e2e_support import MakeScenario

from connector.config import load_config
from connector.domain.actions import RECEIPT_CHECK_STEP
from connector.report.story import story

INVOICED = date(2026, 3, 2)
ZONE = ZoneInfo("Europe/Amsterdam")


def test_a_receipt_check_task_appears_three_days_after_invoicing_for_the_large_invoice_only(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(INVOICED)
    # the built-in ladder with a receipt check, replacing it for this installation
    ladder = resources.files("connector.policy") / "ladders" / "nl-b2b-standard.yaml"
    policies = s.world.root / "config" / "policies"
    policies.mkdir(exist_ok=True)
    (policies / "nl-b2b-standard.yaml").write_text(
        ladder.read_text() + "receipt_check: {days: 3, min_total: 5000, channel: task}\n"
    )
    s.world.app.config = load_config(s.world.root / "config", s.world.env)
    s.world.reload()
    big_customer, small_customer = s.customer("Groot Bouw BV"), s.customer("Klein Klus")
    due = INVOICED + timedelta(days=30)
    big = s.state.add_invoice(s.org, big_customer.contact_id, Decimal("12000"), INVOICED, due)
    small = s.state.add_invoice(s.org, small_customer.contact_id, Decimal("800"), INVOICED, due)

    s.days(INVOICED, 8)

    checks = [
        (a["done_at"].astimezone(ZONE).date(), a["kind"], a["items"])
        for a in s.world.actions()
        if a["status"] == "sent"
    ]
    assert checks == [(date(2026, 3, 5), "call_task", [(big.invoice_id, RECEIPT_CHECK_STEP)])], (
        "one task, on Thursday, for the large invoice only"
    )
    notes = [c.description for c in s.state.data(s.org).invoice(big.invoice_id).comments]
    [task] = [n for n in notes if "[dunning:" in n]
    assert "Ontvangst controleren" in task and "Groot Bouw BV" in task
    assert not [
        c
        for c in s.state.data(s.org).invoice(small.invoice_id).comments
        if "[dunning:" in c.description
    ]
    assert s.mails_to(big_customer) == [] and s.mails_to(small_customer) == []
    told = story(s.world.app.engine, "demo", "Europe/Amsterdam", INVOICED, date(2026, 3, 9), "nl")
    [(day, [event])] = [(d, events) for d, events in told if events]
    assert day == date(2026, 3, 5) and event.task
    assert event.label == "Ontvangstcheck"
    assert event.text.startswith("bel Groot Bouw BV: is ") and "ontvangen?" in event.text
