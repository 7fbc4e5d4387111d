"""Schedule slots ("rounds") per client: which slot is due; each runs to completion once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from connector.store.db import session_scope
from connector.store.models import TenantRound


def slot(now: datetime, every_minutes: int) -> datetime:
    """The schedule slot `now` falls in: multiples of `every_minutes` since the epoch (UTC)."""
    minutes = int(now.timestamp() // 60)
    start = minutes - minutes % every_minutes
    return datetime.fromtimestamp(start * 60, UTC)


def begin(engine: Engine, tenant: str, round_at: datetime, worker: str, now: datetime) -> bool:
    """Claim the slot for a run. False when it already finished (a duplicate or late retry)."""
    try:
        with session_scope(engine) as session:
            session.add(
                TenantRound(
                    tenant=tenant,
                    round_at=round_at,
                    status="running",
                    attempts=1,
                    worker=worker,
                    started_at=now,
                )
            )
        return True
    except IntegrityError:
        pass
    with session_scope(engine) as session:
        result = session.execute(
            update(TenantRound)
            .where(
                col(TenantRound.tenant) == tenant,
                col(TenantRound.round_at) == round_at,
                col(TenantRound.status) != "done",
            )
            .values(
                attempts=col(TenantRound.attempts) + 1,
                worker=worker,
                started_at=now,
                status="running",
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish(
    engine: Engine, tenant: str, round_at: datetime, status: str, result: str, now: datetime
) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(TenantRound)
            .where(col(TenantRound.tenant) == tenant, col(TenantRound.round_at) == round_at)
            .values(status=status, result=result[:2000], finished_at=now)
        )


def done_slots(engine: Engine, tenant: str | None = None) -> list[tuple[str, datetime, int]]:
    """(tenant, slot, attempts) of finished rounds, for tests and reports."""
    with session_scope(engine) as session:
        stmt = select(TenantRound).where(TenantRound.status == "done")
        if tenant is not None:
            stmt = stmt.where(TenantRound.tenant == tenant)
        return [
            (r.tenant, r.round_at, r.attempts)
            for r in session.exec(stmt).all()
            if r.round_at is not None
        ]


def results(engine: Engine, round_at: datetime) -> list[str]:
    """The result lines of the finished runs of one slot (for reports and the benchmark)."""
    with session_scope(engine) as session:
        return [
            r.result or ""
            for r in session.exec(
                select(TenantRound).where(
                    TenantRound.round_at == round_at, TenantRound.status == "done"
                )
            ).all()
        ]


def last_done(engine: Engine, tenant: str) -> datetime | None:
    with session_scope(engine) as session:
        rows = session.exec(
            select(TenantRound.round_at)
            .where(TenantRound.tenant == tenant, TenantRound.status == "done")
            .order_by(col(TenantRound.round_at).desc())
            .limit(1)
        ).all()
        return rows[0] if rows else None


def is_due(engine: Engine, tenant: str, now: datetime, every_minutes: int) -> bool:
    last = last_done(engine, tenant)
    return last is None or last + timedelta(minutes=every_minutes) <= slot(now, every_minutes)


def due(engine: Engine, tenants: list[str], now: datetime, every_minutes: int) -> list[str]:
    """`is_due` for many clients in one query (the every-minute tick asks it of all of them):
    those without a finished slot later than one period before the current slot."""
    since = slot(now, every_minutes) - timedelta(minutes=every_minutes)
    done: set[str] = set()
    with session_scope(engine) as session:
        for start in range(0, len(tenants), 1000):
            chunk = tenants[start : start + 1000]
            done.update(
                session.exec(
                    select(TenantRound.tenant).where(
                        col(TenantRound.tenant).in_(chunk),
                        TenantRound.status == "done",
                        col(TenantRound.round_at) > since,
                    )
                ).all()
            )
    return [t for t in tenants if t not in done]
