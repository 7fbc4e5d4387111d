"""The console's HTTP server (uvicorn), for `dunning console` (in the foreground) and for
`dunning serve` (in a thread beside the scheduler, when connector.yaml has `console:`).

The socket is bound when the server is made, so a port in use is reported at once, in the
command's own words, not later from inside a thread.
"""

from __future__ import annotations

import socket
import threading

import uvicorn

from connector.console.app import create_app
from connector.console.deps import ConsoleContext


class ConsoleServer:
    def __init__(self, ctx: ConsoleContext) -> None:
        host, _, port = ctx.settings.listen.rpartition(":")
        host = host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, int(port)))
        except OSError:
            self._socket.close()
            raise
        self._socket.listen(128)
        self._socket.set_inheritable(True)
        config = uvicorn.Config(
            create_app(ctx),
            log_level="warning",
            access_log=False,
            server_header=False,
            # X-Forwarded-For is believed only from a reverse proxy on this machine
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"

    def run(self) -> None:
        """Serve in this thread until Ctrl-C or SIGTERM (uvicorn's own signal handling)."""
        self._server.run(sockets=[self._socket])

    def start(self) -> ConsoleServer:
        """Serve in a thread of its own (inside `dunning serve`)."""
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="console",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()
