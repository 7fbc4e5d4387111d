"""Letters for (registered) post: the notice of default and the consumer fourteen-day letter.

The fourteen-day letter's wording is the Hoge Raad's and is checked by
`connector.legal.check_letter_wording` in the tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from connector.documents.common import (
    NOTICE_TERM_DAYS,
    DocumentSettings,
    amount_rows,
    figures,
    heading,
    interest_on,
    invoice_table,
    payment_block,
    recipient,
)
from connector.documents.translations import texts
from connector.domain import (
    ActionKind,
    Customer,
    CustomerProfile,
    Invoice,
    Money,
)
from connector.legal.calendar import BusinessCalendar
from connector.legal.fourteen_day import fourteen_day_letter_terms
from connector.render.pdf import Document, day, money, render_pdf


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
    t = texts(lang)
    profile = profile or customer.profile
    open_ = [i for i in invoices if i.balance.is_positive()]
    if not open_:
        raise ValueError("a letter needs at least one open invoice")
    fig = figures(open_, profile, today, settings.costs_vat_rate, settings.rates)
    title = t["notice"] if kind is ActionKind.NOTICE_OF_DEFAULT else t["fourteen"]
    doc = Document(
        title=title,
        sender=settings.sender,
        recipient=recipient(customer, address),
        place_date=heading(settings, today),
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
            doc.table(invoice_table(open_, today, lang))
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
            doc.table(invoice_table(open_, today, lang))
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
            amount_rows(
                fig, today, lang, costs_label=t["costs_after"], with_eu=False, late_fee=late_fee
            )
        )
    else:
        deadline = calendar.next_business_day(today + timedelta(days=NOTICE_TERM_DAYS))
        law = t["interest_" + fig.interest_kind]
        if lang == "nl":
            doc.p("Ondanks herhaalde herinneringen staan de volgende facturen nog open:")
            doc.table(invoice_table(open_, today, lang, interest))
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
            doc.table(invoice_table(open_, today, lang, interest))
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
            amount_rows(
                fig, today, lang, costs_label=t["costs_after"], with_eu=False, late_fee=late_fee
            )
        )
    ordered = sorted(open_, key=lambda i: (i.due_date, i.number))
    # the notice demands the principal with the interest to date; the fourteen-day letter the
    # amount outstanding (costs only follow after its term)
    due_now = fig.principal
    if kind is ActionKind.NOTICE_OF_DEFAULT and fig.interest is not None:
        due_now = fig.principal + fig.interest
    own = [i for i in ordered if i.customer_ref == customer.ref]
    payment_block(doc, settings, due_now, [i.number for i in ordered], own)
    doc.p(t["regards"] + "\n\n" + settings.sender.name)
    return doc


def letter_pdf(
    settings: DocumentSettings,
    kind: ActionKind,
    customer: Customer,
    invoices: Sequence[Invoice],
    today: date,
    **kwargs: object,
) -> bytes:
    return render_pdf(letter_document(settings, kind, customer, invoices, today, **kwargs))  # type: ignore[arg-type]
