"""A client's audit log as people read it (the console's audit page and its CSV export): every
event on the client's trail, newest first, each with when, who (the person, or "the connector"
for what it did by itself), where (the console page or the command) and what, in the words the
event was recorded with. Nothing here shows an internal id or an event's code name.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import col, select

from connector.documents.csvsafe import SafeWriter
from connector.store.db import session_scope
from connector.store.models import AuditEvent

#: who did what the connector did by itself (a run, a digest)
CONNECTOR = "the connector"
#: at most this many lines on a page or in one export
MAX_LINES = 5000


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    #: the person (a console user's e-mail address, a login name), or `CONNECTOR`
    who: str
    #: the console page or the command the person used; "" for the connector's own events
    where: str
    what: str
    by_person: bool


def audit_log(
    engine: Engine,
    client: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    people_only: bool = False,
    limit: int = MAX_LINES,
) -> list[AuditLine]:
    """The client's audit events, newest first: from `since` (inclusive) to `until`
    (exclusive), only people's actions with `people_only`, at most `limit`."""
    stmt = select(AuditEvent).where(AuditEvent.tenant == client)
    if since is not None:
        stmt = stmt.where(col(AuditEvent.at) >= since)
    if until is not None:
        stmt = stmt.where(col(AuditEvent.at) < until)
    stmt = stmt.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit)
    with session_scope(engine) as session:
        lines = [_line(row) for row in session.exec(stmt).all()]
    return [line for line in lines if line.by_person] if people_only else lines


def _line(row: AuditEvent) -> AuditLine:
    """Who: the recorded actor; events recorded before actors were (a command's rejection)
    name the person in their data as ``by``."""
    data = row.data if isinstance(row.data, dict) else {}
    person = row.actor or data.get("by")
    assert row.at is not None
    return AuditLine(
        at=row.at,
        who=str(person) if person else CONNECTOR,
        where=row.source or "",
        what=row.message,
        by_person=bool(person),
    )


def audit_csv(lines: list[AuditLine], timezone: str) -> str:
    """The lines as CSV for a spreadsheet (formula-safe): when (local time, ISO 8601 with its
    offset), who, where, what."""
    zone = ZoneInfo(timezone)
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(["when", "who", "where", "what"])
    for line in lines:
        when = line.at.astimezone(zone).isoformat(timespec="seconds")
        writer.writerow([when, line.who, line.where, line.what])
    return out.getvalue()
