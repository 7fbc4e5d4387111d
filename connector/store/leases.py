"""Per-tenant run lease and run bookkeeping, in the database so every process respects it.

A lease is a conditional UPDATE: it succeeds only when nobody holds the tenant, the holder's
lease expired (a crashed process), or the caller already holds it. `dunning run` from cron
beside `dunning serve`, or several workers, therefore never run one client at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from connector.store.db import session_scope
from connector.store.models import TenantRun


@dataclass(frozen=True)
class TenantState:
    tenant: str
    lease_owner: str | None
    lease_until: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_result: str | None
    last_error: str | None
    consecutive_failures: int
    last_full_reconcile_at: datetime | None


def _ensure_row(engine: Engine, tenant: str) -> None:
    with session_scope(engine) as session:
        if session.get(TenantRun, tenant) is not None:
            return
    try:
        with session_scope(engine) as session:
            session.add(TenantRun(tenant=tenant))
    except IntegrityError:
        pass  # another process created it first


def try_acquire(engine: Engine, tenant: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    _ensure_row(engine, tenant)
    with session_scope(engine) as session:
        result = session.execute(
            update(TenantRun)
            .where(
                col(TenantRun.tenant) == tenant,
                or_(
                    col(TenantRun.lease_owner).is_(None),
                    col(TenantRun.lease_owner) == owner,
                    col(TenantRun.lease_until) < now,
                ),
            )
            .values(lease_owner=owner, lease_until=now + ttl, last_started_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def renew(engine: Engine, tenant: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    with session_scope(engine) as session:
        result = session.execute(
            update(TenantRun)
            .where(col(TenantRun.tenant) == tenant, col(TenantRun.lease_owner) == owner)
            .values(lease_until=now + ttl)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release(
    engine: Engine, tenant: str, owner: str, result: str, error: str | None, now: datetime
) -> None:
    """Give up the lease and record how the run ended."""
    with session_scope(engine) as session:
        row = session.get(TenantRun, tenant)
        if row is None:
            return
        if row.lease_owner == owner:
            row.lease_owner = None
            row.lease_until = None
        row.last_finished_at = now
        row.last_result = result
        row.last_error = error
        row.consecutive_failures = 0 if result == "ok" else row.consecutive_failures + 1
        session.add(row)


def mark_full_reconcile(engine: Engine, tenant: str, now: datetime) -> None:
    _ensure_row(engine, tenant)
    with session_scope(engine) as session:
        session.execute(
            update(TenantRun)
            .where(col(TenantRun.tenant) == tenant)
            .values(last_full_reconcile_at=now)
        )


def get_state(engine: Engine, tenant: str) -> TenantState | None:
    with session_scope(engine) as session:
        row = session.get(TenantRun, tenant)
        if row is None:
            return None
        return TenantState(
            tenant=row.tenant,
            lease_owner=row.lease_owner,
            lease_until=row.lease_until,
            last_started_at=row.last_started_at,
            last_finished_at=row.last_finished_at,
            last_result=row.last_result,
            last_error=row.last_error,
            consecutive_failures=row.consecutive_failures,
            last_full_reconcile_at=row.last_full_reconcile_at,
        )
