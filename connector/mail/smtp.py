"""SMTP delivery: one well-formed multipart mail per `RenderedMessage`.

The message is `multipart/mixed` (attachments) around `multipart/alternative` (text and HTML),
with a deterministic `Message-ID` derived from the caller's key, so a mail's identity survives a
crash and can be looked for afterwards. The password is registered with the redactor and never
appears in an error.

Outcomes: `send` returns when the server accepted the message (250 after DATA) for at least one
recipient; the recipients the relay refused are named in the returned `Delivery` (the mail went
out to the others, so it is *sent*: resending it would reach them twice). A refusal of every
recipient, of the sender, or of the data raises `MailError(definite=True)`: the mail did not go
out. A failure after the data started (connection lost while waiting for the final answer) raises
`MailError(definite=False)`: the mail may have gone out, and must not be resent blindly. A header
or address that cannot be put on the wire (a CR/LF in an address) is a definite `MailError` too.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Protocol

from connector.domain.ports import RenderedMessage
from connector.logs.redact import redact, register_secret


class MailError(Exception):
    def __init__(self, message: str, *, definite: bool) -> None:
        super().__init__(redact(message))
        #: True: certainly not delivered to the relay; False: unknown
        self.definite = definite


@dataclass(frozen=True)
class Delivery:
    """What the relay accepted: the mail's Message-ID and the recipients it refused (if any)."""

    message_id: str
    refused: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message_id


class SmtpSettingsLike(Protocol):
    @property
    def smtp_host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password(self) -> object | None: ...  # pydantic SecretStr
    @property
    def from_(self) -> str: ...
    @property
    def starttls(self) -> bool: ...
    @property
    def ssl(self) -> bool: ...


def build_message(
    rendered: RenderedMessage,
    *,
    sender: str,
    sender_name: str | None = None,
    key: str | None = None,
    reply_to: str | None = None,
    domain: str = "dunning.invalid",
) -> EmailMessage:
    """The MIME message. `key` (e.g. the action's idempotency key) fixes the Message-ID."""
    if not rendered.to:
        raise MailError("a mail needs at least one recipient", definite=True)
    try:
        return _build(rendered, sender, sender_name, key, reply_to, domain)
    except (ValueError, TypeError) as exc:  # a CR/LF or other junk in a header value
        raise MailError(f"the mail cannot be built: {exc}", definite=True) from None


def _build(
    rendered: RenderedMessage,
    sender: str,
    sender_name: str | None,
    key: str | None,
    reply_to: str | None,
    domain: str,
) -> EmailMessage:
    for address in (*rendered.to, *rendered.cc, sender, reply_to or ""):
        if any(c in address for c in "\r\n\0"):
            raise ValueError(f"a line break in the address {address!r}")
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender)) if sender_name else sender
    msg["To"] = ", ".join(rendered.to)
    if rendered.cc:
        msg["Cc"] = ", ".join(rendered.cc)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{key}@{domain}>" if key else make_msgid(domain=domain)
    msg.set_content(rendered.text or " ")
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html")
    for filename, content, mime in rendered.attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(
            content, maintype=maintype, subtype=subtype or "octet-stream", filename=filename
        )
    return msg


class SmtpMailer:
    def __init__(self, settings: SmtpSettingsLike, *, timeout: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout
        password = settings.password
        self._password: str | None = None
        if password is not None:
            value = getattr(password, "get_secret_value", lambda: str(password))()
            self._password = str(value)
            register_secret(self._password)

    def __repr__(self) -> str:
        s = self.settings
        return f"SmtpMailer({s.smtp_host}:{s.smtp_port}, user={s.username!r})"

    def send(self, msg: EmailMessage) -> Delivery:
        """Deliver to the relay; returns the Message-ID and the refused recipients (see the
        module docstring for errors)."""
        s = self.settings
        recipients = [
            a.strip()
            for h in ("To", "Cc", "Bcc")
            for a in (msg.get_all(h) or [])
            for a in str(a).split(",")
            if a.strip()
        ]
        try:
            client: smtplib.SMTP
            if s.ssl:
                client = smtplib.SMTP_SSL(
                    s.smtp_host,
                    s.smtp_port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"cannot connect to {s.smtp_host}:{s.smtp_port}: {exc}", definite=True
            ) from None
        with client:
            try:
                client.ehlo()
                if s.starttls and not s.ssl:
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if s.username and self._password is not None:
                    client.login(s.username, self._password)
            except (OSError, smtplib.SMTPException) as exc:
                raise MailError(
                    f"SMTP set-up with {s.smtp_host} failed: {exc}", definite=True
                ) from None
            try:
                refused = client.send_message(msg, from_addr=s.from_, to_addrs=recipients)
            except smtplib.SMTPRecipientsRefused as exc:
                raise MailError(
                    f"all recipients refused: {list(exc.recipients)}", definite=True
                ) from None
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                raise MailError(f"the relay refused the mail: {exc}", definite=True) from None
            except (ValueError, smtplib.SMTPNotSupportedError) as exc:
                # raised while encoding, before MAIL FROM: nothing went out
                raise MailError(f"the mail cannot be sent as it is: {exc}", definite=True) from None
            except (OSError, smtplib.SMTPException) as exc:
                # the connection broke while the data was in flight: it may have been accepted
                raise MailError(
                    f"no final answer from {s.smtp_host}: {exc}", definite=False
                ) from None
        # some recipients refused: the mail went out to the others, so it was sent
        return Delivery(str(msg["Message-ID"]), tuple(sorted(refused)))
