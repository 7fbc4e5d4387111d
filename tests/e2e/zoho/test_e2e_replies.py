"""Replies go somewhere (issue #14) on the Zoho sandbox: Zoho sends the reminders itself, the
replies arrive in the client's inbox (a real IMAP server on loopback), and a reply naming an
invoice pauses that customer and writes the "customer replied" task where Zoho keeps call
tasks: one internal comment on the invoice, once."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from e2e_support import Scenario, empty_ledger
from imap_server import PASSWORD, USER, imap_server

from connector.doctor import run_doctor
from connector.report.story import story
from sandboxes.world import local_moment
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 1, 5)
DUE = MONDAY + timedelta(days=3)
REMINDER_DAY = DUE + timedelta(days=7)


def test_a_reply_pauses_the_customer_and_leaves_one_comment_in_zoho(tmp_path: Path) -> None:
    with imap_server(tmp_path) as imap:
        world = ZohoWorld.open(
            tmp_path / "world",
            start=local_moment(MONDAY, 8),
            populate=empty_ledger,
            client_overrides={
                "demo": f"reply_to: {USER}\n"
                "inbox:\n"
                f"  imap_host: {imap.host}\n"
                f"  imap_port: {imap.port}\n"
                f"  username: {USER}\n"
                "  password: ${DEMO_INBOX_PASSWORD}\n"
                "  ssl: false\n"
                "  pause_days: 21\n"
            },
            extra_env={"DEMO_INBOX_PASSWORD": PASSWORD},
        )
        try:
            s = Scenario(world)
            lines, ok = run_doctor(world.app, world.clock)
            assert ok, lines
            assert (
                f"ok   demo: inbox {USER} at 127.0.0.1: INBOX opened read-only (0 messages)"
                in lines
            )
            replied = s.customer("Antwoord BV")
            invoice = s.invoice(replied, "640.00", DUE, number="INV-2026-0042")
            s.days(MONDAY, (REMINDER_DAY - MONDAY).days + 1)
            assert [kind for _, kind in s.mails_to(replied)] == ["payment_reminder"]
            imap.deliver(
                sender="antwoord.bv@example.nl", subject="RE: Herinnering INV-2026-0042 - vraag"
            )

            s.days(REMINDER_DAY + timedelta(days=1), 20)

            assert [kind for _, kind in s.mails_to(replied)] == ["payment_reminder"]
            comments = [
                c.description
                for c in s.state.data(s.org).invoice(invoice.invoice_id).comments
                if "[dunning:" in c.description
            ]
            replies = [c for c in comments if c.startswith("Klant heeft gereageerd")]
            assert len(replies) == 1, comments
            assert "antwoord.bv@example.nl" in replies[0] and "INV-2026-0042" in replies[0]
            assert not [c for c in comments if c.startswith("Belactie")], "no call while paused"
            told = story(
                world.app.engine, "demo", "Europe/Amsterdam", MONDAY, MONDAY + timedelta(40), "nl"
            )
            labels = [e.label for _, events in told for e in events]
            assert "Klant reageerde" in labels
        finally:
            world.close()
