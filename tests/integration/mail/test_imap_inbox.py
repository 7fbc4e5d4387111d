"""The replies mailbox reader (connector.mail.imap) against a real IMAP server on loopback
(pymap, tests/support/imap_server.py): new messages only, oldest first, bounded, headers made
harmless, and the mailbox left exactly as it was."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from imap_server import PASSWORD, USER, ImapServer, imap_server, imaps_server, self_signed
from waiting import wait_until

from connector.mail.imap import ImapInbox, InboxError, clean, imap_date

LONG_AGO = date(2000, 1, 1)


@dataclass(frozen=True)
class Settings:
    imap_host: str
    port: int
    username: str = USER
    password: str = PASSWORD
    ssl: bool = False
    starttls: bool = False
    folder: str = "INBOX"
    ca_file: str | None = None


@pytest.fixture
def imap(tmp_path: Path) -> Iterator[ImapServer]:
    with imap_server(tmp_path) as server:
        yield server


def inbox(imap: ImapServer, *, password: str = PASSWORD, max_messages: int = 200) -> ImapInbox:
    return ImapInbox(Settings(imap.host, imap.port, password=password), max_messages=max_messages)


def test_the_first_read_takes_what_arrived_since_the_day_given_oldest_first(
    imap: ImapServer,
) -> None:
    imap.deliver(sender="Een <een@example.nl>", subject="Re: factuur 1", message_id="<1@x>")
    imap.deliver(sender="twee@example.nl", subject="Re: factuur 2", message_id="<2@x>")

    batch = inbox(imap).read_new(None, 0, LONG_AGO)

    assert [(m.sender, m.subject, m.message_id) for m in batch.messages] == [
        ("een@example.nl", "Re: factuur 1", "<1@x>"),
        ("twee@example.nl", "Re: factuur 2", "<2@x>"),
    ]
    assert not batch.more and batch.uidvalidity > 0


def test_a_later_read_takes_only_the_new_messages(imap: ImapServer) -> None:
    imap.deliver(sender="een@example.nl", subject="eerste")
    first = inbox(imap).read_new(None, 0, LONG_AGO)
    last = first.messages[-1].uid
    assert inbox(imap).read_new(first.uidvalidity, last, LONG_AGO).messages == ()

    imap.deliver(sender="twee@example.nl", subject="tweede")
    later = inbox(imap).read_new(first.uidvalidity, last, LONG_AGO)

    assert [m.subject for m in later.messages] == ["tweede"]


def test_a_renumbered_folder_is_read_again_from_the_day_given(imap: ImapServer) -> None:
    imap.deliver(sender="een@example.nl", subject="eerste", message_id="<same@x>")
    first = inbox(imap).read_new(None, 0, LONG_AGO)

    # another UIDVALIDITY than the one remembered: UIDs mean nothing, the messages are read
    # again (the caller knows them by their key, which does not change)
    again = inbox(imap).read_new(first.uidvalidity + 1, 10_000, LONG_AGO)

    assert [m.key(again.uidvalidity) for m in again.messages] == [
        m.key(first.uidvalidity) for m in first.messages
    ]


def test_at_most_so_many_messages_a_read_the_rest_waits(imap: ImapServer) -> None:
    for n in range(5):
        imap.deliver(sender="een@example.nl", subject=f"bericht {n}")

    batch = inbox(imap, max_messages=3).read_new(None, 0, LONG_AGO)

    assert [m.subject for m in batch.messages] == ["bericht 0", "bericht 1", "bericht 2"]
    assert batch.more


def test_the_mailbox_is_left_as_it_was(imap: ImapServer) -> None:
    imap.deliver(sender="een@example.nl", subject="eerste")
    before = imap.flags()

    inbox(imap).read_new(None, 0, LONG_AGO)

    assert imap.flags() == before and imap.count() == 1
    assert all(b"\\Seen" not in f for f in imap.flags())


def test_hostile_headers_are_made_harmless(imap: ImapServer) -> None:
    imap.deliver_raw(
        b"From: =?utf-8?q?Evil=0D=0ABcc:_x@y?= <evil@example.nl>\r\n"
        b"Subject: =?utf-8?q?Hi=0AX-Injected:_1_=E2=80=AEtxt.exe?=\r\n"
        b"Auto-Submitted: auto-replied\r\n"
        b"\r\nbody\r\n"
    )

    [message] = inbox(imap).read_new(None, 0, LONG_AGO).messages

    assert message.sender == "evil@example.nl"
    assert message.subject == "Hi X-Injected: 1 txt.exe"
    assert message.automatic


def test_a_wrong_password_is_one_clear_error_without_the_password(imap: ImapServer) -> None:
    with pytest.raises(InboxError, match="login") as error:
        inbox(imap, password="wrong-pass-123").read_new(None, 0, LONG_AGO)
    assert "wrong-pass-123" not in str(error.value)


def test_a_server_that_does_not_answer_is_an_error() -> None:
    with pytest.raises(InboxError, match="cannot connect"):
        ImapInbox(Settings("127.0.0.1", 1)).read_new(None, 0, LONG_AGO)


def test_imap_dates_are_english_and_long_values_are_cut() -> None:
    assert imap_date(date(2026, 12, 2)) == "02-Dec-2026"
    assert clean("x" * 500) == "x" * 199 + "…"
    assert clean("a\tb\r\n c\x1b[0m") == "a b c [0m"


def test_over_starttls_only_a_trusted_certificate_gets_the_login(tmp_path: Path) -> None:
    with imap_server(tmp_path, tls=self_signed(tmp_path)) as tls_imap:
        tls_imap.deliver(sender="een@example.nl", subject="versleuteld")
        assert tls_imap.context is not None
        secured = Settings(tls_imap.host, tls_imap.port, starttls=True)

        # the system's CAs do not know the server's certificate: no login is sent at all
        with pytest.raises(InboxError, match="is not trusted") as refused:
            ImapInbox(secured).read_new(None, 0, LONG_AGO)
        assert PASSWORD not in str(refused.value)

        batch = ImapInbox(secured, ssl_context=tls_imap.context).read_new(None, 0, LONG_AGO)

        assert [m.subject for m in batch.messages] == ["versleuteld"]


def test_over_imaps_the_server_is_trusted_through_the_ca_file_the_client_names(
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path)
    with imaps_server(tmp_path, cert, key) as imaps:
        imaps.deliver(sender="een@example.nl", subject="over IMAPS")
        settings = Settings(imaps.host, imaps.port, ssl=True, ca_file=str(cert))

        batch = ImapInbox(settings).read_new(None, 0, LONG_AGO)

        assert [m.subject for m in batch.messages] == ["over IMAPS"]
        assert ImapInbox(settings).check() == (
            f"inbox {USER} at 127.0.0.1: INBOX opened read-only (1 messages)"
        )


def test_over_imaps_an_untrusted_certificate_is_refused_in_one_line_before_the_login(
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    other_ca, _ = self_signed(other)  # some other CA: it signed nothing of this server's
    with imaps_server(tmp_path, cert, key) as imaps:
        imaps.deliver(sender="een@example.nl", subject="geheim")
        where = f"127.0.0.1:{imaps.port}"

        with pytest.raises(InboxError) as unknown:
            ImapInbox(Settings(imaps.host, imaps.port, ssl=True)).read_new(None, 0, LONG_AGO)
        with pytest.raises(InboxError) as wrong_ca:
            ImapInbox(Settings(imaps.host, imaps.port, ssl=True, ca_file=str(other_ca))).check()

        assert str(unknown.value) == (
            f"the certificate of the IMAP server {where} is not trusted (self-signed "
            "certificate): name the CA that signed it (or the certificate itself) in "
            "inbox.ca_file; no login was sent"
        )
        assert str(wrong_ca.value) == (
            f"the certificate of the IMAP server {where} is not trusted (self-signed "
            "certificate): the CA file named in inbox.ca_file does not sign it; no login was sent"
        )
        # both ended in the TLS handshake: the password never left the machine's client
        wait_until(lambda: imaps.refused_handshakes() == 2, "both handshakes refused")


def test_a_ca_file_that_is_no_certificate_is_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "ca.pem"
    broken.write_text("not a certificate\n")
    settings = Settings("127.0.0.1", 1, ssl=True, ca_file=str(broken))

    with pytest.raises(
        InboxError, match=r"the CA file .*ca\.pem \(inbox\.ca_file\) cannot be used"
    ):
        ImapInbox(settings).read_new(None, 0, LONG_AGO)


def test_plain_imaps_to_a_starttls_port_says_what_may_be_wrong(tmp_path: Path) -> None:
    with imap_server(tmp_path) as plain:  # speaks plain IMAP: the TLS handshake fails
        settings = Settings(plain.host, plain.port, ssl=True)

        with pytest.raises(InboxError, match=r"no TLS connection .* IMAPS on this port"):
            ImapInbox(settings).read_new(None, 0, LONG_AGO)
