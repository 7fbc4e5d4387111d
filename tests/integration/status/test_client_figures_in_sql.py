"""The client page's figures summed by the database are the report's and the customer
overview's: on a generated ledger (partial payments, credit notes, three currencies, void, draft
and deleted invoices, due dates on every bucket boundary, paused customers), on SQLite and
PostgreSQL, `headline` equals the same fields of `client_report` (Python over the whole ledger)
and `customer_page` equals `customer_overview`, whole or a page of it, with or without a search."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from console_store import NOW, console_app
from sqlalchemy import Engine

from connector.app import App
from connector.customers import customer_overview, customer_page
from connector.domain import Customer, Invoice, InvoiceStatus, Money
from connector.domain.pauses import PauseKind
from connector.report.ageing import client_report, headline
from connector.store import ledger_repo
from connector.store import pauses as pause_repo
from connector.store.db import session_scope

TODAY = date(2026, 3, 2)
#: days overdue on and around every bucket boundary, and far either side
OVERDUE = [-40, -1, 0, 1, 29, 30, 31, 59, 60, 61, 89, 90, 91, 200]
NAMES = ["alpha", "Alpha", "Émile Bakker", "bakkerij Bos", "Zeeman", "Ølstad", "Drukkerij"]


def _ledger(seed: int) -> tuple[list[Customer], list[Invoice]]:
    rnd = random.Random(seed)
    customers = [
        Customer(
            f"C{k}",
            f"{NAMES[k % len(NAMES)]} {k // len(NAMES) or ''}".strip(),
            f"c{k}@example.test",
            number=str(1000 + k),
        )
        for k in range(40)
    ]
    invoices = []
    for i in range(400):
        currency = rnd.choice(["EUR"] * 6 + ["USD", "GBP"])
        total = rnd.randint(1, 500_000)
        status = rnd.choice([InvoiceStatus.OPEN] * 5 + list(InvoiceStatus))
        balance = {
            InvoiceStatus.OPEN: rnd.choice([total, total, rnd.randint(1, total), 0]),
            InvoiceStatus.PAID: 0,
        }.get(status, total)
        if rnd.random() < 0.08:  # a credit note: negative, open until settled
            total, balance = -total, -total
        due = TODAY - timedelta(days=rnd.choice(OVERDUE) if i % 3 else rnd.randint(-60, 150))
        invoices.append(
            Invoice(
                f"I{i}",
                f"F{i:05d}",
                # the first ten customers have no invoices of their own beyond the fixture's
                f"C{rnd.randint(10, 39)}",
                status,
                due - timedelta(days=rnd.choice([0, 14, 30, 60])),
                due,
                Money.from_minor(total, currency),
                Money.from_minor(balance, currency),
                last_payment_date=(
                    due + timedelta(days=rnd.randint(-10, 40))
                    if status is InvoiceStatus.PAID or balance != total
                    else None
                ),
            )
        )
    return customers, invoices


@pytest.fixture(params=[1, 2])
def app(request: pytest.FixtureRequest, tmp_path: Path, engine: Engine) -> Iterator[App]:
    opened = console_app(tmp_path)
    opened.engine.dispose()
    application = dataclasses.replace(opened, engine=engine)  # SQLite or PostgreSQL
    customers, invoices = _ledger(request.param)
    with session_scope(engine) as session:
        ledger_repo.upsert_customers(session, "acme", customers, NOW)
        ledger_repo.upsert_invoices(session, "acme", invoices, NOW)
        for ref, kind, until in [
            ("C12", PauseKind.STOP, None),
            ("C13", PauseKind.PROMISE, TODAY + timedelta(days=7)),
            ("C14", PauseKind.DISPUTE, None),
        ]:
            pause_repo.add(
                session, "acme", ref, kind, reason="test", by="tester", now=NOW, until=until
            )
    yield application


def test_the_headline_figures_are_the_reports(app: App) -> None:
    report = client_report(app, "acme", NOW)
    figures = headline(app, "acme", NOW)
    assert figures.currency == report.currency == "EUR"
    assert (figures.as_of, figures.period_start) == (report.as_of, report.period_start)
    assert figures.ageing == report.ageing
    assert figures.ageing_counts == report.ageing_counts
    assert sum(figures.ageing_counts.values()) > 50
    assert figures.open_total == report.open_total
    assert figures.invoiced_in_period == report.invoiced_in_period
    assert figures.dso_days == report.dso_days is not None
    assert figures.other_currencies == report.other_currencies
    assert set(figures.other_currencies) == {"USD", "GBP"}


@pytest.mark.parametrize(("search", "limit"), [(None, None), (None, 9), ("ALPHA", None), ("10", 3)])
def test_the_customer_page_is_the_customer_overview(
    app: App, search: str | None, limit: int | None
) -> None:
    everyone = customer_overview(app, "acme", NOW)
    wanted = [
        ln
        for ln in everyone
        if not search
        or any(
            search.casefold() in (v or "").casefold()
            for v in (ln.customer.name, ln.customer.number, ln.customer.email)
        )
    ]
    lines, total = customer_page(app, "acme", NOW, search=search, limit=limit)
    assert total == len(wanted) > 0
    assert lines == wanted[:limit]
    assert any(ln.notes for ln in everyone)  # the pauses are told
    assert any(len(ln.open) > 1 for ln in everyone)  # some owe in two currencies
