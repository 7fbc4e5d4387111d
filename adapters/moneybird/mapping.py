"""The only place that knows Moneybird's field names: records -> `connector.domain` objects.

Every property is read through its declared `Record` (adapters/moneybird/endpoints.py), so the
contract test sees each one. Moneybird's values at the edge (API description,
https://developer.moneybird.com/api/sales-invoices):
  * ids are numbers too large for a float (``458026356994737217``), sent as strings; kept as
    text, digits only;
  * invoice amounts are decimal strings (``"121.0"``); a payment's ``price`` is a string or a
    number and may use a decimal comma; all become `Money` (Decimal), never float;
  * dates are ``YYYY-MM-DD``; ``updated_at`` is an ISO 8601 time in UTC;
  * ``state``: draft, scheduled, open, pending_payment, late, reminded, paid, uncollectible.
A record that cannot be read raises `MalformedRecord` (MALFORMED) naming it, so a sync fails
loudly instead of storing a wrong balance.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from adapters.moneybird.endpoints import (
    ADMINISTRATION,
    CONTACT,
    DUNNABLE_STATES,
    NEVER_DUNNED_STATES,
    NOTE,
    PAID_STATES,
    PAYMENT,
    PENDING_STATES,
    SALES_INVOICE,
    SYNC_VERSION,
    VOID_STATES,
)
from adapters.moneybird.errors import MoneybirdApiError
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


class MalformedRecord(MoneybirdApiError):
    def __init__(self, what: str, message: str) -> None:
        super().__init__(
            ErrorKind.MALFORMED, f"Moneybird {what}: {message}", endpoint=what, sent=None
        )


#: the largest amount a ledger plausibly holds (the same bound as the other adapters)
MAX_AMOUNT = Decimal(10) ** 15

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _located(
    kind: str, keys: tuple[str, ...] = ("id",)
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Any other exception while mapping a record (a value no check foresaw) becomes a
    `MalformedRecord` naming the record by the first of `keys` it has (the number people know
    before the id), never a bare ValueError out of the adapter."""

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
                    refs = [str(record[k])[:40] for k in keys if record.get(k) not in (None, "")]
                    name = f"{kind} {refs[0]}" if refs else kind
                raise MalformedRecord(name, f"{type(exc).__name__}: {exc}"[:300]) from None

        return inner

    return wrap


# -- scalars ----------------------------------------------------------------------------------
def record_id(value: Any, what: str, key: str = "id") -> str:
    """A Moneybird id as text (digits only; a JSON integer is accepted)."""
    if isinstance(value, bool) or value is None:
        raise MalformedRecord(what, f"{key} is missing")
    text = str(value).strip()
    if not text.isdigit():
        raise MalformedRecord(what, f"{key} is not a Moneybird id: {text[:40]!r}")
    return text


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def currency_code(value: Any, what: str) -> str:
    code = (_text(value) or "").upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise MalformedRecord(what, f"currency is not a currency: {code[:20]!r}")
    return code


def money(value: Any, currency: str, key: str, what: str) -> Money:
    """An amount (decimal string, JSON number, a decimal comma allowed) as `Money`; refuses
    booleans, floats' NaN/infinity, and amounts no ledger holds."""
    if value is None or isinstance(value, bool) or value == "":
        raise MalformedRecord(what, f"{key} is missing")
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Money.of(text, currency)
    except ValueError as exc:
        raise MalformedRecord(what, f"{key}: {exc}") from None
    if abs(amount.amount) >= MAX_AMOUNT:
        raise MalformedRecord(what, f"{key}: not a plausible amount: {text[:40]}")
    return amount


def day(value: Any, key: str, what: str) -> date | None:
    """``YYYY-MM-DD`` (None/"" -> None)."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise MalformedRecord(what, f"{key} is not a date: {str(value)[:40]!r}") from None


def moment(value: Any, key: str, what: str) -> datetime | None:
    """An ISO 8601 time with its zone (``2025-02-17T10:46:49.141Z``); None/"" -> None."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise MalformedRecord(what, f"{key} is not a time: {str(value)[:40]!r}") from None
    if parsed.tzinfo is None:
        raise MalformedRecord(what, f"{key} has no time zone: {str(value)[:40]!r}")
    return parsed


def version(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise MalformedRecord(what, "version is not a number")
    try:
        return int(str(value).strip())
    except ValueError:
        raise MalformedRecord(what, f"version is not a number: {str(value)[:40]!r}") from None


# -- records ----------------------------------------------------------------------------------
@_located("synchronization list")
def versions(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """``[{id, version}]`` (GET …/synchronization) as {id: version}."""
    return dict(version_pairs(rows))


def version_pairs(rows: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, int]]:
    """``[{id, version}]`` (GET …/synchronization) as (id, version), row by row: the list of
    every invoice is read from a file (`paging.spooled_objects`), never held whole. The checks
    and messages of `versions`."""
    for row in rows:
        try:
            ref = record_id(SYNC_VERSION.get(row, "id"), "synchronization list")
            yield ref, version(SYNC_VERSION.get(row, "version"), f"record {ref}")
        except MalformedRecord:
            raise
        except (ValueError, TypeError, ArithmeticError, AttributeError, KeyError) as exc:
            raise MalformedRecord(
                "synchronization list", f"{type(exc).__name__}: {exc}"[:300]
            ) from None


def _status(state: str, what: str) -> InvoiceStatus:
    if state in DUNNABLE_STATES or state in PENDING_STATES:
        return InvoiceStatus.OPEN
    if state in PAID_STATES:
        return InvoiceStatus.PAID
    if state in VOID_STATES:
        return InvoiceStatus.VOID
    if state in NEVER_DUNNED_STATES:
        return InvoiceStatus.DRAFT
    raise MalformedRecord(what, f"unknown state {state[:30]!r}")


@_located("sales invoice", ("invoice_id", "id"))
def invoice_from_record(record: Mapping[str, Any]) -> Invoice:
    """A sales invoice -> Invoice.

    * ``state`` open, late, reminded: OPEN with ``total_unpaid`` ("what is still to be paid")
      as the balance; pending_payment (a payment under way, e.g. a direct debit): OPEN with
      nothing to remind of (balance 0), as an amount in transit is not dunned on Exact either;
      paid: PAID; uncollectible: VOID; draft and scheduled (not sent yet): DRAFT, never dunned.
    * a credit invoice (total not positive) is never dunned: PAID with balance 0, as on Exact.
    * the number is ``invoice_id`` (a draft has none yet: ``draft <id>``); the customer is
      ``contact_id``; ``reminder_count`` is Moneybird's own counter of reminders sent.
    """
    ref = record_id(SALES_INVOICE.get(record, "id"), "sales invoice")
    number = _text(SALES_INVOICE.get(record, "invoice_id"))
    what = f"sales invoice {number or ref}"
    state = _text(SALES_INVOICE.get(record, "state")) or ""
    status = _status(state, what)
    code = currency_code(SALES_INVOICE.get(record, "currency"), what)
    total = money(
        SALES_INVOICE.get(record, "total_price_incl_tax"), code, "total_price_incl_tax", what
    )
    unpaid = money(SALES_INVOICE.get(record, "total_unpaid"), code, "total_unpaid", what)
    updated = moment(SALES_INVOICE.get(record, "updated_at"), "updated_at", what)
    issue = day(SALES_INVOICE.get(record, "invoice_date"), "invoice_date", what)
    due = day(SALES_INVOICE.get(record, "due_date"), "due_date", what)
    if status is InvoiceStatus.DRAFT and updated is not None:
        # a draft has no invoice date yet; it is never dunned, only kept
        issue = issue or due or updated.date()
        due = due or issue
    if issue is None or due is None:
        raise MalformedRecord(what, "no invoice_date or no due_date")
    zero = Money.zero(code)
    if not total.is_positive() and status is InvoiceStatus.OPEN:
        status = InvoiceStatus.PAID
    balance = unpaid if status is InvoiceStatus.OPEN and state not in PENDING_STATES else zero
    paid_days = [p.date for p in payments_from_record(record)]
    reminders = SALES_INVOICE.get(record, "reminder_count")
    return Invoice(
        ref=ref,
        number=number or f"draft {ref}",
        customer_ref=record_id(SALES_INVOICE.get(record, "contact_id"), what, "contact_id"),
        status=status,
        issue_date=issue,
        due_date=due,
        total=total,
        balance=balance,
        updated_at=updated,
        last_payment_date=max(paid_days) if paid_days else None,
        platform_reminders_sent=None if reminders is None else int(reminders),
        pay_url=payment_url(record),
    )


@_located("sales invoice", ("invoice_id", "id"))
def payments_from_record(record: Mapping[str, Any]) -> list[Payment]:
    """The invoice's ``payments``: each in the invoice's currency (``price``; ``price_base`` is
    the administration's currency), for the invoice's contact."""
    ref = record_id(SALES_INVOICE.get(record, "id"), "sales invoice")
    what = f"sales invoice {_text(SALES_INVOICE.get(record, 'invoice_id')) or ref}"
    rows = SALES_INVOICE.get(record, "payments") or []
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise MalformedRecord(what, "payments is not a list of objects")
    if not rows:
        return []
    code = currency_code(SALES_INVOICE.get(record, "currency"), what)
    customer = record_id(SALES_INVOICE.get(record, "contact_id"), what, "contact_id")
    out: list[Payment] = []
    for row in rows:
        pid = record_id(PAYMENT.get(row, "id"), f"{what} payment")
        label = f"{what} payment {pid}"
        invoice = PAYMENT.get(row, "invoice_id")
        if invoice is not None and record_id(invoice, label, "invoice_id") != ref:
            raise MalformedRecord(label, "belongs to another invoice")
        paid_on = day(PAYMENT.get(row, "payment_date"), "payment_date", label)
        if paid_on is None:
            raise MalformedRecord(label, "payment_date is missing")
        out.append(
            Payment(
                ref=pid,
                customer_ref=customer,
                date=paid_on,
                amount=money(PAYMENT.get(row, "price"), code, "price", label),
                invoice_refs=(ref,),
                updated_at=moment(PAYMENT.get(row, "updated_at"), "updated_at", label),
            )
        )
    return out


def record_version(record: Mapping[str, Any], kind: str = "sales invoice") -> int:
    """The ``version`` of a fetched record (a sales invoice or a contact): what to store as
    known, since it may be newer than the one the synchronization list gave a moment before."""
    declared = SALES_INVOICE if kind == "sales invoice" else CONTACT
    ref = record_id(declared.get(record, "id"), kind)
    return version(declared.get(record, "version"), f"{kind} {ref}")


def is_paused(record: Mapping[str, Any]) -> bool:
    """Moneybird's own reminder workflow is paused for this invoice."""
    return SALES_INVOICE.get(record, "paused") is True


def state(record: Mapping[str, Any]) -> str:
    return _text(SALES_INVOICE.get(record, "state")) or ""


def reminder_style(record: Mapping[str, Any]) -> dict[str, str | None]:
    """The invoice's own workflow, identity and document style (ids as text, None if absent)."""
    return {
        key: _text(SALES_INVOICE.get(record, key))
        for key in ("workflow_id", "identity_id", "document_style_id")
    }


def note_texts(record: Mapping[str, Any], kind: str = "sales invoice") -> list[str]:
    """The texts of the notes on a sales invoice or a contact."""
    declared = SALES_INVOICE if kind == "sales invoice" else CONTACT
    rows = declared.get(record, "notes") or []
    if not isinstance(rows, list):
        return []
    return [str(NOTE.get(row, "note") or "") for row in rows if isinstance(row, Mapping)]


def administration_line(record: Mapping[str, Any]) -> str:
    """``Vogel Installaties B.V. (administration 123…)`` for the login's list."""
    ref = record_id(ADMINISTRATION.get(record, "id"), "administration")
    return f"{_text(ADMINISTRATION.get(record, 'name')) or '?'} (administration {ref})"


def payment_url(record: Mapping[str, Any]) -> str | None:
    """Where the customer pays online (Moneybird books the payment), or None without online
    payment (documented as a string; null seen in practice). Only an https URL is kept: it goes
    into a mail."""
    url = _text(SALES_INVOICE.get(record, "payment_url"))
    return url if url and url.startswith("https://") else None


@_located("contact", ("company_name", "id"))
def customer_from_contact(record: Mapping[str, Any], *, currency: str = "EUR") -> Customer:
    """A contact -> Customer. The e-mail is ``send_invoices_to_email`` (where Moneybird sends
    this contact's invoices), else ``email``. A contact with a company name is a business; one
    with only a first and last name is treated as a consumer (the stricter rules apply: a
    person is never dunned as a business by mistake). Moneybird has no "no reminders" flag on a
    contact: `reminders_enabled` is None (the client file's overrides decide)."""
    ref = record_id(CONTACT.get(record, "id"), "contact")
    company = _text(CONTACT.get(record, "company_name"))
    person = " ".join(
        n
        for n in (_text(CONTACT.get(record, "firstname")), _text(CONTACT.get(record, "lastname")))
        if n
    )
    number = _text(CONTACT.get(record, "customer_id"))
    name = company or person or number or ref
    return Customer(
        ref=ref,
        name=name,
        email=_text(CONTACT.get(record, "send_invoices_to_email"))
        or _text(CONTACT.get(record, "email")),
        company_name=company,
        profile=CustomerProfile.BUSINESS if company else CustomerProfile.CONSUMER,
        reminders_enabled=None,
        currency=currency,
        updated_at=moment(CONTACT.get(record, "updated_at"), "updated_at", f"contact {name}"),
        address=postal_address(
            [_text(CONTACT.get(record, "address1")), _text(CONTACT.get(record, "address2"))],
            _text(CONTACT.get(record, "zipcode")),
            _text(CONTACT.get(record, "city")),
            _text(CONTACT.get(record, "country")),
        ),
        number=number,
    )
