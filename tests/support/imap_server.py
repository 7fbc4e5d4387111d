"""A real IMAP server on loopback for the tests of the replies inbox: pymap (a Python IMAP
server from PyPI, a test dependency) with its in-memory backend and one mailbox, run as a
subprocess on a free port, plain IMAP (allowed to a server on this machine only), with
STARTTLS, or behind an implicit-TLS front (IMAPS, as port 993 speaks it: pymap itself offers
only STARTTLS, so a TLS-terminating relay on loopback speaks IMAPS to the client and plain IMAP
to pymap, as stunnel or a load balancer in front of a mail server does).

`deliver` puts a message in the mailbox as a mail server would (IMAP APPEND); `flags` and
`count` read the mailbox back, so a test can show that the connector changed nothing."""

from __future__ import annotations

import imaplib
import ipaddress
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from waiting import wait_until

USER = "antwoord@demo.example"
PASSWORD = "inbox-test-pass"


class ImapServer:
    def __init__(
        self,
        port: int,
        process: subprocess.Popen[bytes],
        log: Path,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.process = process
        self.log = log
        #: with TLS: a client context that trusts the server's certificate
        self.context = context
        #: IMAPS (TLS from the first byte) rather than STARTTLS
        self.implicit_tls = False
        #: TLS handshakes the IMAPS front saw fail (a client refusing the certificate)
        self.refused_handshakes: Callable[[], int] = lambda: 0

    def _client(self) -> imaplib.IMAP4:
        if self.implicit_tls:
            assert self.context is not None
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=self.context, timeout=30
            )
        else:
            client = imaplib.IMAP4(self.host, self.port, timeout=30)
            if self.context is not None:
                client.starttls(ssl_context=self.context)
        client.login(USER, PASSWORD)
        return client

    def deliver_raw(self, raw: bytes) -> None:
        """Put `raw` in INBOX as it is (a hostile or broken message, for instance)."""
        client = self._client()
        try:
            status, _ = client.append("INBOX", None, None, raw)
            assert status == "OK", status
        finally:
            client.logout()

    def deliver(
        self,
        *,
        sender: str,
        subject: str,
        body: str = "Hallo, wij betalen volgende week.",
        headers: dict[str, str] | None = None,
        message_id: str | None = None,
    ) -> str:
        """Put a message in INBOX; returns its Message-ID."""
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = USER
        msg["Subject"] = subject
        msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
        for name, value in (headers or {}).items():
            msg[name] = value
        msg.set_content(body)
        self.deliver_raw(msg.as_bytes())
        return str(msg["Message-ID"])

    def flags(self) -> list[bytes]:
        """Each message's flags, as the server keeps them."""
        client = self._client()
        try:
            client.select("INBOX", readonly=True)
            status, data = client.fetch("1:*", "(FLAGS)")
            return [bytes(d) for d in data if isinstance(d, bytes)] if status == "OK" else []
        finally:
            client.logout()

    def count(self) -> int:
        client = self._client()
        try:
            _, data = client.select("INBOX", readonly=True)
            return int(bytes(data[0] or b"0"))
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files), for a server on loopback with TLS;
    a client trusts it by loading the certificate as its only CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "imap-cert.pem", tmp / "imap-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextmanager
def imap_server(tmp: Path, *, tls: tuple[Path, Path] | None = None) -> Iterator[ImapServer]:
    """pymap on a free loopback port with one empty mailbox (USER / PASSWORD); plain IMAP, or
    with `tls` (certificate, key) STARTTLS, required before the login."""
    port = _free_port()
    log = tmp / "pymap.log"
    security = ["--cert", str(tls[0]), "--key", str(tls[1])] if tls else ["--no-tls"]
    command = [
        sys.executable,
        "-c",
        "import sys; from pymap.main import main; sys.exit(main())",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *security,
        "dict",
        "--demo-user",
        USER,
        "--demo-password",
        PASSWORD,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(
            lambda: process.poll() is not None or _listening(port),
            "pymap listening",
            context=lambda: log.read_text(errors="replace")[-2000:],
        )
        assert process.poll() is None, log.read_text(errors="replace")[-2000:]
        context = ssl.create_default_context(cafile=str(tls[0])) if tls else None
        yield ImapServer(port, process, log, context)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _TlsFront:
    """IMAPS on a free loopback port in front of a plain IMAP server: each TLS connection is
    relayed byte for byte to `backend_port`. A client that refuses the certificate ends its
    handshake; the front drops that connection and goes on."""

    def __init__(self, backend_port: int, cert: Path, key: Path) -> None:
        self.backend_port = backend_port
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(str(cert), str(key))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = int(self.listener.getsockname()[1])
        #: handshakes that failed (a client refusing the certificate, say)
        self.refused = 0
        self._closed = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(raw,), daemon=True).start()

    def _relay(self, raw: socket.socket) -> None:
        try:
            secure = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            self.refused += 1
            raw.close()
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port))

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while chunk := src.recv(65536):
                    dst.sendall(chunk)
            except OSError:
                pass
            finally:
                for end in (src, dst):
                    with suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=pump, args=(backend, secure), daemon=True)
        back.start()
        pump(secure, backend)
        back.join(timeout=10)
        secure.close()
        backend.close()

    def close(self) -> None:
        self._closed = True
        self.listener.close()


@contextmanager
def imaps_server(tmp: Path, cert: Path, key: Path) -> Iterator[ImapServer]:
    """pymap behind an implicit-TLS front (IMAPS) presenting `cert`: `port` is the front's."""
    with imap_server(tmp) as plain:
        front = _TlsFront(plain.port, cert, key)
        try:
            server = ImapServer(
                front.port,
                plain.process,
                plain.log,
                ssl.create_default_context(cafile=str(cert)),
            )
            server.implicit_tls = True
            server.refused_handshakes = lambda: front.refused
            yield server
        finally:
            front.close()
