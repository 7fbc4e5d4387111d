"""Run a WSGI app on 127.0.0.1 in a background thread (port 0 picks a free port)."""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    #: TCP_NODELAY on each accepted socket: without it a response written in two pieces (the
    #: headers, then the body) waits for the client's delayed ACK of the first, about 40 ms per
    #: request on loopback (measured on the clients' POSTs), which dwarfed the work itself
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return


class LoopbackServer:
    """`with LoopbackServer(app) as server: requests.get(server.url + "/path")`."""

    def __init__(self, app: Any, port: int = 0, host: str = "127.0.0.1") -> None:
        self._httpd = make_server(
            host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self.app = app

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
