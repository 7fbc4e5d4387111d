"""One customer as a console's customer page shows it: open invoices, how they pay, every action
with its message, and the pauses with who, why and until when.

The same data `dunning customers` works from (`customer_overview`), the same pauses
(`pause_customer` / `resume_customer` record them; the planner honours them), the same outbox.
What a person sets here shows in `dunning customers` and is kept on record with who set it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from connector.customers import CustomerLine, customer_overview, resolve_customer
from connector.customers.activity import ActionView, PauseView, actions, lang, pauses
from connector.customers.behaviour import PaymentBehaviour, behaviour
from connector.domain import Customer, InvoiceStatus, Money
from connector.store import ledger_repo
from connector.store.db import session_scope

if TYPE_CHECKING:
    from connector.app import App
    from connector.domain.clock import Clock


@dataclass(frozen=True)
class InvoiceView:
    ref: str  # for forms only, never shown
    number: str
    issue_date: date
    due_date: date
    total: Money
    balance: Money
    #: days past the due date on the client's today (0: not yet due)
    days_overdue: int
    #: the pause covering it in words ("Betwist tot 15-03-2026"), if any
    paused: str | None = None


@dataclass(frozen=True)
class CustomerDetail:
    customer: Customer
    line: CustomerLine
    invoices: list[InvoiceView]
    behaviour: PaymentBehaviour
    #: the payment behaviour in one or two plain sentences
    behaviour_words: str
    actions: list[ActionView]
    pauses: list[PauseView]
    today: date


def behaviour_in_words(b: PaymentBehaviour, language: str) -> str:
    nl = lang(language) == "nl"
    if not b.paid_invoices:
        text = "Nog geen betaalde facturen." if nl else "No paid invoices yet."
    else:
        average = _decimal(b.average_days_late or Decimal(0), nl)
        text = (
            f"Betaalde {b.paid_late} van {b.paid_invoices} facturen te laat; "
            f"gemiddeld {average} dagen na de vervaldatum."
            if nl
            else f"Paid {b.paid_late} of {b.paid_invoices} invoices late; "
            f"on average {average} days after the due date."
        )
    if b.open_overdue:
        n = b.open_overdue
        text += (
            f" {n} open {'factuur' if n == 1 else 'facturen'} over de vervaldatum."
            if nl
            else f" {n} open {'invoice' if n == 1 else 'invoices'} past the due date."
        )
    if b.chronic_late_payer:
        text += (
            " Betaalt structureel te laat: overweeg vooruitbetaling of een kredietstop."
            if nl
            else " Pays late as a rule: consider prepayment or a credit hold."
        )
    return text


def _decimal(value: Decimal, nl: bool) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if nl else text


def customer_detail(app: App, slug: str, text: str, clock: Clock, language: str) -> CustomerDetail:
    """The customer `text` names (id, number, e-mail or name; see `resolve_customer`).

    Raises:
        CustomerLookupError: `text` names no customer of this client, or several.
    """
    language = lang(language)
    customer = resolve_customer(app.engine, slug, text)
    now = clock.now()
    today = app.today(slug, now)
    client = app.require(slug)
    line = next(
        (
            ln
            for ln in customer_overview(app, slug, now, search=customer.ref)
            if ln.customer.ref == customer.ref
        ),
        None,
    )
    with session_scope(app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, slug, customer_refs=[customer.ref])
    found = pauses(app, slug, customer.ref, today, language)
    live = [p for p in found if p.active]
    invoices = []
    for inv in sorted(snapshot.invoices_of(customer.ref), key=lambda i: (i.due_date, i.number)):
        if inv.status is not InvoiceStatus.OPEN or not inv.balance.is_positive():
            continue
        covering = [p for p in live if p.invoice is None or p.invoice == inv.number]
        invoices.append(
            InvoiceView(
                ref=inv.ref,
                number=inv.number,
                issue_date=inv.issue_date,
                due_date=inv.due_date,
                total=inv.total,
                balance=inv.balance,
                days_overdue=max(0, (today - inv.due_date).days),
                paused=covering[0].label if covering else None,
            )
        )
    paid = behaviour(snapshot, customer.ref, today, client.late_payers)
    assert line is not None  # the customer was just resolved from the same store
    return CustomerDetail(
        customer=customer,
        line=line,
        invoices=invoices,
        behaviour=paid,
        behaviour_words=behaviour_in_words(paid, language),
        actions=actions(app, slug, clock, language, customer_ref=customer.ref),
        pauses=found,
        today=today,
    )
