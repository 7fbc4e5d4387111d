"""Control-surface routes every sandbox shares: read and move its clock, inject faults.

Each sandbox keeps its own routes for its own data (seeding, payments, mails) and mounts these
with `register_clock_and_faults`, so `/_sandbox/clock` and `/_sandbox/faults` behave the same on
every platform.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sandboxes.kit.clock import SandboxClock, sandbox_clock
from sandboxes.kit.faults import Fault, FaultQueue
from sandboxes.kit.router import Request, Response, Router


def body_of(request: Request) -> dict[str, Any]:
    """The request's JSON object, or {} for anything else."""
    try:
        data = request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def bad(message: str, status: int = 400) -> Response:
    return Response.json({"error": message}, status)


def register_clock_and_faults(
    app: Router,
    faults: FaultQueue,
    now: Callable[[], datetime],
    fault_from_json: Callable[[dict[str, Any]], Fault],
) -> None:
    """`GET/POST /_sandbox/clock` and `GET/POST/DELETE /_sandbox/faults`.

    The clock moves only when the sandbox reads a `SandboxClock` (`now` is its method); on an
    external clock moving it is refused with 409: move that clock instead."""

    def clock() -> SandboxClock | None:
        return sandbox_clock(now)

    @app.route("GET", "/_sandbox/clock")
    def get_clock(request: Request) -> Response:
        return Response.json({"now": now().isoformat(), "controllable": clock() is not None})

    @app.route("POST", "/_sandbox/clock")
    def set_clock(request: Request) -> Response:
        movable = clock()
        if movable is None:
            return bad("the sandbox runs on an external clock; move that one", 409)
        spec = body_of(request)
        try:
            if "set" in spec:
                movable.set(datetime.fromisoformat(str(spec["set"])))
            if "advance_seconds" in spec:
                movable.advance(timedelta(seconds=float(spec["advance_seconds"])))
        except (ValueError, TypeError) as exc:
            return bad(f"bad clock request: {exc}")
        return Response.json({"now": movable.now().isoformat(), "controllable": True})

    @app.route("GET", "/_sandbox/faults")
    def list_faults(request: Request) -> Response:
        return Response.json({"fired": [list(f) for f in faults.fired]})

    @app.route("POST", "/_sandbox/faults")
    def add_fault(request: Request) -> Response:
        try:
            faults.add(fault_from_json(body_of(request)))
        except (TypeError, ValueError, KeyError) as exc:
            return bad(f"bad fault: {exc}")
        return Response(204)

    @app.route("DELETE", "/_sandbox/faults")
    def clear_faults(request: Request) -> Response:
        faults.clear()
        return Response(204)
