"""The one sandbox clock: every fake platform reads its time from it, so a test, the demo or a
bench travels through a platform's time limits (Exact's 570-second token rule, Zoho's daily
quota) by setting it, and one `isinstance` check in the control surfaces (`sandbox_clock`) fits
both fakes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

#: where the sandboxes' demo clients live: their local days and hours (the demo's 09:00 run, a
#: caught mail's day) are counted in this zone
ZONE = "Europe/Amsterdam"


class SandboxClock:
    """Thread-safe clock that only moves when told to (`set`, `advance`)."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("SandboxClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("SandboxClock needs an aware datetime")
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta | float) -> None:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        with self._lock:
            self._now = self._now + step


def sandbox_clock(now: Callable[[], datetime]) -> SandboxClock | None:
    """The `SandboxClock` whose `now` a fake reads, or None when it reads another clock (a
    test's or the demo's `ManualClock`, which its owner moves: the fake must not)."""
    owner = getattr(now, "__self__", None)
    return owner if isinstance(owner, SandboxClock) else None
