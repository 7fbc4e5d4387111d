"""The one clock. Everything that needs the time or needs to wait gets a `Clock`.

`SystemClock` is used in production; `ManualClock` lets tests and the demo travel through time by
setting `now` instead of sleeping. The planner never sees a clock: it gets `now` as an argument.
The clock sits in the domain beside the Ledger port because every layer asks it for the time; it
imports nothing of ours, and `SystemClock` is the one reader of the system clock in the product.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime (UTC)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that only moves when told to; `sleep` advances it instead of waiting."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now = self._now + delta

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds > 0:
            self.advance(timedelta(seconds=seconds))


class ShiftedClock(SystemClock):
    """`--now` for a command: starts at the given instant and then runs at real speed.

    Planning happens "as of" that instant, while rate-limit waits against a real server take
    real time and are seen to pass (a clock frozen at one instant would make a sliding-window
    limiter wait forever).
    """

    def __init__(self, now: datetime) -> None:
        self._start = now.astimezone(UTC)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


def parse_now(value: str, tz: str) -> datetime:
    """Parse a `--now` value. A bare date means 09:00 local time in `tz`; a naive datetime is
    local time in `tz`; an aware one is taken as given."""
    zone = ZoneInfo(tz)
    value = value.strip()
    if len(value) == 10:
        d = date.fromisoformat(value)
        return datetime(d.year, d.month, d.day, 9, 0, tzinfo=zone).astimezone(UTC)
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone)
    return dt.astimezone(UTC)


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def days(n: int) -> timedelta:
    return timedelta(days=n)


#: How far `--now` may be from the real time for a command that really sends.
PRETEND_TOLERANCE = timedelta(hours=1)


def pretend_clock_problem(now: datetime, real: datetime, command: str) -> str | None:
    """Why `command` must not really send as of `now`, or None.

    A `--now` more than `PRETEND_TOLERANCE` away from the real time is a pretend clock: mails
    would go out today about a day that has not come (or has passed). The caller refuses unless
    the user said `--simulate` (sandboxes, demos, tests)."""
    if abs(now - real) <= PRETEND_TOLERANCE:
        return None
    return (
        f"--now {now:%Y-%m-%d %H:%M} UTC is more than an hour from the real time: `{command}` "
        "would really send today as if it were then. See what would happen with `dunning plan` "
        "or `dunning run --dry-run`, or add `--simulate` against a sandbox"
    )
