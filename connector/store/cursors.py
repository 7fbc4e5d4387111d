"""Incremental-sync cursors, one per (tenant, stream), opaque strings chosen by the adapter."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from connector.store.models import SyncCursor


def get_cursor(session: Session, tenant: str, stream: str) -> str | None:
    row = session.exec(
        select(SyncCursor).where(SyncCursor.tenant == tenant, SyncCursor.stream == stream)
    ).first()
    return row.value if row else None


def set_cursor(session: Session, tenant: str, stream: str, value: str, now: datetime) -> None:
    row = session.exec(
        select(SyncCursor).where(SyncCursor.tenant == tenant, SyncCursor.stream == stream)
    ).first()
    if row is None:
        row = SyncCursor(tenant=tenant, stream=stream)
    row.value = value
    row.updated_at = now
    session.add(row)


def all_cursors(session: Session, tenant: str) -> dict[str, str | None]:
    rows = session.exec(select(SyncCursor).where(SyncCursor.tenant == tenant)).all()
    return {r.stream: r.value for r in rows}
