"""An append-only trail of what the connector did and why, per tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from connector.store import summaries
from connector.store.models import AuditEvent

#: a mail that went out while the relay refused some of its recipients (alerted, see alerts.py)
MAIL_REFUSED = "mail.refused_recipients"


def record(
    session: Session,
    tenant: str,
    event: str,
    message: str,
    *,
    now: datetime,
    data: dict[str, Any] | None = None,
    run_id: str | None = None,
    actor: str | None = None,
    source: str | None = None,
) -> None:
    """Append one event. A person's action names who (`actor`: a console user's e-mail
    address or a login name) and where (`source`: the console page or the command).

    Whatever is worth recording may have changed the client's overview figures: its summary
    is marked stale in the same transaction (`connector.store.summaries`)."""
    summaries.touch(session, tenant)
    session.add(
        AuditEvent(
            tenant=tenant,
            at=now,
            event=event,
            message=message,
            data=data or {},
            run_id=run_id,
            actor=actor,
            source=source,
        )
    )


def recent(session: Session, tenant: str, limit: int = 100) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.tenant == tenant)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def events_since(session: Session, tenant: str, event: str, since: datetime) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(
            AuditEvent.tenant == tenant,
            AuditEvent.event == event,
            col(AuditEvent.at) >= since,
        )
        .order_by(col(AuditEvent.id))
    )
    return list(session.exec(stmt).all())
