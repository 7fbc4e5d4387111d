"""What the connector records in Exact for a dunning step, built as plain data (tested without
HTTP). Exact has no API that sends a payment reminder (reference §6), so the connector mails the
customer itself (connector.mail) and then records the step where the business sees it:

  * a communication note on the account (``activities/CommunicationNotes``) for every step, its
    text ending in the marker ``[dunning:<idempotency key>]`` so `reconcile` can prove later that
    the step happened;
  * each attachment of the mail (statement or letter PDF) as a document on the account
    (``documents/Documents``, then ``documents/DocumentAttachments`` with the bytes in base64);
  * a call task (``activities/Tasks``, ``TaskType`` 1) for a call step, with the marker too.

With ``debtor_management_addon: true`` Exact's own Debtor Management sends the reminders; the
connector then does only statements, call tasks, hand-off notes and thank-you mails, so a
customer never gets two reminders for one invoice.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from adapters.exact.endpoints import (
    ATTACHMENT_POST,
    ATTACHMENTS_PATH,
    DOCUMENT_POST,
    DOCUMENT_TYPE,
    NOTE_POST,
    TASK_POST,
    TASK_TYPE_CALL,
    PostSpec,
)
from adapters.exact.mapping import wall_json
from connector.domain import Action, ActionKind
from connector.domain.ports import RenderedMessage

REMINDER_KINDS = frozenset(
    {
        ActionKind.PRE_DUE_NOTICE,
        ActionKind.REMINDER,
        ActionKind.FIRM_REMINDER,
        ActionKind.NOTICE_OF_DEFAULT,
        ActionKind.FOURTEEN_DAY_LETTER,
    }
)
#: kinds left to Exact's Debtor Management add-on when the client has it
ADDON_KINDS = REMINDER_KINDS
#: kinds whose record in Exact *is* the action (safe to redo when no marker is found)
RECORD_IS_ACTION = frozenset({ActionKind.CALL_TASK, ActionKind.HANDOFF})

_SUBJECTS = {
    ActionKind.PRE_DUE_NOTICE: "Vooraankondiging vervaldatum verstuurd",
    ActionKind.REMINDER: "Betalingsherinnering verstuurd",
    ActionKind.FIRM_REMINDER: "Tweede herinnering verstuurd",
    ActionKind.NOTICE_OF_DEFAULT: "Ingebrekestelling verstuurd",
    ActionKind.FOURTEEN_DAY_LETTER: "Veertiendagenbrief verstuurd",
    ActionKind.STATEMENT: "Rekeningoverzicht verstuurd",
    ActionKind.CALL_TASK: "Bellen over openstaande facturen",
    ActionKind.HANDOFF: "Overgedragen aan incasso",
    ActionKind.THANK_YOU: "Bedankmail verstuurd",
}

_RECEIPT_CHECK_SUBJECTS = {
    ActionKind.CALL_TASK: "Ontvangst factuur controleren",
    ActionKind.PRE_DUE_NOTICE: "Ontvangstcheck verstuurd",
}


@dataclass(frozen=True, slots=True)
class Write:
    spec: PostSpec
    body: dict[str, Any]
    purpose: str
    #: attachments to upload to the document this write creates: (filename, bytes)
    attachments: tuple[tuple[str, bytes], ...] = field(default=())

    @property
    def path(self) -> str:
        return self.spec.path


def marker(action: Action) -> str:
    return f"[dunning:{action.idempotency_key}]"


def subject(action: Action) -> str:
    if action.is_reply_task:
        return "Klant heeft gereageerd op herinnering"
    if action.is_dispute_task:
        return "Klant betwist factuur"
    if action.is_receipt_check:  # performed as a call task or a pre-due mail, worded as a check
        return _RECEIPT_CHECK_SUBJECTS.get(
            action.kind, _RECEIPT_CHECK_SUBJECTS[ActionKind.CALL_TASK]
        )
    return _SUBJECTS.get(action.kind, f"Dunning: {action.kind.value}")


def note_text(
    action: Action, rendered: RenderedMessage | None, numbers: list[str], message_id: str | None
) -> str:
    lines = []
    if rendered is not None and rendered.note.strip():
        lines.append(rendered.note.strip())
    if rendered is not None and rendered.subject:
        lines.append(f"Onderwerp: {rendered.subject}")
    if rendered is not None and rendered.to:
        lines.append(f"Aan: {', '.join(rendered.to)}")
    if numbers:
        lines.append(f"Facturen: {', '.join(numbers)}")
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    lines.append(marker(action))
    return "\n".join(lines)


def records(
    action: Action,
    rendered: RenderedMessage | None,
    *,
    numbers: list[str],
    now: datetime,
    message_id: str | None = None,
) -> list[Write]:
    """The writes recording `action` in Exact, in order: documents first (so a crash leaves no
    marker without them), the marker-carrying note or task last."""
    account = action.customer_ref
    text = note_text(action, rendered, numbers, message_id)
    writes: list[Write] = []
    if rendered is not None:
        for filename, content, _mime in rendered.attachments:
            writes.append(
                Write(
                    DOCUMENT_POST,
                    DOCUMENT_POST.body(
                        {
                            "Subject": f"{subject(action)}: {filename}",
                            "Type": DOCUMENT_TYPE,
                            "Account": account,
                            "DocumentDate": wall_json(now),
                        }
                    ),
                    f"document {filename}",
                    ((filename, content),),
                )
            )
    if action.kind is ActionKind.CALL_TASK:
        writes.append(
            Write(
                TASK_POST,
                TASK_POST.body(
                    {
                        "Account": account,
                        "Description": f"{subject(action)} ({', '.join(numbers)})"[:100],
                        "Notes": text,
                        "ActionDate": _day(action.planned_for),
                        "TaskType": TASK_TYPE_CALL,
                    }
                ),
                "call task",
            )
        )
    else:
        writes.append(
            Write(
                NOTE_POST,
                NOTE_POST.body(
                    {
                        "Account": account,
                        "Subject": subject(action),
                        "Notes": text,
                        "Date": wall_json(now),
                    }
                ),
                "communication note",
            )
        )
    return writes


def attachment_body(document_id: str, filename: str, content: bytes) -> dict[str, Any]:
    return ATTACHMENT_POST.body(
        {
            "Document": document_id,
            "FileName": filename,
            "Attachment": base64.b64encode(content).decode("ascii"),
        }
    )


def _day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


__all__ = ["ATTACHMENTS_PATH", "Write", "attachment_body", "marker", "records"]
