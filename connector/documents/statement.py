"""The account statement: every open invoice, what was paid since the last statement, totals
and ageing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from connector.documents.common import (
    DocumentSettings,
    ageing,
    heading,
    invoice_table,
    payment_block,
    recipient,
)
from connector.documents.translations import texts
from connector.domain import (
    ActionKind,
    Customer,
    Snapshot,
)
from connector.domain.history import HistoryEntry
from connector.domain.money import total
from connector.legal.collection_costs import (
    SCALE_CURRENCY,
)
from connector.render.pdf import Document, Table, day, money, render_pdf


def statement_document(
    settings: DocumentSettings,
    snapshot: Snapshot,
    customer_ref: str,
    today: date,
    *,
    since: date | None = None,
    address: str | None = None,
) -> Document:
    """All open invoices, payments since `since` (the last statement; None: the last 90 days),
    totals and ageing."""
    lang = settings.language
    t = texts(lang)
    customer = snapshot.customers.get(customer_ref) or Customer(customer_ref, customer_ref)
    invoices = snapshot.invoices_of(customer_ref)
    open_ = [i for i in invoices if i.is_open]
    start = since or today - timedelta(days=90)
    paid = sorted(
        (
            p
            for p in snapshot.payments
            if p.customer_ref == customer_ref and start < p.date <= today
        ),
        key=lambda p: p.date,
    )
    doc = Document(
        title=f"{t['statement']} {settings.company}",
        sender=settings.sender,
        recipient=recipient(customer, address),
        place_date=heading(settings, today),
        dated=today,
        language=lang,
        reference=t["ref"].format(ref=customer.name),
    )
    doc.h(t["open"])
    if open_:
        doc.table(invoice_table(open_, today, lang))
    else:
        doc.p(t["no_open"])
    doc.h(t["paid_since"].format(since=day(start, lang)))
    numbers = {i.ref: i.number for i in invoices}
    if paid:
        doc.table(
            Table(
                (t["date"], t["invoice"], t["amount"]),
                [
                    (
                        day(p.date, lang),
                        ", ".join(numbers.get(r, r) for r in p.invoice_refs) or "-",
                        money(p.amount, lang),
                    )
                    for p in paid
                ],
                (30, 60, 30),
                ("L", "L", "R"),
                (
                    t["total"],
                    "",
                    money(total([p.amount for p in paid], paid[0].amount.currency), lang),
                ),
            )
        )
    else:
        doc.p(t["no_paid"])
    currency = open_[0].balance.currency if open_ else SCALE_CURRENCY
    overdue = total([i.balance for i in open_ if i.due_date < today], currency)
    doc.h(t["total"])
    doc.kv(
        [
            (t["total_open"], money(total([i.balance for i in open_], currency), lang)),
            (t["overdue"], money(overdue, lang)),
        ]
    )
    doc.h(t["ageing"])
    doc.kv([(label, money(amount, lang)) for label, amount in ageing(open_, today, lang)])
    ordered = sorted(open_, key=lambda i: (i.due_date, i.number))
    payment_block(
        doc,
        settings,
        total([i.balance for i in open_], currency),
        [i.number for i in ordered],
        [i for i in ordered if i.customer_ref == customer_ref],
    )
    return doc


def last_statement_day(
    history: Sequence[HistoryEntry], customer_ref: str, with_statement: set[int] | None = None
) -> date | None:
    """The day the customer's last statement went out (a statement action), if any."""
    days = [
        e.done_at.date() if e.done_at else e.planned_for
        for e in history
        if e.customer_ref == customer_ref
        and e.status == "sent"
        and (e.kind is ActionKind.STATEMENT or (with_statement and e.action_id in with_statement))
    ]
    return max(days, default=None)


def statement_pdf(
    settings: DocumentSettings,
    snapshot: Snapshot,
    customer_ref: str,
    today: date,
    *,
    since: date | None = None,
    address: str | None = None,
) -> bytes:
    return render_pdf(
        statement_document(settings, snapshot, customer_ref, today, since=since, address=address)
    )
