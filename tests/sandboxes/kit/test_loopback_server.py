"""The sandboxes' loopback server answers without Nagle's delay.

A response goes out as headers then body; with Nagle's algorithm on, the body waits for the
client's delayed ACK of the headers (about 40 ms per request on loopback), which made every
sandbox call slow. The accepted socket has TCP_NODELAY set: read back from the socket the request
arrived on (checked as an option, not timed).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any

import requests

from sandboxes.kit import LoopbackServer


def _nodelay_of_the_request_socket(
    environ: dict[str, Any], start_response: Callable[..., object]
) -> Iterable[bytes]:
    sock = environ["wsgi.input"].raw._sock  # the accepted connection this request came in on
    value = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(value).encode()]


def test_accepted_sockets_have_tcp_nodelay() -> None:
    with LoopbackServer(_nodelay_of_the_request_socket) as server:
        answer = requests.post(server.url + "/anything", data=b"x" * 100, timeout=10)

    assert answer.status_code == 200
    assert int(answer.text) != 0
