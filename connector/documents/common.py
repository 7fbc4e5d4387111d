"""What every document shares: the client's settings, the figures (interest, costs), the
recipient block, the invoice table and the payment details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from connector.config.models import ClientConfig
from connector.config.rates import default_rate_table
from connector.documents.translations import texts
from connector.domain import (
    Customer,
    CustomerProfile,
    Invoice,
    Money,
)
from connector.domain.iban import format_iban
from connector.domain.ledger import safe_https_url
from connector.domain.money import total
from connector.legal.calendar import BusinessCalendar
from connector.legal.collection_costs import (
    SCALE_CURRENCY,
    CostBreakdown,
    collection_costs_for,
    eu_fixed_compensation,
)
from connector.legal.interest import RateTable, RateUnknown, statutory_interest
from connector.render.pdf import Document, Party, Table, day, money

#: days after which a notice of default's payment term ends
NOTICE_TERM_DAYS = 8
AGEING = ((None, 0), (1, 30), (31, 60), (61, 90), (91, None))


@dataclass(frozen=True)
class DocumentSettings:
    """What documents need from the client's configuration."""

    company: str
    sender: Party
    language: str = "nl"
    #: VAT percentage on collection costs, only when the client cannot reclaim VAT
    costs_vat_rate: Decimal | None = None
    calendar: BusinessCalendar | None = None
    place: str = ""
    #: where customers pay (issue #16): IBAN (print form), account holder, BIC
    iban: str | None = None
    account_holder: str | None = None
    bic: str | None = None
    #: statutory interest rates for the interest lines (the packaged table unless given)
    rates: RateTable = field(default_factory=default_rate_table)
    #: a payment provider's link paying the invoices numbered `pay_numbers` together (the
    #: mail's Mollie link, issue #14); None: only the platform's links per invoice
    pay_url: str | None = None
    pay_numbers: str = ""


def payment_rows(
    settings: DocumentSettings, amount: Money, numbers: Sequence[str]
) -> list[tuple[str, str]]:
    """The amount, the account and the invoice numbers as payment reference, as label/value
    rows for every document a customer receives."""
    t = texts(settings.language)
    rows = [(t["pay_amount"], money(amount, settings.language))]
    if settings.iban:
        rows.append((t["pay_iban"], settings.iban))
        rows.append((t["pay_holder"], settings.account_holder or settings.sender.name))
        if settings.bic:
            rows.append((t["pay_bic"], settings.bic))
    rows.append((t["pay_reference"], ", ".join(numbers)))
    return rows


def payment_block(
    doc: Document,
    settings: DocumentSettings,
    amount: Money,
    numbers: Sequence[str],
    invoices: Sequence[Invoice] = (),
) -> None:
    """The payment details, then a "Pay online" line per invoice of `invoices` whose platform
    gives a safe link to pay it (`Invoice.pay_link`). The caller passes only the addressee's
    own invoices."""
    if not amount.is_positive():
        return
    t = texts(settings.language)
    doc.h(t["payment"])
    doc.kv(payment_rows(settings, amount, numbers))
    for invoice in invoices:
        if invoice.pay_link is not None:
            doc.link(f"{t['pay_online']} {invoice.number}:", invoice.pay_link)
    if settings.pay_url is not None and safe_https_url(settings.pay_url) is not None:
        doc.link(f"{t['pay_online']} {settings.pay_numbers}:", settings.pay_url)


def recipient(customer: Customer, address: str | None) -> Party:
    lines: list[str] = []
    if customer.company_name and customer.company_name != customer.name:
        lines.append(customer.company_name)
    if address:
        lines += [p.strip() for p in address.replace("\n", ",").split(",") if p.strip()]
    elif customer.email:
        lines.append(customer.email)
    return Party(customer.name, tuple(lines))


def heading(settings: DocumentSettings, today: date) -> str:
    when = day(today, settings.language)
    return f"{settings.place}, {when}" if settings.place else when


# -- figures ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figures:
    """A claim's amounts as a letter or dossier states them."""

    principal: Money
    interest: Money | None  # None: a rate is not known yet (never guessed)
    interest_kind: str
    costs: CostBreakdown | None  # None: not a euro claim
    eu_compensation: Money | None  # B2B only
    currency: str

    @property
    def total(self) -> Money:
        amount = self.principal
        if self.interest is not None:
            amount = amount + self.interest
        if self.costs is not None:
            amount = amount + self.costs.total
        return amount


def interest_on(invoice: Invoice, today: date, kind: str, rates: RateTable) -> Money | None:
    if today <= invoice.due_date or not invoice.balance.is_positive():
        return Money.zero(invoice.balance.currency)
    try:
        return statutory_interest(
            invoice.balance,
            invoice.due_date,
            today,
            kind="consumer" if kind == "consumer" else "commercial",
            table=rates,
        ).total
    except (RateUnknown, ValueError):
        return None


def figures(
    invoices: Sequence[Invoice],
    profile: CustomerProfile,
    today: date,
    vat_rate: Decimal | None,
    rates: RateTable,
) -> Figures:
    currency = invoices[0].balance.currency if invoices else SCALE_CURRENCY
    principal = total([i.balance for i in invoices], currency)
    kind = "consumer" if profile is CustomerProfile.CONSUMER else "commercial"
    interest: Money | None = Money.zero(currency)
    for inv in invoices:
        part = interest_on(inv, today, kind, rates)
        interest = None if part is None or interest is None else interest + part
    costs = None
    if currency == SCALE_CURRENCY and principal.is_positive():
        costs = collection_costs_for(
            [i.balance for i in invoices if i.balance.is_positive()], vat_rate=vat_rate
        )
    eu = None
    if profile is not CustomerProfile.CONSUMER and currency == SCALE_CURRENCY:
        eu = eu_fixed_compensation(len([i for i in invoices if i.due_date < today]))
    return Figures(principal, interest, kind, costs, eu, currency)


def ageing(invoices: Sequence[Invoice], today: date, language: str) -> list[tuple[str, Money]]:
    t = texts(language)
    currency = invoices[0].balance.currency if invoices else SCALE_CURRENCY
    out = []
    for low, high in AGEING:
        if low is None:
            label = t["not_due"]
            picked = [i for i in invoices if (today - i.due_date).days <= 0]
        else:
            label = (
                t["days_range"].format(a=low, b=high)
                if high is not None
                else t["days_over"].format(a=low - 1)
            )
            picked = [
                i
                for i in invoices
                if low <= (today - i.due_date).days <= (high if high is not None else 10**6)
            ]
        out.append((label, total([i.balance for i in picked], currency)))
    return out


def invoice_table(
    invoices: Sequence[Invoice],
    today: date,
    language: str,
    interest: dict[str, Money | None] | None = None,
) -> Table:
    t = texts(language)
    headers = [t["invoice"], t["issued"], t["due"], t["amount"], t["balance"], t["days"]]
    widths = [20, 25, 25, 20, 20, 10]
    align = ["L", "L", "L", "R", "R", "R"]
    if interest is not None:
        headers.append(t["interest"].split(" ")[0] if language == "en" else "Rente")
        widths.append(16)
        align.append("R")
    rows = []
    for inv in sorted(invoices, key=lambda i: (i.due_date, i.number)):
        row = [
            inv.number,
            day(inv.issue_date, language),
            day(inv.due_date, language),
            money(inv.total, language),
            money(inv.balance, language),
            str(max(0, (today - inv.due_date).days)),
        ]
        if interest is not None:
            value = interest.get(inv.ref)
            row.append(money(value, language) if value is not None else "?")
        rows.append(tuple(row))
    currency = invoices[0].balance.currency if invoices else SCALE_CURRENCY
    footer = [
        t["total"],
        "",
        "",
        "",
        money(total([i.balance for i in invoices], currency), language),
        "",
    ]
    if interest is not None:
        footer.append("")
    return Table(tuple(headers), rows, tuple(widths), tuple(align), tuple(footer))


def amount_rows(
    fig: Figures,
    today: date,
    lang: str,
    *,
    costs_label: str,
    with_eu: bool,
    late_fee: Money | None = None,
) -> list[tuple[str, str]]:
    t = texts(lang)
    rows = [
        (t["principal"], money(fig.principal, lang)),
        (
            t["interest"].format(day=day(today, lang)),
            money(fig.interest, lang) if fig.interest is not None else t["unknown_rate"],
        ),
    ]
    if fig.costs is not None:
        rows.append((costs_label, money(fig.costs.total, lang)))
    if late_fee is not None:
        rows.append(
            ("Administratiekosten" if lang == "nl" else "Late-payment fee", money(late_fee, lang))
        )
    if with_eu and fig.eu_compensation is not None and fig.eu_compensation.is_positive():
        rows.append((t["eu40"], money(fig.eu_compensation, lang)))
    claim = fig.total + late_fee if late_fee is not None else fig.total
    rows.append((t["claim"], money(claim, lang)))
    return rows


def settings_for(
    client: ClientConfig, calendar: BusinessCalendar | None = None, language: str | None = None
) -> DocumentSettings:
    """Document settings from a client's configuration (sender block, language, VAT on costs)."""
    sender = client.sender
    lines = [p.strip() for p in (sender.address or "").replace("\n", ",").split(",") if p.strip()]
    lines += [sender.email] + ([sender.phone] if sender.phone else [])
    return DocumentSettings(
        company=client.display_name,
        sender=Party(
            client.display_name if sender.name == client.display_name else sender.name, tuple(lines)
        ),
        language=language or client.language,
        costs_vat_rate=client.legal.vat_rate if client.legal.vat_on_collection_costs else None,
        calendar=calendar,
        iban=format_iban(sender.iban) if sender.iban else None,
        account_holder=sender.holder,
        bic=sender.bic,
    )
