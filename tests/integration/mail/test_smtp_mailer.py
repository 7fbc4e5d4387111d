"""Mail goes out over real SMTP on loopback (aiosmtpd) as one well-formed multipart message."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from connector.domain.ports import RenderedMessage
from connector.mail import MailError, SmtpMailer, build_message


class Catcher:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert envelope.mail_from is not None and isinstance(envelope.content, bytes)
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content),
            )
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Catcher, int]]:
    catcher = Catcher()
    port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    yield catcher, port
    controller.stop()


def settings(port: int) -> SimpleNamespace:
    return SimpleNamespace(
        smtp_host="127.0.0.1",
        smtp_port=port,
        username=None,
        password=None,
        from_="debiteuren@acme.example",
        starttls=False,
        ssl=False,
    )


MESSAGE = RenderedMessage(
    subject="Herinnering factuur INV-1",
    html="<p>Beste klant, <b>EUR 100,00</b></p>",
    text="Beste klant, EUR 100,00",
    to=("klant@example.nl",),
    cc=("boekhouding@acme.example",),
    attachments=(("rekeningoverzicht.pdf", b"%PDF-1.4 fake", "application/pdf"),),
)


def test_a_reminder_arrives_as_text_html_and_attachment(smtp: tuple[Catcher, int]) -> None:
    catcher, port = smtp
    msg = build_message(
        MESSAGE, sender="debiteuren@acme.example", sender_name="Acme B.V.", key="a" * 32
    )
    message_id = str(SmtpMailer(settings(port)).send(msg))
    assert message_id == f"<{'a' * 32}@dunning.invalid>"
    [(mail_from, rcpts, received)] = catcher.messages
    assert mail_from == "debiteuren@acme.example"
    assert sorted(rcpts) == ["boekhouding@acme.example", "klant@example.nl"]
    assert received["Subject"] == "Herinnering factuur INV-1"
    assert received.get_content_type() == "multipart/mixed"
    parts = [p.get_content_type() for p in received.walk()]
    assert parts == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
    pdf = next(p for p in received.walk() if p.get_content_type() == "application/pdf")
    assert pdf.get_filename() == "rekeningoverzicht.pdf"
    assert pdf.get_payload(decode=True) == b"%PDF-1.4 fake"


def test_an_unreachable_relay_is_a_definite_failure() -> None:
    msg = build_message(MESSAGE, sender="debiteuren@acme.example")
    with pytest.raises(MailError) as caught:
        SmtpMailer(settings(free_port())).send(msg)
    assert caught.value.definite


def test_the_password_never_appears_in_an_error() -> None:
    s = settings(free_port())
    s.username, s.password = "user", SimpleNamespace(get_secret_value=lambda: "smtp-pass-123")
    with pytest.raises(MailError) as caught:
        SmtpMailer(s).send(build_message(MESSAGE, sender="x@acme.example"))
    assert "smtp-pass-123" not in str(caught.value)


# -- issue #15: partial acceptance and header injection ---------------------------------
class Refusing(Catcher):
    def __init__(self, refuse: set[str]) -> None:
        super().__init__()
        self.refuse = refuse

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_mail_the_relay_accepted_for_one_recipient_is_sent_and_names_the_refused_one() -> None:
    catcher = Refusing({"bad@cust.example"})
    port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        rendered = RenderedMessage(
            subject="Herinnering",
            html="",
            text="Beste klant",
            to=("good@cust.example", "bad@cust.example"),
        )
        delivery = SmtpMailer(settings(port)).send(
            build_message(rendered, sender="debiteuren@acme.example", key="b" * 32)
        )
    finally:
        controller.stop()
    assert delivery.refused == ("bad@cust.example",)
    assert str(delivery) == f"<{'b' * 32}@dunning.invalid>"
    [(_from, rcpts, _msg)] = catcher.messages
    assert rcpts == ["good@cust.example"]


def test_every_recipient_refused_is_definitely_not_sent() -> None:
    catcher = Refusing({"bad@cust.example"})
    port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        rendered = RenderedMessage(subject="x", html="", text="x", to=("bad@cust.example",))
        with pytest.raises(MailError) as caught:
            SmtpMailer(settings(port)).send(build_message(rendered, sender="a@acme.example"))
    finally:
        controller.stop()
    assert caught.value.definite is True
    assert catcher.messages == []


@pytest.mark.parametrize(
    "address", ["klant@example.nl\r\nBcc: all@evil.example", "klant@example.nl\nX: y"]
)
def test_a_line_break_in_an_address_is_a_definite_mail_error(address: str) -> None:
    rendered = RenderedMessage(subject="x", html="", text="x", to=(address,))
    with pytest.raises(MailError) as caught:
        build_message(rendered, sender="debiteuren@acme.example")
    assert caught.value.definite is True
