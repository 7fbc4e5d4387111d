"""Fixtures for connecting clients from the console against the sandboxes."""

from zoho_sandbox_harness import loopback, serve, zoho

__all__ = ["loopback", "serve", "zoho"]
