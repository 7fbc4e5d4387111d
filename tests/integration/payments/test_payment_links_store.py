"""One client's Mollie links in the store (issue #14), with Mollie mocked by `responses`: a link
made once per invoices-and-balances and reused, a new one when a balance changes, a run that
died before storing Mollie's answer asking again with the same key, and a webhook confirming
only what Mollie says, only for the client it was sent for (tenants never mix)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import responses
from sqlalchemy import Engine

from connector.domain import Invoice, InvoiceStatus, Money
from connector.domain.clock import ManualClock
from connector.payments.links import LinkSettings, PaymentLinks
from connector.payments.mollie import MollieClient
from connector.store import ledger_repo, pauses, payment_links
from connector.store.db import session_scope

API = "https://api.mollie.com"
NOW = datetime(2026, 3, 9, 8, tzinfo=UTC)


def invoice(ref: str, balance: str, customer: str = "C1") -> Invoice:
    return Invoice(
        ref,
        f"INV-{ref}",
        customer,
        InvoiceStatus.OPEN,
        date(2026, 1, 2),
        date(2026, 2, 1),
        Money.of("500", "EUR"),
        Money.of(balance, "EUR"),
    )


def answer(n: int, value: str, paid: bool = False) -> dict[str, Any]:
    return {
        "resource": "payment-link",
        "id": f"pl_link{n}",
        "amount": {"currency": "EUR", "value": value},
        "paidAt": "2026-03-09T10:00:00+00:00" if paid else None,
        "_links": {"paymentLink": {"href": f"https://payment-links.mollie.com/payment/link{n}"}},
    }


def links(engine: Engine, tenant: str) -> PaymentLinks:
    clock = ManualClock(NOW)
    return PaymentLinks(
        engine,
        MollieClient(f"test_{tenant}key", clock),
        LinkSettings(tenant=tenant, company="Acme B.V.", timezone="Europe/Amsterdam"),
        clock,
    )


@responses.activate
def test_a_link_is_reused_while_no_balance_changes_and_renewed_when_one_does(
    engine: Engine,
) -> None:
    responses.post(f"{API}/v2/payment-links", json=answer(1, "800.00"), status=201)
    responses.post(f"{API}/v2/payment-links", json=answer(2, "500.00"), status=201)
    acme = links(engine, "acme")

    first = acme.link_for("C1", [invoice("1", "300"), invoice("2", "500")])
    again = acme.link_for("C1", [invoice("2", "500"), invoice("1", "300")])
    after_payment = acme.link_for("C1", [invoice("2", "500")])

    assert first == again == "https://payment-links.mollie.com/payment/link1"
    assert after_payment.endswith("/link2")
    sent = [json.loads(c.request.body or b"") for c in responses.calls]
    assert [s["amount"]["value"] for s in sent] == ["800.00", "500.00"]
    assert sent[0]["description"] == "Acme B.V.: INV-1, INV-2"


@responses.activate
def test_a_run_that_died_before_storing_mollies_answer_asks_again_with_the_same_key(
    engine: Engine,
) -> None:
    acme = links(engine, "acme")
    balances = {"1": Money.of("300", "EUR")}
    with session_scope(engine) as session:  # the row a dead run left behind
        print_ = payment_links.fingerprint("acme", "C1", balances)
        left = payment_links.begin(session, "acme", "C1", "mollie", print_, balances, NOW)
    responses.post(f"{API}/v2/payment-links", json=answer(1, "300.00"), status=201)

    acme.link_for("C1", [invoice("1", "300")])

    assert responses.calls[0].request.headers["Idempotency-Key"] == left.idempotency_key
    with session_scope(engine) as session:
        [row] = payment_links.links_of(session, "acme")
    assert row.status == "open" and row.link_id == "pl_link1"


@responses.activate
def test_a_webhook_confirms_only_what_mollie_says_and_only_for_its_own_client(
    engine: Engine,
) -> None:
    responses.post(f"{API}/v2/payment-links", json=answer(1, "300.00"), status=201)
    responses.post(f"{API}/v2/payment-links", json=answer(2, "70.00"), status=201)
    acme, beta = links(engine, "acme"), links(engine, "beta")
    with session_scope(engine) as session:
        ledger_repo.upsert_invoices(session, "acme", [invoice("1", "300")], NOW)
    acme.link_for("C1", [invoice("1", "300")])
    beta.link_for("B1", [invoice("9", "70", customer="B1")])

    responses.get(f"{API}/v2/payment-links/pl_link1", json=answer(1, "300.00"))
    assert acme.confirm("tr_notyetpaid") == []  # Mollie: not paid
    assert beta.confirm("pl_link1") == []  # acme's link, posted to beta's path: not looked at
    assert [c.request.url for c in responses.calls[2:]] == [f"{API}/v2/payment-links/pl_link1"]

    responses.replace(
        responses.GET, f"{API}/v2/payment-links/pl_link1", json=answer(1, "300.00", paid=True)
    )
    [confirmed] = acme.confirm("tr_paid")
    assert confirmed.invoice_refs == ("1",) and confirmed.amount == Money.of("300", "EUR")
    assert acme.confirm("pl_link1") == []  # Mollie calls again: recorded once

    with session_scope(engine) as session:
        [held] = pauses.live(session, "acme")
        assert pauses.live(session, "beta") == ()
    assert held.invoice_ref == "1" and held.until == date(2026, 3, 16)
    assert held.kind.value == "payment_pending"
    assert held.reason.startswith("INV-1: "), "names the invoice by its number"
