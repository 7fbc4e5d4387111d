"""Exact's limits against the sandbox: the minute, the day (with a reserve), the error budget."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from exact_world import DIVISION, ExactWorld, make_world
from sqlalchemy import Engine

from adapters.exact.errors import ExactApiError
from connector.domain.ports import ErrorKind, LedgerError
from connector.store import ledger_repo
from connector.store.crypto import Cipher
from connector.store.db import session_scope
from connector.sync import sync_tenant
from sandboxes.exact import Limits
from sandboxes.exact.state import RateVerdict
from sandboxes.kit.faults import Fault
from sandboxes.kit.router import Response


def _world(engine: Engine, cipher: Cipher, limits: Limits | None = None) -> ExactWorld:
    w = make_world(engine, cipher, limits=limits)
    w.connect()
    acc = w.state.add_account(DIVISION, "Groot B.V.", email="a@groot.nl")
    for n in range(200):
        w.state.add_receivable(DIVISION, acc.id, "10", date(2025, 12, 1) + timedelta(days=n % 9))
    return w


def test_the_request_rate_stays_under_the_minutely_limit_the_headers_give(
    sqlite_engine: Engine,
    cipher: Cipher,
) -> None:
    w = _world(sqlite_engine, cipher, Limits(minutely=7, sync_page_size=10))
    per_minute: Counter[int] = Counter()
    original = w.state.count_api_call

    def counting(client_id: str, division: int) -> RateVerdict:
        per_minute[int(w.clock.now().timestamp()) // 60] += 1
        return original(client_id, division)

    w.state.count_api_call = counting  # type: ignore[method-assign]
    try:
        invoices = [i for p in w.ledger().iter_invoices(None) for i in p.items]
    finally:
        w.server.stop()
    assert len(invoices) == 200
    assert w.state.stats.throttled == 0, "a 429 was drawn instead of waiting for the reset"
    assert max(per_minute.values()) <= 7, per_minute
    assert len(per_minute) >= 3, "the calls did not spread over several minutes"


def test_a_daily_limit_stop_resumes_next_run_from_the_cursor_without_losing_changes(
    sqlite_engine: Engine,
    cipher: Cipher,
) -> None:
    w = _world(sqlite_engine, cipher, Limits(daily=15, sync_page_size=10))
    try:
        ledger = w.ledger(reserve=3)
        with pytest.raises(LedgerError) as stop:
            sync_tenant(sqlite_engine, ledger, "acme", w.clock)
        assert stop.value.kind is ErrorKind.BUDGET_EXHAUSTED
        assert w.state.stats.throttled == 0, "the stop drew a 429 instead of keeping a reserve"
        with session_scope(sqlite_engine) as session:
            first = len(ledger_repo.load_snapshot(session, "acme").invoices)
        assert 0 < first < 200
        # a receivable changes while we wait for tomorrow
        term = next(iter(w.state.data(DIVISION).terms.values()))
        w.state.record_payment(DIVISION, term.id, "10", date(2026, 1, 5))
        w.clock.advance(timedelta(days=1))
        ledger = w.ledger(reserve=3)
        for _ in range(20):  # one run a day until the ledger is read
            try:
                sync_tenant(sqlite_engine, ledger, "acme", w.clock)
                break
            except LedgerError as exc:
                assert exc.kind is ErrorKind.BUDGET_EXHAUSTED
                w.clock.advance(timedelta(days=1))
        with session_scope(sqlite_engine) as session:
            snap = ledger_repo.load_snapshot(session, "acme")
        assert len(snap.invoices) == 200
        assert snap.invoices[term.id].status.value == "paid", "the change was lost"
    finally:
        w.server.stop()


def test_an_endpoint_that_keeps_failing_is_not_retried_into_exacts_error_budget(
    sqlite_engine: Engine,
    cipher: Cipher,
) -> None:
    w = _world(sqlite_engine, cipher)
    try:
        ledger = w.ledger()
        acc = next(iter(w.state.data(DIVISION).accounts))
        bad = Response.json(
            {
                "error": {
                    "code": "",
                    "message": {
                        "lang": "",
                        "value": "This $filter parameter is not supported for this resource",
                    },
                }
            },
            400,
        )
        w.app.faults.add(Fault("GET", r"/crm/Accounts$", bad, times=1000))
        kinds = []
        for _ in range(20):  # twenty customers to act on this hour
            try:
                ledger.get_customer(acc)
            except ExactApiError as exc:
                kinds.append(exc.kind)
        seen = sum(1 for f in w.app.faults.fired if f[2] == 400)
        assert seen <= 5, f"{seen} failing calls reached Exact"
        assert w.state.stats.blocked == 0
        assert kinds.count(ErrorKind.BUDGET_EXHAUSTED) == 20 - seen
    finally:
        w.server.stop()


def test_the_error_budget_is_remembered_by_the_next_run_in_another_process(
    sqlite_engine: Engine,
    cipher: Cipher,
) -> None:
    from adapters.exact import ratelimit

    w = _world(sqlite_engine, cipher)
    try:
        acc = next(iter(w.state.data(DIVISION).accounts))
        bad = Response.json(
            {
                "error": {
                    "code": "",
                    "message": {
                        "lang": "",
                        "value": "This $filter parameter is not supported for this resource",
                    },
                }
            },
            400,
        )
        w.app.faults.add(Fault("GET", r"/crm/Accounts$", bad, times=1000))

        def run() -> list[ErrorKind]:
            ratelimit._gates.clear()  # a new process: nothing remembered in memory
            ledger = w.ledger()
            kinds = []
            for _ in range(10):
                try:
                    ledger.get_customer(acc)
                except ExactApiError as exc:
                    kinds.append(exc.kind)
            return kinds

        def reached() -> int:
            return sum(1 for f in w.app.faults.fired if f[2] == 400)

        run()
        assert reached() == 5
        w.clock.advance(timedelta(minutes=20))  # an early run, inside Exact's hour
        assert run() == [ErrorKind.BUDGET_EXHAUSTED] * 10
        assert reached() == 5, "the next process spent more of Exact's error budget"
        w.clock.advance(timedelta(minutes=41))  # the first errors are an hour old
        run()
        assert reached() == 10
        assert w.state.stats.blocked == 0
    finally:
        w.server.stop()
