"""The documents a credit controller sends or hands over, built from the store and the law.

* Account statement: every open invoice, what was paid since the last statement, totals and
  ageing (`statement_document`).
* Letters for (registered) post: the notice of default and the consumer fourteen-day letter, with
  sender, address, invoice table, statutory interest, collection costs and the deadline
  (`letter_document`); the fourteen-day letter's wording is the Hoge Raad's and is checked by
  `connector.legal.check_letter_wording` in the tests.
* Collection dossier per customer: invoices, reminders sent with dates, pauses (promises,
  disputes, notes), amounts including interest and costs, as PDF and CSV (`dossier`).

All figures come from `connector.legal`; the layout is `connector.render.pdf`. Nothing here reads
the clock: `today` is passed in.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from connector.config.models import ClientConfig
from connector.config.rates import default_rate_table
from connector.csvsafe import SafeWriter
from connector.domain import (
    SEVERITY,
    Action,
    ActionKind,
    Customer,
    CustomerProfile,
    Invoice,
    InvoiceStatus,
    Money,
    Snapshot,
)
from connector.domain.history import HistoryEntry
from connector.domain.iban import format_iban
from connector.domain.money import total
from connector.domain.pauses import Pause
from connector.legal.calendar import BusinessCalendar
from connector.legal.collection_costs import (
    SCALE_CURRENCY,
    CostBreakdown,
    collection_costs_for,
    eu_fixed_compensation,
)
from connector.legal.fourteen_day import fourteen_day_letter_terms
from connector.legal.interest import RateTable, RateUnknown, statutory_interest
from connector.render.pdf import Document, Party, Table, day, money, render_pdf
from connector.report.story import kind_label, step_label

#: days after which a notice of default's payment term ends
NOTICE_TERM_DAYS = 8
AGEING = ((None, 0), (1, 30), (31, 60), (61, 90), (91, None))

_T: dict[str, dict[str, str]] = {
    "nl": {
        "statement": "Rekeningoverzicht",
        "open": "Openstaande facturen",
        "paid_since": "Betaald sinds {since}",
        "paid_all": "Betalingen",
        "invoice": "Factuur",
        "issued": "Factuurdatum",
        "due": "Vervaldatum",
        "amount": "Bedrag",
        "balance": "Openstaand",
        "days": "Dagen",
        "date": "Datum",
        "total": "Totaal",
        "total_open": "Totaal openstaand",
        "overdue": "Waarvan vervallen",
        "ageing": "Ouderdom",
        "not_due": "Nog niet vervallen",
        "days_range": "{a}–{b} dagen",
        "days_over": "meer dan {a} dagen",
        "no_open": "Er staan geen facturen open.",
        "no_paid": "Geen betalingen in deze periode.",
        "notice": "Ingebrekestelling",
        "fourteen": "Laatste herinnering vóór incassokosten",
        "dear": "Geachte {name},",
        "regards": "Met vriendelijke groet,",
        "principal": "Hoofdsom",
        "interest": "Wettelijke rente tot en met {day}",
        "interest_commercial": "wettelijke handelsrente (art. 6:119a BW)",
        "interest_consumer": "wettelijke rente (art. 6:119 BW)",
        "costs": "Buitengerechtelijke incassokosten",
        "costs_after": "Incassokosten na de termijn",
        "eu40": "Vaste vergoeding invorderingskosten (€ 40 per factuur)",
        "claim": "Totale vordering",
        "unknown_rate": "niet berekend (rente nog niet bekend)",
        "dossier": "Incassodossier",
        "customer": "Klant",
        "profile": "Profiel",
        "email": "E-mail",
        "reminders": "Verstuurde herinneringen en acties",
        "step": "Stap",
        "status": "Status",
        "pauses": "Afspraken, geschillen en notities",
        "none": "Geen.",
        "amounts": "Bedragen",
        "kind": "Soort",
        "by": "Door",
        "until": "Tot",
        "reason": "Reden",
        "ref": "Kenmerk: {ref}",
        "payment": "Betaling",
        "pay_amount": "Te betalen",
        "pay_iban": "Rekening (IBAN)",
        "pay_holder": "Ten name van",
        "pay_bic": "BIC",
        "pay_reference": "Betalingskenmerk",
    },
    "en": {
        "statement": "Statement of account",
        "open": "Open invoices",
        "paid_since": "Paid since {since}",
        "paid_all": "Payments",
        "invoice": "Invoice",
        "issued": "Invoice date",
        "due": "Due date",
        "amount": "Amount",
        "balance": "Outstanding",
        "days": "Days",
        "date": "Date",
        "total": "Total",
        "total_open": "Total outstanding",
        "overdue": "Of which overdue",
        "ageing": "Ageing",
        "not_due": "Not yet due",
        "days_range": "{a}–{b} days",
        "days_over": "over {a} days",
        "no_open": "No invoices are open.",
        "no_paid": "No payments in this period.",
        "notice": "Notice of default",
        "fourteen": "Final reminder before collection costs",
        "dear": "Dear {name},",
        "regards": "Kind regards,",
        "principal": "Principal",
        "interest": "Statutory interest up to and including {day}",
        "interest_commercial": "commercial statutory interest (art. 6:119a Dutch Civil Code)",
        "interest_consumer": "statutory interest (art. 6:119 Dutch Civil Code)",
        "costs": "Extrajudicial collection costs",
        "costs_after": "Collection costs after the term",
        "eu40": "Fixed compensation for recovery costs (€40 per invoice)",
        "claim": "Total claim",
        "unknown_rate": "not calculated (rate not yet known)",
        "dossier": "Collection dossier",
        "customer": "Customer",
        "profile": "Profile",
        "email": "E-mail",
        "reminders": "Reminders and actions sent",
        "step": "Step",
        "status": "Status",
        "pauses": "Promises, disputes and notes",
        "none": "None.",
        "amounts": "Amounts",
        "kind": "Kind",
        "by": "By",
        "until": "Until",
        "reason": "Reason",
        "ref": "Reference: {ref}",
        "payment": "Payment",
        "pay_amount": "Amount due",
        "pay_iban": "Account (IBAN)",
        "pay_holder": "In the name of",
        "pay_bic": "BIC",
        "pay_reference": "Payment reference",
    },
}


#: what the dossier calls profiles and outbox states (never the internal names)
_PROFILES = {
    "nl": {"business": "zakelijk", "consumer": "consument", "government": "overheid"},
    "en": {"business": "business", "consumer": "consumer", "government": "government"},
}
_STATUS = {
    "nl": {
        "sent": "verstuurd",
        "pending": "gepland",
        "sending": "bezig",
        "review": "na te gaan",
        "approval": "wacht op akkoord",
    },
    "en": {
        "sent": "sent",
        "pending": "planned",
        "sending": "in progress",
        "review": "to check",
        "approval": "awaiting approval",
    },
}


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


def payment_rows(
    settings: DocumentSettings, amount: Money, numbers: Sequence[str]
) -> list[tuple[str, str]]:
    """The amount, the account and the invoice numbers as payment reference, as label/value
    rows for every document a customer receives."""
    t = _t(settings.language)
    rows = [(t["pay_amount"], money(amount, settings.language))]
    if settings.iban:
        rows.append((t["pay_iban"], settings.iban))
        rows.append((t["pay_holder"], settings.account_holder or settings.sender.name))
        if settings.bic:
            rows.append((t["pay_bic"], settings.bic))
    rows.append((t["pay_reference"], ", ".join(numbers)))
    return rows


def _pay(doc: Document, settings: DocumentSettings, amount: Money, numbers: Sequence[str]) -> None:
    if not amount.is_positive():
        return
    doc.h(_t(settings.language)["payment"])
    doc.kv(payment_rows(settings, amount, numbers))


def _t(language: str) -> dict[str, str]:
    return _T.get(language, _T["nl"])


def _recipient(customer: Customer, address: str | None) -> Party:
    lines: list[str] = []
    if customer.company_name and customer.company_name != customer.name:
        lines.append(customer.company_name)
    if address:
        lines += [p.strip() for p in address.replace("\n", ",").split(",") if p.strip()]
    elif customer.email:
        lines.append(customer.email)
    return Party(customer.name, tuple(lines))


def _head(settings: DocumentSettings, today: date) -> str:
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
    t = _t(language)
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


def _invoice_table(
    invoices: Sequence[Invoice],
    today: date,
    language: str,
    interest: dict[str, Money | None] | None = None,
) -> Table:
    t = _t(language)
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


# -- statement --------------------------------------------------------------------------------
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
    t = _t(lang)
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
        recipient=_recipient(customer, address),
        place_date=_head(settings, today),
        dated=today,
        language=lang,
        reference=t["ref"].format(ref=customer.name),
    )
    doc.h(t["open"])
    if open_:
        doc.table(_invoice_table(open_, today, lang))
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
    _pay(doc, settings, total([i.balance for i in open_], currency), [i.number for i in ordered])
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


# -- letters ----------------------------------------------------------------------------------
def letter_document(
    settings: DocumentSettings,
    kind: ActionKind,
    customer: Customer,
    invoices: Sequence[Invoice],
    today: date,
    *,
    profile: CustomerProfile | None = None,
    address: str | None = None,
    late_fee: Money | None = None,
) -> Document:
    """A notice of default or fourteen-day letter for (registered) post, dated `today`."""
    if kind not in (ActionKind.NOTICE_OF_DEFAULT, ActionKind.FOURTEEN_DAY_LETTER):
        raise ValueError(f"no letter for {kind}")
    lang = settings.language
    t = _t(lang)
    profile = profile or customer.profile
    open_ = [i for i in invoices if i.balance.is_positive()]
    if not open_:
        raise ValueError("a letter needs at least one open invoice")
    fig = figures(open_, profile, today, settings.costs_vat_rate, settings.rates)
    title = t["notice"] if kind is ActionKind.NOTICE_OF_DEFAULT else t["fourteen"]
    doc = Document(
        title=title,
        sender=settings.sender,
        recipient=_recipient(customer, address),
        place_date=_head(settings, today),
        dated=today,
        language=lang,
        reference=t["ref"].format(ref=", ".join(i.number for i in open_)),
    )
    doc.p(t["dear"].format(name=customer.name))
    interest = {i.ref: interest_on(i, today, fig.interest_kind, settings.rates) for i in open_}
    costs_text = money(fig.costs.total, lang) if fig.costs else None
    vat = ""
    if fig.costs is not None and fig.costs.vat_rate is not None:
        vat = " (inclusief btw)" if lang == "nl" else " (including VAT)"
    calendar = settings.calendar or BusinessCalendar("NL")
    if kind is ActionKind.FOURTEEN_DAY_LETTER:
        terms = fourteen_day_letter_terms(today, calendar, by="post")
        if lang == "nl":
            doc.p(
                "Ondanks eerdere herinneringen hebben wij de betaling van onderstaande "
                "facturen nog niet van u ontvangen."
            )
            doc.table(_invoice_table(open_, today, lang))
            doc.p(
                f"Wij verzoeken u het openstaande bedrag van {money(fig.principal, lang)} te "
                "betalen binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd. "
                f"Bij verzending per post op {day(today, lang)} is dat uiterlijk op "
                f"{day(terms.deadline, lang)}."
            )
            if costs_text:
                doc.p(
                    "Betaalt u niet binnen die termijn, dan bent u naast het openstaande "
                    f"bedrag buitengerechtelijke incassokosten verschuldigd van {costs_text}"
                    f"{vat}, berekend volgens het Besluit vergoeding voor buitengerechtelijke "
                    "incassokosten. Betaalt u binnen de termijn, dan zijn deze kosten niet "
                    "verschuldigd."
                )
        else:
            doc.p("Despite earlier reminders we have not received payment of the invoices below.")
            doc.table(_invoice_table(open_, today, lang))
            doc.p(
                f"Please pay the amount outstanding of {money(fig.principal, lang)} within "
                "fourteen days counted from the day after this letter is delivered to you. "
                f"Sent by post on {day(today, lang)}, that is no later than "
                f"{day(terms.deadline, lang)}."
            )
            if costs_text:
                doc.p(
                    "If you do not pay within that term, you will owe extrajudicial collection "
                    f"costs of {costs_text}{vat} in addition to the amount outstanding, "
                    "calculated under the Dutch Decree on extrajudicial collection costs. If "
                    "you pay within the term, these costs are not owed."
                )
        doc.kv(
            _amounts(
                fig, today, lang, costs_label=t["costs_after"], with_eu=False, late_fee=late_fee
            )
        )
    else:
        deadline = calendar.next_business_day(today + timedelta(days=NOTICE_TERM_DAYS))
        law = t["interest_" + fig.interest_kind]
        if lang == "nl":
            doc.p("Ondanks herhaalde herinneringen staan de volgende facturen nog open:")
            doc.table(_invoice_table(open_, today, lang, interest))
            doc.p(
                "Hierbij stellen wij u in gebreke. Wij sommeren u het openstaande bedrag van "
                f"{money(fig.principal, lang)}, vermeerderd met de {law}, uiterlijk op "
                f"{day(deadline, lang)} te voldoen."
            )
            if costs_text:
                doc.p(
                    "Betaalt u niet binnen deze termijn, dan dragen wij de vordering zonder "
                    "nadere aankondiging over voor incasso en bent u daarnaast "
                    f"buitengerechtelijke incassokosten verschuldigd van {costs_text}{vat}."
                )
        else:
            doc.p("Despite repeated reminders the following invoices remain unpaid:")
            doc.table(_invoice_table(open_, today, lang, interest))
            doc.p(
                "We hereby give you notice of default and demand payment of the amount "
                f"outstanding of {money(fig.principal, lang)}, plus {law}, no later than "
                f"{day(deadline, lang)}."
            )
            if costs_text:
                doc.p(
                    "If payment is not received within this term, we will hand the claim over "
                    "for collection without further notice, and you will also owe "
                    f"extrajudicial collection costs of {costs_text}{vat}."
                )
        doc.kv(
            _amounts(
                fig, today, lang, costs_label=t["costs_after"], with_eu=False, late_fee=late_fee
            )
        )
    ordered = sorted(open_, key=lambda i: (i.due_date, i.number))
    # the notice demands the principal with the interest to date; the fourteen-day letter the
    # amount outstanding (costs only follow after its term)
    due_now = fig.principal
    if kind is ActionKind.NOTICE_OF_DEFAULT and fig.interest is not None:
        due_now = fig.principal + fig.interest
    _pay(doc, settings, due_now, [i.number for i in ordered])
    doc.p(t["regards"] + "\n\n" + settings.sender.name)
    return doc


def _amounts(
    fig: Figures,
    today: date,
    lang: str,
    *,
    costs_label: str,
    with_eu: bool,
    late_fee: Money | None = None,
) -> list[tuple[str, str]]:
    t = _t(lang)
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


# -- dossier ----------------------------------------------------------------------------------
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
    t = _t(lang)
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
        recipient=_recipient(customer, address),
        place_date=_head(settings, today),
        dated=today,
        language=lang,
        reference=t["ref"].format(ref=", ".join(i.number for i in open_) or customer.name),
    )
    doc.kv(
        [
            (t["customer"], customer.name),
            (t["profile"], _PROFILES[lang if lang in _PROFILES else "nl"][profile.value]),
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
        doc.table(_invoice_table(open_, today, lang, interest))
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
                        _STATUS[lang if lang in _STATUS else "nl"].get(e.status, e.status),
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
        doc.kv(_amounts(fig, today, lang, costs_label=t["costs"], with_eu=False))
        ordered = sorted(open_, key=lambda i: (i.due_date, i.number))
        _pay(doc, settings, fig.total, [i.number for i in ordered])

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


def letter_pdf(
    settings: DocumentSettings,
    kind: ActionKind,
    customer: Customer,
    invoices: Sequence[Invoice],
    today: date,
    **kwargs: object,
) -> bytes:
    return render_pdf(letter_document(settings, kind, customer, invoices, today, **kwargs))  # type: ignore[arg-type]


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


# -- attachments for platforms that take them (dispatcher hook) -----------------------------
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
