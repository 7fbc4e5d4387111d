"""A dispute from the customer's own page on the Zoho sandbox (issue #14): the customer disputes
one of two overdue invoices; that invoice gets no reminder while the other one does, and the
runs write the business one internal comment on the disputed invoice (where Zoho keeps call
tasks), naming the invoice and the customer's reason: once, however many runs see the pause."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from e2e_support import Scenario, empty_ledger

from connector.customers.self_service import dispute_invoice
from connector.report.story import story
from sandboxes.world import local_moment
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 1, 5)
DUE = MONDAY + timedelta(days=3)
REMINDER_DAY = DUE + timedelta(days=7)


def test_a_dispute_pauses_that_invoice_and_leaves_one_comment_in_zoho(tmp_path: Path) -> None:
    world = ZohoWorld.open(tmp_path / "world", start=local_moment(MONDAY, 8), populate=empty_ledger)
    try:
        s = Scenario(world)
        customer = s.customer("Geschil BV")
        disputed = s.invoice(customer, "640.00", DUE, number="INV-2026-0050")
        other = s.invoice(customer, "120.00", DUE, number="INV-2026-0051")
        s.days(MONDAY, 2)  # the store knows the invoices
        dispute_invoice(
            world.app,
            "demo",
            customer.contact_id,
            "Geschil BV",
            "INV-2026-0050",
            "Dubbel gefactureerd, zie <order 77> & levering",
            local_moment(MONDAY + timedelta(days=1), 14),
        )

        runs = s.days(MONDAY + timedelta(days=2), (REMINDER_DAY - MONDAY).days + 3)

        assert len(runs) > 2  # the pause is seen by many runs
        od = s.state.data(s.org)
        comments = [
            c.description
            for c in od.invoice(disputed.invoice_id).comments
            if "[dunning:" in c.description
        ]
        disputes = [c for c in comments if c.startswith("Factuur betwist")]
        assert len(disputes) == 1, comments
        assert "INV-2026-0050" in disputes[0]
        assert 'reden: "Dubbel gefactureerd, zie <order 77> & levering"' in disputes[0]
        assert not s.state.mails(invoice_id=disputed.invoice_id)  # that invoice is paused
        assert s.state.mails("payment_reminder", invoice_id=other.invoice_id)  # not the other
        assert not [
            c.description
            for c in od.invoice(other.invoice_id).comments
            if c.description.startswith("Factuur betwist")
        ]
        told = story(
            world.app.engine, "demo", "Europe/Amsterdam", MONDAY, MONDAY + timedelta(30), "nl"
        )
        assert "Factuur betwist" in [e.label for _, events in told for e in events]
    finally:
        world.close()
