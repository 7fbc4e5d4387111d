"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives.

Platforms that do not send mail themselves (Exact Online) have the connector mail over SMTP; in
the demo, the end-to-end tests and the benchmarks this catcher is that server, so the mails are
real SMTP conversations and can be read back (recipients, subject, text, attachments).
"""

from __future__ import annotations

import email
import socket
import threading
from dataclasses import dataclass
from datetime import date, datetime
from email.message import Message
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sandboxes.kit.clock import ZONE


class Now(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class CaughtMail:
    at: datetime
    mail_from: str
    to: tuple[str, ...]
    message: Message

    @property
    def day(self) -> date:
        return self.at.astimezone(ZoneInfo(ZONE)).date()

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def text(self) -> str:
        """The text/plain part, decoded."""
        for part in self.message.walk():
            if part.get_content_type() == "text/plain" and not part.get_filename():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    return payload.decode(part.get_content_charset() or "utf-8")
        return ""

    def attachments(self) -> list[tuple[str, bytes]]:
        out = []
        for part in self.message.walk():
            name = part.get_filename()
            payload = part.get_payload(decode=True)
            if name and isinstance(payload, bytes):
                out.append((name, payload))
        return out


class SmtpCatcher:
    """A real SMTP server on loopback (aiosmtpd) keeping every message it receives, stamped with
    the world's clock."""

    def __init__(self, clock: Now) -> None:
        from aiosmtpd.controller import Controller

        self.clock = clock
        self.mails: list[CaughtMail] = []
        #: recipients this server refuses (550 to RCPT TO), as a real relay refuses a bad one
        self.refuse: set[str] = set()
        self._lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.mails.append(
                CaughtMail(
                    self.clock.now(), str(envelope.mail_from), tuple(envelope.rcpt_tos), message
                )
            )
        return "250 Message accepted for delivery"

    def start(self) -> SmtpCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[CaughtMail]:
        with self._lock:
            return [m for m in self.mails if address in m.to]
