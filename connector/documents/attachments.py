"""PDFs attached to a reminder mail, for platforms whose API takes attachments (dispatcher hook)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Engine

from connector.documents.common import (
    DocumentSettings,
)
from connector.documents.letters import letter_pdf
from connector.documents.statement import last_statement_day, statement_pdf
from connector.domain import (
    Action,
    ActionKind,
    Customer,
    Invoice,
)
from connector.render.pdf import Party

LETTER_KINDS = frozenset({ActionKind.NOTICE_OF_DEFAULT, ActionKind.FOURTEEN_DAY_LETTER})


def letter_address(customer: Customer | None, configured: str | None) -> str | None:
    """Where a letter goes: the address in the client file, else the platform's."""
    return configured or (customer.address if customer is not None else None)


def attachments_for(
    engine: Engine,
    tenant: str,
    action: Action,
    customer: Customer,
    invoices: Sequence[Invoice],
    *,
    today: date,
    language: str,
    company: str,
    sender: dict[str, str | None],
    address: str | None = None,
    pay_url: str | None = None,
    pay_numbers: str = "",
) -> tuple[tuple[str, bytes, str], ...]:
    """PDFs to attach to an action's mail: the account statement when the step asks for one,
    the letter itself for a notice of default or fourteen-day letter. Called by the dispatcher
    only for platforms whose API takes attachments (Zoho sends its own statement)."""
    from connector.store import ledger_repo, outbox
    from connector.store.db import session_scope

    lines = tuple(v for v in (sender.get("email"), sender.get("phone")) if v)
    settings = DocumentSettings(
        company=company,
        sender=Party(sender.get("name") or company, lines),
        language=language,
        iban=sender.get("iban"),
        account_holder=sender.get("account_holder"),
        bic=sender.get("bic"),
        pay_url=pay_url,
        pay_numbers=pay_numbers,
    )
    out: list[tuple[str, bytes, str]] = []
    if action.with_statement:
        with session_scope(engine) as session:
            snapshot = ledger_repo.load_snapshot(
                session, tenant, customer_refs=[action.customer_ref]
            )
            history = outbox.history(session, tenant, customer_ref=action.customer_ref)
        pdf = statement_pdf(
            settings,
            snapshot,
            action.customer_ref,
            today,
            since=last_statement_day(history, action.customer_ref),
            address=address,
        )
        out.append((f"statement-{today.isoformat()}.pdf", pdf, "application/pdf"))
    if action.kind in LETTER_KINDS and invoices:
        pdf = letter_pdf(settings, action.kind, customer, invoices, today, address=address)
        out.append((f"{action.kind.value}-{today.isoformat()}.pdf", pdf, "application/pdf"))
    return tuple(out)
