"""Demo data, customers paying by habit, and the big ledger for benchmarks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import requests
from exact_sandbox_harness import Serve

from sandboxes.exact import (
    HABITS,
    ExactState,
    PaymentSimulator,
    SandboxClock,
    bulk_ledger,
    seed_demo,
)

NOW = datetime(2025, 3, 3, 8, tzinfo=UTC)


def _snapshot(seed: int) -> list[tuple[str, str, str, str, bool]]:
    state = ExactState(SandboxClock(NOW).now)
    info = seed_demo(state, seed=seed, divisions=2)
    out = []
    for division in info.divisions:
        dd = state.data(division)
        for t in dd.terms.values():
            acc = dd.accounts[t.account]
            out.append((t.id, acc.name, acc.habit or "", str(t.open_amount), t.is_fully_paid))
    return out


def test_the_demo_generator_is_deterministic_and_uses_every_habit() -> None:
    first = _snapshot(11)
    assert first == _snapshot(11)
    assert first != _snapshot(12)
    assert 200 <= len(first) <= 800
    assert {row[2] for row in first} == set(HABITS)
    assert Counter(row[4] for row in first)[True] > 0  # history: some already paid


def test_a_customer_who_waits_for_a_reminder_pays_a_few_days_after_the_first_mail() -> None:
    clock = SandboxClock(NOW)
    state = ExactState(clock.now)
    state.add_user_with_divisions("u", [(1, "BV")])
    account = state.add_account(
        1, "Wacht B.V.", email="a@wacht.example", habit="pays_after_first_reminder"
    )
    term = state.add_receivable(1, account.id, "100.00", date(2025, 1, 1), date(2025, 1, 31))
    simulator = PaymentSimulator(state, 1, seed=5)
    mails: dict[str, list[date]] = {}
    day = date(2025, 1, 31)
    while day < date(2025, 2, 20):
        assert simulator.simulate_day(day, lambda e: mails.get(e, [])) == []
        day += timedelta(days=1)
    mails["a@wacht.example"] = [date(2025, 2, 20)]
    paid_on = None
    for offset in range(10):
        today = date(2025, 2, 20) + timedelta(days=offset)
        if simulator.simulate_day(today, lambda e: mails.get(e, [])):
            paid_on = today
            break
    assert paid_on is not None and 1 <= (paid_on - date(2025, 2, 20)).days <= 4
    assert term.is_fully_paid and term.last_payment_date == paid_on


def test_a_partial_payer_pays_half_then_the_rest() -> None:
    state = ExactState(SandboxClock(NOW).now)
    state.add_user_with_divisions("u", [(1, "BV")])
    account = state.add_account(1, "Half B.V.", habit="partial_then_full")
    term = state.add_receivable(1, account.id, "100.00", date(2025, 1, 1), date(2025, 1, 31))
    simulator = PaymentSimulator(state, 1)
    for n in range(60):
        simulator.simulate_day(date(2025, 1, 31) + timedelta(days=n), lambda e: [])
    assert [amount for _, amount in term.payments] == [50, 50] and term.is_fully_paid


def test_a_bulk_ledger_of_50000_receivables_builds_and_syncs_what_changed(serve: Serve) -> None:
    # (its speed is measured by `make bench`, not asserted here: a loaded machine is no verdict)
    clock = SandboxClock(NOW)
    state = ExactState(clock.now)
    info = seed_demo(state, accounts=1)
    tokens = state.issue_tokens_for_tests(info.client_id)
    ledger = bulk_ledger(state, info.division, receivables=50_000, accounts=2_500)
    _, url = serve(state)
    headers = {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json"}
    cursor = state.data(info.division).timestamp
    touched = ledger.touch_share(0.01)
    assert len(touched) == 500
    r = requests.get(
        f"{url}/api/v1/{info.division}/sync/Cashflow/PaymentTerms",
        headers=headers,
        params={"$select": "ID,Timestamp", "$filter": f"Timestamp gt {cursor}L"},
        timeout=30,
    )
    assert {row["ID"] for row in r.json()["d"]["results"]} == set(touched)
