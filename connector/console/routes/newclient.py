"""`/clients/new`: a new client file from a form, validated like the loader reads it, never over
an existing file (`connector.config.writer.create_client_file`), then on to Connect.

Consultants and administrators may add clients (a business owner cannot); the file is written
with the platform's section from its own settings model (`connector.console.views.newclient`).
Secrets are asked as the names of environment variables, never as values.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connector.config.environment import process_env
from connector.config.errors import ConfigError
from connector.config.writer import ClientFileExists, create_client_file
from connector.console.deps import (
    ConsoleContext,
    CsrfChecked,
    CurrentUser,
    User,
    console_ctx,
    record_audit,
)
from connector.console.deps import render as render_page
from connector.console.users import Role, assign_client
from connector.console.views.connect import remember
from connector.console.views.newclient import FormProblem, client_data, sections
from connector.platforms.registry import platforms

router = APIRouter()


def _may_add(user: User) -> None:
    if user.role is Role.OWNER:
        raise HTTPException(status_code=404)


def _form(
    request: Request,
    platform_name: str | None,
    values: dict[str, str],
    problems: list[tuple[str, str]],
    status_code: int = 200,
) -> HTMLResponse:
    known = platforms()
    platform = known.get(platform_name or "")
    return render_page(
        request,
        "console/newclient.html",
        status_code=status_code,
        platforms=[(p.name, p.title) for p in sorted(known.values(), key=lambda p: p.title)],
        platform=platform,
        sections=sections(platform) if platform else [],
        values=values,
        problems=problems,
    )


@router.get("/clients/new", response_class=HTMLResponse)
def new_client_form(
    request: Request, user: CurrentUser, platform: str | None = None
) -> HTMLResponse:
    _may_add(user)
    return _form(request, platform, {"platform": platform or ""}, [])


@router.post("/clients/new", dependencies=[CsrfChecked], response_model=None)
async def create_client(request: Request, user: CurrentUser) -> Response:
    _may_add(user)
    ctx = console_ctx(request)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    platform = platforms().get(values.get("platform", ""))
    if platform is None:
        return _form(request, None, values, [("platform", "choose a platform")], 400)
    slug = values.get("name", "").strip()
    try:
        data: dict[str, Any] = client_data(platform, values)
        client = create_client_file(
            ctx.app.config_dir,
            slug,
            data,
            process_env(),
            header=f"Made on the console by {user.email}; edit freely.",
        )
    except FormProblem as exc:
        return _form(request, platform.name, values, [(exc.field, str(exc))], 400)
    except ClientFileExists:
        problem = ("name", "a client of that name exists already; choose another name")
        return _form(request, platform.name, values, [problem], 409)
    except ConfigError as exc:
        problems = [(p.key_path or "name", p.message) for p in exc.problems]
        return _form(request, platform.name, values, problems, 400)
    remember(ctx, slug, client)
    _assign(ctx, user, slug)
    record_audit(
        ctx,
        user,
        slug,
        f"added the client ({platform.title}) in clients/{slug}.yaml",
        "new client",
        event="client.created",
    )
    return RedirectResponse(f"/clients/{slug}/connect", status_code=303)


def _assign(ctx: ConsoleContext, user: User, slug: str) -> None:
    """A consultant sees the client they added (an administrator sees every client)."""
    if user.role is not Role.ADMIN:
        assign_client(ctx.app.engine, user.email, slug)
