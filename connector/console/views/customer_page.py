"""What a customer sees on their own page (`/p/<token>`, issue #14): the business that writes to
them, their open invoices with a pay button where a pay link exists, in their language.

Only the one customer the token opens is read; nothing here takes a customer from the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from connector.app import App
from connector.console.i18n import LANGUAGES
from connector.domain import InvoiceStatus, Money
from connector.domain.ledger import safe_https_url
from connector.store import ledger_repo
from connector.store import payment_links as link_store
from connector.store.db import session_scope


@dataclass(frozen=True)
class OpenInvoice:
    number: str
    issue_date: date
    due_date: date
    balance: Money
    overdue: bool
    pay_url: str | None


@dataclass(frozen=True)
class CustomerPage:
    business: str
    email: str
    phone: str | None
    address: str | None
    iban: str | None
    account_holder: str | None
    customer_name: str
    language: str
    invoices: list[OpenInvoice]
    #: one link paying every open invoice at once (the client's Mollie link for exactly these
    #: balances, as the last reminder carried it), if there is one
    pay_all_url: str | None
    today: date


def customer_language(app: App, tenant: str, customer_ref: str, spoken: str | None) -> str:
    """The client file's language for the customer, else the ledger's, else the client's."""
    client = app.require(tenant)
    override = client.customers.get(customer_ref)
    if override and override.language in LANGUAGES:
        return override.language
    if spoken and spoken.lower()[:2] in LANGUAGES:
        return spoken.lower()[:2]
    return client.language if client.language in LANGUAGES else "nl"


def customer_page(app: App, tenant: str, customer_ref: str, today: date) -> CustomerPage | None:
    """The page of one customer, or None when the store no longer holds them."""
    client = app.require(tenant)
    with session_scope(app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, tenant, customer_refs=[customer_ref])
        customer = snapshot.customers.get(customer_ref)
        if customer is None:
            return None
        open_invoices = sorted(
            (
                inv
                for inv in snapshot.invoices_of(customer_ref)
                if inv.status is InvoiceStatus.OPEN and inv.balance.is_positive()
            ),
            key=lambda i: (i.due_date, i.number),
        )
        stored = link_store.reusable(
            session,
            tenant,
            link_store.fingerprint(
                tenant, customer_ref, {inv.ref: inv.balance for inv in open_invoices}
            ),
        )
    sender = client.sender.as_dict()
    return CustomerPage(
        business=client.display_name,
        email=client.sender.email,
        phone=client.sender.phone,
        address=client.sender.address,
        iban=sender.get("iban"),
        account_holder=sender.get("account_holder"),
        customer_name=customer.company_name or customer.name,
        language=customer_language(app, tenant, customer_ref, customer.language),
        invoices=[
            OpenInvoice(
                number=inv.number,
                issue_date=inv.issue_date,
                due_date=inv.due_date,
                balance=inv.balance,
                overdue=inv.due_date < today,
                pay_url=inv.pay_link,
            )
            for inv in open_invoices
        ],
        pay_all_url=(
            safe_https_url(stored.url)
            if stored is not None and stored.status == "open" and open_invoices
            else None
        ),
        today=today,
    )
