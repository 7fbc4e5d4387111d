"""Fixtures for the Moneybird sandbox: a clock, seeded state and a loopback server."""

from moneybird_sandbox_harness import mb_loopback, moneybird

__all__ = ["mb_loopback", "moneybird"]
