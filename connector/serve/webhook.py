"""The webhook listener of `dunning serve`: its own port, built to face the internet.

`/healthz`, `/readyz` and `/metrics` stay on `http.listen` (loopback by default); webhooks get
their own socket (`exact.webhook_listen` in connector.yaml, off unless set), so publishing the
webhook path never publishes the metrics, and a flood on one port cannot starve the other.

What an outsider can cost us is bounded:
* at most `max_connections` connections are served at once (one thread each); a connection
  beyond that is answered ``503`` and closed at once, without a thread;
* every read waits at most `timeout` seconds, and a connection is cut `deadline` seconds after
  it was accepted, however slowly it trickles bytes (slowloris);
* one request per connection, a ``Content-Length`` is required and a body above `max_body`
  answers ``413`` without being read;
* the handler (`adapters.exact.webhook.handle`) reads a body in one bounded pass before the
  HMAC check and answers 401 alike for any unknown client or bad signature.
The listener's threads only verify and acknowledge; a verified event moves a client's next run
(`Service.run_early`), it never runs anything itself.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("connector.serve.webhook")

#: POST handler: (path, body) -> (status, text)
PostHandler = Callable[[str, bytes], tuple[int, str]]

_BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
    b"Connection: close\r\nRetry-After: 5\r\n\r\nbusy\n"
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], limit: int):
        self.slots = threading.BoundedSemaphore(limit)
        self.refused = 0
        self.busy = 0
        self._busy_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.refused += 1
            try:
                request.settimeout(0.2)
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        self._count(+1)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._count(-1)
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._count(-1)
            self.slots.release()

    def _count(self, change: int) -> None:
        with self._busy_lock:
            self.busy += change


class WebhookServer:
    def __init__(
        self,
        host: str,
        port: int,
        post: PostHandler,
        *,
        max_connections: int = 32,
        timeout: float = 5.0,
        deadline: float = 15.0,
        max_body: int = 64 * 1024,
    ) -> None:
        read_timeout = timeout

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection
            # every recv, headers included (StreamRequestHandler.setup applies it)
            timeout = read_timeout

            def setup(self) -> None:
                super().setup()
                self._cut = threading.Timer(deadline, self._close)
                self._cut.daemon = True
                self._cut.start()

            def _close(self) -> None:
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def finish(self) -> None:
                self._cut.cancel()
                with contextlib.suppress(OSError):
                    super().finish()

            def do_POST(self) -> None:
                path = self.path.split("?", 1)[0]
                raw = self.headers.get("Content-Length")
                if raw is None or not raw.strip().isdigit():
                    self._answer(411, "a Content-Length is required")
                    return
                length = int(raw)
                if length > max_body:
                    self._answer(413, "too large")
                    return
                try:
                    body = self.rfile.read(length) if length else b""
                except OSError:  # timed out or cut: nothing to answer to
                    self.close_connection = True
                    return
                if len(body) < length:
                    return  # the client went away (or was cut) before sending it all
                try:
                    status, text = post(path, body)
                except Exception as exc:  # a bad event must not take the service down
                    log.error("webhook %s failed: %s", path, type(exc).__name__)
                    status, text = 500, "failed"
                self._answer(status, text)

            def do_GET(self) -> None:
                self._answer(405, "POST only")

            do_PUT = do_DELETE = do_HEAD = do_GET

            def _answer(self, status: int, text: str) -> None:
                data = (text + "\n").encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            def log_message(self, format: str, *args: object) -> None:
                log.debug("webhook http: " + format, *args)

        self._server = _Server((host, port), Handler, max_connections)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-http", daemon=True
        )

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"

    @property
    def refused(self) -> int:
        """Connections answered 503 because `max_connections` were busy."""
        return self._server.refused

    @property
    def busy(self) -> int:
        """Connections being served now (at most `max_connections`)."""
        return self._server.busy

    def start(self) -> WebhookServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
