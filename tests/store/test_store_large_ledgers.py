"""Large ledgers in the store (issue #18): pages written with one cached statement, and the
planning snapshot loading only what the run needs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event

from connector.domain import Invoice, InvoiceStatus, Money
from connector.store import ledger_repo
from connector.store.db import session_scope

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _invoices(start: int, n: int) -> list[Invoice]:
    due = date(2026, 2, 1)
    return [
        Invoice(
            f"I{k}",
            f"INV-{k}",
            f"C{k % 7}",
            InvoiceStatus.OPEN,
            due - timedelta(days=30),
            due,
            Money.of("100.00", "EUR"),
            Money.of("100.00", "EUR"),
        )
        for k in range(start, start + n)
    ]


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, bool]]]:
    seen: list[tuple[str, bool]] = []

    def listen(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            seen.append((statement, many))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_every_page_of_a_sync_is_one_executemany_of_the_same_cached_upsert(
    engine: Engine,
) -> None:
    with _statements(engine) as seen:
        for page in range(3):  # two pages of new invoices, then the first page again (updates)
            with session_scope(engine) as session:
                ledger_repo.upsert_invoices(session, "acme", _invoices((page % 2) * 200, 200), NOW)
    assert len(seen) == 3, "one statement per page, not one per row or per chunk"
    assert all(many for _s, many in seen), "the rows go as executemany of bound parameters"
    assert len({s for s, _m in seen}) == 1, "the same statement text for every page"
    assert "VALUES (" in seen[0][0] and seen[0][0].count("VALUES (") == 1
    with session_scope(engine) as session:
        assert ledger_repo.counts(session, "acme")["invoices"] == 400
