"""Exact's limits, read from the six ``X-RateLimit-*`` headers of every answer.

Per app and division (reference §3): 60 calls a minute (``X-RateLimit-Minutely-*``, reset at
the next whole minute) and 5,000 a day (``X-RateLimit-*``, reset at 00:00 UTC); resets are UTC
epoch *milliseconds*. And at most 10 errors (400/401/403/404) per endpoint and hour, else the
key is blocked for an hour.

`DivisionGate` turns that into three rules, applied before each call:
  * the minute: when the last answer said 0 calls remain this minute, wait (``clock.sleep``)
    until the minute's reset instead of drawing a 429;
  * the day: when the remaining calls would eat into the reserve kept for write-backs, reads stop
    with BUDGET_EXHAUSTED (the run ends cleanly; the cursors hold what was saved, the next run
    resumes there); writes may use the reserve, down to 0;
  * the error budget: after `error_guard` errors on one endpoint within an hour the endpoint is
    not called again until the hour has passed (BUDGET_EXHAUSTED): a request that fails keeps
    failing the same way, and ten failures would block the key for everybody.
One gate per (host, division) per clock, shared by every client object in the process. The
errors also go to an `ErrorLog` kept in the database with the client's token (`StoreErrorLog`),
so the next run, in another process or on another worker, knows them too.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from adapters.exact.errors import BUDGET_STATUSES, ExactApiError
from connector.domain.clock import Clock
from connector.domain.ports import ErrorKind

#: calls a day kept for write-backs (notes, documents, tasks) once reads would reach it
DEFAULT_RESERVE = 200
#: errors on one endpoint within an hour after which we stop calling it (Exact blocks at 10)
DEFAULT_ERROR_GUARD = 5
HOUR = 3600.0


class ErrorLog(Protocol):
    """Durable record of recent error answers: ``"<division>|<endpoint>"`` -> epoch seconds."""

    def load(self) -> dict[str, list[float]]: ...

    def record(self, division: int, endpoint: str, at: float) -> None: ...


ERRORS_KEY = "exact_errors"


class StoreErrorLog:
    """`ErrorLog` in the `extra` of the client's token row (connector.store.tokens), pruned to
    the last hour on every write. Errors are rare, so a read-modify-write is cheap enough."""

    def __init__(
        self, store: Any, tenant: str, connection: str, now: Callable[[], datetime]
    ) -> None:
        self.store, self.tenant, self.connection, self.now = store, tenant, connection, now

    def load(self) -> dict[str, list[float]]:
        record = self.store.get(self.tenant, self.connection)
        raw = (getattr(record, "extra", None) or {}).get(ERRORS_KEY) or {}
        out: dict[str, list[float]] = {}
        if isinstance(raw, dict):
            for key, stamps in raw.items():
                if isinstance(stamps, list):
                    out[str(key)] = [float(t) for t in stamps if isinstance(t, int | float)]
        return out

    def record(self, division: int, endpoint: str, at: float) -> None:
        errors = self.load()
        errors.setdefault(f"{division}|{endpoint}", []).append(at)
        recent = {
            key: kept
            for key, stamps in errors.items()
            if (kept := [t for t in stamps if t > at - HOUR])
        }
        self.store.set_extra(self.tenant, self.connection, {ERRORS_KEY: recent or None}, self.now())


@dataclass
class _Window:
    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # epoch seconds


class DivisionGate:
    def __init__(
        self,
        clock: Clock,
        *,
        reserve: int = DEFAULT_RESERVE,
        error_guard: int = DEFAULT_ERROR_GUARD,
    ) -> None:
        self.clock = clock
        self.reserve = reserve
        self.error_guard = error_guard
        self.minute = _Window()
        self.day = _Window()
        self.waited = 0.0
        self._errors: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    # -- before a call ---------------------------------------------------------------------
    def before(self, endpoint: str, *, write: bool) -> None:
        """Wait for the minute or raise BUDGET_EXHAUSTED; see the module docstring."""
        now = self.clock.now().timestamp()
        with self._lock:
            errors = self._errors.get(endpoint)
            if errors is not None:
                while errors and errors[0] <= now - HOUR:
                    errors.popleft()
                if len(errors) >= self.error_guard:
                    until = errors[0] + HOUR
                    raise ExactApiError(
                        ErrorKind.BUDGET_EXHAUSTED,
                        f"Exact {endpoint}: failed {len(errors)} times in the last hour; not "
                        f"called again for {int(until - now) // 60 + 1} min to protect Exact's "
                        "error budget (10 per endpoint and hour)",
                        endpoint=endpoint,
                        sent=False,
                    )
            day = self.day
            if day.remaining is not None and day.reset is not None and day.reset > now:
                floor = 0 if write else self.reserve
                if day.remaining <= floor:
                    what = "all" if write else f"all but the {self.reserve} kept for write-backs"
                    raise ExactApiError(
                        ErrorKind.BUDGET_EXHAUSTED,
                        f"Exact's daily API budget is used up ({what}; {day.remaining} of "
                        f"{day.limit} left); stopping, the next run resumes from the cursor",
                        endpoint=endpoint,
                        sent=False,
                        status=429,
                    )
            minute = self.minute
            wait = 0.0
            if minute.remaining is not None and minute.remaining <= 0 and minute.reset:
                wait = minute.reset - now
                minute.remaining = None  # the reset brings a fresh minute
        if wait > 0:
            self.waited += wait
            self.clock.sleep(wait + 0.05)

    def remember(self, endpoint: str, stamps: list[float]) -> None:
        """Errors known from the durable log (an earlier run): merged, not double counted."""
        with self._lock:
            known = self._errors.setdefault(endpoint, deque())
            merged = Counter(known) | Counter(stamps)  # the larger count of each moment
            known.clear()
            known.extend(sorted(merged.elements()))

    # -- after an answer -------------------------------------------------------------------
    def after(self, endpoint: str, status: int, headers: Mapping[str, str]) -> None:
        with self._lock:
            _read(self.minute, headers, "X-RateLimit-Minutely-")
            _read(self.day, headers, "X-RateLimit-")
            if status in BUDGET_STATUSES:
                self._errors.setdefault(endpoint, deque()).append(self.clock.now().timestamp())

    @property
    def daily_exhausted(self) -> bool:
        return self.day.remaining == 0

    def minute_wait(self, headers: Mapping[str, str]) -> float | None:
        """Seconds to the minute's reset, from a 429's headers (the wait hint for retries)."""
        if headers.get("Reason", "").startswith("ErrorLimitExceeded"):
            return HOUR  # blocked: longer than any read waits, so it is not retried
        if headers.get("X-RateLimit-Remaining") == "0":
            return HOUR  # the day is used up: do not retry
        reset = _number(headers.get("X-RateLimit-Minutely-Reset"))
        if reset is None:
            return None
        return max(0.0, reset / 1000 - self.clock.now().timestamp()) + 0.05


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _read(window: _Window, headers: Mapping[str, str], prefix: str) -> None:
    limit = _number(headers.get(prefix + "Limit"))
    remaining = _number(headers.get(prefix + "Remaining"))
    reset = _number(headers.get(prefix + "Reset"))
    if remaining is None:
        return
    window.limit = int(limit) if limit is not None else window.limit
    window.remaining = int(remaining)
    window.reset = reset / 1000 if reset is not None else window.reset


_gates: weakref.WeakKeyDictionary[Clock, dict[str, DivisionGate]] = weakref.WeakKeyDictionary()
_gates_lock = threading.Lock()


def division_gate(
    host: str, division: int, clock: Clock, *, reserve: int = DEFAULT_RESERVE
) -> DivisionGate:
    """The process-wide gate of one division (per clock, like connector.http's limiters)."""
    with _gates_lock:
        per_clock = _gates.setdefault(clock, {})
        key = f"{host}|{division}"
        gate = per_clock.get(key)
        if gate is None:
            gate = per_clock[key] = DivisionGate(clock, reserve=reserve)
        return gate
