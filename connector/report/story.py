"""What was done for a client, day by day, in plain words: who got what, for which invoices and
how much was open ("Herinnering met rekeningoverzicht aan Bakkerij de Boer B.V. voor
INV-000039, € 1.234,50 open"), and who paid. Read from the store (the outbox is the record of
what was done); no internal ids or enum names reach the page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlmodel import col, select

from connector.domain import Money
from connector.domain.actions import (
    DISPUTE_STEP_PREFIX,
    NOTICE_STEP_PREFIX,
    RECEIPT_CHECK_STEP,
    REPLY_STEP_PREFIX,
)
from connector.domain.clock import local_date
from connector.domain.money import format_money, total
from connector.store import ledger_repo, outbox
from connector.store.db import session_scope
from connector.store.models import OutboxAction

#: what each kind of action is called, per language; the second word marks a task (not a mail)
KIND_LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "pre_due_notice": "Attentie vóór de vervaldatum",
        "reminder": "Herinnering",
        "statement": "Rekeningoverzicht",
        "call_task": "Beltaak",
        "receipt_check": "Ontvangstcheck",
        "customer_replied": "Klant reageerde",
        "customer_disputed": "Factuur betwist",
        "business_notice": "Bericht aan het bedrijf",
        "firm_reminder": "Dringende herinnering",
        "notice_of_default": "Ingebrekestelling",
        "fourteen_day_letter": "Veertiendagenbrief",
        "handoff": "Overdracht aan incasso",
        "thank_you": "Bedankmail",
        "paid": "Betaling ontvangen",
    },
    "en": {
        "pre_due_notice": "Heads-up before the due date",
        "reminder": "Reminder",
        "statement": "Statement",
        "call_task": "Call task",
        "receipt_check": "Receipt check",
        "customer_replied": "Customer replied",
        "customer_disputed": "Invoice disputed",
        "business_notice": "Notice to the business",
        "firm_reminder": "Firm reminder",
        "notice_of_default": "Notice of default",
        "fourteen_day_letter": "Fourteen-day letter",
        "handoff": "Hand-off to collection",
        "thank_you": "Thank-you mail",
        "paid": "Payment received",
    },
}

#: the built-in ladders' step ids as people say them (for "collected after each step")
STEP_LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "no reminder": "zonder herinnering",
        "reminder": "herinnering",
        "call-1": "1e beltaak",
        "call-2": "2e beltaak",
        "call": "beltaak",
        "receipt-check": "ontvangstcheck",
        "firm-reminder": "dringende herinnering",
        "notice-of-default": "ingebrekestelling",
        "fourteen-day-letter": "veertiendagenbrief",
        "handoff": "incasso",
    },
    "en": {
        "no reminder": "no reminder",
        "reminder": "reminder",
        "call-1": "1st call",
        "call-2": "2nd call",
        "call": "call",
        "receipt-check": "receipt check",
        "firm-reminder": "firm reminder",
        "notice-of-default": "notice of default",
        "fourteen-day-letter": "14-day letter",
        "handoff": "hand-off",
    },
}


def kind_label(kind: str, language: str) -> str:
    return KIND_LABELS.get(language, KIND_LABELS["en"]).get(kind, kind.replace("_", " "))


def step_label(step: str, language: str) -> str:
    return STEP_LABELS.get(language, STEP_LABELS["en"]).get(step, step.replace("-", " "))


@dataclass(frozen=True)
class Event:
    """One line of the story."""

    kind: str  # an action kind or "paid" (for styling; never shown)
    label: str  # "Herinnering met rekeningoverzicht"
    text: str  # "aan Bakkerij de Boer B.V. voor INV-000039, € 1.234,50 open"
    task: bool = False  # a task for a person (call), not something sent


def _join(words: list[str], language: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    last = " en " if language == "nl" else " and "
    return ", ".join(words[:-1]) + last + words[-1]


def describe(
    kind: str,
    customer: str,
    numbers: list[str],
    amount: Money | None,
    language: str,
    *,
    with_statement: bool = False,
) -> Event:
    """One action in words (see the module docstring)."""
    labels = KIND_LABELS.get(language, KIND_LABELS["en"])
    nl = language == "nl"
    label = labels.get(kind, kind.replace("_", " "))
    if with_statement:
        label += " met rekeningoverzicht" if nl else " with statement"
    invoices = _join(numbers, language)
    owed = format_money(amount, language) if amount is not None else ""
    if kind == "call_task":
        text = (
            f"bel {customer} over {invoices}, {owed} open"
            if nl
            else f"call {customer} about {invoices}, {owed} open"
        )
        return Event(kind, label, text, task=True)
    if kind == "receipt_check":
        text = (
            f"bel {customer}: is {invoices} ontvangen? ({owed}, nog niet vervallen)"
            if nl
            else f"call {customer}: did {invoices} arrive? ({owed}, not yet due)"
        )
        return Event(kind, label, text, task=True)
    if kind == "customer_replied":
        text = (
            f"{customer} antwoordde per e-mail over {invoices} ({owed} open); herinneringen "
            "gepauzeerd, beantwoorden"
            if nl
            else f"{customer} replied by e-mail about {invoices} ({owed} open); reminders "
            "paused, to be answered"
        )
        return Event(kind, label, text, task=True)
    if kind == "customer_disputed":
        text = (
            f"{customer} betwist {invoices} ({owed} open) op de eigen pagina; herinneringen "
            "voor die factuur gepauzeerd, uitzoeken"
            if nl
            else f"{customer} disputes {invoices} ({owed} open) on their own page; reminders "
            "for it paused, to be looked into"
        )
        return Event(kind, label, text, task=True)
    if kind == "business_notice":
        text = (
            f"over {customer}, {invoices} ({owed} open): wat de klant op de eigen pagina deed"
            if nl
            else f"about {customer}, {invoices} ({owed} open): what they did on their own page"
        )
        return Event(kind, label, text)
    if kind == "handoff":
        text = (
            f"{customer}, {invoices}, {owed} open; automatische herinneringen gestopt"
            if nl
            else f"{customer}, {invoices}, {owed} open; automatic reminders stopped"
        )
        return Event(kind, label, text)
    if kind == "thank_you":
        text = f"aan {customer} voor {invoices}" if nl else f"to {customer} for {invoices}"
        return Event(kind, label, text)
    if kind == "paid":
        text = (
            f"{customer} betaalde {owed}" + (f" ({invoices})" if numbers else "")
            if nl
            else f"{customer} paid {owed}" + (f" ({invoices})" if numbers else "")
        )
        return Event(kind, label, text)
    text = (
        f"aan {customer} voor {invoices}, {owed} open"
        if nl
        else f"to {customer} for {invoices}, {owed} open"
    )
    return Event(kind, label, text)


def story(
    engine: Engine,
    slug: str,
    timezone: str,
    start: date,
    end: date,
    language: str,
    *,
    payments: bool = True,
) -> list[tuple[date, list[Event]]]:
    """Every action done (and, with `payments`, every payment received) from `start` to `end`
    inclusive, per local day, in the order they happened."""
    with session_scope(engine) as session:
        snap = ledger_repo.load_snapshot(session, slug)
        rows = session.exec(
            select(OutboxAction)
            .where(OutboxAction.tenant == slug, OutboxAction.status == "sent")
            .order_by(col(OutboxAction.done_at), col(OutboxAction.id))
        ).all()
        done = [(row, outbox.items_of(session, row.id or 0)) for row in rows]
    numbers = {ref: inv.number for ref, inv in snap.invoices.items()}
    days: dict[date, list[Event]] = defaultdict(list)
    for row, items in done:
        if row.done_at is None:
            continue
        day = local_date(row.done_at, timezone)
        if not start <= day <= end:
            continue
        customer = snap.customers.get(row.customer_ref)
        name = customer.name if customer else row.customer_ref
        amounts = [Money.from_minor(i.balance_minor, i.currency) for i in items]
        amount = total(amounts, amounts[0].currency) if amounts else None
        kind = row.kind
        if kind == "call_task" and items and all(i.step == RECEIPT_CHECK_STEP for i in items):
            kind = "receipt_check"  # a call task that asks whether the invoice arrived
        elif (
            kind == "call_task"
            and items
            and all(i.step.startswith(REPLY_STEP_PREFIX) for i in items)
        ):
            kind = "customer_replied"  # a task to answer a customer's reply (connector.replies)
        elif (
            kind == "call_task"
            and items
            and all(i.step.startswith(DISPUTE_STEP_PREFIX) for i in items)
        ):
            kind = "customer_disputed"  # a dispute from the customer's page (connector.disputes)
        elif items and all(i.step.startswith(NOTICE_STEP_PREFIX) for i in items):
            kind = "business_notice"  # a mail to the business (connector.notices)
        days[day].append(
            describe(
                kind,
                name,
                [numbers.get(i.invoice_ref, i.invoice_ref) for i in items],
                amount,
                language,
                with_statement=row.with_statement,
            )
        )
    if payments:
        for pay in sorted(snap.payments, key=lambda p: p.date):
            if not start <= pay.date <= end:
                continue
            customer = snap.customers.get(pay.customer_ref)
            name = customer.name if customer else pay.customer_ref
            refs = [numbers[r] for r in pay.invoice_refs if r in numbers]
            days[pay.date].append(describe("paid", name, refs, pay.amount, language))
    return sorted(days.items())
