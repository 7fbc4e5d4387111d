"""Which customers fall under which ladder, and the consumers a client cannot dun lawfully
past its reminders (issue #16): for `dunning doctor` and the operator alerts.

A customer's profile comes from the ledger (Zoho's ``customer_sub_type``; Exact Online documents
no property that says person or company, so Exact accounts are businesses unless the client
file says otherwise) and from the client file's ``customers: {ID: {profile: consumer}}``, which
wins.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine
from sqlmodel import col, select

from connector.config.models import ClientConfig
from connector.config.policy_select import ClientPolicies
from connector.domain import CustomerProfile, InvoiceStatus
from connector.policy.consumer import consumer_ladder_problem
from connector.store.db import session_scope
from connector.store.models import CustomerRow, InvoiceRow


@dataclass
class LadderCensus:
    """One client's customers by ladder and profile."""

    #: (ladder name, profile) -> number of customers
    counts: Counter[tuple[str, CustomerProfile]] = field(default_factory=Counter)
    #: customers whose profile the ledger has not told yet (read before their first letter)
    profile_unread: int = 0
    #: the client file says one profile, the ledger another: (name, ledger's, file's)
    overridden: list[tuple[str, CustomerProfile, CustomerProfile]] = field(default_factory=list)
    #: consumers on a ladder unfit for them (should never happen): (name, ladder, why)
    unfit: list[tuple[str, str, str]] = field(default_factory=list)
    #: consumers who have had every reminder a reminders-only ladder allows and still owe
    stopped: list[str] = field(default_factory=list)


def census(
    engine: Engine, slug: str, client: ClientConfig, policies: ClientPolicies, today: date
) -> LadderCensus:
    out = LadderCensus()
    with session_scope(engine) as session:
        customers = [
            (r.ref, r.name, r.profile, r.reminders_enabled)
            for r in session.exec(select(CustomerRow).where(CustomerRow.tenant == slug)).all()
        ]
        oldest_due: dict[str, date] = {}
        for row in session.exec(
            select(InvoiceRow).where(
                InvoiceRow.tenant == slug,
                InvoiceRow.status == InvoiceStatus.OPEN.value,
                col(InvoiceRow.balance_minor) > 0,
            )
        ).all():
            ref, due = row.customer_ref, row.due_date
            oldest_due[ref] = min(due, oldest_due.get(ref, due))
    consumer_ladder = policies.for_profile(CustomerProfile.CONSUMER)
    last_offset = max(s.offset_days for s in consumer_ladder.steps)
    for ref, name, stored, reminders_enabled in customers:
        ledger = CustomerProfile(stored)
        profile = client.profile_for(ref, ledger)
        if profile is not ledger:
            out.overridden.append((name, ledger, profile))
        if reminders_enabled is None:
            out.profile_unread += 1
        ladder = policies.for_profile(profile)
        out.counts[(ladder.name, profile)] += 1
        if profile is CustomerProfile.CONSUMER:
            why = consumer_ladder_problem(ladder)
            if why:
                out.unfit.append((name, ladder.name, why))
            oldest = oldest_due.get(ref)
            if (
                policies.consumer_source == "reminders-only"
                and oldest is not None
                and (today - oldest).days > last_offset
            ):
                out.stopped.append(name)
    out.stopped.sort()
    return out


def stopped_consumers_message(slug: str, names: list[str], ladder: str) -> str:
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return (
        f"{slug}: {len(names)} consumer(s) had every reminder of {ladder} and still owe: {shown}; "
        "they are not dunned further (no consumer ladder for this client): name one under "
        "policies.consumer, or follow them up by hand"
    )
