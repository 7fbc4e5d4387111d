"""Fixtures for the Zoho Books sandbox: a clock, seeded state and a loopback server."""

from zoho_sandbox_harness import loopback, serve, zoho

__all__ = ["loopback", "serve", "zoho"]
