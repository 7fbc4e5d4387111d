"""The console's FastAPI application.

Every module in `connector/console/routes/` that has a `router` is included (found with
pkgutil, in name order), so a new page is one new module and never an edit here. Pages are
plain HTML forms that work without JavaScript; the vendored htmx (static/) only enhances them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from connector.console import routes
from connector.console.deps import ConsoleContext, LoginRequired, User, current_user, render

STATIC = Path(__file__).parent / "static"

#: sent with every answer: no framing, no content from elsewhere, no caching of pages
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def route_modules() -> list[str]:
    """The route modules' names, in the order their routers are included."""
    return sorted(
        f"{routes.__name__}.{m.name}" for m in pkgutil.iter_modules(routes.__path__) if not m.ispkg
    )


def routers() -> list[APIRouter]:
    """The router of each route module (those without one are skipped)."""
    found = []
    for name in route_modules():
        router = getattr(importlib.import_module(name), "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


def console_routes() -> list[APIRoute]:
    """Every page and form of the console (what `create_app` serves besides /static), for the
    tests that walk them all."""
    return [route for router in routers() for route in router.routes if isinstance(route, APIRoute)]


def signed_in(request: Request) -> bool:
    """Whether the request comes from a live session."""
    if isinstance(getattr(request.state, "user", None), User):
        return True
    try:
        current_user(request)
    except LoginRequired:
        return False
    return True


def create_app(ctx: ConsoleContext) -> FastAPI:
    """The console over `ctx` (its installation, clock and settings)."""
    app = FastAPI(title="dunning console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in routers():
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = "/login" if exc.next_path in ("", "/") else f"/login?next={quote(exc.next_path)}"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and request.method == "GET" and not signed_in(request):
            # no page is shown, or said not to exist, to someone not signed in
            return await _login(request, LoginRequired(request.url.path))
        if exc.status_code in (403, 404):
            return render(
                request,
                "console/error.html",
                status_code=exc.status_code,
                status=exc.status_code,
            )
        return Response(str(exc.detail), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # a page address that does not parse is a page that does not exist; a form with a
        # field missing or wrong is said so on a page, not answered with a JSON dump
        status = 404 if request.method in ("GET", "HEAD") else 400
        if status == 404 and not signed_in(request):
            return await _login(request, LoginRequired(request.url.path))
        return render(request, "console/error.html", status_code=status, status=status)

    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
