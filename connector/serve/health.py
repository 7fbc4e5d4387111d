"""The health and metrics endpoint of `dunning serve`: /healthz, /readyz, /metrics.

It listens on loopback by default (`http.listen` in connector.yaml): the metrics name clients
and the endpoint has no authentication, so exposing it is a deliberate choice (e.g. publishing
the container port). /healthz answers whether the process's main loop is alive (what a
container HEALTHCHECK restarts on); /readyz whether it can do its work now (database reachable,
configuration loaded, scheduler running). Exact's webhooks are not answered here: they have
their own listener (`connector.serve.webhook`, `exact.webhook_listen`), so that publishing them
never publishes this port.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger("connector.serve.health")

#: A probe: (ok, explanation).
Probe = Callable[[], tuple[bool, str]]


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        live: Probe,
        ready: Probe,
        metrics: Callable[[], bytes],
    ) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # seconds per read: an idle connection does not hold a thread

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    try:
                        body = metrics()
                    except Exception as exc:  # a scrape must not take the service down
                        log.exception("metrics failed")
                        owner._answer(self, 500, f"metrics failed: {type(exc).__name__}\n")
                        return
                    owner._answer(self, 200, body, "text/plain; version=0.0.4; charset=utf-8")
                elif path in ("/healthz", "/readyz"):
                    probe = live if path == "/healthz" else ready
                    try:
                        ok, why = probe()
                    except Exception as exc:
                        ok, why = False, f"{type(exc).__name__}: {exc}"
                    owner._answer(self, 200 if ok else 503, f"{'ok' if ok else 'not ok'}: {why}\n")
                else:
                    owner._answer(self, 404, "not found; try /healthz, /readyz or /metrics\n")

            def log_message(self, format: str, *args: object) -> None:
                log.debug("http: " + format, *args)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health-http", daemon=True
        )

    @staticmethod
    def _answer(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: str | bytes,
        content_type: str = "text/plain; charset=utf-8",
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"{name}:{port}"

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
