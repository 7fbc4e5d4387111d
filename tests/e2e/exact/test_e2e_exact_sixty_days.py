"""Sixty simulated days against the strict Exact sandbox (the one that refuses any property
Exact's reference does not list), with the platform misbehaving the way Exact does.

Issue #11: the adapter selected `Amount` on `sync/Cashflow/PaymentTerms`, which Exact refuses;
a run must now work on documented fields only, state the amount open at send time, and survive
token rotation, a lost token answer, 503s on sync pages and a lost answer after a task POST.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from e2e_exact_support import MakeExactScenario

from sandboxes.kit.faults import Fault
from sandboxes.kit.router import Response
from sandboxes.world import local_moment

MONDAY = date(2026, 1, 5)


def _amounts(text: str) -> set[str]:
    return set(re.findall(r"\d{1,3}(?:\.\d{3})*,\d{2}", text))


def _error(status: int, message: str) -> Response:
    return Response.json({"error": {"code": "", "message": {"lang": "", "value": message}}}, status)


@pytest.mark.slow
def test_sixty_days_on_the_strict_sandbox_state_what_is_open_and_survive_exact_failing(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(MONDAY)
    assert s.state.limits.strict, "the sandbox must refuse undocumented properties"
    paid_up = s.customer("Altijd Op Tijd BV")
    paid_in_parts = s.customer("In Delen Op Tijd BV")
    partial = s.customer("Deels Betaald BV")
    never = s.customer("Wanbetaler BV")
    on_time = s.invoice(paid_up, "800.00", MONDAY + timedelta(days=14), number=2026201)
    in_parts = s.invoice(paid_in_parts, "300.00", MONDAY + timedelta(days=14), number=2026202)
    half = s.invoice(partial, "1000.00", MONDAY + timedelta(days=2), number=2026203)
    s.invoice(never, "2500.00", MONDAY + timedelta(days=1), number=2026204)

    router = s.world.router
    before = s.world.app.tokens.get("demo")
    failed_days: list[date] = []

    def morning(day: date) -> None:
        n = (day - MONDAY).days
        if n == 3:
            s.pay(half, "400.00", on=day)  # before the first reminder: it asks for 600
        if n == 5:
            s.pay(in_parts, "100.00", on=day)
        if n == 12:
            s.pay(in_parts, "200.00", on=day)  # paid in full before its due date
            s.pay(on_time, on=day)
        if n == 20:
            s.pay(half, "150.00", on=day)  # later reminders ask for 450
        if n == 6:  # two 503s on the receivables' sync page, then it answers
            busy = _error(503, "Service Unavailable")
            router.faults.add(Fault("GET", r"/sync/Cashflow/PaymentTerms$", busy, times=2))
        if n == 17:
            # the token endpoint refreshes (and rotates) but the answer never reaches us
            router.faults.add(
                Fault(
                    "POST",
                    r"^/api/oauth2/token$",
                    _error(504, "Gateway Timeout"),
                    passthrough=True,
                )
            )
        if n == 9:
            # the call task is created in Exact, but its answer is lost on the way back
            router.faults.add(
                Fault(
                    "POST",
                    r"/activities/Tasks$",
                    _error(504, "Gateway Timeout"),
                    passthrough=True,
                )
            )

    for n in range(60):
        day = MONDAY + timedelta(days=n)
        s.world.clock.set(local_moment(day, 8))
        morning(day)
        result = s.world.run("demo", at=local_moment(day, 9))
        if not result.ok:
            failed_days.append(day)
        s.world.clock.set(local_moment(day, 12))

    fired = [(method, status) for method, _path, status in router.faults.fired]
    assert ("GET", 503) in fired and ("POST", 504) in fired
    assert fired.count(("POST", 504)) == 2, fired  # the token answer and the task answer

    # nothing to anyone who owes nothing, including the one who paid in parts
    assert s.mails_to(paid_up) == []
    assert s.mails_to(paid_in_parts) == []

    # a partial payment shows as such: the amount open at send time, never the invoice total
    mails = s.mails_to(partial)
    assert mails, "the partly paid invoice was never reminded"
    first = mails[0]
    assert first.day == MONDAY + timedelta(days=9)
    assert "600,00" in first.text() and "1.000,00" not in first.text(), first.text()
    later = [m for m in mails if m.day > MONDAY + timedelta(days=20)]
    assert later and all("450,00" in m.text() for m in later)
    for mail in mails:
        if mail.day > MONDAY + timedelta(days=20):
            assert "600,00" not in mail.text(), "an old open amount was mailed"

    # the lost answer after the task POST: reconciled from the marker, exactly one task a step
    sent = [a for a in s.world.actions() if a["status"] == "sent"]
    tasks = s.world.written()["tasks"]
    call_steps = [a for a in sent if a["kind"] == "call_task"]
    assert call_steps and len(tasks) == len(call_steps)
    assert [a for a in s.world.actions() if a["status"] in ("review", "sending")] == []
    # every mail step went out once
    kinds = [a["kind"] for a in sent if a["customer_ref"] == never.id]
    assert kinds.count("reminder") == 1 and kinds.count("firm_reminder") == 1

    # the token chain rotated every day, the lost answer cost at most a day, no re-consent
    after = s.world.app.tokens.get("demo")
    assert before is not None and after is not None
    assert after.refresh_token != before.refresh_token
    assert after.state != "consent_needed"
    assert s.state.refresh_token_state(after.refresh_token) == "live"
    assert s.state.stats.token_errors.get("unauthorized_client", 0) == 0
    assert len(failed_days) <= 1 and all(d == MONDAY + timedelta(days=17) for d in failed_days)
