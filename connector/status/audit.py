"""A client's audit log as people read it (the console's audit page and its CSV export): every
event on the client's trail, newest first, each with when, who (the person, or "the connector"
for what it did by itself), where (the console page or the command) and what, in the words the
event was recorded with. Nothing here shows an internal id or an event's code name.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from connector.documents.csvsafe import SafeWriter
from connector.domain import ActionKind
from connector.store import ledger_repo
from connector.store.db import session_scope
from connector.store.models import AuditEvent

#: how the dispatcher words an action's outcome ("reminder for customer 4600…: detail")
_ACTION = re.compile(r"^(?P<kind>[a-z_]+) for customer (?P<ref>.+?): (?P<detail>.*)$", re.S)
_OUTCOME = {
    "sent": "done",
    "failed": "failed",
    "cancelled": "cancelled",
    "review": "held for review",
}

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
        rows = list(session.exec(stmt).all())
        lines = [_line(row) for row in rows]
        if not people_only:
            lines = _actions_in_words(session, client, rows, lines)
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


def _actions_in_words(
    session: Session, client: str, rows: Sequence[AuditEvent], lines: list[AuditLine]
) -> list[AuditLine]:
    """The dispatcher's outcome events name the step's code and the customer's platform id;
    here they say the step in words, the customer's name and the invoice numbers."""
    found: dict[int, tuple[re.Match[str], list[str]]] = {}
    refs: set[str] = set()
    invoice_refs: set[str] = set()
    for n, row in enumerate(rows):
        match = _ACTION.match(row.message) if row.event.startswith("action.") else None
        if match is None or match["kind"] not in ActionKind.__members__.values():
            continue
        invoices = [str(i) for i in (row.data or {}).get("invoices", [])]
        found[n] = (match, invoices)
        refs.add(match["ref"])
        invoice_refs.update(invoices)
    if not found:
        return lines
    names = {
        ref: customer.name
        for ref in refs
        if (customer := ledger_repo.get_customer(session, client, ref)) is not None
    }
    numbers = {
        ref: invoice.number
        for ref, invoice in ledger_repo.invoices_by_ref(session, client, invoice_refs).items()
    }
    out = list(lines)
    for n, (match, invoices) in found.items():
        status = rows[n].event.removeprefix("action.")
        outcome = _OUTCOME.get(status, status)
        who = names.get(match["ref"], "a customer no longer in the ledger")
        which = ", ".join(numbers.get(i, "?") for i in invoices)
        what = f"{ActionKind(match['kind']).words} to {who}"
        what += f" ({which})" if which else ""
        what += f": {outcome}" if status == "sent" else f": {outcome}: {match['detail']}"
        out[n] = AuditLine(lines[n].at, lines[n].who, lines[n].where, what, lines[n].by_person)
    return out


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
