"""Fixtures for the Exact adapter tests."""

from exact_world import world

__all__ = ["world"]
