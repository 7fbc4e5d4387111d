"""`/clients/<name>/customers/<ref>`: one customer (open invoices, payment behaviour, every
action with its message, pauses), and the buttons that put dunning on hold and take it off:
promise to pay until a date, dispute (the customer or one invoice), payment plan, stop, resume.

Each is a pause or resume of `connector.customers` (what `dunning pause`/`resume` do), kept with
who set it (the signed-in person) and shown by `dunning customers`; each goes on the audit trail.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connector.console.deps import (
    ConsoleContext,
    CsrfChecked,
    CurrentUser,
    client_for,
    console_ctx,
    language_of,
    record_audit,
    render,
)
from connector.console.i18n import translate
from connector.customers import CustomerLookupError, pause_customer, resume_customer
from connector.customers.activity import PAUSE_WORDS
from connector.customers.detail import customer_detail
from connector.customers.plans import plans_of
from connector.domain.pauses import PauseKind
from connector.store import ledger_repo

router = APIRouter()

PAGE = "customer"


@router.get("/clients/{name}/customers/{ref}", response_class=HTMLResponse)
def customer(request: Request, user: CurrentUser, name: str, ref: str) -> HTMLResponse:
    return _page(request, user, name, ref)


def _page(
    request: Request,
    user: CurrentUser,
    name: str,
    ref: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    client_for(user, name)
    ctx = console_ctx(request)
    language = language_of(request)
    try:
        detail = customer_detail(ctx.app, name, ref, ctx.clock, language)
    except CustomerLookupError as exc:
        raise HTTPException(status_code=404, detail="no such customer") from exc
    return render(
        request,
        "console/customer.html",
        status_code=status_code,
        name=name,
        detail=detail,
        error=error,
        kinds=PAUSE_WORDS[language if language in PAUSE_WORDS else "en"],
        min_date=detail.today.isoformat(),
        plans=[p for p, _ in plans_of(ctx.app, name, detail.customer.ref)],
        plan_words={
            "proposed": translate(language, "proposed: waits for your approval"),
            "approved": translate(language, "approved: being paid"),
            "rejected": translate(language, "rejected"),
            "missed": translate(language, "missed: an instalment was not paid in time"),
            "kept": translate(language, "kept: paid in full"),
        },
        plan_refused="".join(
            c for c in request.query_params.get("plan_refused", "")[:6] if c.isdigit()
        ),
    )


def _invoice_number(ctx: ConsoleContext, name: str, ref: str | None) -> str | None:
    """The number of the invoice a pause names, for the audit trail."""
    if ref is None:
        return None
    with ctx.session() as session:
        found = ledger_repo.invoices_by_ref(session, name, [ref]).get(ref)
    return found.number if found is not None else ref


def _back(name: str, ref: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/clients/{name}/customers/{quote(ref, safe='')}", status_code=303)


@router.post(
    "/clients/{name}/customers/{ref}/pause", dependencies=[CsrfChecked], response_model=None
)
def pause(
    request: Request,
    user: CurrentUser,
    name: str,
    ref: str,
    kind: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
    invoice: Annotated[str, Form()] = "",
) -> Response:
    """Put dunning of the customer (or of one invoice) on hold: `kind` is promise, dispute,
    plan or stop; a promise needs the date it was promised for, every pause a reason."""
    client_for(user, name)
    ctx = console_ctx(request)
    language = language_of(request)

    def refused(text: str) -> HTMLResponse:
        return _page(request, user, name, ref, error=translate(language, text), status_code=400)

    try:
        what = PauseKind(kind)
    except ValueError:
        return refused("Choose what to do.")
    try:
        until_day = date.fromisoformat(until) if until.strip() else None
    except ValueError:
        return refused("The date is not valid.")
    if not reason.strip():
        return refused("Say why (it is kept on record).")
    if what is PauseKind.PROMISE and until_day is None:
        return refused("A promise to pay needs the date it was promised for.")
    if until_day is not None and until_day < ctx.app.today(name, ctx.clock.now()):
        return refused("The date is in the past.")
    try:
        who, made = pause_customer(
            ctx.app,
            name,
            customer=ref,
            invoice=invoice.strip() or None,
            kind=what,
            until=until_day,
            reason=reason.strip(),
            by=user.email,
            now=ctx.clock.now(),
        )
    except CustomerLookupError as exc:
        raise HTTPException(status_code=404, detail="no such customer") from exc
    number = _invoice_number(ctx, name, made.invoice_ref)
    scope = f" (invoice {number})" if number else ""
    until_words = f" until {made.until.isoformat()}" if made.until else ""
    record_audit(
        ctx,
        user,
        name,
        f"paused dunning of {who.name}{scope}: {made.kind.label}{until_words}: {made.reason}",
        PAGE,
        event="console.pause",
        data={"customer": who.name, "kind": made.kind.value, "reason": made.reason},
    )
    return _back(name, ref)


@router.post(
    "/clients/{name}/customers/{ref}/resume", dependencies=[CsrfChecked], response_model=None
)
def resume(
    request: Request,
    user: CurrentUser,
    name: str,
    ref: str,
    invoice: Annotated[str, Form()] = "",
) -> Response:
    """End the customer's pauses (only the invoice's, when given): the ladder goes on from the
    step each invoice had reached."""
    client_for(user, name)
    ctx = console_ctx(request)
    try:
        who, ended = resume_customer(
            ctx.app,
            name,
            customer=ref,
            invoice=invoice.strip() or None,
            kind=None,
            by=user.email,
            now=ctx.clock.now(),
        )
    except CustomerLookupError as exc:
        raise HTTPException(status_code=404, detail="no such customer") from exc
    if ended:
        record_audit(
            ctx,
            user,
            name,
            f"resumed dunning of {who.name}: ended " + ", ".join(p.kind.label for p in ended),
            PAGE,
            event="console.resume",
            data={"customer": who.name, "ended": len(ended)},
        )
    return _back(name, ref)
