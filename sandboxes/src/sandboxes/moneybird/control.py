"""`/_sandbox/…`: the fake Moneybird's own control surface (JSON, no auth, never Moneybird's API).

| method, path | body / answer |
|---|---|
| `POST /_sandbox/seed` | `{"seed":42,"administrations":1,"contacts":40}` → credentials, token |
| `POST /_sandbox/tokens` | `{"client_id":…,"user_id":…}` → a fresh token (as after consent) |
| `POST /_sandbox/expire-tokens` | every live access token expires now → `{"expired":n}` |
| `POST /_sandbox/pay` | `{"administration_id","invoice_id","amount","date"}` → the payment |
| `POST /_sandbox/uncollectible` | `{"administration_id","invoice_id"}` |
| `GET /_sandbox/reminders` | every reminder sent; `?administration_id=&by=api|workflow&
  invoice_id=` filter them |
| `GET /_sandbox/notes` | every note and to-do written; `?administration_id=` |
| `GET /_sandbox/pushes` | every webhook push made, with the receiver's answer status |
| `GET/POST /_sandbox/clock` | `{"set":"2026-01-05T09:00:00+01:00"}` or `{"advance_seconds":60}` |
| `GET/POST/DELETE /_sandbox/faults` | `{"preset":"rate_limit"|"server_error", "method",
  "path_regex", "times", "skip", "passthrough"}` or a raw `{"status","body","headers","delay"}` |
| `GET /_sandbox/stats` · `POST /_sandbox/reset-counters` | calls, 429s, refusals; forget them |
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from sandboxes.kit import Fault, Request, Response
from sandboxes.kit.control import bad, body_of, register_clock_and_faults
from sandboxes.moneybird.generate import demo_tokens, seed_demo
from sandboxes.moneybird.state import MoneybirdState

if TYPE_CHECKING:
    from sandboxes.moneybird.app import MoneybirdRouter

#: preset -> (status, body, headers)
PRESETS: dict[str, tuple[int, Any, dict[str, str]]] = {
    "rate_limit": (
        429,
        "Retry later",
        {
            "Retry-After": "60",
            "RateLimit-Limit": "150",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": "0",
        },
    ),
    "server_error": (500, {"error": "Internal server error"}, {}),
    "unauthorized": (401, {"error": "The access token is invalid"}, {}),
}


def fault_from_json(spec: dict[str, Any]) -> Fault:
    status, body, headers = PRESETS.get(str(spec.get("preset", "")), (500, {"error": "Fault"}, {}))
    status = int(spec.get("status", status))
    body = spec.get("body", body)
    raw = json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json; charset=utf-8", **headers}
    all_headers.update(spec.get("headers") or {})
    return Fault(
        method=str(spec.get("method", "*")).upper(),
        path_regex=str(spec.get("path_regex", ".*")),
        response=Response(status, raw, all_headers, float(spec.get("delay", 0))),
        times=int(spec.get("times", 1)),
        skip=int(spec.get("skip", 0)),
        passthrough=bool(spec.get("passthrough", False)),
    )


def _one_administration(state: MoneybirdState, spec: dict[str, Any]) -> str:
    if "administration_id" in spec:
        return str(spec["administration_id"])
    if len(state.ledgers) != 1:
        raise KeyError("administration_id (the sandbox has several)")
    return next(iter(state.ledgers))


def register_control(app: MoneybirdRouter, state: MoneybirdState) -> None:
    @app.route("POST", "/_sandbox/seed")
    def seed(request: Request) -> Response:
        spec = body_of(request)
        info = seed_demo(
            state,
            seed=int(spec.get("seed", 42)),
            administrations=int(spec.get("administrations", 1)),
            contacts=int(spec.get("contacts", 40)),
        )
        token = demo_tokens(state, info)
        return Response.json(
            {
                "client_id": info.client_id,
                "client_secret": info.client_secret,
                "redirect_uri": info.redirect_uri,
                "user_id": info.user_id,
                "administrations": list(info.administrations),
                "contacts": sum(len(v) for v in info.contacts.values()),
                "invoices": sum(len(v) for v in info.invoices.values()),
                "tokens": token.as_json(state.limits.access_ttl),
            }
        )

    @app.route("POST", "/_sandbox/tokens")
    def tokens(request: Request) -> Response:
        spec = body_of(request)
        try:
            token = state.issue_tokens_for_tests(
                str(spec.get("client_id", "")), spec.get("user_id")
            )
        except (KeyError, StopIteration) as exc:
            return bad(f"cannot issue tokens: {exc}")
        return Response.json(token.as_json(state.limits.access_ttl))

    @app.route("POST", "/_sandbox/expire-tokens")
    def expire(request: Request) -> Response:
        return Response.json({"expired": state.expire_access_tokens()})

    @app.route("POST", "/_sandbox/pay")
    def pay(request: Request) -> Response:
        spec = body_of(request)
        try:
            adm = _one_administration(state, spec)
            payment = state.record_payment(
                adm,
                str(spec["invoice_id"]),
                str(spec["amount"]),
                date.fromisoformat(spec["date"]) if spec.get("date") else None,
            )
            invoice = state.ledger(adm).invoices[payment.invoice_id]
        except (KeyError, ValueError) as exc:
            return bad(f"cannot pay: {exc}")
        return Response.json(
            {"id": payment.id, "state": invoice.state, "total_unpaid": str(invoice.total_unpaid)}
        )

    @app.route("POST", "/_sandbox/uncollectible")
    def uncollectible(request: Request) -> Response:
        spec = body_of(request)
        try:
            state.mark_uncollectible(_one_administration(state, spec), str(spec["invoice_id"]))
        except KeyError as exc:
            return bad(f"cannot mark: {exc}")
        return Response(204)

    @app.route("GET", "/_sandbox/reminders")
    def reminders(request: Request) -> Response:
        q = request.query
        try:
            found = state.reminders(
                q.get("administration_id") or None,
                by=q.get("by") or None,
                invoice_id=q.get("invoice_id") or None,
            )
        except KeyError as exc:
            return bad(str(exc), 404)
        return Response.json([r.as_json() for r in found])

    @app.route("GET", "/_sandbox/notes")
    def notes(request: Request) -> Response:
        wanted = request.query.get("administration_id")
        with state.lock:
            rows = [
                {
                    "id": n.id,
                    "administration_id": n.administration_id,
                    "entity_type": n.entity_type,
                    "entity_id": n.entity_id,
                    "note": n.note,
                    "todo": n.todo,
                    "assignee_id": n.assignee_id,
                    "created_at": n.created_at.isoformat(),
                }
                for adm, ledger in state.ledgers.items()
                if not wanted or adm == wanted
                for n in ledger.notes.values()
            ]
        return Response.json(rows)

    @app.route("GET", "/_sandbox/pushes")
    def pushes(request: Request) -> Response:
        state.flush_pushes()
        with state.lock:
            return Response.json([p.as_json() for p in state.pushes])

    register_clock_and_faults(app, app.faults, state.now, fault_from_json)

    @app.route("GET", "/_sandbox/stats")
    def stats(request: Request) -> Response:
        with state.lock:
            return Response.json(state.stats.as_json())

    @app.route("POST", "/_sandbox/reset-counters")
    def reset(request: Request) -> Response:
        state.reset_counters()
        return Response(204)
