"""A payment plan on the Zoho sandbox, day by day (issue #14): after the first reminder the
customer proposes three monthly instalments on their own page; the plan is above the client's
auto-approve amount, so it waits for the business, and the ladder waits with it. The business
approves; the customer pays the first instalment (the sandbox's payment route, as a bank
transfer booked in Zoho); the runs see it in the synced ledger and send nothing. The second
instalment is not paid: on its day and on the grace day nothing happens, and the day after,
the run ends the plan as missed and the ladder goes on from the step it had reached."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import requests
from e2e_support import Scenario, empty_ledger

from connector.customers.plans import decide, plans_of, propose
from connector.domain.plans import PlanStatus
from connector.store import audit
from connector.store.db import session_scope
from sandboxes.world import local_moment
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 1, 5)
DUE = MONDAY + timedelta(days=3)  # Thursday 8 January
PROPOSED = date(2026, 1, 16)  # the day after the first reminder
FIRST = date(2026, 1, 23)  # Friday; then Monday 23 February and Monday 23 March
LIMITS = "payment_plans: {min_instalment: '100', auto_approve_below: '1000'}\n"


def test_proposed_approved_first_instalment_paid_second_missed_and_the_ladder_resumes(
    tmp_path: Path,
) -> None:
    world = ZohoWorld.open(
        tmp_path / "world",
        start=local_moment(MONDAY, 8),
        populate=empty_ledger,
        client_overrides={"demo": LIMITS},
    )
    try:
        s = Scenario(world)
        customer = s.customer("Termijn BV")
        inv = s.invoice(customer, "1200.00", DUE, number="INV-2026-0070")
        s.days(MONDAY, (PROPOSED - MONDAY).days)  # up to the first reminder

        def steps() -> list[tuple[date, str]]:
            return [
                (a["planned_for"], step)
                for a in world.actions()
                if a["customer_ref"] == customer.contact_id
                for ref, step in a["items"]
                if ref == inv.invoice_id
            ]

        before = steps()
        assert before, "the first reminder went out before the plan"
        plan = propose(
            world.app,
            "demo",
            customer.contact_id,
            "Termijn BV",
            3,
            FIRST,
            None,
            local_moment(PROPOSED, 10),
        )
        assert plan.status is PlanStatus.PROPOSED  # 1200 is not below 1000
        assert [str(i.amount.amount) for i in plan.instalments] == ["400.00"] * 3
        s.days(PROPOSED, 6)  # waiting for the business: the ladder is paused
        assert steps() == before
        decide(
            world.app,
            "demo",
            plan.number,
            approve=True,
            by="owner@termijn.example",
            source="console: customer page",
            now=local_moment(FIRST - timedelta(days=1), 10),
        )
        paid = requests.post(
            f"{world.server.url}/_sandbox/pay",
            json={
                "organization_id": s.org,
                "invoice_id": inv.invoice_id,
                "amount": "400.00",
                "date": FIRST.isoformat(),
            },
            timeout=10,
        ).json()
        assert paid["balance"] == "800.00"
        second = date(2026, 2, 23)
        s.days(FIRST, (second - FIRST).days + 2)  # up to and including the grace day
        assert steps() == before
        [(running, _)] = plans_of(world.app, "demo", customer.contact_id)
        assert running.status is PlanStatus.APPROVED

        s.days(second + timedelta(days=2), 1)  # the day after the grace day

        [(missed, _)] = plans_of(world.app, "demo", customer.contact_id)
        assert missed.status is PlanStatus.MISSED
        resumed = steps()[len(before) :]
        assert resumed and resumed[0][0] == second + timedelta(days=2), steps()
        assert resumed[0][1] not in {step for _, step in before}  # on from where it was
        with session_scope(world.app.engine) as session:
            said = {e.event: e for e in audit.recent(session, "demo")}
        assert (
            "Termijn BV missed instalment 2 of payment plan 1"
            in said["payment_plan.missed"].message
        )
        assert "paid €400.00 of the plan so far" in said["payment_plan.missed"].message
        assert said["payment_plan.approved"].actor == "owner@termijn.example"
    finally:
        world.close()
