"""The Zoho calls that perform a dunning action, built as plain data (tested without HTTP).

Official pages:
  * payment reminder: https://www.zoho.com/books/api/v3/invoices/#email-payment-reminder
    (``POST /invoices/{id}/paymentreminder``, ``?send_customer_statement=true``, body
    ``to_mail_ids``, ``cc_mail_ids``, ``subject``, ``body``; open/overdue invoices only);
  * comments: https://www.zoho.com/books/api/v3/invoices/#add-comment
    (``POST /invoices/{id}/comments`` body ``description``, ``show_comment_to_clients``);
  * statement: https://www.zoho.com/books/api/v3/contacts/#email-statement
    (``POST /contacts/{id}/statements/email``, optional ``start_date``/``end_date``);
  * e-mail a contact: https://www.zoho.com/books/api/v3/contacts/#email-contact
    (``POST /contacts/{id}/email`` body ``to_mail_ids``, ``subject``, ``body``);
  * stop reminders: https://www.zoho.com/books/api/v3/contacts/#disable-payment-reminders
    (``POST /contacts/{id}/paymentreminder/disable``).

One send call per action (grouped invoices share one mail on the *primary* invoice: the one with
the oldest due date; the rendered body lists every invoice), then one comment on the primary
invoice naming every invoice of the action and ending in the marker
``[dunning:<idempotency key>]`` (issue #18: one comment per action, not one per invoice, so a
first run with thousands of overdue invoices does not spend the day's quota on comments). The
marker is how `ZohoLedger.reconcile` proves later that an action happened; it reads the
comments of every invoice of the action, so it finds the marker on whichever one carries it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from adapters.zoho.endpoints import contact_path, invoice_path
from connector.domain import Action, ActionKind
from connector.domain.ports import INVOICE_NUMBERS, LEAD_INVOICE, RenderedMessage

REMINDER_KINDS = frozenset(
    {
        ActionKind.PRE_DUE_NOTICE,
        ActionKind.REMINDER,
        ActionKind.FIRM_REMINDER,
        ActionKind.NOTICE_OF_DEFAULT,
        ActionKind.FOURTEEN_DAY_LETTER,
    }
)
#: kinds whose "send" is the comment itself (safe to redo when no marker is found)
COMMENT_IS_ACTION = frozenset({ActionKind.CALL_TASK, ActionKind.HANDOFF})
SUPPORTED = frozenset(ActionKind)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    purpose: str = ""


def marker(action: Action) -> str:
    return f"[dunning:{action.idempotency_key}]"


def comment_text(
    action: Action, rendered: RenderedMessage | None, numbers: Sequence[str] = ()
) -> str:
    """The note, the invoices it covers (when more than the one it is written on) and the
    marker."""
    note = rendered.note.strip() if rendered is not None and rendered.note else ""
    if not note:
        note = f"Dunning: {action.kind.value.replace('_', ' ')} ({action.template})"
    covered = f" ({', '.join(numbers)})" if len(numbers) > 1 else ""
    return f"{note}{covered} {marker(action)}"


def primary_invoice(action: Action, due_dates: Mapping[str, date]) -> str:
    """The invoice the reminder is sent on: the oldest due date (ties: the smallest ref)."""
    refs = list(action.invoice_refs)
    if not refs:
        raise ValueError("an action without invoices")
    lead = action.extra.get(LEAD_INVOICE)
    if lead in refs:
        return str(lead)
    return min(refs, key=lambda r: (due_dates.get(r, date.max), r))


def invoice_numbers(action: Action, known: Mapping[str, str]) -> list[str]:
    """The action's invoice numbers (a ref where none is known), in the items' order."""
    given = [n.strip() for n in action.extra.get(INVOICE_NUMBERS, "").split(",") if n.strip()]
    if len(given) == len(action.items):
        return given
    return [known.get(ref, ref) for ref in action.invoice_refs]


def _mail(rendered: RenderedMessage, *, cc: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "to_mail_ids": list(rendered.to),
        "subject": rendered.subject,
        "body": rendered.html or rendered.text,
    }
    if cc and rendered.cc:
        body["cc_mail_ids"] = list(rendered.cc)
    return body


def send_call(
    action: Action, rendered: RenderedMessage | None, primary: str | None = None
) -> Call | None:
    """The one call that makes the action happen (None: the comments are the action)."""
    kind = action.kind
    if kind in REMINDER_KINDS:
        if rendered is None or primary is None:
            raise ValueError(f"{kind} needs a rendered message and a primary invoice")
        params = {"send_customer_statement": "true"} if action.with_statement else {}
        return Call(
            "POST",
            f"{invoice_path(primary)}/paymentreminder",
            params,
            _mail(rendered),
            "payment reminder",
        )
    if kind is ActionKind.STATEMENT:
        if rendered is None:
            raise ValueError("a statement needs a rendered message")
        params = {k: action.extra[k] for k in ("start_date", "end_date") if action.extra.get(k)}
        return Call(
            "POST",
            f"{contact_path(action.customer_ref)}/statements/email",
            params,
            _mail(rendered),
            "statement",
        )
    if kind is ActionKind.THANK_YOU:
        if rendered is None:
            raise ValueError("a thank-you needs a rendered message")
        return Call(
            "POST",
            f"{contact_path(action.customer_ref)}/email",
            {},
            _mail(rendered, cc=False),
            "thank-you mail",
        )
    if kind is ActionKind.HANDOFF:
        return Call(
            "POST",
            f"{contact_path(action.customer_ref)}/paymentreminder/disable",
            {},
            None,
            "stop Zoho's reminders",
        )
    if kind is ActionKind.CALL_TASK:
        return None
    raise ValueError(f"unsupported action kind {kind}")


def comment_calls(
    action: Action,
    rendered: RenderedMessage | None,
    on: str | None = None,
    numbers: Sequence[str] = (),
) -> list[Call]:
    """One internal comment (not shown to the customer) for the action, on invoice `on` (the
    primary one; default the action's first), naming every invoice of the action."""
    if not action.invoice_refs:
        return []
    ref = on if on in action.invoice_refs else action.invoice_refs[0]
    return [
        Call(
            "POST",
            f"{invoice_path(ref)}/comments",
            {},
            {
                "description": comment_text(action, rendered, numbers),
                "show_comment_to_clients": False,
            },
            f"comment on {ref}",
        )
    ]
