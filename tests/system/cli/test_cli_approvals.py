"""Approvals people can judge: names, invoice numbers, amounts, the step in words and the
subject; the whole message on request; reject with a reason; a daily digest to the approver;
`plan` and `--dry-run` show a waiting action as waiting, never as done.

Against the Zoho sandbox on loopback, with a real SMTP server (aiosmtpd) for the digest.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from typer.testing import CliRunner

from connector import approval
from connector.cli import app as dunning
from connector.config import load_config
from connector.store import audit
from connector.store.db import session_scope
from sandboxes.world import local_moment
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 3, 2)


class Catcher:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Setup:
    world: ZohoWorld
    smtp: Catcher

    def cli(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            dunning,
            ["--config", str(self.world.app.config_dir), *args],
            env=self.world.env,
        )
        return result.exit_code, result.output

    @property
    def at(self) -> str:
        return self.world.clock.now().isoformat()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    catcher = Catcher()
    port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()

    def small(state: ZohoState, org: str, seed: int) -> DemoInfo:
        return seed_demo(state, seed=seed, customers=6, invoices=24, organization_id=org)

    world = ZohoWorld.open(
        tmp_path,
        start=local_moment(MONDAY, 9),
        seed=11,
        slugs=("careful",),
        populate=small,
        client_overrides={"careful": "approval: {required: true, notify: owner@acme.nl}\n"},
    )
    path = world.app.config_dir / "connector.yaml"
    path.write_text(
        path.read_text()
        + f"mail: {{smtp_host: 127.0.0.1, smtp_port: {port}, from: dunning@example.nl, "
        "starttls: false}\n"
    )
    world.app.config = load_config(world.app.config_dir, world.env)
    try:
        yield Setup(world, catcher)
    finally:
        world.close()
        controller.stop()


def _first_waiting(setup: Setup) -> approval.Waiting:
    run = setup.world.run("careful")
    assert run.ok and run.dispatch.awaiting_approval, run.error
    return approval.waiting(setup.world.app, "careful", setup.world.clock)[0]


def test_the_list_names_customer_invoices_amounts_step_planned_day_and_subject(
    setup: Setup,
) -> None:
    first = _first_waiting(setup)
    code, out = setup.cli("approve", "careful", "--list", "--now", setup.at)
    assert code == 0, out
    line = next(x for x in out.splitlines() if x.startswith(f"careful: #{first.id} "))
    assert first.customer_name in line and first.customer_ref not in line
    assert all(number in line for number, _ in first.invoices)
    assert "€" in line and "friendly reminder" in line
    assert f"planned {first.planned_for:%a %d %b %Y}" in line
    assert first.subject and f'subject "{first.subject}"' in line
    assert "reminder to customer" not in out  # the old, unjudgeable form


def test_show_renders_the_whole_message(setup: Setup) -> None:
    first = _first_waiting(setup)
    code, out = setup.cli("approve", "careful", "--show", str(first.id), "--now", setup.at)
    assert code == 0, out
    assert f"Subject: {first.subject}" in out and "To: " in out
    assert first.invoices[0][0] in out.split("Subject:", 1)[1]
    code, out = setup.cli("approve", "careful", "--show", "99999", "--now", setup.at)
    assert code == 2 and "#99999 is not awaiting approval" in out


def test_a_rejected_step_is_skipped_and_the_rejection_is_kept(setup: Setup) -> None:
    first = _first_waiting(setup)
    code, out = setup.cli("approve", "careful", "--reject", str(first.id), "--now", setup.at)
    assert code == 2 and "--reason" in out, "a rejection without a reason was accepted"
    code, out = setup.cli(
        "approve",
        "careful",
        "--reject",
        str(first.id),
        "--reason",
        "belt op, betaalt vrijdag",
        "--by",
        "anna",
        "--now",
        setup.at,
    )
    assert code == 0 and f"rejected #{first.id}" in out, out
    row = next(a for a in setup.world.actions("careful") if a["id"] == first.id)
    assert row["status"] == "rejected" and "anna" in row["detail"] and "vrijdag" in row["detail"]
    with session_scope(setup.world.app.engine) as session:
        events = [e.message for e in audit.recent(session, "careful")]
    assert any("rejected by anna: belt op" in m for m in events), events

    later = setup.world.run("careful", at=setup.world.clock.now() + timedelta(hours=1))
    planned_again = [
        a
        for a in later.planned
        for i in a.items
        if i.step == first.steps[0] and any(i.balance == m for _n, m in first.invoices)
    ]
    assert later.ok and not planned_again, "the rejected step was planned again"
    code, out = setup.cli("plan", "careful", "--no-sync", "--now", setup.at)
    number = first.invoices[0][0]
    row_text = next(x for x in out.splitlines() if number in x)
    assert first.steps[0] not in row_text.split()[-8:], row_text  # the ladder went on


def test_plan_and_dry_run_show_a_waiting_action_as_waiting_never_as_done(setup: Setup) -> None:
    first = _first_waiting(setup)
    number = first.invoices[0][0]
    a_week_later = (setup.world.clock.now() + timedelta(days=7)).isoformat()
    code, out = setup.cli("plan", "careful", "--no-sync", "--now", a_week_later)
    assert code == 0, out
    row = next(x for x in out.splitlines() if number in x)
    assert f"waiting for approval (#{first.id})" in row and "DUE NOW" not in row, row
    code, out = setup.cli("run", "careful", "--dry-run", "--now", setup.at)
    assert code == 0, out
    assert f"waiting for approval: #{first.id} friendly reminder" in out
    assert not any(number in x and "would do" in x for x in out.splitlines()), out


def test_the_approver_gets_one_digest_a_day_over_the_smtp_relay(setup: Setup) -> None:
    first = _first_waiting(setup)
    world = setup.world
    assert approval.send_digests(world.app, world.clock) == ["careful"]
    assert approval.send_digests(world.app, world.clock) == [], "a second digest the same day"
    ((to, message),) = setup.smtp.messages
    assert to == ["owner@acme.nl"]
    part = message.get_body(("plain",))
    assert part is not None
    text = part.get_content()
    assert first.customer_name in text and first.invoices[0][0] in text
    assert "await your approval" in str(message["Subject"])

    world.clock.set(world.clock.now() + timedelta(days=1))
    code, out = setup.cli("run", "careful", "--simulate", "--now", setup.at)
    assert code == 0, out
    assert len(setup.smtp.messages) == 2, "the next day's run sent no digest"


def test_show_gives_each_pay_link_the_message_will_carry_by_invoice_number(
    setup: Setup,
) -> None:
    first = _first_waiting(setup)
    code, out = setup.cli("approve", "careful", "--show", str(first.id), "--now", setup.at)
    assert code == 0, out

    # Zoho gives each invoice its own link, on the invoice's detail only: --show reads it as
    # the send would, and names the invoice by its number, never by Zoho's id
    links = [
        line.removeprefix("Pay link ").split(": ", 1)
        for line in out.splitlines()
        if line.startswith("Pay link ")
    ]
    assert sorted(number for number, _ in links) == sorted(n for n, _ in first.invoices)
    body = out.split("Subject:", 1)[1]
    for _number, link in links:
        assert link.startswith("https://books.zoho.eu/SecurePayment?CInvoiceID=")
        assert f"Online betalen: {link}" in body or f"Pay online: {link}" in body
    assert first.customer_ref not in out
