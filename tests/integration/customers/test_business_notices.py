"""The business hears what a customer did on their own page (issue #14): a promise to pay, a
dispute, and a promise not kept each bring the business one short mail over the client's SMTP
relay (a real SMTP server on loopback here), naming the customer, the invoices with their
amounts, the promised day or the reason, and the customer's page in the console. It goes to
`approval.notify`, else to the client's sender address; through the outbox, so never twice; a
mail the relay refused is tried again by the next run; no relay, no mail."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from console_store import BOS, JANSEN, NOW, console_app

from connector.app import App
from connector.customers.self_service import dispute_invoice, promise_to_pay
from connector.dispatch import Dispatcher
from connector.doctor import run_doctor
from connector.domain import ActionKind
from connector.domain.actions import PROMISE_BROKEN
from connector.domain.clock import ManualClock
from connector.notices import NoticeStats, pending_notices, send_notices
from connector.report.story import story
from connector.run import plan_tenant
from connector.store import outbox
from connector.store.db import session_scope

CONSOLE = "https://dunning.acme.example"
OWNER = "eigenaar@acme.example"


class Catcher:
    """Keeps what the relay accepted; refuses the data while `refuse` is set."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse = False

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return "554 5.7.1 not now"
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return [" ".join(str(message["Subject"]).split()) for _, message in self.messages]

    def texts(self) -> list[str]:
        out = []
        for _, message in self.messages:
            part = message.get_body(preferencelist=("plain",))
            assert part is not None
            out.append(str(part.get_content()).replace("\r\n", "\n").replace("\xa0", " "))
        return out


@pytest.fixture
def relay() -> Iterator[tuple[Catcher, int]]:
    catcher = Catcher()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    yield catcher, port
    controller.stop()


def installation(tmp_path: Path, port: int | None, *, notify: bool = True) -> App:
    client = f"approval: {{required: false, notify: {OWNER}}}\n" if notify else ""
    if port is not None:
        client += (
            f"mail: {{smtp_host: 127.0.0.1, smtp_port: {port}, from: debiteuren@demo.example, "
            "starttls: false}\n"
        )
    return console_app(tmp_path, client, f"console: {{public_url: {CONSOLE}}}\n")


def run_notices(app: App, clock: ManualClock) -> NoticeStats:
    """What a run of the client does first: mail the business the notices due."""
    tenant = app.tenant("acme", clock, offline=True)
    return send_notices(
        app.engine,
        "acme",
        tenant.config,
        tenant.renderer,
        clock,
        tenant.timezone,
        console_url=CONSOLE,
        owner="test-run",
        installation_relay=app.config.connector.mail,
        run_id="run-2",
    )


def promise(app: App, clock: ManualClock, day: date = date(2026, 3, 10)) -> None:
    promise_to_pay(app, "acme", JANSEN.ref, JANSEN.name, day, clock.now())


def test_a_promise_to_pay_mails_the_business_once_with_invoices_amounts_day_and_console_link(
    tmp_path: Path, relay: tuple[Catcher, int]
) -> None:
    catcher, port = relay
    app, clock = installation(tmp_path, port), ManualClock(NOW)
    promise(app, clock)
    stats = run_notices(app, clock)
    assert stats.sent == 1
    assert stats.lines == [
        f"mailed {OWNER}: Drukkerij Jansen B.V. promised to pay (INV-39, INV-40)"
    ]
    [(to, _)] = catcher.messages
    assert to == [OWNER]
    assert catcher.subjects() == [
        "Drukkerij Jansen B.V. heeft toegezegd te betalen uiterlijk 10 maart 2026"
    ]
    [text] = catcher.texts()
    assert "Drukkerij Jansen B.V. (klant 1001) heeft op de eigen klantpagina toegezegd" in text
    assert "- INV-39: € 1.234,50\n- INV-40: € 100,00\n" in text
    assert "Totaal: € 1.334,50." in text
    assert f"in de console: {CONSOLE}/clients/acme/customers/{JANSEN.ref}" in text
    assert "4600001" not in text.replace(f"/customers/{JANSEN.ref}", ""), "no platform id"
    [(_, events)] = story(app.engine, "acme", "Europe/Amsterdam", NOW.date(), NOW.date(), "nl")
    [notice] = [e for e in events if e.kind == "business_notice"]
    assert notice.label == "Bericht aan het bedrijf", "in the client's story, not a call task"
    assert "over Drukkerij Jansen B.V., INV-39 en INV-40" in notice.text
    clock.advance(datetime(2026, 3, 2, 10, tzinfo=UTC) - NOW)  # the next hourly run
    again = run_notices(app, clock)
    assert (again.sent, again.already_taken, len(catcher.messages)) == (0, 1, 1)


def test_a_dispute_mails_the_reason_and_without_an_approver_goes_to_the_clients_sender(
    tmp_path: Path, relay: tuple[Catcher, int]
) -> None:
    catcher, port = relay
    app, clock = installation(tmp_path, port, notify=False), ManualClock(NOW)
    dispute_invoice(app, "acme", BOS.ref, BOS.name, "INV-42", "Nooit geleverd", clock.now())
    assert run_notices(app, clock).sent == 1
    [(to, _)] = catcher.messages
    assert to == ["debiteuren@demo.example"]
    assert catcher.subjects() == ["Bakkerij Bos betwist factuur INV-42"]
    [text] = catcher.texts()
    assert "- INV-42: € 410,00\n" in text and "Opgegeven reden: Nooit geleverd" in text
    assert run_notices(app, clock).sent == 0 and len(catcher.messages) == 1


def test_a_promise_not_kept_mails_the_business_and_the_customer_gets_the_firmer_mail(
    tmp_path: Path, relay: tuple[Catcher, int]
) -> None:
    catcher, port = relay
    app, clock = installation(tmp_path, port), ManualClock(NOW)
    promise(app, clock)
    run_notices(app, clock)
    clock.set(datetime(2026, 3, 11, 9, tzinfo=UTC))  # the grace day: nothing yet
    assert run_notices(app, clock).sent == 0
    assert not [
        a
        for a in plan_tenant(app.tenant("acme", clock, offline=True), clock.now())
        if a.customer_ref == JANSEN.ref
    ]
    clock.set(datetime(2026, 3, 12, 9, tzinfo=UTC))
    assert run_notices(app, clock).sent == 1
    subject = catcher.subjects()[-1]
    assert (
        subject
        == "Drukkerij Jansen B.V. heeft niet betaald uiterlijk 10 maart 2026 zoals toegezegd"
    )
    text = catcher.texts()[-1]
    assert "- INV-39: € 1.234,50\n" in text and "INV-40" not in text, "INV-40 is not due yet"
    [firm] = [
        a
        for a in plan_tenant(app.tenant("acme", clock, offline=True), clock.now())
        if a.customer_ref == JANSEN.ref
    ]
    assert firm.kind is ActionKind.FIRM_REMINDER and firm.invoice_refs == ("inv-39",)
    assert firm.extra[PROMISE_BROKEN] == "2026-03-10"
    assert run_notices(app, clock).sent == 0 and len(catcher.messages) == 2


def test_a_notice_the_relay_refused_is_mailed_by_the_next_run(
    tmp_path: Path, relay: tuple[Catcher, int]
) -> None:
    catcher, port = relay
    app, clock = installation(tmp_path, port), ManualClock(NOW)
    promise(app, clock)
    catcher.refuse = True
    refused = run_notices(app, clock)
    assert (refused.sent, refused.failed) == (0, 1)
    assert refused.lines[0].startswith("failed: the notice that Drukkerij Jansen B.V. promised")
    catcher.refuse = False
    assert run_notices(app, clock).sent == 1
    assert len(catcher.messages) == 1


def test_without_an_smtp_relay_no_notice_is_mailed_or_queued(tmp_path: Path) -> None:
    app, clock = installation(tmp_path, None), ManualClock(NOW)
    promise(app, clock)
    assert run_notices(app, clock) == NoticeStats()
    with session_scope(app.engine) as session:
        kinds = [row["kind"] for row in outbox.actions(session, "acme")]
    assert kinds == ["reminder", "reminder"], "only the store's own two reminders"


def test_a_client_without_its_own_relay_mails_the_business_over_the_installations(
    tmp_path: Path, relay: tuple[Catcher, int]
) -> None:
    """A Zoho client's reminders go out through Zoho: no relay in its file. connector.yaml's
    relay (the one the approval digest uses) carries the notice."""
    catcher, port = relay
    app = console_app(
        tmp_path,
        f"approval: {{required: false, notify: {OWNER}}}\n",
        f"console: {{public_url: {CONSOLE}}}\n"
        f"mail: {{smtp_host: 127.0.0.1, smtp_port: {port}, from: connector@consultant.example, "
        "starttls: false}\n",
    )
    clock = ManualClock(NOW)
    promise(app, clock)

    assert run_notices(app, clock).sent == 1

    [(to, message)] = catcher.messages
    assert to == [OWNER]
    assert "connector@consultant.example" in message["From"]
    lines, _ = run_doctor(app, clock)
    assert not [line for line in lines if "own pages" in line]


def test_doctor_warns_when_a_clients_page_actions_cannot_be_mailed_to_the_business(
    tmp_path: Path, relay: tuple[Catcher, int]
) -> None:
    _, port = relay
    without = installation(tmp_path / "without", None)
    lines, _ = run_doctor(without, ManualClock(NOW))
    assert (
        "WARN acme: promises and disputes on customers' own pages are not mailed to the business "
        "(no 'mail:' relay in the client file or connector.yaml); the console's customer pages "
        "show them"
    ) in lines
    with_relay = installation(tmp_path / "with", port)
    lines, _ = run_doctor(with_relay, ManualClock(NOW))
    assert not [line for line in lines if "own pages" in line or "business_" in line]


def test_a_notice_whose_mailing_was_interrupted_is_left_for_review_never_mailed_again(
    tmp_path: Path, relay: tuple[Catcher, int]
) -> None:
    """A run died while mailing (the row stayed `sending`): the relay may have taken it, so
    the next run marks it for review, without asking the ledger, and does not mail it again."""
    catcher, port = relay
    app, clock = installation(tmp_path, port), ManualClock(NOW)
    promise(app, clock)
    tenant = app.tenant("acme", clock, offline=True)
    with session_scope(app.engine) as session:
        [notice] = pending_notices(session, "acme", NOW.date(), tenant.timezone)
        action_id = outbox.enqueue(session, notice.action, NOW, "run-1")
    assert action_id is not None
    assert outbox.claim(app.engine, action_id, "dead-run", NOW, timedelta(minutes=10))
    clock.advance(timedelta(hours=1))
    dispatcher = Dispatcher(
        app.engine,
        tenant.ledger,  # offline: any call to the platform would fail the test
        tenant.renderer,
        tenant.dispatch_settings,
        clock,
        owner="next-run",
        run_id="run-2",
    )
    stats = dispatcher.reconcile_stale()
    assert (stats.reconciled, stats.review) == (1, 1)
    with session_scope(app.engine) as session:
        row = outbox.get(session, action_id)
        assert row is not None and row.status == "review"
        assert row.detail == "interrupted while mailing the business: not resent blindly"
    assert run_notices(app, clock).already_taken == 1
    assert catcher.messages == []
