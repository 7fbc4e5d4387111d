"""Waiting on a condition instead of sleeping a fixed time: for what a test cannot be told
directly (a subprocess or a server thread getting somewhere), poll the condition itself,
quickly, up to a generous bound, and fail saying what was awaited."""

from __future__ import annotations

import time
from collections.abc import Callable

#: the bound for anything awaited: generous, because a loaded machine is slow, and never a
#: measure of speed (pytest-timeout ends a real hang)
PATIENCE = 60.0


def wait_until(
    predicate: Callable[[], object],
    what: str,
    *,
    timeout: float = PATIENCE,
    interval: float = 0.02,
    context: Callable[[], str] | None = None,
) -> None:
    """Return as soon as `predicate()` is true; after `timeout` seconds fail with `what` (and
    `context()`, e.g. the tail of a log, when given)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            detail = f"\n{context()}" if context is not None else ""
            raise AssertionError(f"timed out after {timeout:g}s waiting for: {what}{detail}")
        time.sleep(interval)
