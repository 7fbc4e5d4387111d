"""The numbers of a client report, computed from the store only.

* Ageing: open balances by days past due on the report date (local to the client): not due,
  1-30, 31-60, 61-90, over 90.
* DSO (days sales outstanding), the count-back-free standard formula: open receivables divided
  by the invoiced amount of the period, times the period's days.
* Collected after each step: what each invoice was paid is credited to the last dunning step
  sent for it before its last payment ("no reminder" when none was), which is what a credit
  controller asks of a ladder: which step makes people pay.
* Actions performed in the period by kind, collections per week, and the customers handed off.

All money is `Money`; amounts of another currency than the client's main one are kept apart
(`other_currencies`) rather than added up.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from connector.config.loader import Installation
from connector.config.policy_builtin import get_policy
from connector.domain import InvoiceStatus, Money, Snapshot
from connector.domain.actions import NOTICE_STEP_PREFIX, REPLY_STEP_PREFIX
from connector.domain.clock import local_date
from connector.store import ledger_repo, outbox
from connector.store.db import session_scope
from connector.store.models import OutboxAction

BUCKETS = ("not due", "1-30", "31-60", "61-90", ">90")
#: (at most this many days overdue, bucket), in order; older than the last is the last bucket.
#: The one definition of the buckets: `bucket_of` and the database's sums (`headline`) use it.
BUCKET_LIMITS: tuple[tuple[int, str], ...] = (
    (0, "not due"),
    (30, "1-30"),
    (60, "31-60"),
    (90, "61-90"),
)
BEFORE_ANY = "no reminder"


def bucket_of(days_overdue: int) -> str:
    for days, bucket in BUCKET_LIMITS:
        if days_overdue <= days:
            return bucket
    return BUCKETS[-1]


def dso_of(open_total: Money, invoiced: Money, period_days: int) -> Decimal | None:
    """Days sales outstanding: open receivables / invoiced in the period * the period's days."""
    if not invoiced.is_positive():
        return None
    return (open_total.amount / invoiced.amount * period_days).quantize(Decimal("0.1"))


@dataclass
class Report:
    client: str
    display_name: str
    currency: str
    as_of: date
    period_start: date
    ageing: dict[str, Money]
    ageing_counts: dict[str, int]
    open_total: Money
    invoiced_in_period: Money
    dso_days: Decimal | None
    collected_after_step: dict[str, Money]
    collections_by_week: list[tuple[date, Money]]
    actions_in_period: dict[str, int]
    handed_off: list[tuple[str, str, Money]]  # (ref, name, open balance)
    other_currencies: dict[str, Money] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def m(v: Money) -> str:
            return str(v.amount)

        return {
            "client": self.client,
            "display_name": self.display_name,
            "currency": self.currency,
            "as_of": self.as_of.isoformat(),
            "period_start": self.period_start.isoformat(),
            "ageing": {k: m(v) for k, v in self.ageing.items()},
            "ageing_counts": dict(self.ageing_counts),
            "open_total": m(self.open_total),
            "invoiced_in_period": m(self.invoiced_in_period),
            "dso_days": None if self.dso_days is None else str(self.dso_days),
            "collected_after_step": {k: m(v) for k, v in self.collected_after_step.items()},
            "collections_by_week": [(d.isoformat(), m(v)) for d, v in self.collections_by_week],
            "actions_in_period": dict(self.actions_in_period),
            "handed_off": [
                {"customer_ref": r, "name": n, "open": m(b)} for r, n, b in self.handed_off
            ],
            "other_currencies": {k: m(v) for k, v in self.other_currencies.items()},
        }


def client_report(
    app: Installation,
    slug: str,
    now: datetime,
    period_days: int = 90,
    *,
    snapshot: Snapshot | None = None,
) -> Report:
    """The report of a configured client (needs no token: it reads the store only);
    `snapshot`: the client's whole stored ledger when the caller has read it already."""
    client = app.config.clients[slug]
    return build_report(
        app,
        slug,
        client.display_name,
        client.timezone or app.config.connector.timezone,
        _step_ids(app, slug),
        now,
        period_days,
        snapshot=snapshot,
    )


def _step_ids(app: Installation, slug: str) -> list[str]:
    """The client's ladder steps in order (its own policies too); the built-in default's when
    its policy cannot be resolved (the report reads the store and must still show)."""
    from connector.config import ConfigError
    from connector.config.policy_select import resolve_client_policies
    from connector.policy.model import PolicyError

    client = app.config.clients[slug]
    try:
        ids: list[str] = []
        for policy in resolve_client_policies(slug, client, app.config.dir).all():
            ids += [s.id for s in policy.steps if s.id not in ids]
        return ids
    except (ConfigError, PolicyError):
        return [s.id for s in get_policy("nl-b2b-standard").steps]


def build_report(
    app: Installation,
    slug: str,
    display_name: str,
    timezone: str,
    step_ids: list[str],
    now: datetime,
    period_days: int = 90,
    *,
    snapshot: Snapshot | None = None,
) -> Report:
    today = local_date(now, timezone)
    start = today - timedelta(days=period_days)
    with session_scope(app.engine) as session:
        snap = ledger_repo.load_snapshot(session, slug) if snapshot is None else snapshot
        handed = ledger_repo.handed_off_customers(session, slug)
        sent_rows = session.exec(
            select(OutboxAction)
            .where(OutboxAction.tenant == slug, OutboxAction.status == "sent")
            .order_by(col(OutboxAction.done_at))
        ).all()
        sent = [(row, outbox.items_of(session, row.id or 0)) for row in sent_rows]
    currencies = Counter(inv.total.currency for inv in snap.invoices.values())
    currency = currencies.most_common(1)[0][0] if currencies else "EUR"
    zero = Money.zero(currency)

    ageing = dict.fromkeys(BUCKETS, zero)
    counts = dict.fromkeys(BUCKETS, 0)
    other: dict[str, Money] = {}
    open_by_customer: dict[str, Money] = defaultdict(lambda: zero)
    invoiced = zero
    for inv in snap.invoices.values():
        if inv.status in (InvoiceStatus.VOID, InvoiceStatus.DELETED, InvoiceStatus.DRAFT):
            continue
        if inv.balance.currency != currency:
            if inv.status is InvoiceStatus.OPEN and inv.balance.is_positive():
                other[inv.balance.currency] = (
                    other.get(inv.balance.currency, Money.zero(inv.balance.currency)) + inv.balance
                )
            continue
        if start < inv.issue_date <= today:
            invoiced = invoiced + inv.total
        if inv.status is InvoiceStatus.OPEN and inv.balance.is_positive():
            b = bucket_of((today - inv.due_date).days)
            ageing[b] = ageing[b] + inv.balance
            counts[b] += 1
            open_by_customer[inv.customer_ref] = open_by_customer[inv.customer_ref] + inv.balance
    open_total = sum((ageing[b] for b in BUCKETS), zero)
    dso = dso_of(open_total, invoiced, period_days)

    # the steps sent per invoice, in order, with their local day
    steps: dict[str, list[tuple[date, str]]] = defaultdict(list)
    actions: Counter[str] = Counter()
    for row, items in sent:
        if row.done_at is None:
            continue
        done = local_date(row.done_at, timezone)
        if start < done <= today:
            actions[row.kind] += 1
        for item in items:
            if item.step.startswith((REPLY_STEP_PREFIX, NOTICE_STEP_PREFIX)):
                # answering a customer's reply, or telling the business what a customer did on
                # their page, is not a step money is credited to
                continue
            steps[item.invoice_ref].append((done, item.step))
    order = list(step_ids)
    collected: dict[str, Money] = {BEFORE_ANY: zero, **{s: zero for s in order}}
    weekly: dict[date, Money] = {}
    week0 = start - timedelta(days=start.weekday())
    week = week0
    while week <= today:
        weekly[week] = zero
        week += timedelta(days=7)
    for pay in snap.payments:
        if pay.amount.currency != currency or not (start < pay.date <= today):
            continue
        monday = pay.date - timedelta(days=pay.date.weekday())
        weekly[monday] = weekly.get(monday, zero) + pay.amount
    # Per step: what each invoice has been paid, credited to the last step sent for it before
    # its last payment (platforms do not all say which payment paid which invoice).
    for inv in snap.invoices.values():
        paid_on = inv.last_payment_date
        if (
            inv.total.currency != currency
            or paid_on is None
            or not (start < paid_on <= today)
            or inv.status in (InvoiceStatus.VOID, InvoiceStatus.DELETED)
        ):
            continue
        paid = inv.total - inv.balance
        if not paid.is_positive():
            continue
        before = [(d, s) for d, s in steps.get(inv.ref, []) if d <= paid_on]
        key = max(before)[1] if before else BEFORE_ANY
        collected[key] = collected.get(key, zero) + paid
    handed_off = sorted(
        (
            ref,
            snap.customers[ref].name if ref in snap.customers else ref,
            open_by_customer.get(ref, zero),
        )
        for ref in handed
    )
    return Report(
        client=slug,
        display_name=display_name,
        currency=currency,
        as_of=today,
        period_start=start,
        ageing=ageing,
        ageing_counts=counts,
        open_total=open_total,
        invoiced_in_period=invoiced,
        dso_days=dso,
        collected_after_step=collected,
        collections_by_week=sorted(weekly.items()),
        actions_in_period=dict(sorted(actions.items())),
        handed_off=handed_off,
        other_currencies=other,
    )


@dataclass(frozen=True)
class Headline:
    """The report's ageing, open total, invoiced amount and DSO, without the rest (what the
    console's client page shows), summed by the database: equal to the same fields of
    `build_report` on the same ledger (tests/integration/report/test_headline_in_sql.py)."""

    currency: str
    as_of: date
    period_start: date
    ageing: dict[str, Money]
    ageing_counts: dict[str, int]
    open_total: Money
    invoiced_in_period: Money
    dso_days: Decimal | None
    other_currencies: dict[str, Money]


def headline(app: Installation, slug: str, now: datetime, period_days: int = 90) -> Headline:
    """The headline figures of a configured client's report as of `now` (its local day), read
    with a few SQL sums instead of loading its ledger (a client of 50,000 invoices: ms, not s)."""
    client = app.config.clients[slug]
    today = local_date(now, client.timezone or app.config.connector.timezone)
    return headline_on(app.engine, slug, today, period_days)


def headline_on(engine: Engine, slug: str, today: date, period_days: int = 90) -> Headline:
    """`headline` for the client's calendar day `today` (what a run keeps in its summary)."""
    from connector.store import ledger_figures as figures

    start = today - timedelta(days=period_days)
    with session_scope(engine) as session:
        currency = figures.main_currency(session, slug) or "EUR"
        sums = figures.ageing(session, slug, currency, today, BUCKET_LIMITS, BUCKETS[-1])
        invoiced_minor = figures.invoiced_between(session, slug, currency, start, today)
        other_minor = figures.open_in_other_currencies(session, slug, currency)
    return _headline(
        currency,
        today,
        start,
        {b: sums[b] for b in BUCKETS},
        invoiced_minor,
        other_minor,
        period_days,
    )


def _headline(
    currency: str,
    today: date,
    start: date,
    sums: dict[str, tuple[int, int]],
    invoiced_minor: int,
    other_minor: dict[str, int],
    period_days: int,
) -> Headline:
    ageing = {b: Money.from_minor(sums[b][0], currency) for b in BUCKETS}
    open_total = sum((ageing[b] for b in BUCKETS), Money.zero(currency))
    invoiced = Money.from_minor(invoiced_minor, currency)
    return Headline(
        currency=currency,
        as_of=today,
        period_start=start,
        ageing=ageing,
        ageing_counts={b: sums[b][1] for b in BUCKETS},
        open_total=open_total,
        invoiced_in_period=invoiced,
        dso_days=dso_of(open_total, invoiced, period_days),
        other_currencies={cur: Money.from_minor(m, cur) for cur, m in other_minor.items()},
    )


def headline_record(figures: Headline) -> dict[str, Any]:
    """`figures` as the JSON a client's summary keeps (minor units, ISO dates): what its run
    summed, so the client page reads one row instead of summing 50,000 invoices per request."""
    return {
        "currency": figures.currency,
        "as_of": figures.as_of.isoformat(),
        "period_days": (figures.as_of - figures.period_start).days,
        "ageing": {b: [figures.ageing[b].minor, figures.ageing_counts[b]] for b in BUCKETS},
        "invoiced": figures.invoiced_in_period.minor,
        "other": {cur: m.minor for cur, m in figures.other_currencies.items()},
    }


def headline_from_record(record: dict[str, Any]) -> Headline:
    """The `Headline` `headline_record` kept; the same figures, DSO computed again from them."""
    today = date.fromisoformat(str(record["as_of"]))
    period_days = int(record["period_days"])
    return _headline(
        str(record["currency"]),
        today,
        today - timedelta(days=period_days),
        {b: (int(record["ageing"][b][0]), int(record["ageing"][b][1])) for b in BUCKETS},
        int(record["invoiced"]),
        {str(cur): int(m) for cur, m in record["other"].items()},
        period_days,
    )
