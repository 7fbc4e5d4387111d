"""Replies go somewhere (issue #14), end to end on the Exact sandbox: the reminders the connector
mails itself (real SMTP on loopback) carry the client's Reply-To, and the replies mailbox is a
real IMAP server on loopback (pymap, tests/support/imap_server.py) that the client's run reads.

A reply naming an invoice pauses that customer and writes one task in Exact; a reply matching
no customer changes nothing but is said; a message is handled once across runs, and the
mailbox is left as it was."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from e2e_exact_support import ExactScenario, empty_ledger
from imap_server import PASSWORD, USER, ImapServer, imap_server

from connector.domain.pauses import PauseKind
from connector.report.ageing import client_report
from connector.store import inbox as inbox_repo
from connector.store import pauses as pause_repo
from connector.store.db import session_scope
from sandboxes.exact.world import ExactWorld
from sandboxes.world import local_moment

MONDAY = date(2026, 1, 5)
DUE = MONDAY + timedelta(days=3)
REMINDER_DAY = DUE + timedelta(days=7)  # nl-b2b-standard: reminder 7 days after the due date


@pytest.fixture
def imap(tmp_path: Path) -> Iterator[ImapServer]:
    with imap_server(tmp_path) as server:
        yield server


def scenario(tmp_path: Path, overrides: str) -> Iterator[ExactScenario]:
    world = ExactWorld.open(
        tmp_path / "world",
        start=local_moment(MONDAY, 8),
        populate=empty_ledger,
        client_overrides={"demo": overrides},
        extra_env={"DEMO_INBOX_PASSWORD": PASSWORD},
    )
    try:
        yield ExactScenario(world)
    finally:
        world.close()


@pytest.fixture
def with_inbox(tmp_path: Path, imap: ImapServer) -> Iterator[ExactScenario]:
    yield from scenario(
        tmp_path,
        f"reply_to: {USER}\n"
        "inbox:\n"
        f"  imap_host: {imap.host}\n"
        f"  imap_port: {imap.port}\n"
        f"  username: {USER}\n"
        "  password: ${DEMO_INBOX_PASSWORD}\n"
        "  ssl: false\n"
        "  pause_days: 30\n",
    )


def tasks_for(s: ExactScenario, account_id: str) -> list[str]:
    return [t["Description"] for t in s.world.written()["tasks"] if t["Account"] == account_id]


def test_a_reminder_carries_the_reply_to_the_client_chose(tmp_path: Path) -> None:
    for s in scenario(tmp_path, "reply_to: antwoord@demo.example\n"):
        late = s.customer("Laat Betaler BV")
        s.invoice(late, "500.00", DUE, number=2026001)

        s.days(MONDAY, (REMINDER_DAY - MONDAY).days + 1)

        [reminder] = s.mails_to(late)
        assert reminder.message["Reply-To"] == "antwoord@demo.example"
        assert reminder.mail_from == "debiteuren@demo-installatie.example"


def test_a_reply_naming_the_invoice_pauses_that_customer_and_writes_one_task(
    with_inbox: ExactScenario, imap: ImapServer
) -> None:
    s = with_inbox
    replied = s.customer("Antwoord BV")
    silent = s.customer("Stil BV")
    s.invoice(replied, "500.00", DUE, number=2026001)
    s.invoice(silent, "400.00", DUE, number=2026002)
    s.days(MONDAY, (REMINDER_DAY - MONDAY).days + 1)
    assert len(s.mails_to(replied)) == len(s.mails_to(silent)) == 1
    # the customer answers from an address the ledger does not know, naming the invoice
    imap.deliver(
        sender="Boekhouding <boekhouding@elders.example>",
        subject="Re: Herinnering: openstaande factuur 2026001",
    )

    s.days(REMINDER_DAY + timedelta(days=1), 20)

    # the one who did not reply climbs the ladder (call task, firm reminder); the one who
    # replied gets nothing more, and the business has one task to answer the reply
    assert len(s.mails_to(silent)) == 2
    assert tasks_for(s, silent.id) == ["Bellen over openstaande facturen (2026002)"]
    assert len(s.mails_to(replied)) == 1
    assert tasks_for(s, replied.id) == ["Klant heeft gereageerd op herinnering (2026001)"]
    [task] = [t for t in s.world.written()["tasks"] if t["Account"] == replied.id]
    assert "boekhouding@elders.example" in task["Notes"]
    assert "2026001" in task["Notes"]
    with session_scope(s.world.app.engine) as session:
        [pause] = pause_repo.history(session, "demo")
        handled = inbox_repo.history(session, "demo")
    assert pause.kind is PauseKind.REPLY and pause.customer_ref == replied.id
    assert pause.until == REMINDER_DAY + timedelta(days=30)
    assert [(h.outcome, h.customer_ref) for h in handled] == [("paused", replied.id)]
    # read-only: the message is still there, not even marked as read
    assert imap.count() == 1
    assert all(b"\\Seen" not in f for f in imap.flags())


def test_money_paid_after_a_reply_is_credited_to_the_reminder_not_to_the_reply(
    with_inbox: ExactScenario, imap: ImapServer
) -> None:
    s = with_inbox
    late = s.customer("Laat Betaler BV")
    term = s.invoice(late, "500.00", DUE, number=2026001)
    s.days(MONDAY, (REMINDER_DAY - MONDAY).days + 1)
    imap.deliver(sender="laat.betaler.bv@example.nl", subject="Re: 2026001, betalen vrijdag")
    pay_day = REMINDER_DAY + timedelta(days=3)

    s.days(
        REMINDER_DAY + timedelta(days=1),
        5,
        after_run=lambda d: s.pay(term, on=d) if d == pay_day else None,
    )

    report = client_report(s.world.app, "demo", local_moment(pay_day + timedelta(days=2), 12))
    credited = {k: v for k, v in report.collected_after_step.items() if v.is_positive()}
    assert list(credited) == ["reminder"]


def test_a_reply_from_a_known_address_is_matched_without_an_invoice_number(
    with_inbox: ExactScenario, imap: ImapServer
) -> None:
    s = with_inbox
    known = s.customer("Bekend BV", email="info@bekend.example")
    s.invoice(known, "300.00", DUE, number=2026003)
    s.days(MONDAY, (REMINDER_DAY - MONDAY).days + 1)
    imap.deliver(sender="INFO@Bekend.example", subject="Vraag over uw mail")

    s.days(REMINDER_DAY + timedelta(days=1), 1)

    assert tasks_for(s, known.id) == ["Klant heeft gereageerd op herinnering (2026003)"]


def test_an_unmatched_reply_changes_nothing_but_is_said(
    with_inbox: ExactScenario, imap: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    s = with_inbox
    late = s.customer("Laat Betaler BV")
    s.invoice(late, "500.00", DUE, number=2026001)
    s.days(MONDAY, (REMINDER_DAY - MONDAY).days + 1)
    # a subject that decodes to a line break and a terminal escape, and a huge header
    imap.deliver_raw(
        b"From: onbekend@nergens.example\r\n"
        b"Subject: =?utf-8?q?Offerte=0D=0AX-Injected:_yes_=1B[31m_99999?=\r\n"
        b"Message-ID: <hostile@nergens.example>\r\n"
        b"X-Padding: " + b"x" * 50_000 + b"\r\n"
        b"\r\nbody\r\n"
    )

    with caplog.at_level(logging.INFO, logger="connector.replies"):
        [result] = s.days(REMINDER_DAY + timedelta(days=1), 1)

    assert any("matches no customer" in line for line in result.dispatch.lines)
    assert any("onbekend@nergens.example" in r.getMessage() for r in caplog.records)
    assert s.world.written()["tasks"] == []
    with session_scope(s.world.app.engine) as session:
        assert pause_repo.history(session, "demo") == []
        [handled] = inbox_repo.history(session, "demo")
    assert handled.outcome == "unmatched" and handled.customer_ref is None
    assert handled.subject == "Offerte X-Injected: yes [31m 99999"


def test_a_message_is_handled_once_across_runs_and_an_automatic_answer_not_at_all(
    with_inbox: ExactScenario, imap: ImapServer
) -> None:
    s = with_inbox
    late = s.customer("Laat Betaler BV")
    s.invoice(late, "500.00", DUE, number=2026001)
    s.days(MONDAY, (REMINDER_DAY - MONDAY).days + 1)
    imap.deliver(
        sender="laat.betaler.bv@example.nl",
        subject="Automatisch antwoord: afwezig (2026001)",
        headers={"Auto-Submitted": "auto-replied"},
    )
    imap.deliver(sender="laat.betaler.bv@example.nl", subject="Re: factuur 2026001")

    day = REMINDER_DAY + timedelta(days=1)
    for hour in (9, 10, 11):  # three runs on one day, then more days
        s.world.run("demo", at=local_moment(day, hour))
    s.days(day + timedelta(days=1), 3)

    assert tasks_for(s, late.id) == ["Klant heeft gereageerd op herinnering (2026001)"]
    with session_scope(s.world.app.engine) as session:
        assert len(pause_repo.history(session, "demo")) == 1
        outcomes = [h.outcome for h in inbox_repo.history(session, "demo")]
    assert outcomes == ["automatic", "paused"]
