"""The replies mailbox's memory: which messages were handled (once each) and where reading
stopped (the folder's UIDVALIDITY and the highest UID handled, kept as the "inbox" cursor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from connector.store import cursors
from connector.store.models import InboxMessage

STREAM = "inbox"


@dataclass(frozen=True, slots=True)
class InboxPosition:
    uidvalidity: int | None = None
    last_uid: int = 0


def position(session: Session, tenant: str) -> InboxPosition:
    value = cursors.get_cursor(session, tenant, STREAM) or ""
    validity, _, uid = value.partition(":")
    if not (validity.isdigit() and uid.isdigit()):
        return InboxPosition()
    return InboxPosition(int(validity), int(uid))


def advance(session: Session, tenant: str, uidvalidity: int, uid: int, now: datetime) -> None:
    """Remember that the messages up to `uid` under `uidvalidity` are handled."""
    current = position(session, tenant)
    if current.uidvalidity == uidvalidity and current.last_uid >= uid:
        return
    cursors.set_cursor(session, tenant, STREAM, f"{uidvalidity}:{uid}", now)


def handled(session: Session, tenant: str, key: str) -> bool:
    stmt = select(InboxMessage.id).where(
        InboxMessage.tenant == tenant, InboxMessage.message_key == key
    )
    return session.exec(stmt).first() is not None


def record(
    session: Session,
    tenant: str,
    *,
    key: str,
    uidvalidity: int,
    uid: int,
    sender: str,
    subject: str,
    customer_ref: str | None,
    outcome: str,
    now: datetime,
) -> None:
    session.add(
        InboxMessage(
            tenant=tenant,
            message_key=key,
            uidvalidity=uidvalidity,
            uid=uid,
            sender=sender[:254],
            subject=subject,
            customer_ref=customer_ref,
            outcome=outcome,
            handled_at=now,
        )
    )
    session.flush()


def history(session: Session, tenant: str) -> list[InboxMessage]:
    """Every handled message of the tenant, oldest first."""
    stmt = select(InboxMessage).where(InboxMessage.tenant == tenant).order_by(col(InboxMessage.id))
    return list(session.exec(stmt).all())
