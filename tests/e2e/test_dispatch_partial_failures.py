"""Exactly-once under partial failure (issue #15): a mail the relay accepted for any recipient
is sent (once), the refused ones are named; a ledger field with two addresses is two single
addresses; mixed currencies are separate mails; any failure before the platform call leaves a
definite `failed` with its reason, never a row in `sending`."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from connector.alerts import conditions
from connector.dispatch import Dispatcher
from connector.domain import Action, ActionItem, ActionKind, Money
from connector.store import audit
from connector.store.db import session_scope
from sandboxes.exact.generate import DemoInfo as ExactDemoInfo
from sandboxes.exact.generate import seed_demo
from sandboxes.exact.state import ExactState
from sandboxes.exact.world import ExactWorld
from sandboxes.kit.faults import Fault
from sandboxes.kit.router import Response
from sandboxes.world import local_moment
from sandboxes.zoho.generate import DemoInfo as ZohoDemoInfo
from sandboxes.zoho.generate import seed_demo as seed_zoho
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 3, 2)


def exact_world(root: Path) -> ExactWorld:
    def empty(state: ExactState, seed: int) -> ExactDemoInfo:
        return seed_demo(state, seed=seed, accounts=0)

    return ExactWorld.open(root, start=local_moment(MONDAY, 8), populate=empty)


def zoho_world(root: Path) -> ZohoWorld:
    def empty(state: ZohoState, org: str, seed: int) -> ZohoDemoInfo:
        return seed_zoho(state, seed=seed, customers=0, invoices=0, organization_id=org)

    return ZohoWorld.open(root, start=local_moment(MONDAY, 8), populate=empty)


def run_days(world: ExactWorld | ZohoWorld, first: date, count: int) -> None:
    for n in range(count):
        day = first + timedelta(days=n)
        world.clock.set(local_moment(day, 8))
        result = world.run("demo", at=local_moment(day, 9))
        assert result.ok, f"run on {day} failed: {result.error}"
        world.clock.set(local_moment(day, 12))


def test_a_reminder_the_relay_accepted_for_one_of_two_addresses_goes_out_once(
    tmp_path: Path,
) -> None:
    world = exact_world(tmp_path)
    try:
        division = world.division()
        account = world.state.add_account(
            division, "Twee Adressen BV", email="good@cust.example, bad@cust.example"
        )
        world.state.add_receivable(
            division, account.id, Decimal("100.00"), MONDAY - timedelta(days=40), MONDAY
        )
        world.smtp.refuse = {"bad@cust.example"}
        run_days(world, MONDAY + timedelta(days=7), 6)  # the reminder and five more mornings

        mails = world.smtp.to("good@cust.example")
        assert len(mails) == 1, "the customer got the same reminder again"
        assert mails[0].to == ("good@cust.example",)
        [action] = world.actions()
        assert action["status"] == "sent"
        assert "bad@cust.example" in action["detail"]
        with session_scope(world.app.engine) as session:
            [event] = audit.events_since(
                session, "demo", audit.MAIL_REFUSED, local_moment(MONDAY, 0)
            )
            assert "Twee Adressen BV" in event.message and "bad@cust.example" in event.message
        found = [c for c in conditions(world.app, world.clock.now()) if c.kind == "refused"]
        assert found and "bad@cust.example" in found[0].message
    finally:
        world.close()


def test_a_customer_with_a_broken_address_beside_a_good_one_is_mailed_at_the_good_one(
    tmp_path: Path,
) -> None:
    world = exact_world(tmp_path)
    try:
        division = world.division()
        account = world.state.add_account(
            division, "Typo BV", email="boekhouding@typo.example; boekhouding@typo"
        )
        world.state.add_receivable(
            division, account.id, Decimal("80.00"), MONDAY - timedelta(days=40), MONDAY
        )
        run_days(world, MONDAY + timedelta(days=7), 2)
        [mail] = world.smtp.mails
        assert mail.to == ("boekhouding@typo.example",)
        from connector.status import status_lines

        lines = status_lines(world.app, world.clock.now())
        assert any("Typo BV" in line and "'boekhouding@typo'" in line for line in lines)
    finally:
        world.close()


def test_eur_and_usd_invoices_due_the_same_day_are_two_mails_and_the_run_completes(
    tmp_path: Path,
) -> None:
    world = zoho_world(tmp_path)
    try:
        org = world.organization()
        contact = world.state.add_contact(
            org,
            "Global Trading Ltd",
            email="ap@global.example",
            created=world.clock.now() - timedelta(days=200),
        )
        for total, currency in (("100.00", "EUR"), ("250.00", "USD")):
            invoice = world.state.add_invoice(
                org,
                contact.contact_id,
                Decimal(total),
                MONDAY - timedelta(days=30),
                MONDAY,
                created=world.clock.now() - timedelta(days=30),
            )
            invoice.currency_code = currency
        run_days(world, MONDAY + timedelta(days=7), 3)
        statuses = sorted(a["status"] for a in world.actions())
        assert statuses == ["sent", "sent"]
        assert len(world.state.mails(None, contact.contact_id)) == 2
    finally:
        world.close()


def test_a_failing_recheck_before_sending_marks_the_action_failed_not_sending(
    tmp_path: Path,
) -> None:
    world = exact_world(tmp_path)
    try:
        division = world.division()
        account = world.state.add_account(division, "Recheck BV", email="ap@recheck.example")
        world.state.add_receivable(
            division, account.id, Decimal("100.00"), MONDAY - timedelta(days=40), MONDAY
        )
        boom = Response.json({"error": {"code": "", "message": {"lang": "", "value": "Oops"}}}, 500)
        world.router.faults.add(Fault("GET", r"/cashflow/Receivables$", boom, times=20))
        day = MONDAY + timedelta(days=7)
        world.clock.set(local_moment(day, 8))
        world.run("demo", at=local_moment(day, 9))
        [action] = world.actions()
        assert action["status"] == "failed"
        assert action["detail"]
        assert world.smtp.mails == []
    finally:
        world.close()


def test_an_action_that_cannot_be_rendered_is_failed_with_the_reason_not_left_sending(
    tmp_path: Path,
) -> None:
    """An action of two currencies (as an older version planned them) makes rendering raise
    CurrencyMismatch: the row is `failed` with that reason and the run goes on."""
    world = zoho_world(tmp_path)
    try:
        org = world.organization()
        contact = world.state.add_contact(
            org, "Mixed BV", email="ap@mixed.example", created=world.clock.now()
        )
        refs = []
        for total, currency in (("100.00", "EUR"), ("250.00", "USD")):
            invoice = world.state.add_invoice(
                org,
                contact.contact_id,
                Decimal(total),
                MONDAY - timedelta(days=30),
                MONDAY,
                created=world.clock.now() - timedelta(days=30),
            )
            invoice.currency_code = currency
            refs.append((invoice.invoice_id, Money.of(total, currency)))
        day = MONDAY + timedelta(days=7)
        world.clock.set(local_moment(day, 8))
        tenant = world.app.tenant("demo", world.clock)
        from connector.sync import sync_tenant

        sync_tenant(tenant.engine, tenant.ledger, "demo", world.clock)
        action = Action(
            tenant="demo",
            customer_ref=contact.contact_id,
            kind=ActionKind.REMINDER,
            template="reminder",
            planned_for=day,
            items=tuple(ActionItem(ref, "reminder", money) for ref, money in refs),
        )
        dispatcher = Dispatcher(
            tenant.engine,
            tenant.ledger,
            tenant.renderer,
            tenant.dispatch_settings,
            world.clock,
            owner="test",
            run_id="r1",
        )
        stats = dispatcher.dispatch([action])
        assert stats.failed == 1
        [row] = world.actions()
        assert row["status"] == "failed"
        assert "CurrencyMismatch" in row["detail"]
        assert world.state.mails(None, contact.contact_id) == []
    finally:
        world.close()
