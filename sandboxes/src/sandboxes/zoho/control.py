"""`/_sandbox/…`: the sandbox's own control surface (JSON, no auth, never part of Zoho's API).

| method, path | body / answer |
|---|---|
| `POST /_sandbox/seed` | `{"seed":42,"customers":40,"invoices":150}` → credentials, tokens |
| `POST /_sandbox/tokens` | `{"client_id":…}` → a fresh refresh + access token (demo client) |
| `POST /_sandbox/expire-tokens` | every live access token expires now → `{"expired":n}` |
| `POST /_sandbox/revoke` | `{"token":…}` one token, or `{}` every refresh token |
| `POST /_sandbox/contacts` | `{"organization_id","name","email",…}` → the contact's id |
| `POST /_sandbox/invoices` | `{"organization_id","customer_id","total","date","due_date",
  "status"}` → the invoice's id and number |
| `POST /_sandbox/pay` | `{"organization_id","invoice_id","amount","date"}` → the payment |
| `POST /_sandbox/void` · `POST /_sandbox/delete` | `{"organization_id","invoice_id"}` |
| `POST /_sandbox/touch` | `{"organization_id","fraction":0.01}` → ids whose time was bumped |
| `GET /_sandbox/mails` | the outbox; `?kind=&contact_id=&invoice_id=` filter it |
| `GET/POST /_sandbox/clock` | `{"set":"2026-01-05T09:00:00+01:00"}` or `{"advance_seconds":60}`;
  409 when the state runs on an external clock |
| `GET/POST/DELETE /_sandbox/faults` | `{"preset":"rate_limit"|"daily_limit"|"server_error"|
  "unavailable"|"drop"|"malformed"|"auth"|"auth_in_200"|"jsonstring", "method":"GET",
  "path_regex":"…", "times":1, "skip":0, "nth":3, "delay":…, "organization_id":…}` or a raw
  `{"status","body","headers","delay"}`; with `organization_id` only that organisation's API
  calls fail; GET lists fired faults |
| `GET /_sandbox/stats` | calls per endpoint, 429s by code, token calls, errors, quota usage |
| `POST /_sandbox/reset-counters` | forget quota usage and statistics |

`organization_id` may be left out when the sandbox has one organisation.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sandboxes.kit import Fault, Request, Response
from sandboxes.kit.control import bad, body_of, register_clock_and_faults
from sandboxes.zoho.generate import demo_tokens, seed_demo, touch_share
from sandboxes.zoho.state import ApiError, ZohoState

if TYPE_CHECKING:
    from sandboxes.zoho.app import ZohoRouter

_JSON = {"Content-Type": "application/json;charset=UTF-8"}

#: preset -> (status, body, extra headers, delay)
PRESETS: dict[str, tuple[int, Any, dict[str, str], float]] = {
    "rate_limit": (
        429,
        {
            "code": 44,
            "message": "You have made too many requests per minute. "
            "Please try again after some time.",
        },
        {"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "60"},
        0.0,
    ),
    "daily_limit": (
        429,
        {
            "code": 45,
            "message": "You have reached the maximum number of API "
            "requests allowed for your plan in a day.",
        },
        {"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "36000"},
        0.0,
    ),
    "server_error": (500, {"code": 1000, "message": "Internal error"}, {}, 0.0),
    "unavailable": (
        503,
        "<html><body>Service Temporarily Unavailable</body></html>",
        {"Content-Type": "text/html"},
        0.0,
    ),
    "drop": (200, {"code": 0, "message": "success"}, {}, 30.0),
    "malformed": (200, '{"code":0,"message":"success","invoices":[{"invoice_id":"4600', {}, 0.0),
    "auth": (
        401,
        {"code": 57, "message": "You are not authorized to perform this operation"},
        {},
        0.0,
    ),
    "auth_in_200": (
        200,
        {"code": 57, "message": "You are not authorized to perform this operation"},
        {},
        0.0,
    ),
    "jsonstring": (400, {"code": 11, "message": "The parameter JSONString is mandatory."}, {}, 0.0),
}


def zoho_fault(
    preset: str,
    path_regex: str = ".*",
    method: str = "*",
    times: int = 1,
    skip: int = 0,
    delay: float | None = None,
    passthrough: bool = False,
    organization_id: str | None = None,
) -> Fault:
    """A ready-made failure: ``zoho_fault("server_error", r"/invoices$", "GET", skip=2)`` makes
    the third GET of /invoices answer 500. ``drop`` answers after `delay` (30 s) so the client
    times out; with ``passthrough`` the real handler runs first (the write happened); with
    `organization_id` only that organisation's calls fail (one client of a shared sandbox)."""
    status, body, headers, default_delay = PRESETS[preset]
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    h = dict(_JSON)
    h.update(headers)
    response = Response(status, raw, h, default_delay if delay is None else delay)
    return Fault(
        method.upper(), path_regex, response, times, skip, passthrough, _only(organization_id)
    )


def _only(organization_id: Any) -> dict[str, str]:
    return {"organization_id": str(organization_id)} if organization_id else {}


def fault_from_json(spec: dict[str, Any]) -> Fault:
    """A `Fault` from the control surface's JSON (a preset, or a raw answer)."""
    times = int(spec.get("times", 1))
    skip = int(spec["nth"]) - 1 if "nth" in spec else int(spec.get("skip", 0))
    method = str(spec.get("method", "*"))
    path_regex = str(spec.get("path_regex", ".*"))
    passthrough = bool(spec.get("passthrough", False))
    if "preset" in spec:
        if spec["preset"] not in PRESETS:
            raise ValueError(f"unknown preset {spec['preset']!r}; one of {sorted(PRESETS)}")
        delay = float(spec["delay"]) if "delay" in spec else None
        return zoho_fault(
            str(spec["preset"]),
            path_regex,
            method,
            times,
            skip,
            delay,
            passthrough,
            spec.get("organization_id"),
        )
    body = spec.get("body", {"code": 1000, "message": "Internal error"})
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    headers = dict(_JSON)
    headers.update(spec.get("headers") or {})
    response = Response(int(spec.get("status", 500)), raw, headers, float(spec.get("delay", 0)))
    return Fault(
        method.upper(),
        path_regex,
        response,
        times,
        skip,
        passthrough,
        _only(spec.get("organization_id")),
    )


def _org(state: ZohoState, spec: dict[str, Any]) -> str:
    if spec.get("organization_id"):
        return str(spec["organization_id"])
    if len(state.orgs) == 1:
        return next(iter(state.orgs))
    raise KeyError("organization_id is needed: the sandbox has several organisations")


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def register_control(app: ZohoRouter, state: ZohoState) -> None:
    def guarded(spec: dict[str, Any], action: Any) -> Response:
        try:
            return Response.json(action(_org(state, spec)))
        except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
            return bad(f"{type(exc).__name__}: {exc}")
        except ApiError as exc:
            return bad(exc.message, exc.status)

    @app.route("POST", "/_sandbox/seed")
    def seed(request: Request) -> Response:
        spec = body_of(request)
        info = seed_demo(
            state,
            seed=int(spec.get("seed", 42)),
            customers=int(spec.get("customers", 40)),
            invoices=int(spec.get("invoices", 150)),
        )
        tokens = demo_tokens(state, info, api_domain=f"http://{request.headers.get('host')}")
        return Response.json(
            {
                "client_id": info.client_id,
                "client_secret": info.client_secret,
                "redirect_uri": info.redirect_uri,
                "user_id": info.user_id,
                "organization_id": info.organization_id,
                "contacts": len(info.contacts),
                "invoices": len(info.invoices),
                "tokens": tokens.as_json(),
            }
        )

    @app.route("POST", "/_sandbox/tokens")
    def tokens(request: Request) -> Response:
        spec = body_of(request)
        try:
            found = state.issue_tokens_for_tests(
                str(spec.get("client_id") or next(iter(state.clients))),
                spec.get("user_id"),
                api_domain=f"http://{request.headers.get('host')}",
            )
        except (KeyError, StopIteration) as exc:
            return bad(f"cannot issue tokens: {exc!r}")
        return Response.json(found.as_json())

    @app.route("POST", "/_sandbox/expire-tokens")
    def expire(request: Request) -> Response:
        return Response.json({"expired": state.expire_access_tokens()})

    @app.route("POST", "/_sandbox/revoke")
    def revoke(request: Request) -> Response:
        spec = body_of(request)
        if spec.get("token"):
            return Response.json({"revoked": int(state.revoke(str(spec["token"])))})
        return Response.json({"revoked": state.revoke_all(spec.get("client_id"))})

    @app.route("POST", "/_sandbox/contacts")
    def contacts(request: Request) -> Response:
        spec = body_of(request)

        def create(org: str) -> dict[str, Any]:
            c = state.add_contact(
                org,
                str(spec["name"]),
                email=str(spec.get("email", "")),
                first_name=str(spec.get("first_name", "")),
                last_name=str(spec.get("last_name", "")),
                sub_type=str(spec.get("sub_type", "business")),
                habit=spec.get("habit"),
            )
            return {"contact_id": c.contact_id}

        return guarded(spec, create)

    @app.route("POST", "/_sandbox/invoices")
    def invoices(request: Request) -> Response:
        spec = body_of(request)

        def create(org: str) -> dict[str, Any]:
            day = _day(spec.get("date")) or state.today(org)
            inv = state.add_invoice(
                org,
                str(spec["customer_id"]),
                Decimal(str(spec["total"])),
                day,
                _day(spec.get("due_date")),
                spec.get("invoice_number"),
                str(spec.get("status", "sent")),
            )
            return {"invoice_id": inv.invoice_id, "invoice_number": inv.invoice_number}

        return guarded(spec, create)

    @app.route("POST", "/_sandbox/pay")
    def pay(request: Request) -> Response:
        spec = body_of(request)

        def booked(org: str) -> dict[str, Any]:
            payment = state.record_payment(
                org,
                str(spec["invoice_id"]),
                str(spec["amount"]),
                _day(spec.get("date")),
                str(spec.get("payment_mode", "banktransfer")),
            )
            inv = state.data(org).invoices[str(spec["invoice_id"])]
            return {
                "payment_id": payment.payment_id,
                "balance": str(inv.balance),
                "status": inv.status(state.today(org)),
            }

        return guarded(spec, booked)

    @app.route("POST", "/_sandbox/void")
    def void(request: Request) -> Response:
        spec = body_of(request)
        return guarded(
            spec, lambda org: {"status": state.void_invoice(org, str(spec["invoice_id"])).state}
        )

    @app.route("POST", "/_sandbox/delete")
    def delete(request: Request) -> Response:
        spec = body_of(request)

        def gone(org: str) -> dict[str, Any]:
            state.delete_invoice(org, str(spec["invoice_id"]))
            return {"deleted": spec["invoice_id"]}

        return guarded(spec, gone)

    @app.route("POST", "/_sandbox/touch")
    def touch(request: Request) -> Response:
        spec = body_of(request)
        return guarded(
            spec,
            lambda org: {
                "touched": touch_share(
                    state,
                    float(spec.get("fraction", 0.01)),
                    organization_id=org,
                    seed=int(spec.get("seed", 0)),
                )
            },
        )

    @app.route("GET", "/_sandbox/mails")
    def mails(request: Request) -> Response:
        q = request.query
        found = state.mails(
            q.get("kind") or None, q.get("contact_id") or None, q.get("invoice_id") or None
        )
        return Response.json({"mails": [m.as_json() for m in found]})

    register_clock_and_faults(app, app.faults, state.now, fault_from_json)

    @app.route("GET", "/_sandbox/stats")
    def stats(request: Request) -> Response:
        with state.lock:
            body = state.stats.as_json()
            body["usage"] = {org: state.usage(org) for org in state.orgs}
            body["mails"] = len(state.sent_mails)
            return Response.json(body)

    @app.route("POST", "/_sandbox/reset-counters")
    def reset(request: Request) -> Response:
        state.reset_counters()
        return Response(204)
