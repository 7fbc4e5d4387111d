"""The HTTP face of the fake Zoho Books: Zoho Accounts OAuth, ``/books/v3/…`` and ``/_sandbox/``.

One host serves both the accounts server and the API domain (token answers name the sandbox's
own URL as ``api_domain``, the consent redirect as ``accounts-server``), unless the state was
given other values.

Choices where Zoho's pages are silent (the rest is in `state.py`):
- Unknown path: 404 ``{"code": 5, "message": "Invalid URL Passed"}``; wrong method: 405 code 37.
- ``per_page`` above 200 is capped at 200; a non-number or < 1 is 400 code 2. ``sort_column``
  must be one of the documented values of that list (invoices cannot be sorted by
  ``last_modified_time``), else 400 code 2. Without ``sort_column`` lists are ordered by
  ``created_time`` descending, as the documented ``page_context`` example says; ties by id.
- A query parameter that Zoho's documentation does not list for the operation (nor the
  reference's ``_undocumented`` part, which names what integrators see Zoho accept) is refused
  with 400 ``{"code": 2, "message": "Invalid value passed for <name>"}`` (`Limits.strict`, on by
  default). Zoho itself may ignore some unknown parameters; refusing them keeps the adapter to
  names Zoho is known to accept, the way the Exact sandbox refuses undocumented properties.
  Documented parameters with values outside their documented set (``sort_column``,
  ``filter_by``, ``status``, ``per_page``) are refused too, as Zoho does.
- Request bodies are JSON, or the legacy form field ``JSONString``.
- Adding a comment answers 201; the single payment reminder 200; the bulk reminder 201.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from adapters.zoho.contract import QUERY, reference
from sandboxes.kit import FaultQueue, Request, Response, Router
from sandboxes.zoho.state import (
    DATA_CENTRES,
    ApiError,
    Contact,
    CustomerPayment,
    Invoice,
    OAuthError,
    OrgData,
    RateVerdict,
    ZohoState,
    invalid,
    parse_zoho_time,
    zoho_time,
)

BOOKS = "/books/v3"
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")

ApiHandler = Callable[[Request, OrgData], Response]


class ZohoRouter(Router):
    """A `Router` that consults its `FaultQueue` before anything else (not for ``/_sandbox/``)."""

    def __init__(self, state: ZohoState, no_route: Callable[[int], Response]) -> None:
        super().__init__(no_route)
        self.state = state
        self.faults = FaultQueue()
        #: list answers already filtered and sorted, keyed on the query and the ledger version
        self.list_cache: dict[tuple[Any, ...], tuple[list[Any], str, str, str]] = {}

    def dispatch(self, request: Request) -> Response:
        if not request.path.startswith("/_sandbox/"):
            fault = self.faults.take(request)
            if fault is not None:
                if fault.passthrough:
                    super().dispatch(request)
                return fault.response
        return super().dispatch(request)


def _base_url(request: Request) -> str:
    return f"http://{request.headers.get('host', '127.0.0.1')}"


def _ok(status: int = 200, message: str = "success", **payload: Any) -> Response:
    return Response.json({"code": 0, "message": message, **payload}, status)


def make_app(state: ZohoState) -> ZohoRouter:
    """The WSGI app (a `Router`) serving `state`; `app.faults` is its `FaultQueue`."""

    def no_route(status: int) -> Response:
        if status == 404:
            return Response.json({"code": 5, "message": "Invalid URL Passed"}, 404)
        return Response.json(
            {"code": 37, "message": "The HTTP method is not allowed for the requested resource"},
            405,
        )

    app = ZohoRouter(state, no_route)
    _register_oauth(app, state)
    _register_api(app, state)
    from sandboxes.zoho.control import register_control

    register_control(app, state)
    return app


# --- OAuth (Zoho Accounts) ----------------------------------------------------------------------


def _error_page(status: int, text: str) -> Response:
    html = f"<html><body><h1>{text}</h1></body></html>".encode()
    return Response(status, html, {"Content-Type": "text/html;charset=UTF-8"})


def _register_oauth(app: ZohoRouter, state: ZohoState) -> None:
    @app.route("GET", "/oauth/v2/auth")
    def authorize(request: Request) -> Response:
        """The consent page, approved at once (``sandbox_deny=1`` denies, ``sandbox_user``
        picks the user). Errors about the client itself are pages, as on accounts.zoho.*."""
        state.stats.calls["GET /oauth/v2/auth"] += 1
        q = request.query
        if q.get("response_type", "code") != "code":
            return _error_page(400, "Invalid response_type")
        redirect_uri = q.get("redirect_uri", "")
        accounts = state.accounts_server or _base_url(request)
        extra = {"location": state.location, "accounts-server": accounts}
        sep = "&" if "?" in redirect_uri else "?"
        client = state.clients.get(q.get("client_id", ""))
        if client is not None and redirect_uri in client.redirect_uris and q.get("sandbox_deny"):
            params = {"error": "access_denied", **({"state": q["state"]} if "state" in q else {})}
            return Response.redirect(redirect_uri + sep + urlencode(params))
        scopes = [s for s in q.get("scope", "").split(",") if s.strip()]
        if not scopes:
            return _error_page(400, "Invalid OAuth Scope")
        try:
            code = state.issue_code(
                q.get("client_id", ""),
                redirect_uri,
                scopes,
                offline=q.get("access_type", "online") == "offline",
                consent=q.get("prompt", "") == "consent",
                user_id=q.get("sandbox_user") or None,
            )
        except OAuthError as exc:
            return _error_page(exc.status, exc.body.get("error_description", exc.body["error"]))
        params = {"code": code}
        if "state" in q:
            params["state"] = q["state"]
        params.update(extra)
        return Response.redirect(redirect_uri + sep + urlencode(params))

    @app.route("POST", "/oauth/v2/token")
    def token(request: Request) -> Response:
        """Form body or query string (Zoho takes both); errors are HTTP 200 ``{"error":…}``."""
        state.stats.calls["POST /oauth/v2/token"] += 1
        form = {**request.query, **request.form()}
        try:
            tokens = state.token_grant(form, _base_url(request))
        except OAuthError as exc:
            return Response.json(exc.body, exc.status)
        return Response.json(tokens.as_json())

    @app.route("POST", "/oauth/v2/token/revoke")
    def revoke(request: Request) -> Response:
        """Always ``{"status": "success"}`` (RFC 7009: unknown tokens are not an error)."""
        state.stats.calls["POST /oauth/v2/token/revoke"] += 1
        token = request.query.get("token") or request.form().get("token", "")
        state.revoke(token)
        return Response.json({"status": "success"})

    @app.route("GET", "/oauth/serverinfo")
    def serverinfo(request: Request) -> Response:
        locations = {loc: hosts[0] for loc, hosts in DATA_CENTRES.items()}
        locations[state.location] = state.accounts_server or _base_url(request)
        return Response.json({"result": "success", "locations": locations})


# --- rendering ------------------------------------------------------------------------------------


def _amount(state: ZohoState, value: Decimal) -> Any:
    """Amounts as JSON numbers (Zoho's answers) or strings (the OpenAPI text's type)."""
    return f"{value:.2f}" if state.limits.amounts_as_strings else float(value)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _due_days(inv: Invoice, today: date) -> str:
    if inv.state in ("void", "draft") or inv.balance <= 0:
        return ""
    days = (inv.due_date - today).days
    if days > 0:
        return f"Due in {days} day(s)"
    if days == 0:
        return "Due Today"
    return f"Overdue by {-days} day(s)"


def _outstanding(od: OrgData, contact_id: str) -> Decimal:
    total = Decimal("0.00")
    for invoice_id in od.by_customer.get(contact_id, []):
        inv = od.invoices[invoice_id]
        if inv.state == "sent":
            total += inv.balance
    return total


def _invoice_summary(state: ZohoState, od: OrgData, inv: Invoice, today: date) -> dict[str, Any]:
    zone = od.org.zone
    contact = od.contacts.get(inv.customer_id)
    return {
        "invoice_id": inv.invoice_id,
        "ach_payment_initiated": False,
        "customer_name": contact.contact_name if contact else "",
        "customer_id": inv.customer_id,
        "status": inv.status(today),
        "invoice_number": inv.invoice_number,
        "reference_number": inv.reference_number,
        "date": _day(inv.invoice_date),
        "due_date": _day(inv.due_date),
        "due_days": _due_days(inv, today),
        "currency_id": f"{od.org.organization_id}000",
        "currency_code": inv.currency_code,
        "schedule_time": "",
        "is_viewed_by_client": False,
        "has_attachment": False,
        "client_viewed_time": "",
        "total": _amount(state, inv.total),
        "balance": _amount(state, inv.balance),
        "created_time": zoho_time(inv.created_time, zone),
        "last_modified_time": zoho_time(inv.last_modified_time, zone),
        "is_emailed": inv.is_emailed,
        "reminders_sent": inv.reminders_sent,
        "last_reminder_sent_date": _day(inv.last_reminder_sent_date),
        "payment_expected_date": _day(inv.payment_expected_date),
        "last_payment_date": _day(inv.last_payment_date),
        "custom_fields": [],
        "documents": "",
        "salesperson_id": "",
        "salesperson_name": "",
        "shipping_charge": 0.0,
        "adjustment": 0.0,
        "write_off_amount": 0.0,
        "exchange_rate": 1.0,
    }


def _person(person: Any) -> dict[str, Any]:
    return {
        "contact_person_id": person.contact_person_id,
        "salutation": "",
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": person.phone,
        "mobile": "",
        "is_primary_contact": person.is_primary_contact,
        "communication_preference": {
            "is_email_enabled": bool(person.email),
            "is_sms_enabled": False,
            "is_whatsapp_enabled": False,
        },
        "enable_portal": False,
    }


def invoice_url(organization_id: str, invoice_id: str) -> str:
    """The customer's secure view of the invoice, as Zoho Books documents `invoice_url` on
    GET /invoices/{invoice_id} ("https://books.zoho.com/SecurePayment?CInvoiceID=<long hex>"),
    on the EU data centre the sandbox's clients use; the same invoice always has the same one."""
    token = hashlib.sha256(f"{organization_id}:{invoice_id}".encode()).hexdigest()
    return f"https://books.zoho.eu/SecurePayment?CInvoiceID={token}"


def _invoice_detail(
    state: ZohoState, od: OrgData, inv: Invoice, request: Request, today: date
) -> dict[str, Any]:
    out = _invoice_summary(state, od, inv, today)
    contact = od.contacts.get(inv.customer_id)
    persons = contact.persons if contact else []
    paid = inv.total - inv.balance if inv.state != "void" else Decimal("0.00")
    out.update(
        {
            "payment_terms": (inv.due_date - inv.invoice_date).days,
            "payment_terms_label": f"Net {(inv.due_date - inv.invoice_date).days}",
            "contact_persons_associated": [
                {
                    "contact_person_id": p.contact_person_id,
                    "contact_person_name": f"{p.first_name} {p.last_name}".strip(),
                    "first_name": p.first_name,
                    "last_name": p.last_name,
                    "contact_person_email": p.email,
                    "phone": p.phone,
                    "mobile": "",
                    "communication_preference": {
                        "is_email_enabled": bool(p.email),
                        "is_sms_enabled": False,
                        "is_whatsapp_enabled": False,
                    },
                }
                for p in persons
            ],
            "line_items": [
                {
                    "line_item_id": f"{inv.invoice_id}1",
                    "name": "Services",
                    "description": f"Invoice {inv.invoice_number}",
                    "item_order": 1,
                    "rate": _amount(state, inv.total),
                    "quantity": 1.0,
                    "item_total": _amount(state, inv.total),
                }
            ],
            "sub_total": _amount(state, inv.total),
            "tax_total": _amount(state, Decimal("0.00")),
            "payment_reminder_enabled": inv.payment_reminder_enabled,
            "payment_made": _amount(state, paid),
            "credits_applied": _amount(state, Decimal("0.00")),
            "allow_partial_payments": True,
            "invoice_url": invoice_url(od.org.organization_id, inv.invoice_id),
        }
    )
    return out


def _contact_summary(state: ZohoState, od: OrgData, c: Contact) -> dict[str, Any]:
    zone = od.org.zone
    primary = c.primary
    return {
        "contact_id": c.contact_id,
        "contact_name": c.contact_name,
        "company_name": c.company_name,
        "contact_type": c.contact_type,
        "status": c.status,
        "payment_terms": c.payment_terms,
        "payment_terms_label": f"Net {c.payment_terms}",
        "currency_id": f"{od.org.organization_id}000",
        "currency_code": c.currency_code,
        "outstanding_receivable_amount": _amount(state, _outstanding(od, c.contact_id)),
        "unused_credits_receivable_amount": _amount(state, Decimal("0.00")),
        "first_name": primary.first_name if primary else "",
        "last_name": primary.last_name if primary else "",
        "email": primary.email if primary else "",
        "phone": primary.phone if primary else "",
        "mobile": "",
        "created_time": zoho_time(c.created_time, zone),
        "last_modified_time": zoho_time(c.last_modified_time, zone),
    }


def _contact_detail(state: ZohoState, od: OrgData, c: Contact) -> dict[str, Any]:
    out = _contact_summary(state, od, c)
    outstanding = _amount(state, _outstanding(od, c.contact_id))
    out.update(
        {
            "customer_sub_type": c.customer_sub_type,
            "payment_reminder_enabled": c.payment_reminder_enabled,
            "language_code": c.language_code,
            "outstanding_receivable_amount_bcy": outstanding,
            "primary_contact_id": c.primary.contact_person_id if c.primary else "",
            "credit_limit": 0.0,
            "contact_persons": [_person(p) for p in c.persons],
            "custom_fields": [],
            "billing_address": {
                "attention": "",
                "address": "",
                "street2": "",
                "city": "",
                "state": "",
                "zip": "",
                "country": "",
                **c.billing_address,
            },
        }
    )
    return out


def _payment_summary(state: ZohoState, od: OrgData, p: CustomerPayment) -> dict[str, Any]:
    zone = od.org.zone
    contact = od.contacts.get(p.customer_id)
    numbers = [
        od.invoices[i].invoice_number if i in od.invoices else od.deleted_invoices[i].invoice_number
        for i, _ in p.applied
    ]
    unused = p.amount - sum((a for _, a in p.applied), Decimal(0))
    out = {
        "payment_id": p.payment_id,
        "payment_number": p.payment_number,
        "invoice_numbers": ",".join(numbers),
        "date": _day(p.payment_date),
        "payment_mode": p.payment_mode,
        "amount": _amount(state, p.amount),
        "bcy_amount": _amount(state, p.amount),
        "unused_amount": _amount(state, unused),
        "bcy_unused_amount": _amount(state, unused),
        "account_id": f"{od.org.organization_id}001",
        "account_name": "Bank",
        "description": p.description,
        "reference_number": p.reference_number,
        "customer_id": p.customer_id,
        "customer_name": contact.contact_name if contact else "",
        "currency_code": p.currency_code,
    }
    if state.limits.payment_list_modified_time:
        out["created_time"] = zoho_time(p.created_time, zone)
        out["last_modified_time"] = zoho_time(p.last_modified_time, zone)
    return out


def _payment_detail(state: ZohoState, od: OrgData, p: CustomerPayment) -> dict[str, Any]:
    out = _payment_summary(state, od, p)
    contact = od.contacts.get(p.customer_id)
    invoices = []
    for invoice_id, applied in p.applied:
        inv = od.invoices.get(invoice_id) or od.deleted_invoices[invoice_id]
        invoices.append(
            {
                "invoice_id": invoice_id,
                "invoice_number": inv.invoice_number,
                "date": _day(inv.invoice_date),
                "invoice_amount": _amount(state, inv.total),
                "amount_applied": _amount(state, applied),
                "balance_amount": _amount(state, inv.balance),
            }
        )
    out.update(
        {
            "amount_refunded": _amount(state, Decimal("0.00")),
            "bank_charges": _amount(state, Decimal("0.00")),
            "email": contact.email if contact else "",
            "invoices": invoices,
            "currency_symbol": od.org.currency_symbol,
            "custom_fields": [],
            "created_time": zoho_time(p.created_time, od.org.zone),
            "last_modified_time": zoho_time(p.last_modified_time, od.org.zone),
        }
    )
    return out


def _organization(od: OrgData) -> dict[str, Any]:
    org = od.org
    return {
        "organization_id": org.organization_id,
        "name": org.name,
        "contact_name": org.contact_name,
        "email": org.email,
        "is_default_org": org.is_default_org,
        "plan_type": 130,
        "plan_name": org.plan_name,
        "plan_period": "Monthly",
        "language_code": org.language_code,
        "fiscal_year_start_month": 0,
        "account_created_date": org.created.isoformat(),
        "time_zone": org.time_zone,
        "is_org_active": True,
        "currency_id": f"{org.organization_id}000",
        "currency_code": org.currency_code,
        "currency_symbol": org.currency_symbol,
        "currency_format": "###,##0.00",
        "price_precision": 2,
    }


def _comment(od: OrgData, inv: Invoice, c: Any) -> dict[str, Any]:
    local = c.at.astimezone(od.org.zone)
    return {
        "comment_id": c.comment_id,
        "invoice_id": inv.invoice_id,
        "description": c.description,
        "commented_by_id": "",
        "commented_by": c.commented_by,
        "comment_type": c.comment_type,
        "operation_type": c.operation_type,
        "date": local.date().isoformat(),
        "date_description": "",
        "time": local.strftime("%I:%M %p"),
        "transaction_id": "",
        "transaction_type": "",
        "show_comment_to_clients": c.show_comment_to_clients,
    }


# --- lists ----------------------------------------------------------------------------------------

_SORTS: dict[str, tuple[str, ...]] = {
    "invoices": (
        "customer_name",
        "invoice_number",
        "date",
        "due_date",
        "total",
        "balance",
        "created_time",
    ),
    "contacts": (
        "contact_name",
        "first_name",
        "last_name",
        "email",
        "outstanding_receivable_amount",
        "created_time",
        "last_modified_time",
    ),
    "customerpayments": (
        "customer_name",
        "payment_number",
        "date",
        "amount",
        "reference_number",
        "created_time",
        "last_modified_time",
    ),
}
_REPORTS = {"invoices": "Invoices", "contacts": "Contacts", "customerpayments": "Customer Payments"}
_INVOICE_STATUSES = (
    "sent",
    "draft",
    "overdue",
    "paid",
    "void",
    "unpaid",
    "partially_paid",
    "viewed",
)
_FILTER_BY = {
    "Status.All": None,
    "Status.Sent": "sent",
    "Status.Draft": "draft",
    "Status.OverDue": "overdue",
    "Status.Overdue": "overdue",
    "Status.Paid": "paid",
    "Status.Void": "void",
    "Status.Unpaid": "unpaid",
    "Status.PartiallyPaid": "partially_paid",
    "Status.Viewed": "viewed",
}


def _int_param(q: dict[str, str], name: str, default: int) -> int:
    raw = q.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise invalid(name)
    return int(raw)


def _date_param(q: dict[str, str], name: str) -> date | None:
    raw = q.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid(name) from None


def _status_matches(status: str, wanted: str) -> bool:
    if wanted == "unpaid":
        return status in ("sent", "overdue", "partially_paid")
    if wanted == "viewed":
        return False  # the sandbox has no client portal
    return status == wanted


def _rows(
    state: ZohoState, od: OrgData, kind: str, q: dict[str, str], today: date
) -> tuple[list[Any], str, str, str]:
    """Filter and sort one list; returns (records, sort column, order, applied filter)."""
    zone = od.org.zone
    sort_column = q.get("sort_column", "").strip() or "created_time"
    if sort_column not in _SORTS[kind]:
        raise invalid("sort_column")
    order = q.get("sort_order", "").strip().upper() or ("D" if "sort_column" not in q else "A")
    if order not in ("A", "D"):
        raise invalid("sort_order")
    since: datetime | None = None
    if q.get("last_modified_time", "").strip():
        try:
            since = parse_zoho_time(q["last_modified_time"], zone)
        except ValueError:
            raise invalid("last_modified_time") from None
    inclusive = state.limits.modified_filter_inclusive

    def modified_ok(moment: datetime) -> bool:
        return since is None or (moment >= since if inclusive else moment > since)

    customer = q.get("customer_id", "").strip()
    applied = "Status.All"
    records: list[Any]
    if kind == "invoices":
        wanted = q.get("status", "").strip().lower() or None
        if wanted is not None and wanted not in _INVOICE_STATUSES:
            raise invalid("status")
        if q.get("filter_by", "").strip():
            if q["filter_by"] not in _FILTER_BY:
                raise invalid("filter_by")
            wanted = wanted or _FILTER_BY[q["filter_by"]]
        if wanted:
            applied = next((k for k, v in _FILTER_BY.items() if v == wanted), "Status.All")
        number = q.get("invoice_number", "").strip()
        start, end = _date_param(q, "date_start"), _date_param(q, "date_end")
        due_before, due_after = _date_param(q, "due_date_before"), _date_param(q, "due_date_after")
        search = q.get("search_text", "").strip().lower()
        pool = (
            [od.invoices[i] for i in od.by_customer.get(customer, [])]
            if customer
            else list(od.invoices.values())
        )
        records = [
            inv
            for inv in pool
            if modified_ok(inv.last_modified_time)
            and (not wanted or _status_matches(inv.status(today), wanted))
            and (not number or inv.invoice_number == number)
            and (start is None or inv.invoice_date >= start)
            and (end is None or inv.invoice_date <= end)
            and (due_before is None or inv.due_date < due_before)
            and (due_after is None or inv.due_date > due_after)
            and (
                not search
                or search in inv.invoice_number.lower()
                or search in od.contacts[inv.customer_id].contact_name.lower()
            )
        ]
    elif kind == "contacts":
        contact_type = q.get("contact_type", "").strip()
        if contact_type not in ("", "customer", "vendor"):
            raise invalid("contact_type")
        status_filter = {
            "Status.All": None,
            "Status.Active": "active",
            "Status.Inactive": "inactive",
        }
        fb = q.get("filter_by", "").strip() or "Status.All"
        if fb not in status_filter:
            raise invalid("filter_by")
        applied = fb
        email = q.get("email", "").strip().lower()
        search = q.get("search_text", "").strip().lower()
        records = [
            c
            for c in od.contacts.values()
            if modified_ok(c.last_modified_time)
            and (not contact_type or c.contact_type == contact_type)
            and (status_filter[fb] is None or c.status == status_filter[fb])
            and (not email or c.email.lower() == email)
            and (not search or search in c.contact_name.lower())
        ]
    else:
        start, end = _date_param(q, "date_start"), _date_param(q, "date_end")
        mode = q.get("payment_mode", "").strip().lower()
        records = [
            p
            for p in od.payments.values()
            if modified_ok(p.last_modified_time)
            and (not customer or p.customer_id == customer)
            and (start is None or p.payment_date >= start)
            and (end is None or p.payment_date <= end)
            and (not mode or p.payment_mode.lower() == mode)
        ]
    getter = _sort_getter(od, kind, sort_column)
    id_of = _id_getter(kind)
    records.sort(key=lambda r: (getter(r), id_of(r)), reverse=order == "D")
    return records, sort_column, order, applied


def _id_getter(kind: str) -> Callable[[Any], str]:
    name = {"invoices": "invoice_id", "contacts": "contact_id", "customerpayments": "payment_id"}[
        kind
    ]
    return lambda r: str(getattr(r, name))


def _sort_getter(od: OrgData, kind: str, column: str) -> Callable[[Any], Any]:
    if column == "customer_name":
        return lambda r: (
            od.contacts[r.customer_id].contact_name.lower() if r.customer_id in od.contacts else ""
        )
    if column == "outstanding_receivable_amount":
        return lambda r: _outstanding(od, r.contact_id)
    if column == "email":
        return lambda r: r.email.lower()
    if column in ("first_name", "last_name"):
        return lambda r: (getattr(r.primary, column) if r.primary else "").lower()
    if column == "contact_name":
        return lambda r: r.contact_name.lower()
    if column == "date":
        return (lambda r: r.invoice_date) if kind == "invoices" else (lambda r: r.payment_date)
    if column == "payment_number":
        return lambda r: int(r.payment_number)
    return lambda r: getattr(r, column)


def _list(app: ZohoRouter, state: ZohoState, od: OrgData, kind: str, request: Request) -> Response:
    q = request.query
    page = _int_param(q, "page", 1)
    per_page = min(_int_param(q, "per_page", state.limits.max_per_page), state.limits.max_per_page)
    today = od.today(state.now())
    relevant = tuple(
        sorted((k, v) for k, v in q.items() if k not in ("page", "per_page", "organization_id"))
    )
    key = (od.org.organization_id, kind, relevant, od.version, today)
    cached = app.list_cache.get(key)
    if cached is None:
        cached = _rows(state, od, kind, q, today)
        if len(app.list_cache) > 32:
            app.list_cache.clear()
        app.list_cache[key] = cached
    records, sort_column, order, applied = cached
    start = (page - 1) * per_page
    chosen = records[start : start + per_page]
    if kind == "invoices":
        items = [_invoice_summary(state, od, r, today) for r in chosen]
    elif kind == "contacts":
        items = [_contact_summary(state, od, r) for r in chosen]
    else:
        items = [_payment_summary(state, od, r) for r in chosen]
    list_key = state.limits.payments_list_key if kind == "customerpayments" else kind
    context: dict[str, Any] = {
        "page": page,
        "per_page": per_page,
        "has_more_page": len(records) > start + per_page,
        "report_name": _REPORTS[kind],
        "applied_filter": applied,
        "sort_column": sort_column,
        "sort_order": order,
        "search_criteria": [],
    }
    payload: dict[str, Any] = {list_key: items, "page_context": context}
    return _ok(**payload)


# --- API ------------------------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any]:
    """The request's JSON object (``application/json`` or the legacy ``JSONString`` field)."""
    raw: Any = None
    try:
        if "x-www-form-urlencoded" in request.headers.get("content-type", ""):
            text = request.form().get("JSONString", "")
            raw = json.loads(text) if text else None
        else:
            raw = request.json()
    except ValueError:
        raise invalid("JSONString") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid("JSONString")
    return raw


def _emails(body: dict[str, Any], name: str, required: bool) -> list[str]:
    value = body.get(name)
    if value in (None, []):
        if required:
            raise ApiError(400, 2, f"Please enter a valid value for {name}.")
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, str) and _EMAIL.match(v.strip()) for v in value
    ):
        raise invalid(name)
    return [v.strip() for v in value]


def _text(body: dict[str, Any], name: str, required: bool, limit: int | None) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, 2, f"Please enter a valid value for {name}.")
        return None
    if not isinstance(value, str) or (limit is not None and len(value) > limit):
        raise invalid(name)
    return value


def _flag(request: Request, name: str) -> bool:
    return request.query.get(name, "").strip().lower() == "true"


def _check_query(operation: str, request: Request) -> None:
    """Refuse a query parameter the operation's documentation does not list."""
    ref = reference()
    if operation not in ref.documented:
        return
    for name in request.query:
        if not ref.accepts(operation, QUERY, name):
            raise invalid(name)


def _register_api(app: ZohoRouter, state: ZohoState) -> None:
    def api(
        method: str, pattern: str, module: str, operation: str, needs_org: bool = True
    ) -> Callable[[ApiHandler], ApiHandler]:
        """Auth header, scope, organization_id, quotas and concurrency around a handler that
        gets `(request, org data)`; errors become Zoho's envelope."""
        name = f"{method} {pattern}"

        def register(handler: ApiHandler) -> ApiHandler:
            def run(request: Request) -> Response:
                state.stats.calls[name] += 1
                headers: dict[str, str] = {}
                entered: str | None = None
                try:
                    if state.limits.strict:
                        _check_query(name, request)
                    with state.lock:
                        token = state.authenticate(request.headers.get("authorization", ""))
                        state.check_scope(token, module, operation)
                        if needs_org:
                            od = state.organization_for(token, request.query.get("organization_id"))
                        else:
                            user = state.users[token.user_id]
                            od = state.orgs[user.organization_ids[0]]
                    org_id = od.org.organization_id
                    state.enter_call(org_id)
                    entered = org_id
                    verdict: RateVerdict = state.count_api_call(org_id)
                    headers = verdict.headers
                    if verdict.error is not None:
                        raise verdict.error
                    if state.limits.latency > 0:
                        time.sleep(state.limits.latency)
                    with state.lock:
                        response = handler(request, od)
                except ApiError as exc:
                    state.stats.errors[f"{name} {exc.status}"] += 1
                    response = Response.json(exc.as_json(), exc.status, exc.headers)
                finally:
                    if entered is not None:
                        state.exit_call(entered)
                for key, value in headers.items():
                    response.headers.setdefault(key, value)
                return response

            app.route(method, BOOKS + pattern)(run)
            return handler

        return register

    # organisations -------------------------------------------------------------------------

    @api("GET", "/organizations", "settings", "READ", needs_org=False)
    def organizations(request: Request, od: OrgData) -> Response:
        token = state.authenticate(request.headers.get("authorization", ""))
        user = state.users[token.user_id]
        return _ok(organizations=[_organization(state.orgs[o]) for o in user.organization_ids])

    @api("GET", "/organizations/{organization_id}", "settings", "READ", needs_org=False)
    def organization(request: Request, od: OrgData) -> Response:
        token = state.authenticate(request.headers.get("authorization", ""))
        wanted = request.params["organization_id"]
        if wanted not in state.users[token.user_id].organization_ids:
            raise ApiError(
                400, 6041, f"This user is not associated with the CompanyID/CompanyName:{wanted}."
            )
        return _ok(organization=_organization(state.orgs[wanted]))

    # lists and details ---------------------------------------------------------------------

    @api("GET", "/contacts", "contacts", "READ")
    def contacts(request: Request, od: OrgData) -> Response:
        return _list(app, state, od, "contacts", request)

    @api("GET", "/contacts/{contact_id}", "contacts", "READ")
    def contact(request: Request, od: OrgData) -> Response:
        return _ok(contact=_contact_detail(state, od, od.contact(request.params["contact_id"])))

    @api("GET", "/contacts/{contact_id}/contactpersons", "contacts", "READ")
    def contact_persons(request: Request, od: OrgData) -> Response:
        c = od.contact(request.params["contact_id"])
        return _ok(contact_persons=[_person(p) for p in c.persons])

    @api("GET", "/invoices", "invoices", "READ")
    def invoices(request: Request, od: OrgData) -> Response:
        return _list(app, state, od, "invoices", request)

    @api("GET", "/invoices/{invoice_id}", "invoices", "READ")
    def invoice(request: Request, od: OrgData) -> Response:
        inv = od.invoice(request.params["invoice_id"])
        today = od.today(state.now())
        return _ok(invoice=_invoice_detail(state, od, inv, request, today))

    @api("GET", "/customerpayments", "customerpayments", "READ")
    def payments(request: Request, od: OrgData) -> Response:
        return _list(app, state, od, "customerpayments", request)

    @api("GET", "/customerpayments/{payment_id}", "customerpayments", "READ")
    def payment(request: Request, od: OrgData) -> Response:
        return _ok(payment=_payment_detail(state, od, od.payment(request.params["payment_id"])))

    # invoices: reminders, comments, mail, status ---------------------------------------------

    @api("GET", "/invoices/{invoice_id}/paymentreminder", "invoices", "CREATE")
    def reminder_content(request: Request, od: OrgData) -> Response:
        inv = od.invoice(request.params["invoice_id"])
        c = od.contact(inv.customer_id)
        return _ok(
            data={
                "subject": f"Payment reminder for invoice {inv.invoice_number}",
                "body": f"<p>Dear {c.contact_name},</p><p>Invoice {inv.invoice_number} is due.</p>",
                "to_contacts": [
                    {
                        "contact_person_id": p.contact_person_id,
                        "email": p.email,
                        "selected": p.is_primary_contact,
                    }
                    for p in c.persons
                ],
                "from_emails": [
                    {"user_name": od.org.name, "email": od.org.email, "selected": True}
                ],
                "cc_mails_list": [],
                "emailtemplates": [],
                "attach_pdf": True,
                "file_name": f"{inv.invoice_number}.pdf",
                "customer_id": inv.customer_id,
                "entity_id": inv.invoice_id,
                "error_list": [],
            }
        )

    @api("POST", "/invoices/{invoice_id}/paymentreminder", "invoices", "CREATE")
    def remind(request: Request, od: OrgData) -> Response:
        body = _body(request)
        state.send_payment_reminder(
            od.org.organization_id,
            request.params["invoice_id"],
            to=_emails(body, "to_mail_ids", False),
            cc=_emails(body, "cc_mail_ids", False),
            subject=_text(body, "subject", False, 1000),
            body=_text(body, "body", False, None),
            with_statement=_flag(request, "send_customer_statement"),
        )
        return _ok(message="Your payment reminder has been sent.")

    @api("POST", "/invoices/paymentreminder", "invoices", "CREATE")
    def remind_bulk(request: Request, od: OrgData) -> Response:
        ids = [i for i in request.query.get("invoice_ids", "").split(",") if i.strip()]
        if not ids or len(ids) > 10:
            raise invalid("invoice_ids")
        sent, failed = 0, []
        for invoice_id in ids:
            try:
                state.send_payment_reminder(od.org.organization_id, invoice_id.strip())
                sent += 1
            except ApiError:
                failed.append(invoice_id.strip())
        info: dict[str, Any] = {
            "email_success_info": {"message": f"{sent} reminder(s) sent.", "sent_count": sent},
            "email_errors_info": [{"message": "Reminders could not be sent.", "ids": failed}]
            if failed
            else [],
            "code": 4083 if failed else 0,
        }
        return Response.json({"code": 0, "message": "success", "info": info}, 201)

    def reminder_switch(enabled: bool) -> ApiHandler:
        def handle(request: Request, od: OrgData) -> Response:
            state.set_invoice_reminders(
                od.org.organization_id, request.params["invoice_id"], enabled
            )
            return _ok(message="Reminders enabled." if enabled else "Reminders stopped.")

        return handle

    api("POST", "/invoices/{invoice_id}/paymentreminder/enable", "invoices", "CREATE")(
        reminder_switch(True)
    )
    api("POST", "/invoices/{invoice_id}/paymentreminder/disable", "invoices", "CREATE")(
        reminder_switch(False)
    )

    @api("GET", "/invoices/{invoice_id}/comments", "invoices", "READ")
    def comments(request: Request, od: OrgData) -> Response:
        inv = od.invoice(request.params["invoice_id"])
        rows = [_comment(od, inv, c) for c in reversed(inv.comments)]  # newest first
        return _ok(comments=rows)

    @api("POST", "/invoices/{invoice_id}/comments", "invoices", "CREATE")
    def add_comment(request: Request, od: OrgData) -> Response:
        body = _body(request)
        description = _text(body, "description", True, 2000)
        show = body.get("show_comment_to_clients", False)
        if not isinstance(show, bool):
            raise invalid("show_comment_to_clients")
        inv = od.invoice(request.params["invoice_id"])
        comment = state.add_comment(od.org.organization_id, inv.invoice_id, str(description), show)
        return _ok(201, "Comments added.", comment=_comment(od, inv, comment))

    @api("POST", "/invoices/{invoice_id}/email", "invoices", "CREATE")
    def email_invoice(request: Request, od: OrgData) -> Response:
        body = _body(request)
        inv = od.invoice(request.params["invoice_id"])
        state.email_invoice(
            od.org.organization_id,
            inv.invoice_id,
            _emails(body, "to_mail_ids", True),
            _emails(body, "cc_mail_ids", False),
            _text(body, "subject", False, 1000) or f"Invoice {inv.invoice_number}",
            _text(body, "body", False, None) or f"Please find invoice {inv.invoice_number}.",
        )
        return _ok(message="Your invoice has been sent.")

    def status_change(status: str) -> ApiHandler:
        def handle(request: Request, od: OrgData) -> Response:
            try:
                state.set_invoice_status(
                    od.org.organization_id, request.params["invoice_id"], status
                )
            except ValueError as exc:
                raise ApiError(400, 4013, str(exc)) from None
            return _ok(message=f"Invoice status has been changed to {status.capitalize()}.")

        return handle

    for status in ("sent", "void", "draft"):
        api("POST", f"/invoices/{{invoice_id}}/status/{status}", "invoices", "UPDATE")(
            status_change(status)
        )

    # contacts: statement, mail, reminders ----------------------------------------------------

    @api("GET", "/contacts/{contact_id}/statements/email", "contacts", "CREATE")
    def statement_content(request: Request, od: OrgData) -> Response:
        c = od.contact(request.params["contact_id"])
        return _ok(
            data={
                "body": f"<p>Dear {c.contact_name},</p><p>Please find your statement.</p>",
                "subject": f"Statement of accounts for {c.contact_name}",
                "to_contacts": [
                    {
                        "contact_person_id": p.contact_person_id,
                        "email": p.email,
                        "selected": p.is_primary_contact,
                    }
                    for p in c.persons
                ],
                "file_name": "statement.pdf",
                "from_emails": [],
                "contact_id": c.contact_id,
            }
        )

    @api("POST", "/contacts/{contact_id}/statements/email", "contacts", "CREATE")
    def email_statement(request: Request, od: OrgData) -> Response:
        body = _body(request)
        state.email_statement(
            od.org.organization_id,
            request.params["contact_id"],
            _emails(body, "to_mail_ids", True),
            _emails(body, "cc_mail_ids", False),
            str(_text(body, "subject", True, 1000)),
            str(_text(body, "body", True, None)),
            _date_param(request.query, "start_date"),
            _date_param(request.query, "end_date"),
        )
        return _ok(message="Statement has been sent to the Customer.")

    @api("POST", "/contacts/{contact_id}/email", "contacts", "CREATE")
    def email_contact(request: Request, od: OrgData) -> Response:
        body = _body(request)
        state.email_contact(
            od.org.organization_id,
            request.params["contact_id"],
            _emails(body, "to_mail_ids", True),
            str(_text(body, "subject", True, 1000)),
            str(_text(body, "body", True, 5000)),
            _flag(request, "send_customer_statement"),
        )
        return _ok(message="Email has been sent.")

    def contact_switch(enabled: bool) -> ApiHandler:
        def handle(request: Request, od: OrgData) -> Response:
            state.set_contact_reminders(
                od.org.organization_id, request.params["contact_id"], enabled
            )
            word = "enabled" if enabled else "stopped"
            return _ok(message=f"All reminders associated with this contact have been {word}.")

        return handle

    api("POST", "/contacts/{contact_id}/paymentreminder/enable", "contacts", "CREATE")(
        contact_switch(True)
    )
    api("POST", "/contacts/{contact_id}/paymentreminder/disable", "contacts", "CREATE")(
        contact_switch(False)
    )
