"""Client-side rate limiting: a sliding window per platform organisation, waiting on the clock."""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Protocol

from connector.domain.clock import Clock


class Limiter(Protocol):
    """Paces calls to one platform organisation: `RateLimiter` in one process, or a limiter in
    the database shared by every worker (`connector.worker.budget.DbRateLimiter`)."""

    def acquire(self) -> float: ...

    def note_reset(self, epoch_seconds: float) -> None: ...


#: (key, calls per minute, clock) -> the limiter for that key, e.g. ("zoho:20071234", 90, clock)
LimiterFactory = Callable[[str, int, "Clock"], Limiter]

#: process-wide limiters per clock, then per key: a test or simulation with its own clock gets
#: its own limiters, and they go away with the clock
_local: weakref.WeakKeyDictionary[Clock, dict[str, RateLimiter]] = weakref.WeakKeyDictionary()
_local_lock = threading.Lock()


def local_limiter(key: str, per_minute: int, clock: Clock) -> RateLimiter:
    """The default `LimiterFactory`: one in-memory sliding window per key in this process."""
    with _local_lock:
        per_key = _local.setdefault(clock, {})
        limiter = per_key.get(key)
        if limiter is None:
            limiter = per_key[key] = RateLimiter(per_minute, clock)
        return limiter


class RateLimiter:
    """A sliding-window limiter: at most `per_minute` calls in any 60 s, waiting with the clock.

    Thread-safe; one instance is shared by every client of the same platform organisation in a
    process (the platform's quota is per organisation, not per client object). `note_reset` lets
    a server's reset header block further calls until that moment.
    """

    def __init__(self, per_minute: int, clock: Clock, *, window: float = 60.0) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.window = window
        self._clock = clock
        self._calls: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait (via `clock.sleep`) until a call is allowed, record it; returns seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock.now().timestamp()
                while self._calls and self._calls[0] <= now - self.window:
                    self._calls.popleft()
                wait = 0.0
                if self._blocked_until > now:
                    wait = self._blocked_until - now
                elif len(self._calls) >= self.per_minute:
                    wait = self._calls[0] + self.window - now
                if wait <= 0:
                    self._calls.append(now)
                    return waited
            self._clock.sleep(wait)
            waited += wait

    def note_reset(self, epoch_seconds: float) -> None:
        """The server said no calls until `epoch_seconds` (UNIX time): block until then."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, epoch_seconds)
