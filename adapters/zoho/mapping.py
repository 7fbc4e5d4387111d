"""The only place that knows Zoho Books field names: contact/invoice/payment dicts -> domain.

Field names from the official pages (https://www.zoho.com/books/api/v3/contacts/,
https://www.zoho.com/books/api/v3/invoices/, https://www.zoho.com/books/api/v3/customer-payments/)
and the OpenAPI files; see docs/zoho-books.md.

Defensive parsing, because Zoho's answers vary:
  * timestamps come as ``2026-01-05T10:00:00+0100`` (offset without colon, the organisation's time
    zone) and sometimes with a colon; both become aware datetimes;
  * amounts come as numbers (parsed as `Decimal` by the client, never float), as strings, and
    sometimes as ``""``; amounts that decide whether we dun (total, balance) must be present;
  * ids may be numbers or strings; they become strings.
A record that cannot be read raises `MalformedRecord` (a MALFORMED `LedgerError`) naming the
record, so a sync fails loudly instead of storing a wrong balance.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from adapters.zoho.errors import ZohoApiError
from connector.domain import (
    Customer,
    CustomerProfile,
    Invoice,
    InvoiceStatus,
    Money,
    Payment,
    postal_address,
)
from connector.domain.ports import ErrorKind


class MalformedRecord(ZohoApiError):
    def __init__(self, what: str, message: str) -> None:
        super().__init__(ErrorKind.MALFORMED, f"Zoho {what}: {message}", endpoint=what, sent=None)


# -- error paths -------------------------------------------------------------------------------
#: the largest amount a ledger plausibly holds (beyond it Decimal rounding to cents overflows)
MAX_AMOUNT = Decimal(10) ** 15

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _located(kind: str, keys: tuple[str, ...]) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Any other exception while mapping a record (a value no check foresaw) becomes a
    `MalformedRecord` naming the record, never a bare ValueError/InvalidOperation/OverflowError
    out of the adapter."""

    def wrap(fn: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(fn)
        def inner(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return fn(*args, **kwargs)
            except MalformedRecord:
                raise
            except (ValueError, TypeError, ArithmeticError, AttributeError, KeyError) as exc:
                record = args[0] if args else None
                name = kind
                if isinstance(record, Mapping):
                    ids = [str(record.get(k))[:60] for k in keys if record.get(k) not in (None, "")]
                    name = f"{kind} {ids[0]}" if ids else kind
                raise MalformedRecord(name, f"{type(exc).__name__}: {exc}"[:300]) from None

        return inner

    return wrap


def _amount_ok(amount: Decimal, key: str, what: str) -> Decimal:
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise MalformedRecord(what, f"{key}: not a plausible amount: {amount}")
    return amount


_OFFSET_NO_COLON = re.compile(r"([+-])(\d{2})(\d{2})$")

# Zoho invoice statuses (list filter values plus those seen in answers).
_OPEN = frozenset({"sent", "viewed", "overdue", "partially_paid", "unpaid"})
# Not sent to the customer yet: never dun.
_NOT_SENT = frozenset({"draft", "pending_approval", "approved"})


# -- scalars ----------------------------------------------------------------------------------
def parse_zoho_datetime(value: Any, tz: str | None = None) -> datetime | None:
    """``2026-01-05T10:00:00+0100`` / ``...+01:00`` / ``...Z`` -> aware datetime; "" -> None.

    A timestamp without an offset is taken in `tz` (the organisation's zone) when given.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    text = text.replace(" ", "T", 1) if "T" not in text and " " in text else text
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    text = _OFFSET_NO_COLON.sub(r"\1\2:\3", text) if "T" in text else text
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        if tz is None:
            raise ValueError(f"timestamp without offset: {value!r}")
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed


def format_zoho_time(moment: datetime, tz: str) -> str:
    """An aware datetime as Zoho's filter wants it: ``2026-01-05T10:00:00+0100`` in `tz`.

    (requests encodes the ``+`` as ``%2B``, as Zoho requires.)
    """
    if moment.tzinfo is None:
        raise ValueError("format_zoho_time needs an aware datetime")
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M:%S%z")


def parse_zoho_date(value: Any) -> date | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return date.fromisoformat(text[:10])


def to_decimal(value: Any) -> Decimal | None:
    """Decimal from a JSON number (already Decimal/int), a string, or ``""``/None (-> None).

    A float (should not happen: the client parses with ``parse_float=Decimal``) goes through its
    shortest repr, never through binary arithmetic.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = repr(value)  # NaN and infinities are refused below like their strings
    text = str(value).strip()
    if not text:
        return None
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return result


def to_int(value: Any) -> int | None:
    number = to_decimal(value)
    return None if number is None else int(number)


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return None
    return str(value).strip().lower() in ("true", "1", "yes")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _ref(record: Mapping[str, Any], key: str, what: str) -> str:
    value = _text(record.get(key))
    if value is None:
        raise MalformedRecord(what, f"no {key}")
    return value


# -- status -----------------------------------------------------------------------------------
def invoice_status(zoho_status: str | None, balance: Decimal) -> InvoiceStatus:
    """draft (and not yet approved) -> DRAFT; void -> VOID; paid or balance 0 -> PAID;
    sent/viewed/overdue/partially_paid/unpaid -> OPEN. Anything else is treated as not sent
    (DRAFT): we never dun what we do not understand."""
    status = (zoho_status or "").strip().lower()
    if status in _NOT_SENT:
        return InvoiceStatus.DRAFT
    if status == "void":
        return InvoiceStatus.VOID
    if status == "paid" or (status in _OPEN and balance <= 0):
        return InvoiceStatus.PAID
    if status in _OPEN:
        return InvoiceStatus.OPEN
    return InvoiceStatus.DRAFT


# -- records ----------------------------------------------------------------------------------
def _currency(record: Mapping[str, Any], default: str | None, what: str) -> str:
    code = _text(record.get("currency_code")) or default
    if not code:
        raise MalformedRecord(what, "no currency_code and no organisation currency")
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise MalformedRecord(what, f"currency_code is not a currency: {code[:20]!r}")
    return code.upper()


def _money(record: Mapping[str, Any], key: str, currency: str, what: str) -> Money:
    try:
        amount = to_decimal(record.get(key))
    except ValueError as exc:
        raise MalformedRecord(what, f"{key}: {exc}") from None
    if amount is None:
        raise MalformedRecord(what, f"{key} is missing or empty")
    return Money(_amount_ok(amount, key, what), currency)


def _when(record: Mapping[str, Any], key: str, what: str, tz: str | None) -> datetime | None:
    try:
        return parse_zoho_datetime(record.get(key), tz)
    except ValueError as exc:
        raise MalformedRecord(what, f"{key}: {exc}") from None


def _day(record: Mapping[str, Any], key: str, what: str) -> date | None:
    try:
        return parse_zoho_date(record.get(key))
    except ValueError:
        raise MalformedRecord(what, f"{key}: not a date: {record.get(key)!r}") from None


@_located("invoice", ("invoice_number", "invoice_id"))
def invoice_from_zoho(
    record: Mapping[str, Any], *, currency: str | None = None, tz: str | None = None
) -> Invoice:
    """A list item or detail object of /invoices -> Invoice."""
    ref = _ref(record, "invoice_id", "invoice")
    what = f"invoice {record.get('invoice_number') or ref}"
    code = _currency(record, currency, what)
    total = _money(record, "total", code, what)
    balance = _money(record, "balance", code, what)
    issue = _day(record, "date", what)
    due = _day(record, "due_date", what) or issue
    if issue is None or due is None:
        raise MalformedRecord(what, "no date")
    try:
        reminders = to_int(record.get("reminders_sent"))
    except ValueError:
        reminders = None
    return Invoice(
        ref=ref,
        number=_text(record.get("invoice_number")) or ref,
        customer_ref=_ref(record, "customer_id", what),
        status=invoice_status(_text(record.get("status")), balance.amount),
        issue_date=issue,
        due_date=due,
        total=total,
        balance=balance,
        updated_at=_when(record, "last_modified_time", what, tz),
        last_payment_date=_day(record, "last_payment_date", what),
        platform_reminders_sent=reminders,
        last_reminder_date=_day(record, "last_reminder_sent_date", what),
        # the customer's secure view, where Zoho's payment gateways take the payment; on the
        # detail object only (GET /invoices/{invoice_id})
        pay_url=_text(record.get("invoice_url")),
    )


def _profile(record: Mapping[str, Any]) -> CustomerProfile:
    sub_type = (_text(record.get("customer_sub_type")) or "").lower()
    return CustomerProfile.CONSUMER if sub_type == "individual" else CustomerProfile.BUSINESS


def _primary_email(record: Mapping[str, Any]) -> str | None:
    persons = record.get("contact_persons")
    if isinstance(persons, list):
        for person in persons:
            if isinstance(person, Mapping) and to_bool(person.get("is_primary_contact")):
                email = _text(person.get("email"))
                if email:
                    return email
    return _text(record.get("email"))


@_located("contact", ("contact_name", "contact_id"))
def customer_from_zoho(
    record: Mapping[str, Any], *, currency: str | None = None, tz: str | None = None
) -> Customer:
    """A list item (summary: no sub type, reminders flag unknown) or a detail object of
    /contacts -> Customer. The e-mail is the primary contact person's."""
    ref = _ref(record, "contact_id", "contact")
    what = f"contact {ref}"
    detail = "customer_sub_type" in record or "payment_reminder_enabled" in record
    name = _text(record.get("contact_name")) or _text(record.get("company_name")) or ref
    return Customer(
        ref=ref,
        name=name,
        email=_primary_email(record),
        company_name=_text(record.get("company_name")),
        profile=_profile(record),
        reminders_enabled=to_bool(record.get("payment_reminder_enabled")) if detail else None,
        language=_text(record.get("language_code")),
        currency=_text(record.get("currency_code")) or currency,
        updated_at=_when(record, "last_modified_time", what, tz),
        address=billing_address(record.get("billing_address")),
    )


def billing_address(billing: Any) -> str | None:
    """A detail's ``billing_address`` (``address``, ``street2``, ``zip``, ``city``, ``country``)
    as letter lines; list items carry no address at all."""
    if not isinstance(billing, Mapping):
        return None
    return postal_address(
        [_text(billing.get("address")), _text(billing.get("street2"))],
        _text(billing.get("zip")),
        _text(billing.get("city")),
        _text(billing.get("country")),
    )


@_located("payment", ("payment_number", "payment_id"))
def payment_from_zoho(
    record: Mapping[str, Any], *, currency: str | None = None, tz: str | None = None
) -> Payment:
    """A list item or detail object of /customerpayments -> Payment. Invoice ids only come with
    the detail object (``invoices[]``); list items name invoice numbers, which are not refs."""
    ref = _ref(record, "payment_id", "payment")
    what = f"payment {record.get('payment_number') or ref}"
    day = _day(record, "date", what)
    if day is None:
        raise MalformedRecord(what, "no date")
    invoices = record.get("invoices")
    refs: tuple[str, ...] = ()
    if isinstance(invoices, list):
        refs = tuple(
            str(inv["invoice_id"])
            for inv in invoices
            if isinstance(inv, Mapping) and inv.get("invoice_id") not in (None, "")
        )
    return Payment(
        ref=ref,
        customer_ref=_ref(record, "customer_id", what),
        date=day,
        amount=_money(record, "amount", _currency(record, currency, what), what),
        invoice_refs=refs,
        updated_at=_when(record, "last_modified_time", what, tz),
    )


#: when payment list items carry no last_modified_time, the cursor is based on the payment date
#: minus this window (a payment entered up to a week after its date is still re-read)
PAYMENT_DATE_WINDOW = timedelta(days=7)


def payment_cursor_basis(payment: Payment, tz: str) -> datetime:
    """The moment a payment counts as "seen at" for the cursor."""
    if payment.updated_at is not None:
        return payment.updated_at
    start = datetime(payment.date.year, payment.date.month, payment.date.day, tzinfo=ZoneInfo(tz))
    return start - PAYMENT_DATE_WINDOW


def comment_descriptions(body: Mapping[str, Any]) -> list[str]:
    """Descriptions of an invoice's comments and history (GET /invoices/{id}/comments)."""
    comments = body.get("comments")
    if not isinstance(comments, list):
        return []
    return [str(c.get("description") or "") for c in comments if isinstance(c, Mapping)]


def organization_line(org: Mapping[str, Any]) -> str:
    name = _text(org.get("name")) or "?"
    return f"{name} (organization {org.get('organization_id')})"


def organization_currency(org: Mapping[str, Any]) -> str | None:
    return _text(org.get("currency_code"))
