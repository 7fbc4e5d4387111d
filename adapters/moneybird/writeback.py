"""What the connector writes to Moneybird for a dunning step, built as plain data (tested without
HTTP), and which way each step goes.

  * friendly and firm reminders: Moneybird sends them itself, ``POST
    sales_invoices/send_reminders`` with one reminder per customer carrying all the action's
    invoices and our text (https://developer.moneybird.com/api/sales-invoices). The mail then
    comes from the business's own Moneybird, in its identity and document style, with the
    invoices attached and Moneybird's own payment link. Moneybird groups a customer's reminders
    by workflow, identity and document style, so the connector names one of each for the whole
    reminder: the client file's, else the lead invoice's own;
  * steps Moneybird cannot send (notice before the due date, statement PDF, notice of default,
    fourteen-day letter, thank-you mail) go by the client's SMTP relay, then a note on the
    contact records them;
  * a call step is a to-do note on the contact (``todo: true``), a hand-off a note; after a
    hand-off the connector no longer manages the invoices: each gets a note carrying
    `HANDED_OFF` and Moneybird's own workflow is resumed for it.
Every note ends in the marker ``[dunning:<idempotency key>]`` so `reconcile` can prove later
that the step happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.moneybird.endpoints import CONTACT_NOTE, INVOICE_NOTE, SEND_REMINDERS
from connector.domain import Action, ActionKind
from connector.domain.ports import RenderedMessage

#: kinds Moneybird sends itself through send_reminders
MONEYBIRD_KINDS = frozenset({ActionKind.REMINDER, ActionKind.FIRM_REMINDER})
#: kinds whose note in Moneybird *is* the action (safe to redo when no marker is found)
RECORD_IS_ACTION = frozenset({ActionKind.CALL_TASK, ActionKind.HANDOFF})
#: in the note on each invoice of a hand-off: the connector no longer manages the invoice, and
#: no later sync pauses Moneybird's workflow for it again
HANDED_OFF = "[dunning:handed-off]"
#: Moneybird's delivery method for a reminder by e-mail (picqer/moneybird-php-client,
#: SalesInvoiceReminder; the API description types it as a string)
EMAIL_DELIVERY = "Email"

_TITLES = {
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


def marker(action: Action) -> str:
    return f"[dunning:{action.idempotency_key}]"


def title(action: Action) -> str:
    if action.is_receipt_check:
        return "Ontvangst factuur controleren"
    if action.is_reply_task:
        return "Klant heeft gereageerd op herinnering"
    if action.is_dispute_task:
        return "Klant betwist factuur"
    return _TITLES.get(action.kind, action.kind.words)


def note_text(
    action: Action,
    rendered: RenderedMessage | None,
    numbers: Sequence[str],
    message_id: str | None = None,
) -> str:
    """The note recording a step: what, to whom, which invoices, the marker last."""
    lines = [title(action)]
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


def note_body(text: str, *, todo: bool) -> dict[str, Any]:
    """``{"note": {"note": ..., "todo": ...}}`` for ``POST contacts/{contact_id}/notes``."""
    return CONTACT_NOTE.body({"note": {"note": text, "todo": todo}})


def handoff_note(action: Action) -> dict[str, Any]:
    """The note on each invoice of a hand-off (``POST sales_invoices/{id}/notes``)."""
    text = f"{title(action)}: niet meer door de debiteurenbewaking\n{HANDED_OFF} {marker(action)}"
    return INVOICE_NOTE.body({"note": {"note": text, "todo": False}})


def reminder_body(
    *,
    contact_id: str,
    invoice_ids: Sequence[str],
    text: str,
    email: str,
    workflow_id: str,
    identity_id: str,
    document_style_id: str,
) -> dict[str, Any]:
    """One reminder for one customer carrying all `invoice_ids` (send_reminders)."""
    return SEND_REMINDERS.body(
        {
            "sales_invoice_reminders": [
                {
                    "contact_id": contact_id,
                    "workflow_id": workflow_id,
                    "identity_id": identity_id,
                    "document_style_id": document_style_id,
                    "sales_invoice_ids": list(invoice_ids),
                    "reminder_text": text,
                    "delivery_method": EMAIL_DELIVERY,
                    "email_address": email,
                }
            ]
        }
    )


def reminder_style(
    lead: Mapping[str, str | None], overrides: Mapping[str, str | None]
) -> dict[str, str] | None:
    """workflow_id, identity_id and document_style_id for a reminder: the client file's where
    it names them, else the lead invoice's; None when one of the three is known nowhere (all
    three are required by Moneybird)."""
    out: dict[str, str] = {}
    for key in ("workflow_id", "identity_id", "document_style_id"):
        value = overrides.get(key) or lead.get(key)
        if not value:
            return None
        out[key] = value
    return out
