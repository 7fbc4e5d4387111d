"""The Mollie sandbox over HTTP: the Payment Links API, a pay page, the webhook call.

* ``POST /v2/payment-links``: a bearer API key of the account; a JSON body of only the
  documented properties (the reference list's `body`), `description` and `amount` required,
  `amount.value` a string with two decimals; an ``Idempotency-Key`` seen before gives the
  first answer again (no second link). Answers 201 with the payment link object.
* ``GET /v2/payment-links/{paymentLinkId}``: the link (with `paidAt` once paid), 404 unknown.
* ``GET /payment/{code}``: the customer's pay page; ``POST /payment/{code}`` pays: the link is
  marked paid, a payment ``tr_...`` made, and Mollie's webhook call follows (``id=tr_...``,
  form-encoded, to the link's `webhookUrl`), before the customer is sent to `redirectUrl`.
Errors are Mollie's: ``application/hal+json`` with status, title and detail (and field).
"""

from __future__ import annotations

import html
import re
from typing import Any

import requests

from sandboxes.kit.router import Request, Response, Router
from sandboxes.mollie.state import MollieState, PaymentLink, WebhookCall, reference

_VALUE = re.compile(r"^\d{1,9}\.\d{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
HAL = {"Content-Type": "application/hal+json"}


def error(status: int, title: str, detail: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {
        "status": status,
        "title": title,
        "detail": detail,
        "_links": {
            "documentation": {
                "href": "https://docs.mollie.com/overview/handling-errors",
                "type": "text/html",
            }
        },
    }
    if field:
        body["field"] = field
    return Response.json(body, status, HAL)


def _documented(op: str) -> tuple[set[str], set[str]]:
    """(top-level body properties, nested ones as dotted paths) the reference lists for `op`."""
    names = set(reference()[op]["body"])
    return {n for n in names if "." not in n}, {n for n in names if "." in n}


def make_app(state: MollieState) -> Router:
    router = Router(no_route=lambda status: error(status, "Not Found", "no such endpoint"))
    create_op, get_op = "POST /v2/payment-links", "GET /v2/payment-links/{paymentLinkId}"
    top, nested = _documented(create_op)
    get_query = set(reference()[get_op]["query"])

    def api_key(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        key = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        return key if key in state.api_keys else None

    def authenticate(request: Request) -> Response | None:
        if request.path.startswith("/v2/") and state.outage:
            return error(503, "Service Unavailable", "The service is temporarily unavailable")
        if request.path.startswith("/v2/") and api_key(request) is None:
            return error(
                401, "Unauthorized Request", "Missing authentication, or failed to authenticate"
            )
        return None

    router.before.append(authenticate)

    def api_url(request: Request) -> str:
        return f"http://{request.headers.get('host', '127.0.0.1')}"

    @router.route("POST", "/v2/payment-links")
    def create(request: Request) -> Response:
        key = api_key(request) or ""
        idem = request.headers.get("idempotency-key")
        with state.lock:
            state.create_calls.append(idem)
            if idem and (key, idem) in state.idempotent:
                status, answer = state.idempotent[(key, idem)]
                return Response.json(answer, status, HAL)
        try:
            body = request.json()
        except ValueError:
            return error(400, "Bad Request", "The request body is not valid JSON")
        if not isinstance(body, dict):
            return error(422, "Unprocessable Entity", "The request body must be an object")
        refused = _undocumented(body, top, nested)
        if refused:
            return error(
                422, "Unprocessable Entity", f"Unknown parameter {refused!r}", field=refused
            )
        problem = _invalid(body)
        if problem:
            return error(422, "Unprocessable Entity", problem[1], field=problem[0])
        link = state.create(key, body)
        answer = link.resource(api_url(request))
        if idem:
            with state.lock:
                state.idempotent[(key, idem)] = (201, answer)
        return Response.json(answer, 201, HAL)

    @router.route("GET", "/v2/payment-links/{link_id}")
    def get(request: Request) -> Response:
        unknown = sorted(set(request.query) - get_query)
        if unknown:
            return error(400, "Bad Request", f"Unknown query parameter {unknown[0]!r}")
        link = state.links.get(request.params["link_id"])
        if link is None:
            return error(404, "Not Found", "No payment link exists with this id")
        return Response.json(link.resource(api_url(request)), 200, HAL)

    @router.route("GET", "/payment/{code}")
    def page(request: Request) -> Response:
        link = state.by_code(request.params["code"])
        if link is None:
            return Response(404, b"<p>Deze betaallink bestaat niet.</p>", _HTML)
        done = link.paid_at is not None and not link.reusable
        text = f"<h1>{html.escape(link.description)}</h1><p>{link.currency} {link.value}</p>" + (
            "<p>Deze betaallink is al betaald.</p>"
            if done
            else '<form method="post"><button>Betalen</button></form>'
        )
        return Response(200, text.encode(), _HTML)

    @router.route("POST", "/payment/{code}")
    def pay(request: Request) -> Response:
        link = state.by_code(request.params["code"])
        if link is None:
            return Response(404, b"<p>Deze betaallink bestaat niet.</p>", _HTML)
        payment = state.pay(link)
        if payment is None:
            return Response(409, b"<p>Deze betaallink is al betaald.</p>", _HTML)
        call_webhook(state, link, payment)
        if link.redirect_url:
            return Response.redirect(link.redirect_url)
        return Response(200, b"<p>Betaald. Dank u wel.</p>", _HTML)

    return router


_HTML = {"Content-Type": "text/html; charset=utf-8"}


def call_webhook(state: MollieState, link: PaymentLink, payment: str) -> None:
    """Mollie's call to the link's webhook: ``id=tr_...``, form-encoded, nothing else."""
    if not link.webhook_url:
        return
    try:
        answer = requests.post(link.webhook_url, data={"id": payment}, timeout=10)
        status: int | None = answer.status_code
    except requests.RequestException:
        status = None
    with state.lock:
        state.webhook_calls.append(WebhookCall(link.webhook_url, payment, status))


def _undocumented(body: dict[str, Any], top: set[str], nested: set[str]) -> str | None:
    for name, value in body.items():
        if name not in top:
            return name
        if isinstance(value, dict):
            for sub in value:
                dotted = f"{name}.{sub}"
                if any(n.startswith(f"{name}.") for n in nested) and dotted not in nested:
                    return dotted
    return None


def _invalid(body: dict[str, Any]) -> tuple[str, str] | None:
    description = body.get("description")
    if not isinstance(description, str) or not description.strip():
        return "description", "The description is required"
    if len(description) > 255:
        return "description", "The description may be at most 255 characters"
    amount = body.get("amount")
    if not isinstance(amount, dict):
        return "amount", "The amount is required"
    if not isinstance(amount.get("currency"), str) or not _CURRENCY.match(amount["currency"]):
        return "amount.currency", "The currency is invalid"
    value = amount.get("value")
    if not isinstance(value, str) or not _VALUE.match(value):
        return "amount.value", "The amount value must be a string with two decimals"
    if float(value) < 0.01:
        return "amount.value", "The amount is lower than the minimum"
    for url_field in ("webhookUrl", "redirectUrl"):
        url = body.get(url_field)
        if url is not None and (not isinstance(url, str) or not url.startswith("http")):
            return url_field, f"The {url_field} is invalid"
    if "reusable" in body and not isinstance(body["reusable"], bool):
        return "reusable", "reusable must be a boolean"
    return None
