"""The real `ExactLedger` against the Exact sandbox over loopback: sync, recheck, write-backs."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from exact_world import DIVISION, ExactWorld

from connector.domain import Action, ActionItem, ActionKind, InvoiceStatus, Money
from connector.domain.ports import Outcome, RenderedMessage
from sandboxes.exact.state import Account


def _customer(
    world: ExactWorld, name: str = "Bakkerij Jansen B.V.", email: str = "adm@jansen.nl"
) -> Account:
    return world.state.add_account(DIVISION, name, email=email)


def _action(account: str, refs: list[str], kind: ActionKind = ActionKind.REMINDER) -> Action:
    return Action(
        tenant="acme",
        customer_ref=account,
        kind=kind,
        template=kind.value,
        planned_for=date(2026, 1, 5),
        items=tuple(ActionItem(r, "reminder-1", Money(Decimal("100"), "EUR")) for r in refs),
    )


def _rendered(
    to: str = "adm@jansen.nl", attachments: tuple[tuple[str, bytes, str], ...] = ()
) -> RenderedMessage:
    return RenderedMessage(
        subject="Herinnering",
        html="<p>Betaal</p>",
        text="Betaal",
        to=(to,),
        attachments=attachments,
        note="Herinnering 1 verstuurd",
    )


def test_a_first_sync_reads_receivables_with_amounts_dates_and_a_timestamp_cursor(
    world: ExactWorld,
) -> None:
    acc = _customer(world)
    term = world.state.add_receivable(
        DIVISION, acc.id, "1210.50", date(2025, 12, 1), date(2025, 12, 31), invoice_number=2025001
    )
    pages = list(world.ledger().iter_invoices(None))
    invoices = [i for p in pages for i in p.items]
    assert [i.ref for i in invoices] == [term.id]
    [inv] = invoices
    assert inv.number == "2025001"
    assert inv.customer_ref == acc.id
    assert inv.total == Money(Decimal("1210.50"), "EUR")
    assert inv.balance == Money(Decimal("1210.50"), "EUR")
    assert inv.due_date == date(2025, 12, 31)
    assert inv.status is InvoiceStatus.OPEN
    assert inv.updated_at is not None and inv.updated_at.tzinfo is not None
    cursor = json.loads(pages[-1].cursor or "{}")
    assert cursor[str(DIVISION)]["terms"] == term.timestamp


def test_an_incremental_sync_returns_only_what_changed_and_sees_payments_and_deletions(
    world: ExactWorld,
) -> None:
    acc = _customer(world)
    paid = world.state.add_receivable(DIVISION, acc.id, "100", date(2025, 12, 1))
    gone = world.state.add_receivable(DIVISION, acc.id, "50", date(2025, 12, 1))
    world.state.add_receivable(DIVISION, acc.id, "70", date(2025, 12, 1))
    ledger = world.ledger()
    cursor = list(ledger.iter_invoices(None))[-1].cursor
    world.state.record_payment(DIVISION, paid.id, "100", date(2026, 1, 5))
    world.state.delete_receivable(DIVISION, gone.id)
    changed = {i.ref: i for p in ledger.iter_invoices(cursor) for i in p.items}
    assert set(changed) == {paid.id, gone.id}
    assert changed[paid.id].status is InvoiceStatus.PAID
    assert changed[paid.id].last_payment_date == date(2026, 1, 5)
    assert changed[gone.id].status is InvoiceStatus.DELETED


def test_payables_are_not_read_as_invoices(world: ExactWorld) -> None:
    acc = _customer(world)
    term = world.state.add_receivable(DIVISION, acc.id, "100", date(2025, 12, 1))
    term.line_type = 22
    assert [i for p in world.ledger().iter_invoices(None) for i in p.items] == []


def test_customers_come_with_their_email_or_their_main_contacts(world: ExactWorld) -> None:
    own = _customer(world, "Met Mail B.V.", "info@metmail.nl")
    bare = _customer(world, "Zonder Mail B.V.", "")
    world.state.add_contact(DIVISION, bare.id, "Piet", "Bos", email="piet@zondermail.nl")
    customers = {c.ref: c for p in world.ledger().iter_customers(None) for c in p.items}
    assert customers[own.id].email == "info@metmail.nl"
    assert customers[bare.id].email == "piet@zondermail.nl"
    assert world.ledger().get_customer(bare.id).email == "piet@zondermail.nl"


def test_recheck_is_one_call_and_sees_a_payment_made_this_morning(world: ExactWorld) -> None:
    acc = _customer(world)
    term = world.state.add_receivable(DIVISION, acc.id, "100", date(2025, 12, 1))
    ledger = world.ledger()
    ledger.check()
    world.state.record_payment(DIVISION, term.id, "100", date(2026, 1, 5))
    before = sum(world.state.stats.calls.values())
    [inv] = ledger.recheck_customer(acc.id, None)
    assert sum(world.state.stats.calls.values()) - before == 1
    assert inv.status is InvoiceStatus.PAID


def test_twenty_five_customers_are_rechecked_with_two_receivables_reads(world: ExactWorld) -> None:
    """The dispatcher re-checks the customers of its next actions together: their receivables in
    one call per 20 accounts, then each open account's open-items list (no multi-account
    filter there). A payment this morning still shows."""
    accounts = [_customer(world, f"Klant {n} B.V.", f"k{n}@klant.nl") for n in range(25)]
    terms = [world.state.add_receivable(DIVISION, a.id, "100", date(2025, 12, 1)) for a in accounts]
    ledger = world.ledger()
    ledger.check()
    world.state.record_payment(DIVISION, terms[3].id, "100", date(2026, 1, 5))
    world.state.record_payment(DIVISION, terms[21].id, "40", date(2026, 1, 5))
    calls = world.state.stats.calls
    reads, lists = (
        calls["GET cashflow/Receivables"],
        calls["GET read/financial/ReceivablesListByAccount"],
    )
    found = ledger.recheck_customers([a.id for a in accounts], None)
    assert calls["GET cashflow/Receivables"] - reads == 2
    assert (
        calls["GET read/financial/ReceivablesListByAccount"] - lists == 24
    )  # all but the paid one
    assert [i.status for i in found[accounts[3].id]] == [InvoiceStatus.PAID]
    assert [i.balance for i in found[accounts[21].id]] == [Money(Decimal("60"), "EUR")]
    assert all(len(found[a.id]) == 1 for a in accounts)
    assert found[accounts[0].id] == ledger.recheck_customer(accounts[0].id, None)


def test_get_invoices_reads_in_batches_and_reports_unknown_ones_as_deleted(
    world: ExactWorld,
) -> None:
    acc = _customer(world)
    terms = [
        world.state.add_receivable(DIVISION, acc.id, "10", date(2025, 12, 1)) for _ in range(25)
    ]
    ledger = world.ledger()
    ledger.check()
    missing = "00000000-0000-4000-8000-000000000001"
    before = world.state.stats.calls["GET cashflow/Receivables"]
    found = ledger.get_invoices([t.id for t in terms] + [missing])
    assert world.state.stats.calls["GET cashflow/Receivables"] - before == 2
    assert found[missing] is None
    assert all(found[t.id] is not None for t in terms)


def test_a_reminder_is_mailed_and_recorded_as_a_note_with_the_pdf_as_document(
    world: ExactWorld,
) -> None:
    acc = _customer(world)
    term = world.state.add_receivable(DIVISION, acc.id, "100", date(2025, 12, 1))
    ledger = world.ledger()
    action = _action(acc.id, [term.id])
    pdf = b"%PDF-1.4 statement"
    result = ledger.perform(
        action, _rendered(attachments=(("overzicht.pdf", pdf, "application/pdf"),))
    )
    assert result.outcome is Outcome.SENT, result.detail
    [mail] = world.mailer.sent
    assert mail["To"] == "adm@jansen.nl"
    written = world.state.written(DIVISION)
    [note] = written["notes"]
    assert note["Account"] == acc.id
    assert f"[dunning:{action.idempotency_key}]" in note["Notes"]
    [doc] = written["documents"]
    [attachment] = doc["Attachments"]
    assert attachment["FileName"] == "overzicht.pdf"
    assert world.state.attachment_bytes(DIVISION, attachment["ID"]) == pdf
    assert ledger.reconcile(action, {}) is Outcome.SENT


def test_a_call_step_becomes_a_call_task(world: ExactWorld) -> None:
    acc = _customer(world)
    term = world.state.add_receivable(DIVISION, acc.id, "100", date(2025, 12, 1))
    action = _action(acc.id, [term.id], ActionKind.CALL_TASK)
    ledger = world.ledger()
    assert ledger.reconcile(action, {}) is Outcome.NOT_SENT
    assert ledger.perform(action, None).outcome is Outcome.SENT
    [task] = world.state.written(DIVISION)["tasks"]
    assert task["TaskType"] == 1
    assert world.mailer.sent == []
    assert ledger.reconcile(action, {}) is Outcome.SENT


def test_with_the_debtor_management_addon_reminders_are_left_to_exact(world: ExactWorld) -> None:
    acc = _customer(world)
    term = world.state.add_receivable(DIVISION, acc.id, "100", date(2025, 12, 1))
    ledger = world.ledger(debtor_management_addon=True)
    assert ActionKind.REMINDER not in ledger.capabilities.kinds
    result = ledger.perform(_action(acc.id, [term.id]), _rendered())
    assert result.outcome is Outcome.NOT_SENT
    assert world.mailer.sent == []
    thanks = ledger.perform(_action(acc.id, [term.id], ActionKind.THANK_YOU), _rendered())
    assert thanks.outcome is Outcome.SENT


def test_a_mail_sent_without_its_note_is_left_for_review_never_resent(world: ExactWorld) -> None:
    acc = _customer(world)
    term = world.state.add_receivable(DIVISION, acc.id, "100", date(2025, 12, 1))
    assert world.ledger().reconcile(_action(acc.id, [term.id]), {}) is Outcome.UNKNOWN


def test_the_access_token_is_refreshed_only_when_it_is_about_to_expire(world: ExactWorld) -> None:
    ledger = world.ledger()
    ledger.check()  # the stored token was issued 570 s ago: refreshed now
    assert world.state.stats.token_calls == 1
    world.clock.advance(timedelta(seconds=500))
    ledger.check()
    assert world.state.stats.token_calls == 1, "refreshed before the 570-second rule allows"
    world.clock.advance(timedelta(seconds=80))
    ledger.check()
    assert world.state.stats.token_calls == 2
    assert world.state.stats.token_errors == {}


def test_a_partial_payment_shows_as_the_open_part_at_sync_and_again_right_before_sending(
    world: ExactWorld,
) -> None:
    acc = _customer(world)
    term = world.state.add_receivable(
        DIVISION, acc.id, "1000.00", date(2025, 12, 1), date(2025, 12, 31), invoice_number=2025009
    )
    world.state.record_payment(DIVISION, term.id, Decimal("400.00"), date(2026, 1, 2))
    ledger = world.ledger()
    [synced] = [i for p in ledger.iter_invoices(None) for i in p.items]
    assert synced.status is InvoiceStatus.OPEN
    assert synced.balance == Money(Decimal("600.00"), "EUR")
    assert synced.total == Money(Decimal("1000.00"), "EUR")
    # another 250 arrives after the sync: the re-read before sending states 350
    world.state.record_payment(DIVISION, term.id, Decimal("250.00"), date(2026, 1, 4))
    calls = dict(world.state.stats.calls)
    [fresh] = ledger.recheck_customer(acc.id, None)
    assert fresh.balance == Money(Decimal("350.00"), "EUR")
    by_account = "GET read/financial/ReceivablesListByAccount"
    assert world.state.stats.calls[by_account] == calls.get(by_account, 0) + 1
    # paid in full: the receivable says so, whatever is listed
    world.state.record_payment(DIVISION, term.id, Decimal("350.00"), date(2026, 1, 5))
    [done] = ledger.recheck_customer(acc.id, None)
    assert done.status is InvoiceStatus.PAID and not done.balance.is_positive()
