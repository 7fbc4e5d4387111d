"""The HTTP face of the fake Moneybird: OAuth (``/oauth/…``), the API (``/api/v2/…``) and the
``/_sandbox/`` control surface (control.py).

The API serves exactly the endpoints of Moneybird's reference as kept in the repository (see
documented.py): records show the documented properties, and a query parameter, ``filter`` key or
body property the reference does not list is refused (`Limits.strict`).

Choices where Moneybird's documentation is silent:
- A refused name answers 400 in Moneybird's error shape, the wording of its own answer to a bad
  ``per_page``: ``{"error": "<name> does not have a valid value", "symbolic": {"<name>":
  "invalid"}}`` (a filter key as ``filter``: ``{"<key>": "invalid"}``). Moneybird's request
  bodies allow no unknown attributes (``unevaluatedProperties: false``).
- ``Retry-After`` is the number of seconds until the window resets (RFC 9110); the API
  description's text for it repeats that of ``RateLimit-Reset`` (epoch seconds), which is given
  as documented.
- A token that is unknown or expired: 401 ``{"error": "The access token is invalid"}`` (or
  "… expired") with ``WWW-Authenticate: Bearer error="invalid_token"``; a token without the
  ``sales_invoices`` scope reading invoices or contacts: 401 ``{"error": "No access to
  [:sales_invoices]"}`` as the API description's example; an administration the user cannot
  reach: 404 ``record not found`` (``administration_id``).
- Unknown path: 404 ``{"error": "Not found"}``; wrong method: 405 likewise.
- Lists are in creation order. ``updated_after``/``created_after`` take ISO 8601
  (``2025-01-01T00:00:00Z``) or the documentation's ``2025-12-23 12:57:03 UTC``.
- The authorize page asks for consent (a form with allow and deny); ``Limits.auto_consent`` skips
  the page. ``urn:ietf:wg:oauth:2.0:oob`` shows the code on a page instead of redirecting.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sandboxes.kit import FaultQueue, Request, Response, Router
from sandboxes.moneybird import documented
from sandboxes.moneybird.documented import Endpoint, filter_pairs, record_fields, render
from sandboxes.moneybird.state import (
    REMINDABLE,
    ApiError,
    Contact,
    Ledger,
    MoneybirdState,
    Note,
    OAuthError,
    Payment,
    SalesInvoice,
    Token,
    not_found,
)

API = "/api/v2"
OOB = "urn:ietf:wg:oauth:2.0:oob"
STATES = (
    "draft",
    "scheduled",
    "open",
    "pending_payment",
    "late",
    "reminded",
    "paid",
    "uncollectible",
)


class MoneybirdRouter(Router):
    """A `Router` that consults its `FaultQueue` before anything else (not for ``/_sandbox/``)."""

    def __init__(self, state: MoneybirdState, no_route: Callable[[int], Response]) -> None:
        super().__init__(no_route)
        self.state = state
        self.faults = FaultQueue()

    def dispatch(self, request: Request) -> Response:
        if not request.path.startswith("/_sandbox/"):
            fault = self.faults.take(request)
            if fault is not None:
                if fault.passthrough:
                    super().dispatch(request)
                return fault.response
        return super().dispatch(request)


def make_app(state: MoneybirdState) -> MoneybirdRouter:
    """The WSGI app (a `Router`) serving `state`; `app.faults` is its `FaultQueue`."""

    def no_route(status: int) -> Response:
        message = "Not found" if status == 404 else "Method not allowed"
        return Response.json({"error": message}, status)

    app = MoneybirdRouter(state, no_route)
    _register_oauth(app, state)
    _register_api(app, state)
    from sandboxes.moneybird.control import register_control

    register_control(app, state)
    return app


def _base_url(request: Request) -> str:
    return f"http://{request.headers.get('host', '127.0.0.1')}"


# --- values as Moneybird writes them --------------------------------------------------------------


def amount(value: Decimal) -> str:
    """A decimal string as Moneybird writes amounts: ``"121.0"``, ``"12.5"``, ``"0.99"``."""
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- records --------------------------------------------------------------------------------------

_CONTACT_GETTERS: dict[str, Callable[[Contact], Any]] = {
    "id": lambda c: c.id,
    "administration_id": lambda c: c.administration_id,
    "company_name": lambda c: c.company_name,
    "firstname": lambda c: c.firstname,
    "lastname": lambda c: c.lastname,
    "address1": lambda c: c.address1,
    "address2": lambda c: "",
    "zipcode": lambda c: c.zipcode,
    "city": lambda c: c.city,
    "country": lambda c: c.country,
    "phone": lambda c: c.phone,
    "delivery_method": lambda c: "Email",
    "customer_id": lambda c: c.customer_id,
    "email": lambda c: c.email,
    "send_invoices_to_email": lambda c: c.send_invoices_to_email,
    "send_estimates_to_email": lambda c: c.email,
    "archived": lambda c: c.archived,
    "created_at": lambda c: stamp(c.created_at),
    "updated_at": lambda c: stamp(c.updated_at),
    "version": lambda c: c.version,
    "custom_fields": lambda c: [],
    "contact_people": lambda c: [],
}


def _contact_fields(
    ledger_of: Callable[[str], Ledger], record: str
) -> dict[str, Callable[[Any], Any]]:
    """The contact as `record` shows it (``contact``, or ``embedded_contact`` in an invoice),
    with the notes written on it."""

    def notes(c: Contact) -> Any:
        ledger = ledger_of(c.administration_id)
        return [render(NOTE, n) for n in ledger.notes.values() if n.entity_id == c.id]

    getters: dict[str, Callable[[Any], Any]] = {**_CONTACT_GETTERS, "notes": notes}
    if record == "contact":
        getters["events"] = lambda c: []
    return record_fields(record, getters)


PAYMENT = record_fields(
    "payment",
    {
        "id": lambda p: p.id,
        "administration_id": lambda p: p.administration_id,
        "invoice_type": lambda p: "SalesInvoice",
        "invoice_id": lambda p: p.invoice_id,
        "price": lambda p: amount(p.price),
        "price_base": lambda p: amount(p.price),
        "payment_date": lambda p: day(p.payment_date),
        "created_at": lambda p: stamp(p.created_at),
        "updated_at": lambda p: stamp(p.created_at),
    },
)

NOTE = record_fields(
    "note",
    {
        "id": lambda n: n.id,
        "administration_id": lambda n: n.administration_id,
        "entity_id": lambda n: n.entity_id,
        "entity_type": lambda n: n.entity_type,
        "user_id": lambda n: n.user_id,
        "assignee_id": lambda n: n.assignee_id,
        "todo": lambda n: n.todo,
        "note": lambda n: n.note,
        "data": lambda n: {},
        "created_at": lambda n: stamp(n.created_at),
        "updated_at": lambda n: stamp(n.created_at),
    },
)


def _excl(invoice: SalesInvoice) -> str:
    return amount((invoice.total / Decimal("1.21")).quantize(Decimal("0.01")))


def _sales_invoice_fields(ledger_of: Callable[[str], Ledger]) -> dict[str, Callable[[Any], Any]]:
    embedded = _contact_fields(ledger_of, "embedded_contact")

    def contact(i: SalesInvoice) -> Any:
        return render(embedded, ledger_of(i.administration_id).contacts[i.contact_id])

    def notes(i: SalesInvoice) -> Any:
        ledger = ledger_of(i.administration_id)
        return [render(NOTE, n) for n in ledger.notes.values() if n.entity_id == i.id]

    return record_fields(
        "sales_invoice",
        {
            "id": lambda i: i.id,
            "administration_id": lambda i: i.administration_id,
            "contact_id": lambda i: i.contact_id,
            "contact": contact,
            "invoice_id": lambda i: i.invoice_id,
            "workflow_id": lambda i: i.workflow_id,
            "document_style_id": lambda i: i.document_style_id,
            "identity_id": lambda i: i.identity_id,
            "state": lambda i: i.state,
            "invoice_date": lambda i: day(i.invoice_date),
            "due_date": lambda i: day(i.due_date),
            "reference": lambda i: i.reference,
            "language": lambda i: "nl",
            "currency": lambda i: i.currency,
            "discount": lambda i: "0.0",
            "paused": lambda i: i.paused,
            "paid_at": lambda i: day(i.paid_at),
            "sent_at": lambda i: day(i.sent_at),
            "created_at": lambda i: stamp(i.created_at),
            "updated_at": lambda i: stamp(i.updated_at),
            "public_view_code": lambda i: i.public_view_code,
            "version": lambda i: i.version,
            "details": lambda i: [],
            "payments": lambda i: [render(PAYMENT, p) for p in i.payments],
            "total_paid": lambda i: amount(i.total_paid),
            "total_unpaid": lambda i: amount(i.total_unpaid),
            "total_unpaid_base": lambda i: amount(i.total_unpaid),
            "prices_are_incl_tax": lambda i: True,
            "total_price_excl_tax": _excl,
            "total_price_excl_tax_base": _excl,
            "total_price_incl_tax": lambda i: amount(i.total),
            "total_price_incl_tax_base": lambda i: amount(i.total),
            "total_discount": lambda i: "0.0",
            "marked_uncollectible_on": lambda i: day(i.marked_uncollectible_on),
            "reminder_count": lambda i: i.reminder_count,
            "url": lambda i: f"https://moneybird.com/{i.administration_id}/sales_invoices/{i.id}",
            "payment_url": lambda i: i.payment_url,
            "notes": notes,
            "attachments": lambda i: [],
            "events": lambda i: [],
            "custom_fields": lambda i: [],
            "tax_totals": lambda i: [],
            "time_entries": lambda i: [],
        },
    )


WEBHOOK = record_fields(
    "webhook",
    {
        "id": lambda w: w.id,
        "administration_id": lambda w: w.administration_id,
        "url": lambda w: w.url,
        "enabled_events": lambda w: list(w.enabled_events),
        "last_http_status": lambda w: w.last_http_status,
        "last_http_body": lambda w: w.last_http_body,
        "token": lambda w: w.token,
    },
)

ADMINISTRATION = record_fields(
    "administration",
    {
        "id": lambda a: a.id,
        "name": lambda a: a.name,
        "language": lambda a: a.language,
        "currency": lambda a: a.currency,
        "country": lambda a: a.country,
        "time_zone": lambda a: a.time_zone,
        "access": lambda a: "user",
        "suspended": lambda a: False,
    },
)


# --- OAuth ----------------------------------------------------------------------------------------


def _page(status: int, title: str, body: str) -> Response:
    text = (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} - Moneybird (sandbox)</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Response(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})


def _redirect_with(redirect_uri: str, params: dict[str, str]) -> Response:
    if redirect_uri == OOB:
        code = html.escape(params.get("code", params.get("error", "")))
        return _page(
            200, "Autorisatiecode", f"<p>Kopieer deze code: <code id='code'>{code}</code></p>"
        )
    sep = "&" if "?" in redirect_uri else "?"
    return Response.redirect(redirect_uri + sep + urlencode(params))


def _register_oauth(app: MoneybirdRouter, state: MoneybirdState) -> None:
    def consent_target(q: dict[str, str]) -> tuple[str, tuple[str, ...]]:
        if q.get("response_type", "") != "code":
            raise OAuthError(400, "unsupported_response_type", "Only response_type=code.")
        redirect_uri = q.get("redirect_uri", "")
        state.check_client(q.get("client_id", ""), redirect_uri)
        return redirect_uri, state.scopes_of(q.get("scope", ""))

    def decide(q: dict[str, str], allow: bool) -> Response:
        redirect_uri, scopes = consent_target(q)
        extra = {"state": q["state"]} if "state" in q else {}
        if not allow:
            return _redirect_with(redirect_uri, {"error": "access_denied", **extra})
        code = state.issue_code(q["client_id"], redirect_uri, scopes, q.get("sandbox_user") or None)
        return _redirect_with(redirect_uri, {"code": code, **extra})

    @app.route("GET", "/oauth/authorize")
    def authorize(request: Request) -> Response:
        """The consent page: which application asks for which scopes, allow or deny (POSTed
        back here). Errors about the client itself are pages, never redirects."""
        state.stats.calls["GET /oauth/authorize"] += 1
        q = request.query
        try:
            with state.lock:
                consent_target(q)
                if state.limits.auto_consent:
                    return decide(q, allow=True)
                app_name = state.apps[q["client_id"]].name
                user = next(iter(state.users.values()), None)
                names = [
                    state.ledgers[a].administration.name
                    for a in (user.administrations if user else [])
                ]
        except OAuthError as exc:
            return _page(
                exc.status,
                "Er ging iets mis",
                f"<p>{html.escape(exc.body['error_description'])}</p>",
            )
        hidden = "".join(
            f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
            for k, v in q.items()
        )
        scopes = ", ".join(state.scopes_of(q.get("scope", "")))
        body = (
            f"<p><strong>{html.escape(app_name)}</strong> vraagt toegang tot: "
            f"<span id='scopes'>{html.escape(scopes)}</span></p>"
            f"<p>Administraties: {html.escape(', '.join(names))}</p>"
            f"<form method='post' action='/oauth/authorize'>{hidden}"
            "<button type='submit' name='decision' value='allow' id='allow'>Toestaan</button> "
            "<button type='submit' name='decision' value='deny' id='deny'>Weigeren</button>"
            "</form>"
        )
        return _page(200, "Toegang verlenen", body)

    @app.route("POST", "/oauth/authorize")
    def authorize_decision(request: Request) -> Response:
        form = {**request.query, **request.form()}
        try:
            with state.lock:
                return decide(form, allow=form.get("decision") == "allow")
        except OAuthError as exc:
            return _page(
                exc.status,
                "Er ging iets mis",
                f"<p>{html.escape(exc.body['error_description'])}</p>",
            )

    @app.route("POST", "/oauth/token")
    def token(request: Request) -> Response:
        form = {**request.query, **request.form()}
        try:
            issued: Token = state.token_grant(form)
        except OAuthError as exc:
            return Response.json(exc.body, exc.status, {"Cache-Control": "no-store"})
        return Response.json(
            issued.as_json(state.limits.access_ttl), 200, {"Cache-Control": "no-store"}
        )


# --- the API --------------------------------------------------------------------------------------

Handler = Callable[["Call"], Response]


class Call:
    """One authenticated API request: its endpoint, path parameters, administration and body."""

    def __init__(
        self,
        request: Request,
        endpoint: Endpoint,
        params: dict[str, str],
        token: Token,
        ledger: Ledger | None,
        body: Any,
    ) -> None:
        self.request = request
        self.endpoint = endpoint
        self.params = params
        self.token = token
        self._ledger = ledger
        self.body = body

    @property
    def ledger(self) -> Ledger:
        assert self._ledger is not None
        return self._ledger


def _invalid(name: str, symbolic: dict[str, Any] | None = None) -> ApiError:
    return ApiError(400, f"{name} does not have a valid value", symbolic or {name: "invalid"})


def _register_api(app: MoneybirdRouter, state: MoneybirdState) -> None:
    invoice_fields = _sales_invoice_fields(state.ledger)
    handlers: dict[str, Handler] = _handlers(state, invoice_fields)
    state.render_invoice = lambda invoice: render(invoice_fields, invoice)

    def serve(request: Request) -> Response:
        p = request.path[len(API) + 1 :]
        segments = p.split("/")
        last = segments[-1]
        if last.endswith(".xml"):
            return Response.json({"error": "Only the JSON format is simulated"}, 406)
        segments[-1] = last.removesuffix(".json")
        if segments[0] == "administrations":
            adm_id, rest = None, segments
        else:
            adm_id, rest = segments[0], segments[1:]
        found = documented.match(request.method, rest)
        if found is None:
            other = any(documented.match(m, rest) is not None for m in ("GET", "POST", "DELETE"))
            return app.no_route(405 if other else 404)
        endpoint, params = found
        if endpoint.administration != (adm_id is not None):
            return app.no_route(404)
        state.stats.calls[endpoint.key] += 1
        try:
            token = state.authenticate(request.headers.get("authorization", ""))
        except ApiError as exc:
            state.stats.errors[f"{endpoint.key} {exc.status}"] += 1
            return Response.json(exc.as_json(), exc.status, exc.headers)
        verdict = state.count_call(token.user_id)
        if not verdict.allowed:
            return Response.json("Retry later", 429, verdict.headers)
        try:
            with state.lock:
                response = _call(state, request, endpoint, params, token, adm_id, handlers)
        except ApiError as exc:
            response = Response.json(exc.as_json(), exc.status, exc.headers)
        if response.status >= 400:
            state.stats.errors[f"{endpoint.key} {response.status}"] += 1
        return response

    for depth in range(1, 5):
        pattern = API + "".join(f"/{{s{n}}}" for n in range(depth))
        app.route("GET", pattern)(serve)
        app.route("POST", pattern)(serve)
        app.route("DELETE", pattern)(serve)


def _call(
    state: MoneybirdState,
    request: Request,
    endpoint: Endpoint,
    params: dict[str, str],
    token: Token,
    adm_id: str | None,
    handlers: dict[str, Handler],
) -> Response:
    user = state.users[token.user_id]
    ledger = None
    if adm_id is not None:
        if adm_id not in user.administrations or adm_id not in state.ledgers:
            raise not_found("administration_id")
        if not set(token.scopes) - {"time_entries"} or (
            endpoint.template[0] == "sales_invoices" and "sales_invoices" not in token.scopes
        ):
            raise ApiError(401, "No access to [:sales_invoices]")
        ledger = state.ledger(adm_id)
        state.daily_pass(adm_id)
    for name, value in params.items():
        if not value.isdigit():
            raise not_found(name)
    body: Any = None
    if request.method == "POST" and request.body:  # (a DELETE takes no body)
        try:
            body = request.json()
        except ValueError:
            raise ApiError(400, "Body is not valid JSON", {"body": "invalid"}) from None
        if not isinstance(body, dict):
            raise ApiError(400, "Body is not valid JSON", {"body": "invalid"})
    if state.limits.strict:
        refused = documented.refusal(endpoint, request.query, body or {})
        if refused is not None:
            kind, name = refused
            state.stats.refused.append(f"{endpoint.key}: {kind} {name}")
            if kind == "filter":
                raise ApiError(
                    400, f"{name} does not have a valid value", {"filter": {name: "invalid"}}
                )
            raise _invalid(name)
    absent = documented.missing(endpoint, body or {})
    if absent is not None:
        name = absent.rpartition(".")[2]
        label = name.replace("_", " ").capitalize()
        raise ApiError(400, f"{label} is required", {name: "required"})
    handler = handlers.get(endpoint.key)
    if handler is None:  # documented, but the fake does not simulate it (yet): see unserved()
        return Response.json({"error": f"{endpoint.key} is not simulated"}, 501)
    return handler(Call(request, endpoint, params, token, ledger, body))


def unserved(state: MoneybirdState) -> list[str]:
    """Endpoints of the reference the fake has no handler for (a test keeps this empty)."""
    handlers = _handlers(state, _sales_invoice_fields(state.ledger))
    return sorted({e.key for e in documented.endpoints()} - set(handlers))


# --- paging and filters ---------------------------------------------------------------------------


def _page_of(call: Call, rows: list[Any], default: int) -> tuple[list[Any], dict[str, str]]:
    """One page of `rows` by ``page``/``per_page`` (at most the documented maximum) and the
    ``Link`` header with ``next`` and ``prev``."""
    q = call.request.query
    limit = call.endpoint.spec.max_per_page or 100
    raw_per, raw_page = q.get("per_page", str(default)), q.get("page", "1")
    if not raw_per.isdigit() or not 1 <= int(raw_per) <= limit:
        raise ApiError(400, "per_page does not have a valid value", {"per_page": "invalid"})
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise ApiError(400, "Page is too small", {"page": "min"})
    per_page, page = int(raw_per), int(raw_page)
    chosen = rows[(page - 1) * per_page : page * per_page]
    base = f"{_base_url(call.request)}{call.request.path}"
    keep = {k: v for k, v in q.items() if k not in ("page", "per_page")}

    def link(n: int) -> str:
        return f"<{base}?{urlencode({**keep, 'page': n, 'per_page': per_page})}>"

    links = []
    if page * per_page < len(rows):
        links.append(f'{link(page + 1)}; rel="next"')
    if page > 1:
        links.append(f'{link(page - 1)}; rel="prev"')
    return chosen, ({"Link": ", ".join(links)} if links else {})


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_range(value: str, today: date) -> tuple[date, date]:
    """The first and last day of a ``period`` filter value (presets or custom months/days)."""
    month = today.replace(day=1)
    quarter = _quarter_start(today)
    presets = {
        "this_month": (month, 1),
        "prev_month": (_add_months(month, -1), 1),
        "next_month": (_add_months(month, 1), 1),
        "this_quarter": (quarter, 3),
        "prev_quarter": (_add_months(quarter, -3), 3),
        "next_quarter": (_add_months(quarter, 3), 3),
        "this_year": (date(today.year, 1, 1), 12),
        "prev_year": (date(today.year - 1, 1, 1), 12),
        "next_year": (date(today.year + 1, 1, 1), 12),
    }
    if value in presets:
        start, months = presets[value]
        return start, _add_months(start, months) - timedelta(days=1)
    m = re.fullmatch(r"(\d{6}|\d{8})(?:\.\.(\d{6}|\d{8}))?", value)
    if m is None:
        raise ApiError(400, "Period is invalid", {"filter": {"period": "invalid"}})
    first, last = m.group(1), m.group(2) or m.group(1)
    try:
        start = date(int(first[:4]), int(first[4:6]), int(first[6:8]) if len(first) == 8 else 1)
        if len(last) == 8:
            end = date(int(last[:4]), int(last[4:6]), int(last[6:8]))
        else:
            end = _add_months(date(int(last[:4]), int(last[4:6]), 1), 1) - timedelta(days=1)
    except ValueError:
        raise ApiError(400, "Period is invalid", {"filter": {"period": "invalid"}}) from None
    if end < start:
        raise ApiError(400, "Period is invalid", {"filter": {"period": "date_range"}})
    return start, end


def parse_time(value: str, key: str) -> datetime:
    text = value.strip()
    if text.endswith(" UTC"):
        text = text[:-4].replace(" ", "T") + "+00:00"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"{key} is invalid", {"filter": {key: "invalid"}}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _invoice_filter(
    state: MoneybirdState, call: Call, invoices: list[SalesInvoice], period: str | None
) -> list[SalesInvoice]:
    """The ``filter`` of a sales-invoice list (`period` its default: ``this_year`` on the list,
    none on the synchronization list). Only keys the endpoint documents get here (`refusal`)."""
    pairs = dict(filter_pairs(call.request.query.get("filter", "")))
    out = invoices
    if "period" in pairs or period is not None:
        today = state.local_day(call.ledger.administration.id)
        start, end = period_range(pairs.get("period") or period or "this_year", today)
        out = [i for i in out if start <= i.invoice_date <= end]
    if "state" in pairs and pairs["state"] != "all":
        wanted = pairs["state"].split("|")
        if any(s not in STATES for s in wanted):
            raise ApiError(400, "State is invalid", {"filter": {"state": "invalid"}})
        out = [i for i in out if i.state in wanted]
    if "contact_id" in pairs:
        if pairs["contact_id"] not in call.ledger.contacts:
            raise not_found("contact_id")
        out = [i for i in out if i.contact_id == pairs["contact_id"]]
    if "reference" in pairs:
        refs = pairs["reference"].split("|")
        out = [i for i in out if i.reference in refs]
    if "workflow_id" in pairs:
        out = [i for i in out if i.workflow_id == pairs["workflow_id"]]
    if "recurring_sales_invoice_id" in pairs:
        out = []
    if "created_after" in pairs:
        after = parse_time(pairs["created_after"], "created_after")
        out = [i for i in out if i.created_at > after]
    if "updated_after" in pairs:
        after = parse_time(pairs["updated_after"], "updated_after")
        out = [i for i in out if i.updated_at > after]
    return out


def _archived_too(call: Call) -> bool:
    return call.request.query.get("include_archived", "").lower() in ("true", "1")


def _handlers(
    state: MoneybirdState, invoice_fields: dict[str, Callable[[Any], Any]]
) -> dict[str, Handler]:
    contact_fields = _contact_fields(state.ledger, "contact")

    def invoice(call: Call, key: str = "id") -> SalesInvoice:
        found = call.ledger.invoices.get(call.params[key])
        if found is None:
            raise not_found(key)
        return found

    def administrations(call: Call) -> Response:
        user = state.users[call.token.user_id]
        rows = [
            render(ADMINISTRATION, state.ledgers[a].administration) for a in user.administrations
        ]
        return Response.json(rows)

    def invoices(call: Call) -> Response:
        rows = _invoice_filter(state, call, list(call.ledger.invoices.values()), "this_year")
        page, headers = _page_of(call, rows, state.limits.default_per_page)
        return Response.json([render(invoice_fields, i) for i in page], headers=headers)

    def one_invoice(call: Call) -> Response:
        return Response.json(render(invoice_fields, invoice(call)))

    def versions(rows: list[Contact] | list[SalesInvoice]) -> Response:
        return Response.json([{"id": r.id, "version": r.version} for r in rows])

    def invoice_versions(call: Call) -> Response:
        return versions(_invoice_filter(state, call, list(call.ledger.invoices.values()), None))

    def by_ids(call: Call, table: dict[str, Any], fields: dict[str, Any]) -> Response:
        ids = call.body.get("ids") if isinstance(call.body, dict) else None
        if not isinstance(ids, list) or not ids:
            raise ApiError(400, "Ids is required", {"ids": "required"})
        limit = call.endpoint.spec.max_ids or 100
        found = [table[str(i)] for i in dict.fromkeys(ids) if str(i) in table][:limit]
        return Response.json([render(fields, r) for r in found])

    def invoices_by_id(call: Call) -> Response:
        return by_ids(call, call.ledger.invoices, invoice_fields)

    def send_reminders(call: Call) -> Response:
        reminders = call.body["sales_invoice_reminders"]
        if not isinstance(reminders, list) or not all(isinstance(r, dict) for r in reminders):
            raise _invalid("sales_invoice_reminders")
        state.send_reminders(call.ledger.administration.id, reminders)
        return Response.json(200)

    def pause(call: Call) -> Response:
        found = state.set_paused(call.ledger.administration.id, call.params["id"], True)
        return Response.json(render(invoice_fields, found), 201)

    def resume(call: Call) -> Response:
        found = state.set_paused(call.ledger.administration.id, call.params["id"], False)
        return Response.json(render(invoice_fields, found), 201)

    def note(call: Call, entity_type: str, key: str) -> Response:
        spec = (call.body or {}).get("note") or {}
        if not isinstance(spec, dict):
            raise _invalid("note")
        todo = spec.get("todo", False)
        assignee = spec.get("assignee_id")
        created: Note = state.add_note(
            call.ledger.administration.id,
            entity_type,
            call.params[key],
            call.token.user_id,
            str(spec.get("note") or ""),
            todo is True or str(todo).lower() == "true",
            None if assignee in (None, "") else str(assignee),
        )
        return Response.json(render(NOTE, created), 201)

    def contacts(call: Call) -> Response:
        rows = [c for c in call.ledger.contacts.values() if _archived_too(call) or not c.archived]
        query = call.request.query.get("query", "").lower()
        if query:
            rows = [
                c
                for c in rows
                if any(
                    query in str(v).lower()
                    for v in (
                        c.company_name,
                        c.firstname,
                        c.lastname,
                        c.email,
                        c.city,
                        c.customer_id,
                    )
                )
            ]
        page, headers = _page_of(call, rows, state.limits.default_per_page)
        return Response.json([render(contact_fields, c) for c in page], headers=headers)

    def one_contact(call: Call) -> Response:
        found = call.ledger.contacts.get(call.params["id"])
        if found is None or (found.archived and not _archived_too(call)):
            raise not_found()
        return Response.json(render(contact_fields, found))

    def contact_versions(call: Call) -> Response:
        rows = [c for c in call.ledger.contacts.values() if _archived_too(call) or not c.archived]
        return versions(rows)

    def contacts_by_id(call: Call) -> Response:
        return by_ids(call, call.ledger.contacts, contact_fields)

    def webhooks(call: Call) -> Response:
        return Response.json([render(WEBHOOK, w) for w in call.ledger.webhooks.values()])

    def add_webhook(call: Call) -> Response:
        url = call.body["url"]
        events = call.body.get("enabled_events") or []
        if not isinstance(url, str) or not re.match(r"^https?://[^\s]+$", url):
            raise ApiError(400, "Url is invalid", {"url": "invalid"})
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise _invalid("enabled_events")
        hook = state.add_webhook(call.ledger.administration.id, url, events)
        return Response.json(render(WEBHOOK, hook), 201)

    def delete_webhook(call: Call) -> Response:
        state.delete_webhook(call.ledger.administration.id, call.params["id"])
        return Response(204)

    return {
        "GET webhooks": webhooks,
        "POST webhooks": add_webhook,
        "DELETE webhooks/{id}": delete_webhook,
        "GET administrations": administrations,
        "GET sales_invoices": invoices,
        "GET sales_invoices/{id}": one_invoice,
        "GET sales_invoices/synchronization": invoice_versions,
        "POST sales_invoices/synchronization": invoices_by_id,
        "POST sales_invoices/send_reminders": send_reminders,
        "POST sales_invoices/{id}/pause": pause,
        "POST sales_invoices/{id}/resume": resume,
        "POST sales_invoices/{sales_invoice_id}/notes": lambda c: note(
            c, "SalesInvoice", "sales_invoice_id"
        ),
        "GET contacts": contacts,
        "GET contacts/{id}": one_contact,
        "GET contacts/synchronization": contact_versions,
        "POST contacts/synchronization": contacts_by_id,
        "POST contacts/{contact_id}/notes": lambda c: note(c, "Contact", "contact_id"),
    }


__all__ = ["REMINDABLE", "MoneybirdRouter", "Payment", "make_app"]
