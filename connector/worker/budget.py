"""API call budgets shared by every worker, kept in the database.

A platform's limit is per organisation, not per process: when a client's runs move between
workers the pace must hold. `DbRateLimiter` counts calls in fixed one-minute windows in the
`api_budget` row of the organisation; a worker that finds the window full waits (on its clock)
for the next one. A server's reset hint (`note_reset`) blocks the key for every worker.

Fixed windows allow up to twice the limit across a window boundary in the worst case, so the
limit passed in should leave that margin below the platform's own (Zoho: 90 of 100 a minute is
the adapter's default; the factory below halves nothing and trusts the caller's number).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Engine, case, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from connector.domain.clock import Clock
from connector.http import Limiter, LimiterFactory
from connector.store.db import session_scope
from connector.store.models import ApiBudget

WINDOW = 60


class DbRateLimiter:
    def __init__(self, engine: Engine, key: str, per_minute: int, clock: Clock) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.engine = engine
        self.key = key
        self.per_minute = per_minute
        self.clock = clock
        self._ensure_row()

    def _ensure_row(self) -> None:
        with session_scope(self.engine) as session:
            if session.get(ApiBudget, self.key) is not None:
                return
        try:
            with session_scope(self.engine) as session:
                session.add(ApiBudget(key=self.key, window_start=0, used=0, blocked_until=0.0))
        except IntegrityError:
            pass  # another worker created it

    def acquire(self) -> float:
        waited = 0.0
        while True:
            now = self.clock.now().timestamp()
            window = int(now // WINDOW) * WINDOW
            with session_scope(self.engine) as session:
                row = session.get(ApiBudget, self.key)
                blocked = row.blocked_until if row is not None else 0.0
                if blocked > now:
                    wait = blocked - now
                else:
                    result = session.execute(
                        update(ApiBudget)
                        .where(col(ApiBudget.key) == self.key)
                        .where(
                            (col(ApiBudget.window_start) != window)
                            | (col(ApiBudget.used) < self.per_minute)
                        )
                        .values(used=_used_after_call(window), window_start=window)
                    )
                    if result.rowcount == 1:  # type: ignore[attr-defined]
                        return waited
                    wait = window + WINDOW - now
            wait = max(wait, 0.01)
            self.clock.sleep(wait)
            waited += wait

    def note_reset(self, epoch_seconds: float) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(ApiBudget)
                .where(col(ApiBudget.key) == self.key, col(ApiBudget.blocked_until) < epoch_seconds)
                .values(blocked_until=epoch_seconds)
            )


def _used_after_call(window: int) -> ColumnElement[int]:
    """`used + 1` in the current window, 1 when the stored window is an older one."""
    return case((col(ApiBudget.window_start) == window, col(ApiBudget.used) + 1), else_=1)


def db_limiters(engine: Engine) -> LimiterFactory:
    """A `LimiterFactory` whose limiters live in `engine`'s database."""

    def factory(key: str, per_minute: int, clock: Clock) -> Limiter:
        return DbRateLimiter(engine, key, per_minute, clock)

    return factory
