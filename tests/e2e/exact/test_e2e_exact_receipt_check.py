"""End to end on the Exact sandbox (issue #14): the receipt check in the client's ladder becomes
an Exact call task "Ontvangst factuur controleren" three days after the invoice date, for the
large invoice only, once; nothing is mailed to either customer.

Dates: both receivables are dated Monday 2 March 2026 and fall due 30 days later; the connector
runs daily at 09:00 from that Monday for eight days.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from zoneinfo import ZoneInfo

from e2e_exact_support import MakeExactScenario

from connector.config import load_config
from connector.domain.actions import RECEIPT_CHECK_STEP

INVOICED = date(2026, 3, 2)
ZONE = ZoneInfo("Europe/Amsterdam")


def test_a_receipt_check_is_an_exact_call_task_three_days_after_invoicing_for_large_invoices(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(INVOICED)
    ladder = resources.files("connector.policy") / "ladders" / "nl-b2b-standard.yaml"
    policies = s.world.root / "config" / "policies"
    policies.mkdir(exist_ok=True)
    (policies / "nl-b2b-standard.yaml").write_text(
        ladder.read_text() + "receipt_check: {days: 3, min_total: 5000}\n"
    )
    s.world.app.config = load_config(s.world.root / "config", s.world.env)
    s.world.reload()
    big, small = s.customer("Groot Bouw BV"), s.customer("Klein Klus")
    due = INVOICED + timedelta(days=30)
    large = s.state.add_receivable(
        s.division, big.id, Decimal("12000"), INVOICED, due, invoice_number=2026201
    )
    s.state.add_receivable(
        s.division, small.id, Decimal("800"), INVOICED, due, invoice_number=2026202
    )

    s.days(INVOICED, 8)

    sent = [
        (a["done_at"].astimezone(ZONE).date(), a["kind"], a["items"])
        for a in s.world.actions()
        if a["status"] == "sent"
    ]
    assert sent == [(date(2026, 3, 5), "call_task", [(large.id, RECEIPT_CHECK_STEP)])]
    [task] = s.world.written()["tasks"]
    assert task["TaskType"] == 1
    assert task["Description"] == "Ontvangst factuur controleren (2026201)"
    assert "Ontvangst controleren" in task["Notes"] and "Groot Bouw BV" in task["Notes"]
    assert s.mails_to(big) == [] and s.mails_to(small) == []
