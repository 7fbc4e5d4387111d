"""`/clients/<name>/approvals`: what waits for approval, each with customer, invoices, amounts,
the step and its whole message (and the PDFs it attaches); approve one, approve the selected,
or reject one with a reason. The owner of a client approves its actions here too (the daily
digest mail links to this page). The work is `connector.approval`'s, as `dunning approve`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connector.approval import approve, attachment, queue, reject
from connector.console.deps import (
    CsrfChecked,
    CurrentUser,
    User,
    client_for,
    console_ctx,
    language_of,
    record_audit,
    render,
)
from connector.console.i18n import translate
from connector.customers.plans import plans_of
from connector.domain.plans import PlanStatus

router = APIRouter()

PAGE = "approvals"


@router.get("/clients/{name}/approvals", response_class=HTMLResponse)
def approvals(
    request: Request, user: CurrentUser, name: str, done: str | None = None
) -> HTMLResponse:
    return _page(request, user, name, done=done)


def _page(
    request: Request,
    user: User,
    name: str,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    config = client_for(user, name)
    ctx = console_ctx(request)
    items = queue(ctx.app, name, ctx.clock, language_of(request))
    return render(
        request,
        "console/approvals.html",
        status_code=status_code,
        name=name,
        client=config,
        items=items,
        done=done,
        error=error,
        waiting_plans=[
            (p, who) for p, who in plans_of(ctx.app, name) if p.status is PlanStatus.PROPOSED
        ],
    )


def _ids(values: list[str]) -> list[int]:
    try:
        return sorted({int(v) for v in values})
    except ValueError as exc:
        raise HTTPException(status_code=400, detail="not an action") from exc


@router.post("/clients/{name}/approvals/approve", dependencies=[CsrfChecked], response_model=None)
def approve_actions(
    request: Request,
    user: CurrentUser,
    name: str,
    action: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Perform the chosen waiting actions now (re-checked against the platform first, so an
    invoice paid meanwhile is not reminded)."""
    from connector.app import ClientUnavailable

    client_for(user, name)
    ctx = console_ctx(request)
    language = language_of(request)
    ids = _ids(action or [])
    if not ids:
        return _page(
            request,
            user,
            name,
            error=translate(language, "Select at least one action."),
            status_code=400,
        )
    waiting = {v.waiting.id: v for v in queue(ctx.app, name, ctx.clock, "en")}
    try:
        stats = approve(ctx.app, name, ctx.clock, ids)
    except ValueError:
        return _page(
            request,
            user,
            name,
            error=translate(language, "Some of these actions no longer wait for approval."),
            status_code=409,
        )
    except ClientUnavailable as exc:
        return _page(request, user, name, error=exc.reason, status_code=409)
    for i in ids:
        if i in waiting:
            item = waiting[i]
            record_audit(
                ctx,
                user,
                name,
                f"approved {item.label.lower()} to {item.waiting.customer_name} for "
                + ", ".join(n for n, _m in item.waiting.invoices),
                PAGE,
                event="console.approve",
                data={"action_id": i},
            )
    record_audit(
        ctx,
        user,
        name,
        f"approval result: {stats.sent} done, {stats.cancelled} "
        f"cancelled, {stats.failed} failed, {stats.review} for review",
        PAGE,
        event="console.approve_result",
    )
    return RedirectResponse(f"/clients/{name}/approvals?done=approved", status_code=303)


@router.post("/clients/{name}/approvals/reject", dependencies=[CsrfChecked], response_model=None)
def reject_action(
    request: Request,
    user: CurrentUser,
    name: str,
    action: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Skip this step for its invoices (the ladder goes on), with who and why on record."""
    client_for(user, name)
    ctx = console_ctx(request)
    language = language_of(request)
    ids = _ids([action])
    if not reason.strip():
        return _page(
            request,
            user,
            name,
            error=translate(language, "Say why the action is rejected."),
            status_code=400,
        )
    try:
        rejected = reject(ctx.app, name, ids, reason.strip(), user.email, ctx.clock)
    except ValueError:
        return _page(
            request,
            user,
            name,
            error=translate(language, "Some of these actions no longer wait for approval."),
            status_code=409,
        )
    for item in rejected:
        record_audit(
            ctx,
            user,
            name,
            f"rejected {item.step} to {item.customer_name}: {reason.strip()}",
            PAGE,
            event="console.reject",
            data={"action_id": item.id},
        )
    return RedirectResponse(f"/clients/{name}/approvals?done=rejected", status_code=303)


@router.get("/clients/{name}/approvals/{action_id}/files/{filename}", response_model=None)
def attached_file(
    request: Request, user: CurrentUser, name: str, action_id: int, filename: str
) -> Response:
    """A PDF a waiting action would attach (statement, letter), to read before approving."""
    client_for(user, name)
    ctx = console_ctx(request)
    try:
        found, content, mime = attachment(ctx.app, name, action_id, filename, ctx.clock)
    except ValueError as exc:
        raise HTTPException(status_code=404, detail="no such file") from exc
    safe = found.replace('"', "")
    return Response(
        content, media_type=mime, headers={"Content-Disposition": f'inline; filename="{safe}"'}
    )
