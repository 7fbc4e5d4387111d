"""Shared plumbing for the platform sandboxes (fake Zoho Books, fake Exact Online).

A sandbox is a WSGI app built on `Router`; `LoopbackServer` runs it on 127.0.0.1 in a thread for
end-to-end tests, the demo and benchmarks. `FaultQueue` lets a test inject failures (HTTP errors,
malformed bodies, delays) for requests matching a method and path pattern. `SandboxClock` is the
one clock both fakes run on.
"""

from sandboxes.kit.clock import SandboxClock, sandbox_clock
from sandboxes.kit.faults import Fault, FaultQueue
from sandboxes.kit.router import Request, Response, Router
from sandboxes.kit.server import LoopbackServer

__all__ = [
    "Fault",
    "FaultQueue",
    "LoopbackServer",
    "Request",
    "Response",
    "Router",
    "SandboxClock",
    "sandbox_clock",
]
