"""`/clients/<name>/plans/<number>/approve|reject`: the business's decision on a payment plan a
customer proposed on their own page (issue #14), from the console's customer page.

Who may see the client may decide (its owners and its consultants: `client_for`); a rejection
needs a reason (the customer's page shows it). The decision and who took it go on the audit
trail (`connector.customers.plans.decide`); the ladder of a rejected plan's invoices resumes.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from connector.console.deps import CsrfChecked, CurrentUser, client_for, console_ctx
from connector.customers.plans import DecisionRefused, decide
from connector.store import plans as plan_repo

router = APIRouter()

#: where the audit trail says a decision was taken
SOURCE = "console: customer page"


@router.post(
    "/clients/{name}/plans/{number}/{verdict}", dependencies=[CsrfChecked], response_model=None
)
def decide_plan(
    request: Request,
    user: CurrentUser,
    name: str,
    number: int,
    verdict: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    client_for(user, name)
    if verdict not in ("approve", "reject"):
        raise HTTPException(status_code=404, detail="no such page")
    ctx = console_ctx(request)
    with ctx.session() as session:
        plan = plan_repo.get(session, name, number)
    if plan is None:
        raise HTTPException(status_code=404, detail="no such payment plan")
    back = f"/clients/{name}/customers/{quote(plan.customer_ref, safe='')}"
    try:
        decide(
            ctx.app,
            name,
            number,
            approve=verdict == "approve",
            by=user.email,
            source=SOURCE,
            now=ctx.clock.now(),
            reason=reason[:500] or None,
        )
    except DecisionRefused:
        return RedirectResponse(f"{back}?plan_refused={number}", status_code=303)
    return RedirectResponse(back, status_code=303)
