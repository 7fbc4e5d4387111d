"""Replies go somewhere (issue #14), end to end on the Moneybird sandbox: Moneybird sends the
reminders itself, the customers' replies arrive in the client's inbox (a real IMAP server on
loopback, pymap: tests/support/imap_server.py), and the client's run reads it first.

A reply naming an invoice, or sent from an address the customer has in Moneybird, pauses that
customer (no further reminder from Moneybird, no call to-do) and writes the business one to-do
note on the contact in Moneybird, "Klant heeft gereageerd op herinnering", with who wrote and
about what; the customer who did not reply climbs the ladder as usual. As on Zoho and Exact
(tests/e2e/zoho/test_e2e_replies.py, tests/e2e/exact/test_e2e_exact_replies.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from e2e_moneybird_support import MoneybirdScenario, empty_ledger
from imap_server import PASSWORD, USER, ImapServer, imap_server

from connector.domain.pauses import PauseKind
from connector.store import inbox as inbox_repo
from connector.store import pauses as pause_repo
from connector.store.db import session_scope
from sandboxes.moneybird.state import Contact, Note
from sandboxes.moneybird.world import MoneybirdWorld
from sandboxes.world import local_moment

MONDAY = date(2026, 1, 5)
DUE = MONDAY + timedelta(days=3)
REMINDER_DAY = DUE + timedelta(days=7)  # nl-b2b-standard: reminder 7 days after the due date
REPLIED = "Klant heeft gereageerd op herinnering"


@pytest.fixture
def imap(tmp_path: Path) -> Iterator[ImapServer]:
    with imap_server(tmp_path) as server:
        yield server


@pytest.fixture
def s(tmp_path: Path, imap: ImapServer) -> Iterator[MoneybirdScenario]:
    world = MoneybirdWorld.open(
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
            "  pause_days: 30\n"
        },
        extra_env={"DEMO_INBOX_PASSWORD": PASSWORD},
    )
    try:
        yield MoneybirdScenario(world)
    finally:
        world.close()


def notes_on(s: MoneybirdScenario, contact: Contact) -> list[Note]:
    notes = s.state.ledger(s.administration).notes.values()
    return sorted(
        (n for n in notes if n.entity_type == "Contact" and n.entity_id == contact.id),
        key=lambda n: n.created_at,
    )


def test_a_reply_naming_the_invoice_pauses_the_customer_and_leaves_one_to_do_in_moneybird(
    s: MoneybirdScenario, imap: ImapServer
) -> None:
    replied = s.customer("Antwoord B.V.")
    silent = s.customer("Stil B.V.")
    s.invoice(replied, "500.00", DUE, number="2026-0101")
    s.invoice(silent, "400.00", DUE, number="2026-0102")
    s.days(MONDAY, (REMINDER_DAY - MONDAY).days + 1)
    assert len(s.reminders_to(replied)) == len(s.reminders_to(silent)) == 1
    # the customer answers Moneybird's reminder from an address Moneybird does not know
    imap.deliver(
        sender="Boekhouding <boekhouding@elders.example>",
        subject="Re: Herinnering factuur 2026-0101",
    )

    s.days(REMINDER_DAY + timedelta(days=1), 20)

    # the one who did not reply: a call to-do (+14) and the firm reminder (+21) from Moneybird
    assert len(s.reminders_to(silent)) == 2
    assert [n.note.splitlines()[0] for n in notes_on(s, silent)][:1] == [
        "Bellen over openstaande facturen"
    ]
    # the one who replied: nothing more from Moneybird, one to-do for the business
    assert len(s.reminders_to(replied)) == 1
    assert s.reminders_to(replied, by="workflow") == []
    [note] = notes_on(s, replied)
    assert note.todo
    assert note.note.splitlines()[0] == REPLIED
    assert "boekhouding@elders.example" in note.note
    assert "Re: Herinnering factuur 2026-0101" in note.note
    assert "Facturen: 2026-0101" in note.note
    with session_scope(s.world.app.engine) as session:
        [pause] = pause_repo.history(session, "demo")
        handled = inbox_repo.history(session, "demo")
    assert pause.kind is PauseKind.REPLY and pause.customer_ref == replied.id
    assert pause.until == REMINDER_DAY + timedelta(days=30)
    assert [(h.outcome, h.customer_ref) for h in handled] == [("paused", replied.id)]
    # read-only: the reply is still in the mailbox, not even marked as read
    assert imap.count() == 1
    assert all(b"\\Seen" not in f for f in imap.flags())


def test_a_reply_from_the_customers_own_address_is_matched_and_handled_once(
    s: MoneybirdScenario, imap: ImapServer
) -> None:
    known = s.customer("Bekend B.V.", email="info@bekend.example")
    s.invoice(known, "300.00", DUE, number="2026-0103")
    s.days(MONDAY, (REMINDER_DAY - MONDAY).days + 1)
    imap.deliver(sender="INFO@Bekend.example", subject="Vraag over uw herinnering")

    day = REMINDER_DAY + timedelta(days=1)
    for hour in (9, 10, 11):  # three runs on one day, then more days
        s.world.run("demo", at=local_moment(day, hour))
    s.days(day + timedelta(days=1), 3)

    assert [n.note.splitlines()[0] for n in notes_on(s, known)] == [REPLIED]
    with session_scope(s.world.app.engine) as session:
        assert len(pause_repo.history(session, "demo")) == 1
