"""Fixtures for the Exact Online sandbox: a clock, seeded state and a loopback server."""

from exact_sandbox_harness import exact, loopback, serve

__all__ = ["exact", "loopback", "serve"]
