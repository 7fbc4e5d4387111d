"""The collection dossier per customer: invoices, reminders sent with dates, pauses (promises,
disputes, notes), amounts including interest and costs, as PDF and CSV."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from connector.documents.common import (
    DocumentSettings,
    amount_rows,
    figures,
    heading,
    interest_on,
    invoice_table,
    payment_block,
    recipient,
)
from connector.documents.csvsafe import SafeWriter
from connector.documents.translations import PROFILE_NAMES, STATUS_NAMES, texts
from connector.domain import (
    SEVERITY,
    Customer,
    CustomerProfile,
    InvoiceStatus,
    Snapshot,
)
from connector.domain.history import HistoryEntry
from connector.domain.pauses import Pause
from connector.render.pdf import Document, Table, day, render_pdf
from connector.report.story import kind_label, step_label


@dataclass(frozen=True)
class Dossier:
    customer_ref: str
    pdf: bytes
    csv: str


def dossier(
    settings: DocumentSettings,
    snapshot: Snapshot,
    history: Sequence[HistoryEntry],
    pauses: Sequence[Pause],
    customer_ref: str,
    today: date,
    *,
    profile: CustomerProfile | None = None,
    address: str | None = None,
) -> Dossier:
    """Everything a collection agency needs about one customer, as PDF and CSV."""
    lang = settings.language
    t = texts(lang)
    customer = snapshot.customers.get(customer_ref) or Customer(customer_ref, customer_ref)
    profile = profile or customer.profile
    open_ = [
        i
        for i in snapshot.invoices_of(customer_ref)
        if i.status is InvoiceStatus.OPEN and i.balance.is_positive()
    ]
    numbers = {i.ref: i.number for i in snapshot.invoices.values()}
    entries = sorted(
        (e for e in history if e.customer_ref == customer_ref and e.taken),
        key=lambda e: (
            e.done_at.date() if e.done_at else e.planned_for,
            SEVERITY[e.kind],
            e.invoice_ref,
        ),
    )
    doc = Document(
        title=f"{t['dossier']}: {customer.name}",
        sender=settings.sender,
        recipient=recipient(customer, address),
        place_date=heading(settings, today),
        dated=today,
        language=lang,
        reference=t["ref"].format(ref=", ".join(i.number for i in open_) or customer.name),
    )
    doc.kv(
        [
            (t["customer"], customer.name),
            (t["profile"], PROFILE_NAMES[lang if lang in PROFILE_NAMES else "nl"][profile.value]),
            (t["email"], customer.email or "-"),
        ]
    )
    doc.h(t["open"])
    fig = figures(open_, profile, today, settings.costs_vat_rate, settings.rates) if open_ else None
    interest = {
        i.ref: interest_on(i, today, fig.interest_kind if fig else "commercial", settings.rates)
        for i in open_
    }
    if open_:
        doc.table(invoice_table(open_, today, lang, interest))
    else:
        doc.p(t["no_open"])
    doc.h(t["reminders"])

    def when(e: HistoryEntry) -> date:
        return e.done_at.date() if e.done_at else e.planned_for

    if entries:
        doc.table(
            Table(
                (t["date"], t["kind"], t["step"], t["invoice"], t["status"]),
                [
                    (
                        day(when(e), lang),
                        kind_label(e.kind.value, lang),
                        step_label(e.step, lang),
                        numbers.get(e.invoice_ref, e.invoice_ref),
                        STATUS_NAMES[lang if lang in STATUS_NAMES else "nl"].get(
                            e.status, e.status
                        ),
                    )
                    for e in entries
                ],
                (24, 26, 22, 22, 14),
                ("L", "L", "L", "L", "L"),
            )
        )
    else:
        doc.p(t["none"])
    doc.h(t["pauses"])
    own = [p for p in pauses if p.customer_ref == customer_ref]
    if own:
        doc.table(
            Table(
                (t["date"], t["kind"], t["invoice"], t["until"], t["reason"], t["by"]),
                [
                    (
                        day(p.created_at.date(), lang),
                        p.kind.label,
                        numbers.get(p.invoice_ref, p.invoice_ref) if p.invoice_ref else "-",
                        day(p.until, lang) if p.until else "-",
                        p.reason,
                        p.created_by,
                    )
                    for p in own
                ],
                (20, 18, 16, 20, 40, 16),
                ("L", "L", "L", "L", "L", "L"),
            )
        )
    else:
        doc.p(t["none"])
    if fig is not None:
        doc.h(t["amounts"])
        doc.kv(amount_rows(fig, today, lang, costs_label=t["costs"], with_eu=False))
        ordered = sorted(open_, key=lambda i: (i.due_date, i.number))
        payment_block(doc, settings, fig.total, [i.number for i in ordered])

    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(
        [
            "record",
            "date",
            "customer_ref",
            "customer",
            "invoice",
            "description",
            "amount",
            "currency",
        ]
    )
    for inv in sorted(open_, key=lambda i: i.due_date):
        writer.writerow(
            [
                "invoice",
                inv.due_date.isoformat(),
                customer_ref,
                customer.name,
                inv.number,
                f"issued {inv.issue_date.isoformat()}, "
                f"{max(0, (today - inv.due_date).days)} days overdue",
                str(inv.balance.amount),
                inv.balance.currency,
            ]
        )
        value = interest.get(inv.ref)
        writer.writerow(
            [
                "interest",
                today.isoformat(),
                customer_ref,
                customer.name,
                inv.number,
                "statutory interest to date"
                if value is not None
                else "statutory interest: rate not known",
                str(value.amount) if value is not None else "",
                inv.balance.currency,
            ]
        )
    for e in entries:
        writer.writerow(
            [
                "reminder",
                when(e).isoformat(),
                customer_ref,
                customer.name,
                numbers.get(e.invoice_ref, e.invoice_ref),
                f"{e.kind.value} ({e.step}): {e.status}",
                "",
                "",
            ]
        )
    for p in own:
        writer.writerow(
            [
                "pause",
                p.created_at.date().isoformat(),
                customer_ref,
                customer.name,
                numbers.get(p.invoice_ref, p.invoice_ref) if p.invoice_ref else "",
                f"{p.kind.label}"
                f"{' until ' + p.until.isoformat() if p.until else ''}: {p.reason} "
                f"[by {p.created_by}]"
                f"{' (resumed)' if p.resumed_at else ''}",
                "",
                "",
            ]
        )
    if fig is not None:
        cur = fig.currency
        writer.writerow(
            [
                "total",
                today.isoformat(),
                customer_ref,
                customer.name,
                "",
                "principal",
                str(fig.principal.amount),
                cur,
            ]
        )
        if fig.interest is not None:
            writer.writerow(
                [
                    "total",
                    today.isoformat(),
                    customer_ref,
                    customer.name,
                    "",
                    "statutory interest",
                    str(fig.interest.amount),
                    cur,
                ]
            )
        if fig.costs is not None:
            writer.writerow(
                [
                    "total",
                    today.isoformat(),
                    customer_ref,
                    customer.name,
                    "",
                    "collection costs (BIK scale)",
                    str(fig.costs.total.amount),
                    cur,
                ]
            )
        writer.writerow(
            [
                "total",
                today.isoformat(),
                customer_ref,
                customer.name,
                "",
                "total claim",
                str(fig.total.amount),
                cur,
            ]
        )
    return Dossier(customer_ref, render_pdf(doc), out.getvalue())
