"""Reading the replies mailbox over IMAP: new messages' headers only, never a change to the box.

The folder is opened with EXAMINE (read-only: no message is flagged \\Seen, moved or deleted)
and only the few headers needed to match a reply are fetched, each cut at `MAX_HEADER_BYTES`,
at most `max_messages` per call (the rest is left for the next run). Bodies are never read.

Which messages are new is the caller's memory (the folder's UIDVALIDITY and the highest UID it
handled, see `connector.replies`): `read_new` returns the messages after that UID, or, the first
time or when the server renumbered the folder (another UIDVALIDITY), those that arrived on or
after `since` (IMAP's SEARCH SINCE, by the day the server received them), so an old mailbox is
not taken for a pile of fresh replies.

The connection is IMAPS (implicit TLS, port 993) or STARTTLS, the server's certificate checked
against the system's CAs, or against the client's own `ca_file` (a private CA, a self-signed
certificate) when one is named; a certificate neither trusts ends the read before the login is
sent, with one line saying so.

Header values come from strangers: they are decoded (RFC 2047), stripped of control characters
and line breaks and cut to a bounded length before anyone logs, stores or shows them.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import imaplib
import re
import ssl
from dataclasses import dataclass
from datetime import date
from email.utils import getaddresses
from typing import Protocol

from connector.logs.redact import redact, register_secret

#: at most this much of a message's header is fetched (the few fields asked for, not the body)
MAX_HEADER_BYTES = 8192
#: subjects are kept to this many characters once cleaned
MAX_SUBJECT = 200
#: messages handled per call; the rest is left for the next run
MAX_MESSAGES = 200

_FIELDS = "FROM SUBJECT MESSAGE-ID AUTO-SUBMITTED X-AUTOREPLY X-AUTORESPOND PRECEDENCE"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UID = re.compile(rb"\bUID (\d+)")
_ANGLED = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+)\s*>")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")


class InboxError(Exception):
    """The mailbox could not be read (connection, login, folder); nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class ImapSettingsLike(Protocol):
    @property
    def imap_host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> object: ...  # pydantic SecretStr
    @property
    def ssl(self) -> bool: ...
    @property
    def starttls(self) -> bool: ...
    @property
    def folder(self) -> str: ...
    @property
    def ca_file(self) -> str | None: ...


def clean(value: str, limit: int = MAX_SUBJECT) -> str:
    """A header value fit for a log line, a database column and a task text: no control or
    direction-changing characters, runs of white space as one space, at most `limit` long."""
    text = " ".join(_UNSAFE.sub(" ", value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """One message's facts for matching, cleaned (see `clean`)."""

    uid: int
    message_id: str
    #: the bare sender address, lower case ("" when there is none usable)
    sender: str
    subject: str
    #: an automatic answer (out of office, auto-reply): not a customer writing back
    automatic: bool

    def key(self, uidvalidity: int) -> str:
        """The message's identity across runs and renumbering: its Message-ID where it has
        one, else its UID in this UIDVALIDITY (64 hex characters)."""
        basis = self.message_id or f"uid:{uidvalidity}:{self.uid}"
        return hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class InboxBatch:
    uidvalidity: int
    messages: tuple[InboxMessage, ...]
    #: more new messages wait than were handed out (the next run takes them)
    more: bool = False


def imap_date(day: date) -> str:
    """IMAP's date form (`02-Dec-2026`), in English whatever the locale."""
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def parse_header(uid: int, raw: bytes) -> InboxMessage:
    msg = email.message_from_bytes(raw[:MAX_HEADER_BYTES], policy=email.policy.default)

    def field(name: str) -> str:
        try:
            value = msg.get(name)
        except Exception:  # a malformed header the parser refuses to decode
            return ""
        return "" if value is None else str(value)

    # the address from the header as written (an address is plain ASCII; a display name that
    # decodes to a line break must not cost the address, as decoding it would)
    plain = email.message_from_bytes(raw[:MAX_HEADER_BYTES], policy=email.policy.compat32)
    written = str(plain.get("From", ""))
    sender = ""
    addresses = _ANGLED.findall(written)[-1:] or [a for _, a in getaddresses([written]) if "@" in a]
    if addresses:
        sender = clean(addresses[0], 254).lower()
        if " " in sender:
            sender = ""
    auto = field("Auto-Submitted").strip().lower()
    precedence = field("Precedence").strip().lower()
    automatic = (
        (auto not in ("", "no"))
        or bool(field("X-Autoreply") or field("X-Autorespond"))
        or precedence in ("auto_reply", "bulk", "junk", "list")
    )
    return InboxMessage(
        uid=uid,
        message_id=clean(field("Message-ID"), 500),
        sender=sender,
        subject=clean(field("Subject")),
        automatic=automatic,
    )


class ImapInbox:
    """The replies mailbox of one client."""

    def __init__(
        self,
        settings: ImapSettingsLike,
        *,
        timeout: float = 30.0,
        max_messages: int = MAX_MESSAGES,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.max_messages = max_messages
        self._context = ssl_context
        password = settings.password
        value = getattr(password, "get_secret_value", lambda: str(password))()
        self._password = str(value)
        register_secret(self._password)

    def __repr__(self) -> str:
        s = self.settings
        return f"ImapInbox({s.imap_host}:{s.port}, user={s.username!r}, folder={s.folder!r})"

    def check(self) -> str:
        """Log in and open the folder read-only (for `dunning doctor`): what was found, or
        `InboxError` saying what failed."""
        s = self.settings
        client = self._connect()
        try:
            try:
                client.login(s.username, self._password)
            except imaplib.IMAP4.error as exc:
                raise InboxError(f"the IMAP login at {s.imap_host} was refused: {exc}") from None
            status, data = client.select(_quote(s.folder), readonly=True)
            if status != "OK":
                raise InboxError(f"the folder {s.folder!r} cannot be opened")
            count = _first_int(list(data)) or 0
        except (OSError, imaplib.IMAP4.error) as exc:
            raise InboxError(f"reading {s.folder!r} at {s.imap_host} failed: {exc}") from None
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()
        return (
            f"inbox {s.username} at {s.imap_host}: {s.folder} opened read-only ({count} messages)"
        )

    def read_new(self, uidvalidity: int | None, after_uid: int, since: date) -> InboxBatch:
        """The messages after `after_uid` (or, when `uidvalidity` is not the folder's, those
        received on or after `since`), oldest first, at most `max_messages`."""
        s = self.settings
        client = self._connect()
        try:
            try:
                client.login(s.username, self._password)
            except imaplib.IMAP4.error as exc:
                raise InboxError(f"the IMAP login at {s.imap_host} was refused: {exc}") from None
            return self._read(client, uidvalidity, after_uid, since)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise InboxError(f"reading {s.folder!r} at {s.imap_host} failed: {exc}") from None
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()

    def _tls_context(self) -> ssl.SSLContext:
        """The given context, else one trusting the settings' `ca_file` (only), else the
        system's CAs; host names checked either way."""
        if self._context is not None:
            return self._context
        ca_file = self.settings.ca_file
        if not ca_file:
            return ssl.create_default_context()
        try:
            return ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
            raise InboxError(
                f"the CA file {ca_file} (inbox.ca_file) cannot be used: {reason}"
            ) from None

    def _connect(self) -> imaplib.IMAP4:
        """A connection over TLS (or plain IMAP to this machine, as the config allows), or
        `InboxError` in one line: the server is not reached, or its certificate not trusted."""
        s = self.settings
        where = f"{s.imap_host}:{s.port}"
        context = self._tls_context() if s.ssl or s.starttls else None
        client: imaplib.IMAP4 | None = None
        try:
            if s.ssl:
                return imaplib.IMAP4_SSL(
                    s.imap_host, s.port, ssl_context=context, timeout=self.timeout
                )
            client = imaplib.IMAP4(s.imap_host, s.port, timeout=self.timeout)
            if s.starttls:
                client.starttls(ssl_context=context)
            return client
        except ssl.SSLCertVerificationError as exc:
            _close(client)
            why = exc.verify_message or "certificate verify failed"
            hint = (
                "the CA file named in inbox.ca_file does not sign it"
                if s.ca_file or self._context is not None
                else "name the CA that signed it (or the certificate itself) in inbox.ca_file"
            )
            raise InboxError(
                f"the certificate of the IMAP server {where} is not trusted ({why}): {hint}; "
                "no login was sent"
            ) from None
        except ssl.SSLError as exc:
            _close(client)
            raise InboxError(
                f"no TLS connection with the IMAP server {where}: {exc.reason or exc} "
                "(is it IMAPS on this port, or STARTTLS?)"
            ) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            _close(client)
            raise InboxError(f"cannot connect to {where}: {exc}") from None

    def _read(
        self, client: imaplib.IMAP4, uidvalidity: int | None, after_uid: int, since: date
    ) -> InboxBatch:
        folder = self.settings.folder
        status, _ = client.select(_quote(folder), readonly=True)  # EXAMINE: changes nothing
        if status != "OK":
            raise InboxError(f"the folder {folder!r} cannot be opened")
        _, values = client.response("UIDVALIDITY")
        current = _first_int(values)
        if current is None:
            raise InboxError(f"the server gave no UIDVALIDITY for {folder!r}")
        if current == uidvalidity:
            status, data = client.uid("SEARCH", f"UID {after_uid + 1}:*")
        else:  # first read, or the folder was renumbered: only what arrived since `since`
            after_uid = 0
            status, data = client.uid("SEARCH", f"SINCE {imap_date(since)}")
        if status != "OK":
            raise InboxError(f"searching {folder!r} failed")
        uids = sorted(
            {int(u) for chunk in data if chunk for u in bytes(chunk).split() if u.isdigit()}
        )
        uids = [u for u in uids if u > after_uid]  # "n:*" always names the last message
        more = len(uids) > self.max_messages
        uids = uids[: self.max_messages]
        if not uids:
            return InboxBatch(current, ())
        wanted = f"(UID BODY.PEEK[HEADER.FIELDS ({_FIELDS})]<0.{MAX_HEADER_BYTES}>)"
        status, data = client.uid("FETCH", ",".join(str(u) for u in uids), wanted)
        if status != "OK":
            raise InboxError(f"fetching from {folder!r} failed")
        found: dict[int, InboxMessage] = {}
        for n, part in enumerate(data):
            if not isinstance(part, tuple) or len(part) < 2:
                continue
            head, raw = part[0], part[1]
            # the UID comes before the header literal, or (some servers) after it
            after = data[n + 1] if n + 1 < len(data) else b""
            tail = after if isinstance(after, bytes) else b""
            match = _UID.search(bytes(head)) or _UID.search(tail)
            if match is None:
                continue
            uid = int(match.group(1))
            if uid in uids and uid not in found:
                found[uid] = parse_header(uid, bytes(raw))
        return InboxBatch(current, tuple(found[u] for u in sorted(found)), more)


def _close(client: imaplib.IMAP4 | None) -> None:
    if client is not None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.shutdown()


def _first_int(values: list[bytes | None] | list[None]) -> int | None:
    for value in values:
        if value is not None and bytes(value).strip().isdigit():
            return int(bytes(value).strip())
    return None


def _quote(folder: str) -> str:
    """A folder name as an IMAP quoted string."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
