"""`/_sandbox/…`: the sandbox's own control surface (no auth, never part of Exact's API).

| method, path | body / answer |
|---|---|
| `POST /_sandbox/seed` | `{"seed":42,"divisions":1,"accounts":40}` → credentials, tokens |
| `POST /_sandbox/pay` | `{"division":…,"receivable_id":…,"amount":"12.50","date":"2025-03-01"}` |
| `POST /_sandbox/delete` | `{"division":…,"receivable_id":…}` → listed by `sync/Deleted` |
| `POST /_sandbox/tokens` | `{"client_id":…,"user_id":…,"ready_to_refresh":true}` → a token set |
| `GET/POST /_sandbox/clock` | `{"set":"2025-03-01T09:00:00+01:00"}` or `{"advance_seconds":600}`;
  409 when the state runs on an external clock |
| `GET/POST/DELETE /_sandbox/faults` | `{"method":"GET","path_regex":"…","status":500,"body":{…},
  "headers":{…},"delay":0,"times":1,"skip":0,"passthrough":false}`; GET lists fired faults |
| `GET /_sandbox/written/{division}` | notes, documents (with attachments) and tasks |
| `GET /_sandbox/attachments/{division}/{id}` | the attachment's bytes |
| `GET /_sandbox/stats` | calls per endpoint, 429s, token calls, error budget, blocks |
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sandboxes.exact.generate import demo_tokens, seed_demo
from sandboxes.exact.state import ExactState
from sandboxes.kit import Fault, Request, Response
from sandboxes.kit.control import bad, body_of, register_clock_and_faults

if TYPE_CHECKING:
    from sandboxes.exact.app import ExactRouter


def fault_from_json(spec: dict[str, Any]) -> Fault:
    body = spec.get("body", {"error": {"code": "", "message": {"lang": "", "value": "Fault"}}})
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers.update(spec.get("headers") or {})
    response = Response(int(spec.get("status", 500)), raw, headers, float(spec.get("delay", 0)))
    return Fault(
        method=str(spec.get("method", "*")).upper(),
        path_regex=str(spec.get("path_regex", ".*")),
        response=response,
        times=int(spec.get("times", 1)),
        skip=int(spec.get("skip", 0)),
        passthrough=bool(spec.get("passthrough", False)),
    )


def register_control(app: ExactRouter, state: ExactState) -> None:
    @app.route("POST", "/_sandbox/seed")
    def seed(request: Request) -> Response:
        spec = body_of(request)
        info = seed_demo(
            state,
            seed=int(spec.get("seed", 42)),
            divisions=int(spec.get("divisions", 1)),
            accounts=int(spec.get("accounts", 40)),
        )
        tokens = demo_tokens(state, info)
        return Response.json(
            {
                "client_id": info.client_id,
                "client_secret": info.client_secret,
                "redirect_uri": info.redirect_uri,
                "user_id": info.user_id,
                "divisions": list(info.divisions),
                "division": info.division,
                "accounts": sum(len(v) for v in info.accounts.values()),
                "receivables": sum(len(v) for v in info.receivables.values()),
                "tokens": tokens.as_json(),
            }
        )

    @app.route("POST", "/_sandbox/pay")
    def pay(request: Request) -> Response:
        spec = body_of(request)
        try:
            term = state.record_payment(
                int(spec["division"]),
                str(spec["receivable_id"]),
                str(spec["amount"]),
                date.fromisoformat(spec["date"]),
            )
        except (KeyError, ValueError) as exc:
            return bad(f"cannot pay: {exc}")
        return Response.json(
            {
                "ID": term.id,
                "Amount": str(term.open_amount),
                "IsFullyPaid": term.is_fully_paid,
                "Timestamp": term.timestamp,
            }
        )

    @app.route("POST", "/_sandbox/delete")
    def delete(request: Request) -> Response:
        spec = body_of(request)
        try:
            state.delete_receivable(int(spec["division"]), str(spec["receivable_id"]))
        except (KeyError, ValueError) as exc:
            return bad(f"cannot delete: {exc}")
        return Response(204)

    @app.route("POST", "/_sandbox/tokens")
    def tokens(request: Request) -> Response:
        spec = body_of(request)
        issued = None
        if spec.get("ready_to_refresh"):
            issued = state.now() - timedelta(seconds=state.limits.access_ttl)
        try:
            found = state.issue_tokens_for_tests(
                str(spec.get("client_id", "")), spec.get("user_id"), issued_at=issued
            )
        except (KeyError, StopIteration) as exc:
            return bad(f"cannot issue tokens: {exc}")
        return Response.json(found.as_json())

    register_clock_and_faults(app, app.faults, state.now, fault_from_json)

    @app.route("GET", "/_sandbox/written/{division}")
    def written(request: Request) -> Response:
        try:
            return Response.json(state.written(int(request.params["division"])))
        except (KeyError, ValueError):
            return bad("unknown division", 404)

    @app.route("GET", "/_sandbox/attachments/{division}/{attachment}")
    def attachment(request: Request) -> Response:
        try:
            data = state.attachment_bytes(
                int(request.params["division"]), request.params["attachment"]
            )
        except (KeyError, ValueError):
            return bad("unknown attachment", 404)
        return Response(200, data, {"Content-Type": "application/octet-stream"})

    @app.route("GET", "/_sandbox/stats")
    def stats(request: Request) -> Response:
        with state.lock:
            return Response.json(state.stats.as_json())
