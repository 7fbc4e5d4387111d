"""The HTTP face of the fake Exact Online: OAuth, `/api/v1/…` (OData v2) and `/_sandbox/` control.

Choices where Exact's documentation is unclear (also listed in the package docstring):
- Without `Accept: application/json` the API answers 200 with a minimal Atom/XML body, the way
  Exact defaults to XML; errors then come as OData XML errors.
- POST answers 201 `{"d":{…}}` whether or not `Prefer: return=representation` was sent.
- A `$top` caps one page and ends paging (no `__next`).
- `$orderby` on a non-sync endpoint pages with `$skip` in `__next`; otherwise `__next` carries
  `$skiptoken` = the last row's key (`guid'…'`, or `123L` for Timestamp / HID keys).
- A key URL (`crm/Accounts(guid'…')`) answers `{"d":{…}}` for the one record, or 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from sandboxes.exact import odata
from sandboxes.exact.entities import NULL, Entity, documented, entities
from sandboxes.exact.state import (
    Account,
    ApiError,
    ExactState,
    OAuthError,
    RateVerdict,
    decode_attachment,
)
from sandboxes.kit import FaultQueue, Request, Response, Router

SELECT_MESSAGE = "Please add a $select or a $top=1 statement to the query string."
_KEY_URL = re.compile(r"^(\w+)\((?:guid)?'?([^')]+)'?\)$")


class ExactRouter(Router):
    """A `Router` that consults its `FaultQueue` before anything else (API paths only)."""

    def __init__(self, state: ExactState, no_route: Callable[[int], Response]) -> None:
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


def _wants_json(request: Request) -> bool:
    return "json" in request.headers.get("accept", "").lower()


def _error(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    h = dict(headers or {})
    if _wants_json(request):
        h["Content-Type"] = "application/json; charset=utf-8"
        return Response(status, odata.dumps(odata.error_body(message)), h)
    h["Content-Type"] = "application/xml; charset=utf-8"
    return Response(status, odata.atom_error(message), h)


def _base_url(request: Request) -> str:
    return f"http://{request.headers.get('host', '127.0.0.1')}"


def _next_url(request: Request, param: str, value: str) -> str:
    parts = [
        p
        for p in request.raw_query.split("&")
        if p and not re.match(r"^(\$|%24)(skiptoken|skip)=", p, re.IGNORECASE)
    ]
    parts.append(f"${param}={quote(value, safe=chr(39) + '-')}")
    return f"{_base_url(request)}{request.path}?{'&'.join(parts)}"


def make_app(state: ExactState) -> ExactRouter:
    """The WSGI app (a `Router`) serving `state`; `app.faults` is its `FaultQueue`."""

    def no_route(status: int) -> Response:
        message = "Not found" if status == 404 else "Method not allowed"
        return Response(
            status,
            odata.dumps(odata.error_body(message)),
            {"Content-Type": "application/json; charset=utf-8"},
        )

    app = ExactRouter(state, no_route)
    specs = entities(lambda account_id: _account(state, account_id))
    _register_oauth(app, state)
    _register_api(app, state, specs)
    from sandboxes.exact.control import register_control

    register_control(app, state)
    return app


def _account(state: ExactState, account_id: str) -> Account | None:
    for dd in state.divisions.values():
        found = dd.accounts.get(account_id)
        if found is not None:
            return found
    return None


# --- OAuth ----------------------------------------------------------------------------------


def _register_oauth(app: ExactRouter, state: ExactState) -> None:
    @app.route("GET", "/api/oauth2/auth")
    def authorize(request: Request) -> Response:
        q = request.query
        if q.get("response_type", "code") != "code":
            return Response(
                400, b"Only response_type=code is simulated.", {"Content-Type": "text/plain"}
            )
        try:
            code = state.issue_code(
                q.get("client_id", ""), q.get("redirect_uri", ""), q.get("sandbox_user") or None
            )
        except OAuthError as exc:
            return Response(
                exc.status,
                str(exc.body["error_description"]).encode(),
                {"Content-Type": "text/plain"},
            )
        params = {"code": code}
        if "state" in q:
            params["state"] = q["state"]
        sep = "&" if "?" in q["redirect_uri"] else "?"
        return Response.redirect(q["redirect_uri"] + sep + urlencode(params))

    @app.route("POST", "/api/oauth2/token")
    def token(request: Request) -> Response:
        try:
            tokens = state.token_grant(request.form())
        except OAuthError as exc:
            return Response.json(exc.body, exc.status, {"Cache-Control": "no-store", **exc.headers})
        return Response.json(tokens.as_json(), 200, {"Cache-Control": "no-store"})


# --- API --------------------------------------------------------------------------------------

Handler = Callable[[Request, int, str], Response]


def _api(
    state: ExactState, endpoint: str | Callable[[Request], str], check_division: bool = True
) -> Callable[[Handler], Callable[[Request], Response]]:
    """Bearer auth, division access, error budget, rate limits and their headers around a handler
    that gets `(request, division, user_id)`."""

    def wrap(handler: Handler) -> Callable[[Request], Response]:
        def run(request: Request) -> Response:
            name = endpoint(request) if callable(endpoint) else endpoint
            state.stats.calls[f"{request.method} {name}"] += 1
            raw_div = request.params.get("division")
            try:
                token = state.authenticate(request.headers.get("authorization", ""))
            except ApiError as exc:
                div = int(raw_div) if raw_div and raw_div.isdigit() else 0
                state.record_error(("", "", div, name), exc.status)
                return _error(request, exc.status, exc.message, exc.headers)
            user = state.users[token.user_id]
            if raw_div is None:
                division = user.current_division
            elif raw_div.isdigit():
                division = int(raw_div)
            else:
                division = -1
            key = (token.client_id, token.user_id, division, name)
            if state.blocked_until(key) is not None:
                state.stats.throttled += 1
                return _error(
                    request,
                    429,
                    "API rate limit exceeded: too many errors on this endpoint in the last hour.",
                    {**state.peek_rate(token.client_id, division), "Reason": "ErrorLimitExceeded"},
                )
            verdict: RateVerdict = state.count_api_call(token.client_id, division)
            if not verdict.allowed:
                response = _error(request, 429, "API rate limit exceeded.", verdict.headers)
            elif check_division and (
                division not in user.divisions or division not in state.divisions
            ):
                response = _error(request, 403, "Forbidden", {"Reason": "NoDivisionAccess"})
            else:
                try:
                    with state.lock:
                        response = handler(request, division, token.user_id)
                except odata.ODataError as exc:
                    response = _error(request, 400, str(exc))
                except ApiError as exc:
                    response = _error(request, exc.status, exc.message, exc.headers)
            if response.status in (400, 401, 403, 404):
                state.record_error(key, response.status)
            response.headers.update(verdict.headers)
            return response

        return run

    return wrap


def _respond(
    request: Request, payload: Any, title: str, status: int = 200, next_url: str | None = None
) -> Response:
    if _wants_json(request):
        return Response(
            status, odata.dumps({"d": payload}), {"Content-Type": "application/json; charset=utf-8"}
        )
    rows = payload.get("results", [payload]) if isinstance(payload, dict) else payload
    return Response(
        status,
        odata.atom_feed(rows, title, next_url),
        {"Content-Type": "application/atom+xml; charset=utf-8"},
    )


def _selected(
    request: Request, fields: dict[str, Any], type_name: str, strict: bool = True
) -> list[str]:
    """The `$select`ed names; an undocumented one is refused like Exact does (strict), or, in
    the lenient mode, dropped."""
    raw = request.query.get("$select", "").strip()
    if not raw or raw == "*":
        return list(fields)
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if name not in fields and strict:
            raise odata.no_property(name, type_name)
    return [n for n in names if n in fields]


def _row(
    record: Any, names: list[str], fields: dict[str, Any], uri: str, type_name: str, division: int
) -> dict[str, Any]:
    row: dict[str, Any] = {"__metadata": {"uri": uri, "type": type_name}}
    for name in names:
        getter = fields.get(name, NULL)
        value = division if name == "Division" and getter is NULL else getter(record)
        row[name] = odata.to_json_value(value)
    return row


def _key_literal(entity: Entity, value: Any) -> str:
    return f"guid'{value}'" if entity.key_kind == "guid" else f"{value}L"


def _visible_fields(entity: Entity) -> dict[str, Any]:
    return {k: g for k, g in entity.fields.items() if k not in entity.write_only}


def _list(state: ExactState, entity: Entity, request: Request, division: int) -> Response:
    q = request.query
    fields = _visible_fields(entity)
    top_raw = q.get("$top")
    if entity.select_required and not q.get("$select") and top_raw != "1":
        raise odata.ODataError(SELECT_MESSAGE)
    strict = state.limits.strict
    names = _selected(request, fields, entity.type_name, strict)
    node = odata.parse_filter(q["$filter"]) if q.get("$filter", "").strip() else None
    if node is not None and strict:
        odata.check_fields(node, fields, entity.type_name)
    arguments = _arguments(entity, request)
    if entity.mandatory_filter is not None and (
        node is None or not (odata.fields_of(node) & entity.mandatory_filter)
    ):
        raise odata.ODataError(
            "This endpoint has mandatory filtering applied. A GET request for this endpoint must "
            "have a $filter parameter with one of the following fields in the url:"
            + ",".join(sorted(entity.mandatory_filter, key=str.lower))
            + "."
        )
    try:
        top = int(top_raw) if top_raw else None
        skip = int(q.get("$skip", "0") or 0)
    except ValueError:
        raise odata.ODataError("Invalid $top or $skip value.") from None
    page = state.limits.sync_page_size if entity.sync else state.limits.page_size
    dd = state.data(division)
    records: list[Any] = list(dd.table(entity.table).values())
    if entity.include is not None:
        records = [r for r in records if entity.include(r)]
    if "accountId" in arguments:
        records = [r for r in records if r.account == arguments["accountId"]]
    required = odata.required_values(node) if node is not None else None
    if required is not None and required[0] in fields:
        # a sound narrowing (see odata.required_values), so a re-check of 20 accounts among
        # 100,000 receivables does not evaluate its whole filter on every one of them
        getter, wanted = fields[required[0]], required[1]
        records = [r for r in records if odata.norm(getter(r)) in wanted]
    key_getter = fields[entity.key]
    orderby = q.get("$orderby", "").strip()
    skiptoken = q.get("$skiptoken", "").strip()
    after: Any = None
    if skiptoken:
        m = re.fullmatch(r"guid'([^']+)'|(\d+)L?", skiptoken)
        if not m:
            raise odata.ODataError(f"Invalid $skiptoken '{skiptoken}'.")
        after = m.group(1).lower() if m.group(1) else int(m.group(2))

    def matches(record: Any) -> bool:
        return node is None or bool(
            odata.evaluate(node, lambda name: fields.get(name, NULL)(record))
        )

    out: list[Any] = []
    more = False
    if entity.sync:
        floor = odata.lower_bound(node, "Timestamp") if node is not None else None
        if isinstance(after, int):
            floor = max(floor or 0, after)
        for record in records:
            if floor is not None and record.timestamp <= floor:
                continue
            if matches(record):
                if len(out) == page:
                    more = True
                    break
                out.append(record)
    else:
        chosen = [r for r in records if matches(r)]
        if orderby:
            for part in reversed([p.strip() for p in orderby.split(",") if p.strip()]):
                fname, _, direction = part.partition(" ")
                if fname not in fields:
                    raise odata.no_property(fname, entity.type_name)
                getter = fields[fname]

                def by_field(record: Any, getter: Callable[[Any], Any] = getter) -> Any:
                    return _sort_key(getter(record))

                chosen.sort(key=by_field, reverse=direction.strip().lower() == "desc")
            chosen = chosen[skip:]
        else:
            chosen.sort(key=lambda r: _sort_key(key_getter(r)))
            if after is not None:
                chosen = [r for r in chosen if _sort_key(key_getter(r)) > _sort_key(after)]
            chosen = chosen[skip:]
        out, more = chosen[:page], len(chosen) > page
    if top is not None:
        out, more = out[:top], False
    base = f"{_base_url(request)}/api/v1/{division}/{entity.path}"
    rows = [
        _row(
            r,
            names,
            fields,
            f"{base}({_key_literal(entity, key_getter(r))})",
            entity.type_name,
            division,
        )
        for r in out
    ]
    payload: dict[str, Any] = {"results": rows}
    next_url = None
    if more and out:
        if orderby:
            next_url = _next_url(request, "skip", str(skip + len(out)))
        else:
            last = (
                f"{out[-1].timestamp}L"
                if entity.sync
                else _key_literal(entity, key_getter(out[-1]))
            )
            next_url = _next_url(request, "skiptoken", last)
        payload["__next"] = next_url
    return _respond(request, payload, entity.path, next_url=next_url)


def _arguments(entity: Entity, request: Request) -> dict[str, str]:
    """The function parameters of `entity` (``accountId=guid'…'``), each required."""
    out: dict[str, str] = {}
    for name in entity.parameters:
        raw = request.query.get(name, "").strip()
        m = re.fullmatch(r"guid'([0-9A-Fa-f-]{36})'", raw)
        if m is None:
            raise odata.ODataError(
                f"Missing or invalid parameter '{name}': expected guid'…', got '{raw}'."
            )
        out[name] = m.group(1).lower()
    return out


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.lower())
    if isinstance(value, datetime):
        return (1, odata.wall_time(value))
    return (1, value)


def _one(state: ExactState, entity: Entity, request: Request, division: int, key: str) -> Response:
    fields = _visible_fields(entity)
    names = _selected(request, fields, entity.type_name, state.limits.strict)
    table = state.data(division).table(entity.table)
    wanted: Any = key.lower() if entity.key_kind == "guid" else int(key.rstrip("L"))
    key_getter = fields[entity.key]
    record = (
        table.get(wanted)
        if entity.key == "ID"
        else next((r for r in table.values() if key_getter(r) == wanted), None)
    )
    if record is None or (entity.include is not None and not entity.include(record)):
        raise ApiError(404, "Not found")
    base = f"{_base_url(request)}/api/v1/{division}/{entity.path}"
    uri = f"{base}({_key_literal(entity, key_getter(record))})"
    return _respond(
        request, _row(record, names, fields, uri, entity.type_name, division), entity.path
    )


def _create(
    state: ExactState, entity: Entity, request: Request, division: int, user_id: str
) -> Response:
    try:
        body = request.json()
    except ValueError:
        raise ApiError(400, "Invalid JSON in request body.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    for name in body:
        if name not in entity.writable:
            raise ApiError(
                400,
                f"The property '{name}' does not exist on type "
                f"'{entity.type_name}'. Make sure to only use property names that "
                "are defined by the type.",
            )
    for name in entity.required:
        if body.get(name) in (None, ""):
            raise ApiError(400, f"Mandatory: {name}")
    fields: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, str) and name.endswith("Date"):
            try:
                fields[name] = odata.parse_local_datetime(value)
            except ValueError:
                raise ApiError(
                    400, f"Cannot convert '{value}' for property '{name}' to Edm.DateTime."
                ) from None
        else:
            fields[name] = value
    dd = state.data(division)
    if entity.table == "attachments":
        content = decode_attachment(body["Attachment"])
        doc = str(body["Document"]).lower()
        if doc not in dd.written["documents"]:
            raise ApiError(400, f"Document: Not found ({body['Document']}).")
        fields["Document"] = doc
        del fields["Attachment"]
        fields["_bytes"] = content
        fields["FileSize"] = len(content)
    if entity.table == "tasks":
        fields.setdefault("Status", 20)
    if entity.table == "webhooks":
        _check_subscription(state, division, body)
        fields["Division"] = division
    item = state.create_written(division, entity.table, fields, user_id)
    if entity.table == "attachments":
        item.fields["Url"] = f"{_base_url(request)}/_sandbox/attachments/{division}/{item.id}"
    visible = _visible_fields(entity)
    uri = f"{_base_url(request)}/api/v1/{division}/{entity.path}(guid'{item.id}')"
    row = _row(item, list(visible), visible, uri, entity.type_name, division)
    return _respond(request, row, entity.path, status=201)


#: the webhook topics Exact's material names (https://pionect.nl/using-webhooks-from-exact/)
WEBHOOK_TOPICS = frozenset(
    {
        "Accounts",
        "BankAccounts",
        "Contacts",
        "CostTransactions",
        "Documents",
        "FinancialTransactions",
        "GoodsDeliveries",
        "Items",
        "PurchaseOrders",
        "Quotations",
        "SalesInvoices",
        "SalesOrders",
        "StockPositions",
        "TimeTransactions",
    }
)


def _check_subscription(state: ExactState, division: int, body: dict[str, Any]) -> None:
    """Exact posts only to HTTPS callbacks (loopback allowed here, for local trials), knows a
    fixed list of topics, and refuses a second identical subscription ("Data already exists",
    third-party notes only: UNCONFIRMED)."""
    topic, url = str(body["Topic"]), str(body["CallbackURL"])
    if topic not in WEBHOOK_TOPICS:
        raise ApiError(400, f"Topic: invalid value '{topic}'")
    parts = urlsplit(url)
    loopback = (parts.hostname or "") in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ApiError(400, "CallbackURL: only HTTPS callback URLs are allowed")
    for item in state.data(division).written["webhooks"].values():
        if item.fields.get("Topic") == topic and item.fields.get("CallbackURL") == url:
            raise ApiError(500, "Data already exists")


def _delete(state: ExactState, entity: Entity, division: int, key: str) -> Response:
    table = state.data(division).written[entity.table]
    with state.lock:
        if table.pop(key.lower(), None) is None:
            raise ApiError(404, "Not found")
    return Response(204, b"", {})


def _me(state: ExactState, request: Request, division: int, user_id: str) -> Response:
    user = state.users[user_id]
    now = state.now().astimezone(UTC)
    wall = odata.wall_time(now)
    offset_hours = (wall - now.replace(tzinfo=None)).total_seconds() / 3600
    current = state.divisions.get(user.current_division)
    record = {
        "UserID": user.id,
        "UserName": user.user_name,
        "FullName": user.full_name,
        "Email": user.email,
        "LanguageCode": f"{user.language.lower()}-{user.language.upper()}",
        "CurrentDivision": user.current_division,
        "AccountingDivision": user.current_division,
        "DivisionCustomer": None,
        "DivisionCustomerName": current.division.description if current else None,
        "Legislation": current.division.legislation if current else "NL",
        "ServerTime": odata.odata_date(now),
        "ServerUtcOffset": offset_hours,
    }
    getters = documented("current/Me", {k: partial(_item, k) for k in record})
    names = _selected(request, getters, "Exact.Web.Api.System.Me", state.limits.strict)
    uri = f"{_base_url(request)}/api/v1/current/Me(guid'{user.id}')"
    row = _row(record, names, getters, uri, "Exact.Web.Api.System.Me", division)
    return _respond(request, {"results": [row]}, "Me")


def _divisions(state: ExactState, request: Request, division: int, user_id: str) -> Response:
    user = state.users[user_id]
    getters: dict[str, Callable[[Any], Any]] = {
        "Code": lambda d: d.code,
        "Description": lambda d: d.description,
        "Hid": lambda d: d.hid,
        "Current": lambda d: d.code == user.current_division,
        "IsMainDivision": lambda d: d.is_main,
        "Status": lambda d: d.status,
        "Currency": lambda d: d.currency,
        "Legislation": lambda d: d.legislation,
        "DivisionMoveDate": lambda d: None,
    }
    getters = documented("system/Divisions", getters)
    type_name = "Exact.Web.Api.Models.System.SystemDivision"
    names = _selected(request, getters, type_name, state.limits.strict)
    node = odata.parse_filter(request.query["$filter"]) if request.query.get("$filter") else None
    if node is not None and state.limits.strict:
        odata.check_fields(node, getters, type_name)
    rows = []
    for code in user.divisions:
        d = state.divisions[code].division
        if node is not None and not odata.evaluate(node, partial(_get, getters, d)):
            continue
        uri = f"{_base_url(request)}/api/v1/{division}/system/Divisions({code})"
        rows.append(
            _row(d, names, getters, uri, "Exact.Web.Api.Models.System.SystemDivision", division)
        )
    return _respond(request, {"results": rows}, "Divisions")


def _item(key: str, record: dict[str, Any]) -> Any:
    return record[key]


def _get(getters: dict[str, Callable[[Any], Any]], record: Any, name: str) -> Any:
    return getters[name](record)


def _register_api(app: ExactRouter, state: ExactState, specs: dict[str, Entity]) -> None:
    app.route("GET", "/api/v1/current/Me")(
        _api(state, "current/Me")(lambda r, d, u: _me(state, r, d, u))
    )
    app.route("GET", "/api/v1/{division}/system/Divisions")(
        _api(state, "system/Divisions", check_division=False)(
            lambda r, d, u: _divisions(state, r, d, u)
        )
    )

    def resolve(request: Request, method: str) -> Response:
        p = request.params
        path = "/".join(x for x in (p.get("a"), p.get("b"), p.get("c")) if x)
        key = None
        if path not in specs:
            m = _KEY_URL.match(p.get("c") or p.get("b") or "")
            if m is not None:
                head = path.rsplit("/", 1)[0]
                path, key = f"{head}/{m.group(1)}", m.group(2)
        entity = specs.get(path)
        if entity is None:
            return Response(
                404,
                odata.dumps(odata.error_body(f"Resource not found: {path}")),
                {"Content-Type": "application/json; charset=utf-8"},
            )

        def handle(req: Request, division: int, user_id: str) -> Response:
            if method == "DELETE":
                if not entity.deletable or key is None:
                    raise ApiError(405, "Method not allowed")
                return _delete(state, entity, division, key)
            if method == "POST":
                if not entity.writable or key is not None:
                    raise ApiError(405, "Method not allowed")
                return _create(state, entity, req, division, user_id)
            if key is not None:
                return _one(state, entity, req, division, key)
            return _list(state, entity, req, division)

        return _api(state, entity.path)(handle)(request)

    for pattern in ("/api/v1/{division}/{a}/{b}/{c}", "/api/v1/{division}/{a}/{b}"):
        app.route("GET", pattern)(lambda r: resolve(r, "GET"))
        app.route("POST", pattern)(lambda r: resolve(r, "POST"))
        app.route("DELETE", pattern)(lambda r: resolve(r, "DELETE"))
