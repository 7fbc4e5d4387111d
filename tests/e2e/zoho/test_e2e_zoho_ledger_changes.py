"""Ledger changes the connector must notice, and bad answers it must survive."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from e2e_support import MakeScenario, empty_two_tenants

from connector.domain import InvoiceStatus
from connector.store import cursors, ledger_repo
from connector.store.db import session_scope
from sandboxes.kit.faults import Fault
from sandboxes.kit.router import Response
from sandboxes.world import local_moment
from sandboxes.zoho.control import zoho_fault
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 1, 5)


def stored_status(world: ZohoWorld, ref: str) -> InvoiceStatus:
    with session_scope(world.app.engine) as session:
        return ledger_repo.load_snapshot(session, "demo").invoices[ref].status


def test_a_voided_invoice_is_seen_by_the_next_sync_and_never_reminded(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(MONDAY)
    c = s.customer("Vervallen BV")
    inv = s.invoice(c, "100.00", MONDAY - timedelta(days=3))
    s.days(MONDAY, 1)
    s.state.void_invoice(s.org, inv.invoice_id)
    s.days(MONDAY + timedelta(days=1), 20)
    assert stored_status(s.world, inv.invoice_id) is InvoiceStatus.VOID
    assert s.mails_to(c) == []


def test_a_deleted_invoice_is_found_by_the_full_reconciliation(make_scenario: MakeScenario) -> None:
    s = make_scenario(MONDAY)
    c = s.customer("Verwijderd BV")
    inv = s.invoice(c, "100.00", MONDAY - timedelta(days=3))
    s.days(MONDAY, 1)
    s.state.delete_invoice(s.org, inv.invoice_id)  # deletions do not show in incremental lists
    s.days(MONDAY + timedelta(days=1), 10)
    assert stored_status(s.world, inv.invoice_id) is InvoiceStatus.DELETED
    assert s.mails_to(c) == []


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(zoho_fault("malformed", r"/books/v3/invoices$").response, id="truncated-json"),
        pytest.param(
            Response.json(
                {
                    "code": 0,
                    "message": "success",
                    "invoices": [
                        {
                            "invoice_id": "1",
                            "invoice_number": "X-1",
                            "customer_id": "2",
                            "status": "overdue",
                            "total": "lots",
                            "balance": 10,
                        }
                    ],
                    "page_context": {"has_more_page": False},
                }
            ),
            id="wrong-shape",
        ),
    ],
)
def test_a_malformed_answer_fails_that_tenants_run_and_leaves_its_store_and_others_alone(
    tmp_path: Path,
    answer: Response,
) -> None:
    world = empty_two_tenants(tmp_path)
    try:
        org_a, org_b = world.organization("a"), world.organization("b")
        for org in (org_a, org_b):
            c = world.state.add_contact(org, "Klant BV", email="klant@example.nl")
            world.state.add_invoice(
                org,
                c.contact_id,
                "100.00",
                MONDAY - timedelta(days=40),
                MONDAY - timedelta(days=10),
            )
        first_a = world.run("a", at=local_moment(MONDAY, 9))
        assert first_a.ok, first_a.error
        with session_scope(world.app.engine) as session:
            before = (ledger_repo.load_snapshot(session, "a"), cursors.all_cursors(session, "a"))
        world.clock.set(local_moment(MONDAY + timedelta(days=1), 9))
        world.router.faults.add(Fault("GET", r"/books/v3/invoices$", answer, times=1))
        failed = world.run("a")
        assert not failed.ok and failed.error and "malformed" in failed.error, failed.error
        assert len(world.router.faults.fired) == 1, "the bad answer was not the one that failed"
        other = world.run("b")
        assert other.ok, other.error
        with session_scope(world.app.engine) as session:
            after = (ledger_repo.load_snapshot(session, "a"), cursors.all_cursors(session, "a"))
        assert after[0].invoices == before[0].invoices, "a malformed page changed the store"
        assert after[1]["invoices"] == before[1]["invoices"], "the cursor moved past bad data"
    finally:
        world.close()
