"""Shared plumbing for the platform sandboxes (fake Zoho Books, fake Exact Online).

A sandbox is a WSGI app built on `Router`; `LoopbackServer` runs it on 127.0.0.1 in a thread for
end-to-end tests, the demo and benchmarks. `FaultQueue` lets a test inject failures (HTTP errors,
malformed bodies, delays) for requests matching a method and path pattern.
"""

from adapters.sandbox_kit.faults import Fault, FaultQueue
from adapters.sandbox_kit.router import Request, Response, Router
from adapters.sandbox_kit.server import LoopbackServer

__all__ = ["Fault", "FaultQueue", "LoopbackServer", "Request", "Response", "Router"]
