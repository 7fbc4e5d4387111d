"""Render one dunning message from a template.

A template is one file per message kind and language (`templates/<lang>/<name>.j2`) with four
blocks: `subject`, `html`, `text` and `note` (the comment written back to the ledger). Templates
run in Jinja2's immutable sandbox with `StrictUndefined`, so a template that names an unknown
variable fails at `dunning doctor` (see `Renderer.check`) rather than at send time. A client may
override any template by placing a file of the same name in its own template directory.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    meta,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from connector.domain import Action, Customer, CustomerProfile, Invoice, Money
from connector.domain.actions import PAYMENT_PLAN_OFFER, PROMISE_BROKEN
from connector.domain.ledger import safe_https_url
from connector.domain.money import format_money, total
from connector.domain.ports import RenderedMessage
from connector.legal.collection_costs import SCALE_CURRENCY, collection_costs

BLOCKS = ("subject", "html", "text", "note")
LOCALES = {"nl": "nl_NL", "en": "en_GB"}

#: Names every template may use; `check` reports anything else as unknown. Blocks are rendered
#: one by one, so the shared macros come in as the variable `m` rather than by `{% import %}`.
CONTEXT_NAMES = frozenset(
    {
        "customer",
        "invoices",
        "total_due",
        "sender",
        "company",
        "today",
        "with_statement",
        "kind",
        "language",
        "m",
        "late_fee",
        "collection_costs",
        # the customer is a consumer: statutory interest (6:119 BW), never "handelsrente"
        "consumer",
        # a "customer replied" task: {"sender": address, "subject": subject} (else None)
        "reply",
        # a "customer disputes an invoice" task: {"reason": the customer's words} (else None)
        "dispute",
        # this mail offers a payment plan (policy `payment_plan_offer`), and the customer's own
        # page to ask for one (None: no page configured; the mail asks to reply or call)
        "plan_offer",
        "customer_page_url",
        # one link paying the message's open amount (a payment provider's, e.g. Mollie), or None
        "pay_url",
        # the mail follows a promise to pay that was not kept: the day promised (else None)
        "promise_broken",
        # a notice to the business (connector.notices): {"promised_day": date or None,
        # "console_url": the customer in the console or None} (else None)
        "notice",
    }
)

#: `Action.extra` keys of a "customer replied" task: the reply's sender and subject (cleaned)
REPLY_FROM = "reply_from"
REPLY_SUBJECT = "reply_subject"
#: `Action.extra` key of a "customer disputes an invoice" task: the reason they gave
DISPUTE_REASON = "dispute_reason"
#: `Action.extra` keys of a notice to the business: the day promised, the customer's console
#: page (connector.notices)
NOTICE_PROMISED_DAY = "notice_promised_day"
NOTICE_CONSOLE_URL = "notice_console_url"

#: kinds whose letter states the collection costs that follow (BIK scale, connector.legal)
COSTS_STATED = frozenset({"fourteen_day_letter", "notice_of_default"})


class TemplateProblem(ValueError):
    """A template that cannot render: names the template, the language and what is wrong."""


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    number: str
    issue_date: date
    due_date: date
    total: Money
    balance: Money
    days_overdue: int
    #: the platform's https link to pay this invoice online (`Invoice.pay_link`); None: none
    pay_url: str | None = None


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What a template sees. Built from one tenant's data only (never mixes clients)."""

    customer: Customer
    invoices: Sequence[InvoiceLine]
    total_due: Money
    sender: dict[str, str | None]
    company: str
    today: date
    with_statement: bool = False
    kind: str = ""
    language: str = "nl"
    extra: dict[str, Any] = field(default_factory=dict)
    #: the step's late fee (policy `late_fee`), stated in the letter; None: no fee
    late_fee: Money | None = None
    #: the mail offers a payment plan (policy `payment_plan_offer`)
    plan_offer: bool = False
    #: the customer's own page (pay, promise, ask for a payment plan); None: none configured
    customer_page_url: str | None = None
    #: a payment provider's https link paying the open amount of the invoices without a link
    #: of their own (`connector.payments`); None: none
    pay_url: str | None = None
    #: the day the customer had promised to pay by, when this mail follows that promise
    #: broken (`connector.policy.planner`); None otherwise
    promise_broken: date | None = None

    @classmethod
    def for_action(
        cls,
        action: Action,
        customer: Customer,
        invoices: dict[str, Invoice],
        *,
        sender: dict[str, str | None],
        company: str,
        today: date,
        language: str,
        customer_page_url: str | None = None,
        pay_url: str | None = None,
    ) -> MessageContext:
        lines = []
        for item in sorted(action.items, key=lambda i: invoices[i.invoice_ref].due_date):
            inv = invoices[item.invoice_ref]
            lines.append(
                InvoiceLine(
                    number=inv.number,
                    issue_date=inv.issue_date,
                    due_date=inv.due_date,
                    total=inv.total,
                    balance=item.balance,
                    days_overdue=max(0, (today - inv.due_date).days),
                    # never a link to pay another customer's invoice
                    pay_url=inv.pay_link if inv.customer_ref == action.customer_ref else None,
                )
            )
        currency = action.items[0].balance.currency
        late_fee = None
        if action.extra.get("late_fee"):
            late_fee = Money.of(
                action.extra["late_fee"], action.extra.get("late_fee_currency", currency)
            )
        extra: dict[str, Any] = {}
        if REPLY_FROM in action.extra:
            extra["reply"] = {
                "sender": action.extra[REPLY_FROM],
                "subject": action.extra.get(REPLY_SUBJECT, ""),
            }
        if DISPUTE_REASON in action.extra:
            extra["dispute"] = {"reason": action.extra[DISPUTE_REASON]}
        if action.is_business_notice:
            extra["notice"] = {
                "promised_day": _iso_day(action.extra.get(NOTICE_PROMISED_DAY)),
                "console_url": action.extra.get(NOTICE_CONSOLE_URL),
            }
        return cls(
            extra=extra,
            customer=customer,
            invoices=lines,
            total_due=total([i.balance for i in action.items], currency),
            sender=sender,
            company=company,
            today=today,
            with_statement=action.with_statement,
            kind=action.kind.value,
            language=language,
            late_fee=late_fee,
            plan_offer=action.extra.get(PAYMENT_PLAN_OFFER) == "yes",
            customer_page_url=customer_page_url,
            pay_url=safe_https_url(pay_url),
            promise_broken=_iso_day(action.extra.get(PROMISE_BROKEN)),
        )


def _overrides(template_dir: Path | None) -> tuple[tuple[str, int], ...]:
    """The client's override files with their modification times: part of the environment's
    cache key, so a template added to (or removed from) the folder while `serve` runs is seen
    at the client's next tenant, as before the cache (Jinja2 itself notices an edited file)."""
    if template_dir is None or not template_dir.is_dir():
        return ()
    found: list[tuple[str, int]] = []
    for path in template_dir.rglob("*"):
        if path.is_file():
            found.append((str(path.relative_to(template_dir)), path.stat().st_mtime_ns))
    return tuple(sorted(found))


@functools.lru_cache(maxsize=256)
def _environment(
    template_dir: str | None, _fingerprint: tuple[tuple[str, int], ...]
) -> ImmutableSandboxedEnvironment:
    """One compiled environment per client template folder (and its files), shared by every
    `Renderer` of that client: a tenant is opened per run, per console page and per preview,
    and compiling the templates anew each time cost a console page of recent actions about 40
    template compilations (issue #13's client page at 50,000 invoices)."""
    loaders: list[Any] = []
    if template_dir is not None:
        loaders.append(FileSystemLoader(template_dir))
    loaders.append(PackageLoader("connector.render", "templates"))
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        # Escape everything; the plain-text blocks are unescaped after rendering, so customer
        # names like "Smit & Zn <BV>" are safe in HTML and verbatim in text.
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money_filter
    env.filters["date"] = _date_filter
    return env


class Renderer:
    """Renders messages for one client (`template_dir` holds the client's overrides)."""

    def __init__(
        self, template_dir: Path | None = None, *, costs_vat_rate: Decimal | None = None
    ) -> None:
        #: VAT percentage added to collection costs (only when the creditor cannot reclaim it)
        self.costs_vat_rate = costs_vat_rate
        self.env = _environment(
            None if template_dir is None else str(template_dir), _overrides(template_dir)
        )

    def render(self, template: str, ctx: MessageContext, to: Sequence[str]) -> RenderedMessage:
        name = f"{ctx.language}/{template}.j2"
        try:
            tmpl = self.env.get_template(name)
        except TemplateNotFound as exc:
            raise TemplateProblem(f"template {name!r} does not exist") from exc
        variables: dict[str, Any] = {
            "customer": ctx.customer,
            "invoices": ctx.invoices,
            "total_due": ctx.total_due,
            "sender": ctx.sender,
            "company": ctx.company,
            "today": ctx.today,
            "with_statement": ctx.with_statement,
            "kind": ctx.kind,
            "language": ctx.language,
            "late_fee": ctx.late_fee,
            "collection_costs": self.collection_costs(ctx),
            "consumer": ctx.customer.profile is CustomerProfile.CONSUMER,
            "reply": ctx.extra.get("reply"),
            "dispute": ctx.extra.get("dispute"),
            "notice": ctx.extra.get("notice"),
            "plan_offer": ctx.plan_offer,
            "customer_page_url": ctx.customer_page_url,
            "pay_url": ctx.pay_url,
            "promise_broken": ctx.promise_broken,
            # the language's shared macros (invoice table, signature), as `m`
            "m": self.env.get_template(f"{ctx.language}/_macros.j2").make_module(),
        }
        parts: dict[str, str] = {}
        try:
            tctx = tmpl.new_context(variables)
            for block in BLOCKS:
                if block not in tmpl.blocks:
                    raise TemplateProblem(f"template {name!r} has no block {block!r}")
                parts[block] = "".join(tmpl.blocks[block](tctx)).strip()
        except TemplateError as exc:
            raise TemplateProblem(f"template {name!r}: {exc}") from exc
        html = parts["html"]
        if "<html" not in html:
            html = f'<html><body style="font-family:Arial,sans-serif">{html}</body></html>'
        return RenderedMessage(
            subject=" ".join(unescape(parts["subject"]).split()),
            html=html,
            text=unescape(parts["text"]) + "\n",
            to=tuple(to),
            note=unescape(parts["note"]),
        )

    def collection_costs(self, ctx: MessageContext) -> Money | None:
        """The collection costs a letter of this kind states (BIK scale on the summed
        principals, VAT if configured); None for other kinds or non-euro amounts."""
        if ctx.kind not in COSTS_STATED or ctx.total_due.currency != SCALE_CURRENCY:
            return None
        if not ctx.total_due.is_positive():
            return None
        return collection_costs(ctx.total_due, vat_rate=self.costs_vat_rate).total

    def check(self, template: str, language: str) -> list[str]:
        """Problems with a template (missing, syntax, blocks, unknown variables), for `doctor`."""
        name = f"{language}/{template}.j2"
        try:
            source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        except TemplateNotFound:
            return [f"{name}: template does not exist"]
        try:
            parsed = self.env.parse(source)
        except TemplateError as exc:
            return [f"{name}: {exc}"]
        problems = []
        unknown = meta.find_undeclared_variables(parsed) - CONTEXT_NAMES
        problems += [f"{name}: unknown variable {v!r}" for v in sorted(unknown)]
        tmpl = self.env.get_template(name)
        problems += [f"{name}: missing block {b!r}" for b in BLOCKS if b not in tmpl.blocks]
        return problems


def _iso_day(value: str | None) -> date | None:
    """A day stored as text in an action's extra (None: absent or not a day)."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _money_filter(value: Money, language: str = "nl") -> str:
    return format_money(value, language)


def _date_filter(value: date, language: str = "nl") -> str:
    return str(format_date(value, "long", locale=LOCALES.get(language, "nl_NL")))
